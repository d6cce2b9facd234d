/**
 * Verify benchmark: `npm run bench:verify -- --rows 1000000 [--batch 1000] [--partitions 4]
 * [--worker inprocess|process] [--order baseline-first|verify-first] [--no-updated-at-index] [--warm]`.
 *
 * In one process and one run (PostgreSQL source):
 *   1. seeds the legacy `orders` table and the service's copy in bulk, identical, so every row matches;
 *   2. baseline — the script a user would otherwise write for the same answer: (a) the compare loop:
 *      the same keyset pages over the same key-space split, one loop per partition, the same batch
 *      reads of the service and the same comparison; (b) the catch-up: rows with updated_at at or
 *      after the start (minus the same 30 s of clock skew) read again and compared; (c) the extras
 *      pass: the service's list endpoint paged through with the same page size as `migrate verify`,
 *      each page's keys looked up in the source. No Temporal, no checkpoints, no queue, no report;
 *   3. `migrate verify`: the verify workflow on a dev server started here, timed from start to result.
 * Prints both ratios: the compare sweep alone (verify's `sweepRowsPerSec` / the compare loop), and the
 * whole run (sweep, catch-up, extras and report / the whole baseline); phase times of both; peak RSS.
 *
 * The service runs as its own process (its CPU and memory are not ours). `orders.updated_at` is indexed,
 * as a real table queried by "changed since" is; without the index (`--no-updated-at-index`) both
 * catch-ups scan the whole table, which is the schema's cost, not Tracer's.
 *
 * Memory: with `--worker inprocess` (the default) the worker runs in this process and the figure is the
 * process' (it includes what the baseline left in the heap). `--worker process` runs a real
 * `migrate worker` started as with no heap flag from the user (the product's default cap and semi-space,
 * src/ops/workerHeap.ts; BENCH_WORKER_NODE_OPTIONS sets NODE_OPTIONS instead) and reports that process's
 * peak (VmHWM) and its CPU seconds during the run, beside the hand-written loop's, which then runs in a
 * new process of its own (bench/lib/handLoopProcess.ts) so that both sides start cold.
 *
 * `--target discard` (or `both`, the default) adds a pair read from the discard target
 * (bench/lib/discardTarget.ts: stores nothing, answers each batchGet with the items the seed maps to):
 * the read-and-compare loop written by hand with no project code (bench/lib/handLoop.ts) and
 * `migrate verify` (no list endpoint there, so no extras pass). Its ratio, verify's sweep rows/s over
 * the hand loop's, is what Tracer's pipeline costs without the reference service's ceiling.
 * `--target reference` runs only the rounds above.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { findTemporalCli, freePort, startDevServer } from '../src/temporal/devServer.js';
import { loadPlanFile, type LoadedPlan } from '../src/plan/load.js';
import { openPlanResources } from '../src/resources/planResources.js';
import { createWorker } from '../src/temporal/worker.js';
import { verificationDeps } from '../src/ops/verifyDeps.js';
import { openSession } from '../src/ops/session.js';
import { startVerify, verifyOutcome } from '../src/ops/verifyRuns.js';
import { compileComparator } from '../src/compare/index.js';
import { phaseOf } from '../src/plan/schema.js';
import { compareRows } from '../src/sweep/compare.js';
import { CLOCK_SKEW_MS, extrasPageSize } from '../src/activities/verifyActivities.js';
import { verifySweepWorkflowId } from '../src/workflows/verifyWorkflow.js';
import type { KeyTuple } from '../src/sources/types.js';
import { handVerifyLoop } from './lib/handLoop.js';
import { runHandLoopProcess } from './lib/handLoopProcess.js';
import { PG_ADMIN, ROOT, loadAverage, log, mb, pgCheckpoint, seedOrders, startDiscardTarget, startService, startWorkerProcess, withCpu, withDatabase, withPeakRss, writePlan, type WorkerProcess } from './lib/common.js';
import { formatSpans, phaseSpans } from './lib/history.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '4' },
    worker: { type: 'string', default: 'inprocess' },
    order: { type: 'string', default: 'baseline-first' },
    'no-updated-at-index': { type: 'boolean', default: false },
    /** Rounds of baseline and verify, alternating, over the same seeded data; medians are printed. */
    repeat: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    /** reference: the reference service only; discard: the discard target only; both. */
    target: { type: 'string', default: 'both' },
    /**
     * The discard pair with both sides warmed up: the hand-written loop runs once unmeasured in this
     * process, then measured here; verify runs once unmeasured in a `migrate worker` that stays up for
     * the measured run. Needs `--worker process --target discard`.
     */
    warm: { type: 'boolean', default: false },
  },
});
const WARM = args.warm;
if (WARM && (args.worker !== 'process' || args.target !== 'discard')) throw new Error('--warm needs --worker process and --target discard');
const ROWS = Number(args.rows);
const BATCH = Number(args.batch);
const PARTITIONS = Number(args.partitions);
const REPEAT = Number(args.repeat);
if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error('--rows must be a positive whole number');
if (!Number.isInteger(REPEAT) || REPEAT < 1) throw new Error('--repeat must be a positive whole number');
if (args.worker !== 'inprocess' && args.worker !== 'process') throw new Error('--worker must be inprocess or process');
if (!['reference', 'discard', 'both'].includes(args.target)) throw new Error('--target must be reference, discard or both');
if (args.order !== 'baseline-first' && args.order !== 'verify-first') throw new Error('--order must be baseline-first or verify-first');
const TOKEN = `bench-${randomBytes(8).toString('hex')}`;
const SCHEMA = 'bench_svc';
/** NODE_OPTIONS of the worker process; unset, it starts as `migrate worker` does with no flag given (src/ops/workerHeap.ts: 256 MB cap, 16 MB semi-space, no pretenuring). */
const WORKER_NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS;

