/**
 * Backfill benchmark: `npm run bench:backfill -- --rows 1000000 [--engine postgres|mysql|both]
 * [--batch 500] [--partitions 4] [--worker inprocess|process] [--repeat N] [--warm] [--keep]`.
 *
 * In one process and one run, per engine:
 *   1. seeds a legacy `orders` table in bulk;
 *   2. baseline — the script a user would otherwise write: the same keyset pages (SourceDb.readPage
 *      over the same key-space split), the same mapping and the same batch POSTs (TargetClient.write)
 *      with the same batch size and concurrency (one loop per partition), no Temporal, no checkpoints,
 *      no flag;
 *   3. the real backfill: the sweep workflow on a Temporal dev server with an in-process worker.
 * Each phase writes into its own empty collection of the reference service (run as a child process,
 * trackKeys off, so the service's memory and CPU are not counted as ours), so both pay for inserts.
 * Prints rows/s for both, the ratio, and peak RSS sampled during each phase. With `--worker inprocess`
 * (the default) the worker runs in this process, so the figure is the process' (worker, connection,
 * workflow threads, plus what the baseline phase left in the heap). `--worker process` runs a real
 * `migrate worker` and reports that process's own peak (VmHWM) — the figure a deployment sees;
 * BENCH_WORKER_NODE_OPTIONS sets its NODE_OPTIONS (e.g. `--max-old-space-size=128`).
 *
 * `--target discard` (or `both`, the default) adds two phases writing into the discard target
 * (bench/lib/discardTarget.ts: its own process, parses each batch, stores nothing): the copy written
 * by hand with no project code (bench/lib/handLoop.ts: own keyset query, own JSON, own HTTP agent)
 * and the same backfill as above. Their ratio is what Tracer's own pipeline costs, which the
 * reference service (about 50k rows/s into PostgreSQL) hides. `--target reference` runs only the
 * first two phases, as before.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { loadPlanFile, type LoadedPlan } from '../src/plan/load.js';
import { openPlanResources } from '../src/resources/planResources.js';
import { writeBatchOf } from '../src/plan/schema.js';
import { createWorker } from '../src/temporal/worker.js';
import { findTemporalCli, freePort, startDevServer, type DevServer } from '../src/temporal/devServer.js';
import { openSession } from '../src/ops/session.js';
import { startBackfill } from '../src/ops/backfill.js';
import { idempotencyKey } from '../src/service/idempotency.js';
import { TargetRetryableError } from '../src/service/errors.js';
import type { KeyTuple } from '../src/sources/types.js';
import { handLoop } from './lib/handLoop.js';
import { runHandLoopProcess } from './lib/handLoopProcess.js';
import { MYSQL_ADMIN, PG_ADMIN, ROOT, loadAverage, log, mb, pgCheckpoint, seedOrders, startDiscardTarget, startService as startBenchService, startWorkerProcess, withCpu, withDatabase, withPeakRss, writePlan as writeBenchPlan, type Service, type WorkerProcess } from './lib/common.js';

const TOKEN = `bench-${randomBytes(8).toString('hex')}`;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    engine: { type: 'string', default: 'postgres' },
    batch: { type: 'string', default: '500' },
    partitions: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    /** inprocess: the worker runs in this process (RSS is the process'); process: a real `migrate worker`, its own peak RSS (VmHWM). */
    worker: { type: 'string', default: 'inprocess' },
    /** Which phase runs first; the second one shares the machine with the first's after-effects (PostgreSQL checkpoints, autovacuum). */
    order: { type: 'string', default: 'baseline-first' },
    /** reference: the reference service only; discard: the discard target only; both. */
    target: { type: 'string', default: 'both' },
    /** Pairs of phases run this many times, alternating; the figures reported are each run's and the median ratio's. */
    repeat: { type: 'string', default: '1' },
    /**
     * Each side runs once unmeasured first, in the process it is then measured in: the hand-written
     * loop in this process, the backfill in one `migrate worker` kept for every repeat (restarted
     * backfills of one plan). Without it each backfill gets a new worker, whose JIT and heap start
     * cold, against a loop in a new process of its own (bench/lib/handLoopProcess.ts), as cold.
     */
    warm: { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const REPEAT = Number(args.repeat);
const WARM = args.warm;
if (WARM && (args.worker !== 'process' || args.target !== 'discard')) throw new Error('--warm needs --worker process and --target discard');
if (!Number.isInteger(REPEAT) || REPEAT < 1) throw new Error('--repeat must be a positive whole number');
const BATCH = Number(args.batch);
const PARTITIONS = Number(args.partitions);
const ENGINES = args.engine === 'both' ? (['postgres', 'mysql'] as const) : ([args.engine] as ('postgres' | 'mysql')[]);
for (const e of ENGINES) if (e !== 'postgres' && e !== 'mysql') throw new Error(`--engine must be postgres, mysql or both, not ${e}`);
if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error('--rows must be a positive whole number');
if (args.worker !== 'inprocess' && args.worker !== 'process') throw new Error('--worker must be inprocess or process');
if (!['reference', 'discard', 'both'].includes(args.target)) throw new Error('--target must be reference, discard or both');
const REFERENCE = args.target !== 'discard';
const DISCARD = args.target !== 'reference';
if (args.order !== 'baseline-first' && args.order !== 'backfill-first') throw new Error('--order must be baseline-first or backfill-first');

const seed = (engine: 'postgres' | 'mysql', url: string) => seedOrders(engine, url, ROWS);
const startService = (databaseUrl: string, schema: string): Promise<Service> => startBenchService(databaseUrl, schema, TOKEN);

function writePlan(dir: string, name: string, sourceUrl: string, stateUrl: string, serviceUrl: string, temporalAddress: string, taskQueue: string): string {
  return writeBenchPlan({ dir, name, sourceUrl, stateUrl, serviceUrl, temporalAddress, taskQueue, batch: BATCH, partitions: PARTITIONS });
}

/** The hand-written copy: keyset pages per partition, map, POST, retry transient errors with backoff. */
async function baseline(loaded: LoadedPlan): Promise<number> {
  const res = await openPlanResources(loaded);
  try {
    const e = res.entity('orders');
    const source = await res.source('legacy');
    const target = res.target('orders');
    const mapping = res.mapping('orders');
    const writeBatch = writeBatchOf(e.target) ?? BATCH;
    const ranges = await source.splitKeySpace(e.source, PARTITIONS);
    let rows = 0;
    await Promise.all(
      ranges.map(async (range) => {
        let after: KeyTuple | undefined = range.after;
        for (;;) {
          const page = await source.readPage(e.source, { after, upTo: range.upTo }, BATCH);
          if (page.rows.length === 0 || !page.last) return;
          const items = page.rows.map((r) => ({ key: source.keyOf(e.source, r), version: r.updated_at, item: mapping.map(r) }));
          for (let i = 0; i < items.length; i += writeBatch) {
            const batch = items.slice(i, i + writeBatch);
            for (let attempt = 1; ; attempt++) {
              try {
                await target.write(batch.map((b) => b.item), idempotencyKey('orders', batch));
                break;
              } catch (err) {
                if (!(err instanceof TargetRetryableError) || attempt > 10) throw err;
                await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 100 * 2 ** attempt));
              }
            }
          }
          rows += page.rows.length;
          after = page.last;
          if (page.rows.length < BATCH) return;
        }
      }),
    );
    return rows;
  } finally {
    await res.close();
  }
}

