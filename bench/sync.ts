/**
 * Forward sync benchmark: `npm run bench:sync -- [--engine postgres|mysql|both] [--rows 20000]
 * [--rates 200,1000,4000] [--seconds 20] [--batch 500]`.
 *
 * Per engine, in one run: seeds `orders`, installs trigger capture, backfills, starts sync on an
 * in-process worker (Temporal dev server of its own, the reference service as its own process),
 * then for each writer rate runs a writer (2/5 inserts, 2/5 updates, 1/5 deletes) for `--seconds`
 * while sampling the change table's lag every 250 ms. Prints, per rate: the writer's achieved rate
 * (the baseline), sync's applied rate over the same window as a ratio to it, lag (pending changes
 * and the oldest change's age: median, p95, max), and how long the backlog took to drain after the
 * writer stopped. A ratio of 1.00 with a flat lag means sync keeps up; below that it falls behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { loadPlanFile } from '../src/plan/load.js';
import { openPlanResources } from '../src/resources/planResources.js';
import { createWorker } from '../src/temporal/worker.js';
import { findTemporalCli, freePort, startDevServer } from '../src/temporal/devServer.js';
import { openSession } from '../src/ops/session.js';
import { startBackfill } from '../src/ops/backfill.js';
import { installCapture, startSync, syncProgress } from '../src/ops/sync.js';
import { startChangeWriter } from '../test/support/changeWriter.js';
import { MYSQL_ADMIN, PG_ADMIN, ROOT, log, seedOrders, startService, withDatabase, writePlan } from './lib/common.js';

const TOKEN = `bench-${randomBytes(8).toString('hex')}`;
const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    rows: { type: 'string', default: '20000' },
    rates: { type: 'string', default: '200,1000,4000' },
    seconds: { type: 'string', default: '20' },
    batch: { type: 'string', default: '500' },
  },
});
const ENGINES = args.engine === 'both' ? (['postgres', 'mysql'] as const) : ([args.engine] as ('postgres' | 'mysql')[]);
for (const e of ENGINES) if (e !== 'postgres' && e !== 'mysql') throw new Error(`--engine must be postgres, mysql or both, not ${e}`);
const ROWS = Number(args.rows);
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const BATCH = Number(args.batch);
if (!Number.isInteger(ROWS) || ROWS < 1 || RATES.some((r) => !(r > 0)) || !(SECONDS > 0) || !(BATCH > 0)) throw new Error('--rows, --rates, --seconds and --batch must be positive numbers');

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function createDatabase(engine: 'postgres' | 'mysql', name: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === 'postgres') {
    const c = new pg.Client({ connectionString: PG_ADMIN });
    await c.connect();
    await c.query(`create database "${name}"`);
    await c.end();
    return {
      url: withDatabase(PG_ADMIN, name),
      async drop() {
        const d = new pg.Client({ connectionString: PG_ADMIN });
        await d.connect();
        await d.query(`drop database if exists "${name}" with (force)`);
        await d.end();
      },
    };
  }
  const c = await mysql.createConnection(MYSQL_ADMIN);
  await c.query(`create database \`${name}\``);
  await c.end();
  return {
    url: withDatabase(MYSQL_ADMIN, name),
    async drop() {
      const d = await mysql.createConnection(MYSQL_ADMIN);
      await d.query(`drop database if exists \`${name}\``);
      await d.end();
    },
  };
}

async function benchEngine(engine: 'postgres' | 'mysql', temporalAddress: string): Promise<string[]> {
  const name = `bench_sync_${engine}_${randomBytes(3).toString('hex')}`;
  const source = await createDatabase(engine, name);
  const state = engine === 'postgres' ? source : await createDatabase('postgres', name);
  const dir = mkdtempSync(join(tmpdir(), 'tracer-bench-sync-'));
  const lines: string[] = [];
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    log(`${engine}: seeding ${ROWS} rows`);
    await seedOrders(engine, source.url, ROWS);
    service = await startService(state.url, 'svc', TOKEN);
    const taskQueue = `bench-sync-${randomBytes(3).toString('hex')}`;
    const planFile = writePlan({
      dir,
      name: name.replace(/_/g, '-'),
      sourceUrl: source.url,
      stateUrl: state.url,
      serviceUrl: service.url,
      temporalAddress,
      taskQueue,
      batch: BATCH,
      partitions: 4,
      sync: `{ capture: triggers, batchSize: ${BATCH}, poll: 100ms, flag: orders.sync }`,
    });
    const env = { ...process.env, BENCH_SERVICE_TOKEN: TOKEN };
    const loaded = await loadPlanFile(planFile, env);
    const resources = await openPlanResources(loaded);
    const { worker, connection } = await createWorker({ settings: { address: temporalAddress, namespace: 'default', taskQueue }, deps: { resources }, cacheDir: join(ROOT, '.migrate', 'cache'), identity: 'bench-sync' });
    const running = worker.run();
    const session = await openSession(loaded, env, ROOT);
    try {
      await installCapture(session, 'orders', 'bench');
      await (await startBackfill(session, 'orders', 'bench')).handle.result();
      await startSync(session, 'orders', 'bench');
      const changeLog = session.resources.changeLog('orders');
      let rowsNow = ROWS;
      for (const rate of RATES) {
        const before = (await syncProgress(session, 'orders'))?.changes ?? 0;
        const lagCounts: number[] = [];
        const lagAges: number[] = [];
        const writer = await startChangeWriter(engine, source.url, rowsNow, rate, 16);
        const started = Date.now();
        while (Date.now() - started < SECONDS * 1000) {
          const lag = await changeLog.lag();
          lagCounts.push(lag.pending);
          lagAges.push(lag.oldestSeconds);
          await new Promise((r) => setTimeout(r, 250));
        }
        const pendingAtStop = (await changeLog.lag()).pending;
        const written = await writer.stop();
        const elapsed = (Date.now() - started) / 1000;
        const changes = written.inserts + written.updates + written.deletes;
        rowsNow += written.inserts;
        const drainStart = Date.now();
        while ((await changeLog.lag()).pending > 0) await new Promise((r) => setTimeout(r, 100));
        const drainS = (Date.now() - drainStart) / 1000;
        // Applied during the window = captured in it minus what was still pending when it closed.
        const appliedInWindow = changes - pendingAtStop;
        const writerRate = changes / elapsed;
        const syncRate = appliedInWindow / elapsed;
        const after = (await syncProgress(session, 'orders'))?.changes ?? 0;
        lines.push(
          `${engine.padEnd(8)} target ${String(rate).padStart(5)}/s  writer ${writerRate.toFixed(0).padStart(5)}/s  sync ${syncRate.toFixed(0).padStart(5)}/s  ratio ${(syncRate / writerRate).toFixed(2)}  ` +
            `lag pending p50 ${quantile(lagCounts, 0.5)} p95 ${quantile(lagCounts, 0.95)} max ${Math.max(...lagCounts)}  oldest p50 ${quantile(lagAges, 0.5).toFixed(2)}s max ${Math.max(...lagAges).toFixed(2)}s  drain ${drainS.toFixed(1)}s  (workflow counted ${after - before} changes)`,
        );
        log(lines[lines.length - 1]!);
      }
    } finally {
      await session.close();
      worker.shutdown();
      await running;
      await resources.close();
      await connection.close();
    }
  } finally {
    await service?.stop();
    await source.drop();
    if (state !== source) await state.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

const port = await freePort();
const server = await startDevServer({ cliPath: findTemporalCli(process.env, ROOT), port });
try {
  const all: string[] = [];
  for (const engine of ENGINES) all.push(...(await benchEngine(engine, server.address)));
  process.stdout.write(`\nForward sync vs the writer's own change rate (${ROWS} rows, batch ${BATCH}, ${SECONDS}s per rate)\n${all.join('\n')}\n`);
} finally {
  await server.stop();
}