interface BaselineResult {
  compared: number;
  differing: number;
  caughtUp: number;
  listed: number;
  extras: number;
  compareMs: number;
  catchUpMs: number;
  extrasMs: number;
  totalMs: number;
}

/** The script a user would write for the same answer: compare loop, catch-up re-read, extras pass. */
async function baseline(loaded: LoadedPlan): Promise<BaselineResult> {
  const res = await openPlanResources(loaded);
  try {
    const e = loaded.plan.entities.orders!;
    const source = await res.source('legacy');
    const target = res.target('orders');
    const deps = {
      mapper: res.mapping('orders'),
      comparator: compileComparator(e, phaseOf(e, 'verify')!),
      target,
      keyOf: (row: Record<string, unknown>) => source.keyOf(e.source, row),
    };
    const t0 = performance.now();
    const startedAt = Date.now();
    // (a) compare loop, one per partition.
    const ranges = await source.splitKeySpace(e.source, PARTITIONS);
    let compared = 0;
    let differing = 0;
    await Promise.all(
      ranges.map(async (range) => {
        let after = range.after;
        for (;;) {
          const page = await source.readPage(e.source, { after, upTo: range.upTo }, BATCH);
          if (page.rows.length === 0 || !page.last) return;
          const results = await compareRows(deps, page.rows);
          compared += results.length;
          for (const r of results) if (r.status !== 'match') differing++;
          after = page.last;
          if (page.rows.length < BATCH) return;
        }
      }),
    );
    const t1 = performance.now();
    // (b) catch-up: rows changed since the start, with the same look-back for clock skew.
    let caughtUp = 0;
    let after: KeyTuple | undefined;
    for (;;) {
      const page = await source.readPage(e.source, { after }, BATCH, { updatedSince: new Date(startedAt - CLOCK_SKEW_MS) });
      if (page.rows.length === 0 || !page.last) break;
      for (const r of await compareRows(deps, page.rows)) if (r.status !== 'match') differing++;
      caughtUp += page.rows.length;
      after = page.last;
      if (page.rows.length < BATCH) break;
    }
    const t2 = performance.now();
    // (c) extras: page through the service's list and ask the source which keys exist.
    const limit = extrasPageSize(e);
    let listed = 0;
    let extras = 0;
    let cursor: string | undefined;
    do {
      const page = await target.list(cursor, limit);
      listed += page.items.length;
      const rows = await source.readByKeys(e.source, page.items.map((i) => [i.id as number]));
      const present = new Set(rows.map((r) => String(r.id)));
      for (const i of page.items) if (!present.has(String(i.id))) extras++;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const t3 = performance.now();
    return { compared, differing, caughtUp, listed, extras, compareMs: t1 - t0, catchUpMs: t2 - t1, extrasMs: t3 - t2, totalMs: t3 - t0 };
  } finally {
    await res.close();
  }
}

interface VerifyRun {
  compared: number;
  persistent: number;
  extra: number;
  sweepRowsPerSec: number;
  wallMs: number;
  phases: string;
  sweepPhases: string;
  workerPeakRss?: number;
  /** CPU seconds the worker process used from start to result. */
  workerCpu?: number;
}

/** One `migrate verify`, in a worker of its own unless `kept` (a worker process that outlives the run) is given. */
async function verify(loaded: LoadedPlan, address: string, kept?: WorkerProcess): Promise<VerifyRun> {
  let proc: WorkerProcess | undefined = kept;
  let inproc: { stop(): Promise<void> } | undefined;
  if (kept) {
    // Started by the caller, stopped by the caller.
  } else if (args.worker === 'process') proc = await startWorkerProcess(loaded.file, WORKER_NODE_OPTIONS);
  else {
    const wres = await openPlanResources(loaded);
    const { worker, connection } = await createWorker({
      settings: { address, namespace: 'default', taskQueue: loaded.plan.temporal.taskQueue },
      deps: { resources: wres, ...verificationDeps() },
      cacheDir: join(ROOT, '.migrate', 'cache'),
      identity: 'bench-worker',
    });
    const running = worker.run();
    inproc = {
      async stop() {
        worker.shutdown();
        await running;
        await wres.close();
        await connection.close();
      },
    };
  }
  const session = await openSession(loaded, process.env, ROOT);
  try {
    const cpu0 = proc?.cpuSeconds();
    const t0 = performance.now();
    const { handle } = await startVerify(session, 'orders', 'bench');
    await handle.result();
    const wallMs = performance.now() - t0;
    const workerPeakRss = proc?.peakRss();
    const workerCpu = proc && cpu0 !== undefined ? proc.cpuSeconds() - cpu0 : undefined;
    const { report } = await verifyOutcome(session, handle);
    const r = report.report;
    const child = session.temporal.client.workflow.getHandle(verifySweepWorkflowId(handle.workflowId));
    return {
      compared: r.totals.compared,
      persistent: r.totals.persistent,
      extra: r.totals.extra,
      sweepRowsPerSec: r.sweepRowsPerSec,
      wallMs,
      phases: formatSpans(phaseSpans(await handle.fetchHistory())),
      sweepPhases: formatSpans(phaseSpans(await child.fetchHistory())),
      ...(workerPeakRss !== undefined ? { workerPeakRss } : {}),
      ...(workerCpu !== undefined ? { workerCpu } : {}),
    };
  } finally {
    await session.close();
    if (!kept) await proc?.stop();
    await inproc?.stop();
  }
}

const rate = (rows: number, ms: number) => Math.round((rows * 1000) / ms);
/** verify's sweep (from the run's start to the sweep's end, as its report states it) / the compare loop. */
const sweepRatio = (b: BaselineResult, v: VerifyRun) => v.sweepRowsPerSec / rate(b.compared, b.compareMs);
/** The whole run, start to result / the whole baseline (compare, catch-up, extras). */
const wholeRatio = (b: BaselineResult, v: VerifyRun) => rate(v.compared, v.wallMs) / rate(b.compared, b.totalMs);

/** The hand-written read-and-compare loop and `migrate verify`, both reading from the discard target. */
async function discardPair(url: string, dir: string, temporalAddress: string): Promise<void> {
  const target = await startDiscardTarget(TOKEN);
  let kept: WorkerProcess | undefined;
  try {
    const file = writePlan({
      dir,
      name: 'bench-verify-discard',
      sourceUrl: url,
      stateUrl: url,
      serviceUrl: target.url,
      temporalAddress,
      taskQueue: 'bench-verify-discard',
      batch: BATCH,
      partitions: PARTITIONS,
      poolSize: PARTITIONS + 2,
      readBatch: BATCH,
      verify: `{ recheckAfter: 1s, recheckRounds: 1, batchSize: ${BATCH}, partitions: ${PARTITIONS} }`,
    });
    const loaded = await loadPlanFile(file, process.env);
    let hand!: Awaited<ReturnType<typeof withPeakRss<{ compared: number; differing: number }>>>;
    let handMs = 0;
    let handCpu = 0;
    const loads = { hand: 0, verify: 0 };
    let ver!: Awaited<ReturnType<typeof withPeakRss<VerifyRun>>>;
    const runHand = async () => {
      const options = { engine: 'postgres' as const, sourceUrl: url, targetUrl: target.url, token: TOKEN, batch: BATCH, partitions: PARTITIONS };
      if (WARM) {
        await handVerifyLoop(options);
        log('hand-written read-and-compare loop warmed up (one unmeasured run)');
      }
      if (args.worker === 'process' && !WARM) {
        // Verify gets a new worker process, so the loop gets a new process too: both start with cold JIT and heap.
        const run = await runHandLoopProcess('verify', options);
        hand = { value: run.value, peakRss: run.peakRss };
        handCpu = run.cpuSeconds;
        handMs = run.ms;
      } else {
        const t0 = performance.now();
        const run = await withCpu(() => withPeakRss(() => handVerifyLoop(options)));
        hand = run.value;
        handCpu = run.cpuSeconds;
        handMs = performance.now() - t0;
      }
      loads.hand = loadAverage();
      if (hand.value.compared !== ROWS || hand.value.differing !== 0) throw new Error(`hand-written loop compared ${hand.value.compared} (${hand.value.differing} differ); expected ${ROWS}, all matching`);
      log(`hand-written read-and-compare loop (discard target): ${(handMs / 1000).toFixed(1)}s`);
    };
    kept = WARM ? await startWorkerProcess(loaded.file, WORKER_NODE_OPTIONS) : undefined;
    if (kept) {
      const warmUp = await verify(loaded, temporalAddress, kept);
      log(`worker warmed up (one unmeasured verify of ${warmUp.compared} rows)`);
    }
    const runVerify = async () => {
      ver = await withPeakRss(() => verify(loaded, temporalAddress, kept));
      loads.verify = loadAverage();
      const v = ver.value;
      log(`migrate verify (discard target): ${(v.wallMs / 1000).toFixed(1)}s; phases: ${v.phases}`);
      if (v.compared !== ROWS || v.persistent !== 0) throw new Error(`verify compared ${v.compared}, persistent ${v.persistent}; expected ${ROWS}, 0`);
    };
    for (const phase of args.order === 'verify-first' ? [runVerify, runHand] : [runHand, runVerify]) {
      await pgCheckpoint();
      await phase();
    }
    const handRate = rate(hand.value.compared, handMs);
    const where = args.worker === 'process' ? `migrate worker process, ${WORKER_NODE_OPTIONS ?? 'no heap flag given'}` : 'this process, worker in-process';
    console.log(`\nverify into the discard target: ${ROWS.toLocaleString('en')} rows, batch ${BATCH}, ${PARTITIONS} partitions, PostgreSQL source`);
    console.log(`                 hand-written rows/s   verify rows/s   ratio`);
    console.log(`sweep only       ${String(handRate).padStart(19)}   ${String(ver.value.sweepRowsPerSec).padStart(13)}   ${(ver.value.sweepRowsPerSec / handRate).toFixed(2)}`);
    console.log(`whole run        ${String(handRate).padStart(19)}   ${String(rate(ver.value.compared, ver.value.wallMs)).padStart(13)}   ${(rate(ver.value.compared, ver.value.wallMs) / handRate).toFixed(2)}`);
    const handWhere = WARM ? 'this process, warmed up' : args.worker === 'process' ? 'its own new process' : 'this process';
    if (WARM) console.log('warm: each side ran once unmeasured first; verify ran in one migrate worker that stayed up, its peak RSS is over both runs');
    console.log(`peak RSS: hand-written loop ${mb(hand.peakRss)} (${handWhere}); verify ${mb(ver.value.workerPeakRss ?? ver.peakRss)} (${where})`);
    const wcpu = ver.value.workerCpu;
    console.log(`CPU s: hand-written loop ${handCpu.toFixed(1)} (${handWhere}); verify ${wcpu === undefined ? '-' : wcpu.toFixed(1)} (worker process); CPU ratio ${wcpu ? (handCpu / wcpu).toFixed(2) : '-'}; load average ${loads.hand.toFixed(1)} / ${loads.verify.toFixed(1)}`);
    console.log('target: sweep ratio vs the hand-written loop >= 0.85');
  } finally {
    await kept?.stop();
    await target.stop();
  }
}

async function main(): Promise<void> {
  process.env.BENCH_SERVICE_TOKEN = TOKEN;
  const db = `bench_verify_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${db}`);
  await admin.end();
  const url = withDatabase(PG_ADMIN, db);
  const dir = mkdtempSync(join(tmpdir(), 'tracer-bench-'));
  const server = await startDevServer({ cliPath: findTemporalCli(process.env, ROOT), port: await freePort() });
  const service = await startService(url, SCHEMA, TOKEN);
  try {
    let t = performance.now();
    await seedOrders('postgres', url, ROWS, { updatedAtIndex: !args['no-updated-at-index'] });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      `insert into ${SCHEMA}.items (collection, key, key_values, data)
       select 'orders', id::text, jsonb_build_array(id), jsonb_build_object('id', id, 'customerId', customer_id, 'total', total_cents,
         'status', case status when 'NEW' then 'created' when 'PAID' then 'paid' else 'shipped' end,
         'updatedAt', to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) from orders`,
    );
    // Vacuum both tables as a live table would have been: the first reader after a bulk insert
    // otherwise pays for setting every tuple's hint bits, which made whichever phase ran first ~2x slower.
    await c.query(`vacuum (analyze) orders`);
    await c.query(`vacuum (analyze) ${SCHEMA}.items`);
    await c.end();
    log(`seeded ${ROWS} rows in both copies in ${((performance.now() - t) / 1000).toFixed(1)}s`);

    const file = writePlan({
      dir,
      name: 'bench-verify',
      sourceUrl: url,
      stateUrl: url,
      serviceUrl: service.url,
      temporalAddress: server.address,
      taskQueue: 'bench-verify',
      batch: BATCH,
      partitions: PARTITIONS,
      poolSize: PARTITIONS + 2,
      readBatch: BATCH,
      list: true,
      verify: `{ recheckAfter: 1s, recheckRounds: 1, batchSize: ${BATCH}, partitions: ${PARTITIONS} }`,
    });
    const loaded = await loadPlanFile(file, process.env);

    if (args.target !== 'reference') await discardPair(url, dir, server.address);
    if (args.target === 'discard') return;

    const rounds: { base: Awaited<ReturnType<typeof withPeakRss<BaselineResult>>>; ver: Awaited<ReturnType<typeof withPeakRss<VerifyRun>>> }[] = [];
    for (let round = 1; round <= REPEAT; round++) {
      let base!: Awaited<ReturnType<typeof withPeakRss<BaselineResult>>>;
      let ver!: Awaited<ReturnType<typeof withPeakRss<VerifyRun>>>;
      const runBaseline = async () => {
        base = await withPeakRss(() => baseline(loaded));
        const b = base.value;
        log(
          `baseline: compare ${(b.compareMs / 1000).toFixed(1)}s, catch-up ${(b.catchUpMs / 1000).toFixed(2)}s (${b.caughtUp} rows), ` +
            `extras ${(b.extrasMs / 1000).toFixed(1)}s (${b.listed} listed, ${b.extras} extra); peak RSS ${mb(base.peakRss)}`,
        );
        if (b.compared !== ROWS || b.differing !== 0 || b.listed !== ROWS || b.extras !== 0) throw new Error(`baseline compared ${b.compared} (${b.differing} differ), listed ${b.listed} (${b.extras} extra); expected ${ROWS}, all matching`);
      };
      const runVerify = async () => {
        ver = await withPeakRss(() => verify(loaded, server.address));
        const v = ver.value;
        log(`migrate verify: ${(v.wallMs / 1000).toFixed(1)}s; phases: ${v.phases}`);
        log(`  sweep child: ${v.sweepPhases}`);
        if (v.compared !== ROWS || v.persistent !== 0 || v.extra !== 0) throw new Error(`verify compared ${v.compared}, persistent ${v.persistent}, extra ${v.extra}; expected ${ROWS}, 0, 0`);
      };
      for (const phase of args.order === 'verify-first' ? [runVerify, runBaseline] : [runBaseline, runVerify]) {
        // Flush the previous phase's writes (checkpoints, queue) so the next one does not pay for them.
        await pgCheckpoint();
        await phase();
      }
      rounds.push({ base, ver });
      if (REPEAT > 1) log(`round ${round}: sweep ratio ${sweepRatio(base.value, ver.value).toFixed(2)}, whole-run ratio ${wholeRatio(base.value, ver.value).toFixed(2)}`);
    }

    // The median round by whole-run ratio: other processes on a 2-core machine make single rounds noisy.
    const sorted = [...rounds].sort((x, y) => wholeRatio(x.base.value, x.ver.value) - wholeRatio(y.base.value, y.ver.value));
    const { base, ver } = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const b = base.value;
    const v = ver.value;
    const baseSweep = rate(b.compared, b.compareMs);
    const baseWhole = rate(b.compared, b.totalMs);
    const verWhole = rate(v.compared, v.wallMs);
    const where = args.worker === 'process' ? `migrate worker process, ${WORKER_NODE_OPTIONS ?? 'no heap flag given'}` : 'this process, worker in-process';
    console.log(
      `\nverify benchmark: ${ROWS.toLocaleString('en')} rows, batch ${BATCH}, ${PARTITIONS} partitions, list page ${extrasPageSize(loaded.plan.entities.orders!)}, PostgreSQL source` +
        `${args['no-updated-at-index'] ? ' (updated_at NOT indexed)' : ''}, ${args.order}${REPEAT > 1 ? `, median of ${REPEAT} rounds by whole-run ratio` : ''}`,
    );
    console.log(`                 baseline rows/s   verify rows/s   ratio`);
    console.log(`sweep only       ${String(baseSweep).padStart(15)}   ${String(v.sweepRowsPerSec).padStart(13)}   ${sweepRatio(b, v).toFixed(2)}`);
    console.log(`whole run        ${String(baseWhole).padStart(15)}   ${String(verWhole).padStart(13)}   ${wholeRatio(b, v).toFixed(2)}`);
    if (REPEAT > 1) console.log(`all rounds: sweep ${rounds.map((r) => sweepRatio(r.base.value, r.ver.value).toFixed(2)).join(' ')}; whole ${rounds.map((r) => wholeRatio(r.base.value, r.ver.value).toFixed(2)).join(' ')}`);
    console.log(`baseline ${(b.totalMs / 1000).toFixed(1)}s (compare ${(b.compareMs / 1000).toFixed(1)}s, catch-up ${(b.catchUpMs / 1000).toFixed(2)}s, extras ${(b.extrasMs / 1000).toFixed(1)}s); verify ${(v.wallMs / 1000).toFixed(1)}s`);
    const peakBase = Math.max(...rounds.map((r) => r.base.peakRss));
    const peakVer = Math.max(...rounds.map((r) => r.ver.value.workerPeakRss ?? r.ver.peakRss));
    console.log(`peak RSS over all rounds: baseline phase ${mb(peakBase)} (this process); verify ${mb(peakVer)} (${where})`);
    console.log('target: ratio >= 0.85, memory flat in the row count');
  } finally {
    await service.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    if (!args.keep) {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`drop database if exists ${db} with (force)`);
      await c.end();
    }
  }
}

await main();