/** The backfill driven from here, executed by a real `migrate worker` process; returns its peak RSS too. */
async function processBackfill(
  loaded: LoadedPlan,
  kept?: { worker: WorkerProcess; restart: boolean },
): Promise<{ rows: number; ms: number; workerPeakRss: number; cpuSeconds: number; startedAt: number; startReturnedMs: number }> {
  const worker = kept?.worker ?? (await startWorkerProcess(loaded.file, process.env.BENCH_WORKER_NODE_OPTIONS));
  const session = await openSession(loaded, process.env, ROOT);
  try {
    const cpu0 = worker.cpuSeconds();
    const startedAt = Date.now();
    const t0 = performance.now();
    const { handle } = await startBackfill(session, 'orders', 'bench', kept?.restart ?? false);
    const startReturnedMs = performance.now() - t0;
    const result = await handle.result();
    const ms = performance.now() - t0;
    return { rows: result.done, ms, workerPeakRss: worker.peakRss(), cpuSeconds: worker.cpuSeconds() - cpu0, startedAt, startReturnedMs };
  } finally {
    await session.close();
    if (!kept) await worker.stop();
  }
}

/** The real thing: the backfill workflow with an in-process worker, timed from start to result. */
async function temporalBackfill(loaded: LoadedPlan, address: string): Promise<{ rows: number; ms: number; workerPeakRss?: number; cpuSeconds?: number; startedAt: number; startReturnedMs: number }> {
  const resources = await openPlanResources(loaded);
  const { worker, connection } = await createWorker({
    settings: { address, namespace: 'default', taskQueue: loaded.plan.temporal.taskQueue },
    deps: { resources },
    cacheDir: join(ROOT, '.migrate', 'cache'),
    identity: `bench-${process.pid}`,
  });
  const running = worker.run();
  const session = await openSession(loaded, process.env, ROOT);
  try {
    const startedAt = Date.now();
    const t0 = performance.now();
    const { handle } = await startBackfill(session, 'orders', 'bench');
    const startReturnedMs = performance.now() - t0;
    const result = await handle.result();
    return { rows: result.done, ms: performance.now() - t0, startedAt, startReturnedMs };
  } finally {
    await session.close();
    worker.shutdown();
    await running;
    await resources.close();
    await connection.close();
  }
}

interface Ratio {
  baselineRowsPerSec: number;
  temporalRowsPerSec: number;
  ratio: number;
  baselinePeakRss: number;
  temporalPeakRss: number;
  /** CPU seconds of the hand-written loop (this process) and of the worker process, when measured. */
  baselineCpu?: number;
  temporalCpu?: number;
  /** 1-minute load average at the end of each phase. */
  baselineLoad: number;
  temporalLoad: number;
}

interface EngineResult {
  engine: string;
  rows: number;
  /** Into the reference service, vs. the project-pipeline baseline: one per repeat. */
  reference: Ratio[];
  /** Into the discard target, vs. the hand-written loop: one per repeat. */
  discard: Ratio[];
}

async function runEngine(engine: 'postgres' | 'mysql', temporal: DevServer, dir: string): Promise<EngineResult> {
  const db = `bench_${engine.slice(0, 2)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${db}`);
  await admin.end();
  const pgUrl = withDatabase(PG_ADMIN, db);
  let sourceUrl = pgUrl;
  if (engine === 'mysql') {
    const my = await mysql.createConnection(MYSQL_ADMIN);
    await my.query(`create database ${db}`);
    await my.end();
    sourceUrl = withDatabase(MYSQL_ADMIN, db);
  }
  // Every target process started, stopped again in `finally` when a phase throws half-way.
  const targets: { stop(): Promise<void> }[] = [];
  const started = <T extends { stop(): Promise<void> }>(t: T): T => (targets.push(t), t);
  try {
    let t0 = performance.now();
    await seed(engine, sourceUrl);
    log(`${engine}: seeded ${ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // The service's writes of one phase leave dirty pages behind; flush them so the next phase
    // does not pay for them (that made whichever phase ran second look ~20% slower at 3M rows).
    const settle = pgCheckpoint;
    let baseMs = 0;
    let base!: Awaited<ReturnType<typeof withPeakRss<number>>>;
    type Run = Awaited<ReturnType<typeof withPeakRss<{ rows: number; ms: number; workerPeakRss?: number; cpuSeconds?: number }>>>;
    let tw!: Run;
    let handMs = 0;
    let hand!: Awaited<ReturnType<typeof withPeakRss<number>>>;
    let handCpu = 0;
    const loads = { baseline: 0, reference: 0, hand: 0, discard: 0 };
    // Each repeat's plans are new plans, so their workflows are new runs rather than the finished ones.
    let rep = 0;
    let dw!: Run;
    const runBaseline = async () => {
      const svcA = started(await startService(pgUrl, 'bench_baseline'));
      const planA = await loadPlanFile(writePlan(dir, `${db}-baseline-${rep}`, sourceUrl, pgUrl, svcA.url, temporal.address, `${db}-a-${rep}`), process.env);
      t0 = performance.now();
      const startedA = Date.now();
      base = await withPeakRss(() => baseline(planA));
      baseMs = performance.now() - t0;
      loads.baseline = loadAverage();
      const spanA = await svcA.writeSpan();
      log(`${engine}: baseline first write after ${((spanA.first - startedA) / 1000).toFixed(2)} s, writing ${((spanA.last - spanA.first) / 1000).toFixed(2)} s`);
      const receivedA = await svcA.itemsReceived();
      await svcA.stop();
      if (base.value !== ROWS || receivedA !== ROWS) throw new Error(`baseline copied ${base.value} rows, service received ${receivedA}; expected ${ROWS}`);
      log(`${engine}: baseline ${ROWS} rows in ${(baseMs / 1000).toFixed(1)} s`);

    };
    let handWarmed = false;
    const runHand = async () => {
      const svc = started(await startDiscardTarget(TOKEN));
      if (WARM && !handWarmed) {
        await handLoop({ engine, sourceUrl, targetUrl: svc.url, token: TOKEN, batch: BATCH, partitions: PARTITIONS });
        await svc.reset();
        handWarmed = true;
        log(`${engine}: hand-written loop warmed up (one unmeasured run)`);
      }
      const options = { engine, sourceUrl, targetUrl: svc.url, token: TOKEN, batch: BATCH, partitions: PARTITIONS };
      if (WARM) {
        t0 = performance.now();
        const handRun = await withCpu(() => withPeakRss(() => handLoop(options)));
        hand = handRun.value;
        handCpu = handRun.cpuSeconds;
        handMs = performance.now() - t0;
      } else {
        // Cold: a fresh process, as a user's script runs and as cold as the new worker it is compared with.
        const run = await runHandLoopProcess('copy', options);
        hand = { value: run.value, peakRss: run.peakRss };
        handCpu = run.cpuSeconds;
        handMs = run.ms;
      }
      loads.hand = loadAverage();
      const received = await svc.itemsReceived();
      await svc.stop();
      if (hand.value !== ROWS || received !== ROWS) throw new Error(`hand-written loop copied ${hand.value} rows, discard target received ${received}; expected ${ROWS}`);
      log(`${engine}: hand-written loop into the discard target ${ROWS} rows in ${(handMs / 1000).toFixed(1)} s`);
    };
    // --warm: one discard target, plan and worker for every repeat, warmed up by one unmeasured backfill.
    let kept: { svc: Service; plan: LoadedPlan; worker: WorkerProcess } | undefined;
    const keptWorker = async () => {
      if (kept) return kept;
      const svc = started(await startDiscardTarget(TOKEN));
      const plan = await loadPlanFile(writePlan(dir, `${db}-discard-warm`, sourceUrl, pgUrl, svc.url, temporal.address, `${db}-discard-warm`), process.env);
      const worker = started(await startWorkerProcess(plan.file, process.env.BENCH_WORKER_NODE_OPTIONS));
      kept = { svc, plan, worker };
      const warmUp = await processBackfill(plan, { worker, restart: false });
      log(`${engine}: worker warmed up (one unmeasured backfill of ${warmUp.rows} rows, ${(warmUp.cpuSeconds).toFixed(1)} CPU s)`);
      return kept;
    };
    const runBackfill = async (into: 'reference' | 'discard') => {
      const k = WARM ? await keptWorker() : undefined;
      if (k) await k.svc.reset();
      const svcB = k?.svc ?? started(into === 'reference' ? await startService(pgUrl, 'bench_temporal') : await startDiscardTarget(TOKEN));
      const planB = k?.plan ?? (await loadPlanFile(writePlan(dir, `${db}-${into}-${rep}`, sourceUrl, pgUrl, svcB.url, temporal.address, `${db}-${into}-${rep}`), process.env));
      const run = await withPeakRss(() =>
        k ? processBackfill(planB, { worker: k.worker, restart: true }) : args.worker === 'process' ? processBackfill(planB) : temporalBackfill(planB, temporal.address),
      );
      if (into === 'reference') tw = run;
      else dw = run;
      loads[into] = loadAverage();
      const endedB = Date.now();
      const spanB = await svcB.writeSpan();
      // Where the durable run's extra time goes: before the first write (start, plan), the writing, after the last.
      // Timed from the start request, as the phase's rows/s is; the worker's own start comes before.
      const startedB = run.value.startedAt;
      log(`${engine}: backfill into the ${into} target: start request ${(run.value.startReturnedMs / 1000).toFixed(2)} s, first write after ${((spanB.first - startedB) / 1000).toFixed(2)} s, writing ${((spanB.last - spanB.first) / 1000).toFixed(2)} s, result ${((endedB - spanB.last) / 1000).toFixed(2)} s after the last write`);
      const receivedB = await svcB.itemsReceived();
      if (!k) await svcB.stop();
      if (run.value.rows !== ROWS || receivedB < ROWS) throw new Error(`backfill copied ${run.value.rows} rows, ${into} target received ${receivedB}; expected ${ROWS}`);
      log(`${engine}: backfill into the ${into} target ${ROWS} rows in ${(run.value.ms / 1000).toFixed(1)} s`);

    };
    const ratio = (baselineMs: number, baselinePeakRss: number, run: Run, baselineLoad: number, temporalLoad: number, baselineCpu?: number): Ratio => {
      const baselineRowsPerSec = ROWS / (baselineMs / 1000);
      const temporalRowsPerSec = ROWS / (run.value.ms / 1000);
      return {
        baselineRowsPerSec,
        temporalRowsPerSec,
        ratio: temporalRowsPerSec / baselineRowsPerSec,
        baselinePeakRss,
        temporalPeakRss: run.value.workerPeakRss ?? run.peakRss,
        baselineCpu,
        temporalCpu: run.value.cpuSeconds,
        baselineLoad,
        temporalLoad,
      };
    };
    const result: EngineResult = { engine, rows: ROWS, reference: [], discard: [] };
    const pairs: [() => Promise<void>, () => Promise<void>, () => void][] = [];
    if (REFERENCE) pairs.push([runBaseline, () => runBackfill('reference'), () => result.reference.push(ratio(baseMs, base.peakRss, tw, loads.baseline, loads.reference))]);
    if (DISCARD) pairs.push([runHand, () => runBackfill('discard'), () => result.discard.push(ratio(handMs, hand.peakRss, dw, loads.hand, loads.discard, handCpu))]);
    // Repeats alternate the two phases, so a spell of load on this shared machine falls on both.
    for (rep = 0; rep < REPEAT; rep++) {
      for (const [baselinePhase, backfillPhase, record] of pairs) {
        for (const phase of args.order === 'backfill-first' ? [backfillPhase, baselinePhase] : [baselinePhase, backfillPhase]) {
          await settle();
          await phase();
        }
        record();
      }
    }
    return result;
  } finally {
    for (const t of targets) await t.stop();
    if (!args.keep) {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`drop database if exists ${db} with (force)`);
      await c.end();
      if (engine === 'mysql') {
        const my = await mysql.createConnection(MYSQL_ADMIN);
        await my.query(`drop database if exists ${db}`);
        await my.end();
      }
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const optionalMedian = (xs: (number | undefined)[]): number | undefined => (xs.every((x) => x !== undefined) ? median(xs as number[]) : undefined);

/** Each column's median over the runs, peak RSS the highest. */
function medianRun(runs: Ratio[]): Ratio {
  return {
    baselineRowsPerSec: median(runs.map((x) => x.baselineRowsPerSec)),
    temporalRowsPerSec: median(runs.map((x) => x.temporalRowsPerSec)),
    ratio: median(runs.map((x) => x.ratio)),
    baselinePeakRss: Math.max(...runs.map((x) => x.baselinePeakRss)),
    temporalPeakRss: Math.max(...runs.map((x) => x.temporalPeakRss)),
    baselineCpu: optionalMedian(runs.map((x) => x.baselineCpu)),
    temporalCpu: optionalMedian(runs.map((x) => x.temporalCpu)),
    baselineLoad: median(runs.map((x) => x.baselineLoad)),
    temporalLoad: median(runs.map((x) => x.temporalLoad)),
  };
}

async function main(): Promise<void> {
  process.env.BENCH_SERVICE_TOKEN = TOKEN;
  const dir = mkdtempSync(join(tmpdir(), 'tracer-bench-'));
  const temporal = await startDevServer({ cliPath: findTemporalCli(process.env, ROOT), port: await freePort() });
  const results: EngineResult[] = [];
  try {
    for (const engine of ENGINES) results.push(await runEngine(engine, temporal, dir));
  } finally {
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const cpu = (s?: number) => (s === undefined ? '-' : s.toFixed(1));
  console.log(`\nbackfill benchmark: ${ROWS.toLocaleString('en')} rows, batch ${BATCH}, ${PARTITIONS} partitions`);
  const where = args.worker === 'process' ? 'migrate worker process' : 'this process, worker in-process';
  console.log(`engine    target     baseline                                 baseline rows/s  backfill rows/s  ratio  peak RSS baseline  peak RSS backfill  CPU s baseline  CPU s backfill  CPU ratio  load avg (${where})`);
  for (const r of results) {
    for (const [target, baselineName, runs] of [
      ['reference', 'project pipeline (reference svc)', r.reference],
      ['discard', 'hand-written loop (discard)', r.discard],
    ] as const) {
      const lines = runs.map((x, i) => [runs.length > 1 ? `${baselineName}, run ${i + 1}` : baselineName, x] as const);
      if (runs.length > 1) lines.push([`${baselineName}, median`, medianRun(runs)]);
      for (const [name, x] of lines) console.log(
        `${r.engine.padEnd(8)}  ${target.padEnd(9)}  ${name.padEnd(40)}  ${x.baselineRowsPerSec.toFixed(0).padStart(15)}  ${x.temporalRowsPerSec.toFixed(0).padStart(15)}  ${x.ratio.toFixed(2).padStart(5)}  ${mb(x.baselinePeakRss).padStart(17)}  ${mb(x.temporalPeakRss).padStart(17)}  ${cpu(x.baselineCpu).padStart(14)}  ${cpu(x.temporalCpu).padStart(14)}  ${(x.baselineCpu && x.temporalCpu ? (x.baselineCpu / x.temporalCpu).toFixed(2) : '-').padStart(9)}  ${x.baselineLoad.toFixed(1)} / ${x.temporalLoad.toFixed(1)}`,
      );
    }
  }
  if (REPEAT > 1) console.log('median: the median of each column over the runs (peak RSS: the highest), so its ratio need not be one run\'s');
  console.log(
    WARM
      ? 'warm: each side ran once unmeasured first; every backfill ran in one migrate worker (restarted backfills), peak RSS is that worker\'s over all its runs'
      : 'cold: every backfill got a new migrate worker and every hand-written loop a new node process (bench/lib/handLoopProcess.ts), JIT and heap cold on both sides; --warm compares warmed-up sides',
  );
  console.log(`this process's peak RSS over the whole run (resourceUsage.maxRSS): ${mb(maxRss)}`);
  console.log(`CPU s: the hand-written loop's (${WARM ? 'this process' : 'its own process'}) and the worker process's CPU time for the phase; CPU ratio = baseline / backfill, which moves far less with the load average than rows/s`);
  console.log('targets: ratio vs the hand-written loop >= 0.85 at 1M rows, >= 0.90 at 3M; backfill peak RSS < 300 MB and within 15% between 1M and 3M rows');
}

await main();
