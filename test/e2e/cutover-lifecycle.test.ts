/**
 * The whole lifecycle of orders on real services, on each legacy engine, with three sample consumer
 * processes under load (issue 14's first must-show): capture, backfill, forward sync and verify,
 * then `migrate cutover` drives shadow → canary 10 % → reads → writes, the `migrate worker` process
 * is SIGKILLed while that write switch is in progress (and a new one started), `migrate cutover
 * --abort` rolls the writes back to the legacy, `--resume` moves them to the service again, and
 * `migrate retire` ends the migration. The apps (examples/orders-consumer: reporting, billing,
 * support) read and write orders through the consumer library the whole time and record every
 * operation; the history checker (docs/history-checker.md) then compares those histories with the
 * service, the final truth once writes are `new`.
 *
 * Legacy in PostgreSQL or MariaDB with trigger capture and forward sync; the state store and the
 * reference service on PostgreSQL, the service's change feed for reverse sync. The only worker is
 * a `migrate worker` process (no worker in the test's process), so killing it stops the cutover.
 * Seeded: orders 1..360 (status 'paid', version 0), backfilled to the service.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startLoad } from '../../bench/history/loadgen.js';
import { loadHistories } from '../../bench/history/load.js';
import { checkDirectories } from '../../bench/history/run.js';
import { formatReport } from '../../bench/history/checker.js';
import { legacyOrdersTruth, serviceOrdersTruth, valuesJson } from '../../bench/history/truth.js';
import { stageOf, type RoutingDocument } from '../../src/flags/routing.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { installCapture, startSync } from '../../src/ops/sync.js';
import { startVerify } from '../../src/ops/verifyRuns.js';
import type { JournalEntry } from '../../src/state/types.js';
import { cutoverWorkflowId, writeSwitchWorkflowId } from '../../src/workflows/cutoverDefinitions.js';
import { cutoverProgressQuery, type CutoverProgress } from '../../src/workflows/cutoverWorkflow.js';
import type { writeSwitchWorkflow } from '../../src/workflows/writeSwitchWorkflow.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { createTestDatabases, runSql, type TestDatabases } from '../support/databases.js';
import { eventually, loadTestPlan, writeTestPlan } from '../support/harness.js';
import { runMigrate, startReadyProcess, startWorkerProcess, stopProcess, type ReadyProcess, type WorkerProcess } from '../support/processes.js';
import { startRoutedConsumers, type RoutedConsumers } from '../support/routedConsumers.js';

const TOKEN = 'svc-token-lifecycle';
const CONSUMERS = ['reporting', 'billing', 'support'] as const;
const WORKERS_PER_APP = 12;
/**
 * 360 keys over 36 load workers: each key has one writer. Spread that thin, a
 * key is written about every 7 s, so a shadow read's re-check (1.5 s later) rarely meets a write
 * forward sync has not applied yet, and the shadow gate sees the copies agree.
 */
const KEYS = Array.from({ length: 360 }, (_, k) => k + 1);
/** What the load asks for; the must-show is the rate the histories record (≥ 100 operations/s). */
const RATE = 150;
const MIN_RATE = 100;
/**
 * The staleness the run declares acceptable, also forward sync's `maxLag` in the plan below (the lag
 * the write switch's preconditions accept). Reads on `new` while writes go to the legacy lag by
 * forward sync's lag; when the worker is SIGKILLed, forward sync's chunk stays with the dead worker
 * until its 12 s heartbeat timeout (syncWorkflow), so the lag reaches about that much: 15 s.
 */
const WINDOW_MS = 15_000;
const ENTITY_YAML = `  orders:
    source: { db: legacy, table: orders, key: [id] }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/orders:batchUpsert", batch: 50 }
      read: { method: POST, path: "/v1/orders:batchGet", batch: 50 }
      list: { path: /v1/orders }
      delete: { method: POST, path: "/v1/orders:batchDelete", batch: 50 }
      changes: { path: "/v1/orders:changes", limit: 50, overlap: 1s }
    map:
      id: id
      status: status
      total: { from: total_cents, as: integer }
      email: { from: email, sensitive: true }
    phases:
      - backfill: { batchSize: 50, partitions: 1, flag: orders.backfill }
      - sync: { capture: triggers, batchSize: 50, poll: 200ms, maxLag: ${WINDOW_MS / 1000}s, flag: orders.sync }
      - verify: { recheckAfter: 2s, recheckRounds: 3, maxMismatchRate: 0 }
      - cutover:
          consumers: [${CONSUMERS.join(', ')}]
          stages:
            - { name: shadow, reads: shadow, gate: { maxMismatchRate: 0.2, minSamples: 20 } }
            - { name: canary, reads: { new: 10 }, consumers: [reporting], gate: { minSamples: 1 } }
            - { name: reads, reads: new }
            - { name: writes, writes: new }
`;

const seedSql = (engine: 'postgres' | 'mysql'): string[] => [
  engine === 'postgres'
    ? 'create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)'
    : 'create table orders (id bigint primary key, status varchar(64) not null, total_cents bigint not null, email varchar(255) not null)',
  `insert into orders (id, status, total_cents, email) values ${KEYS.map((k) => `(${k}, 'paid', ${k * 100}, 'user${k}@example.com')`).join(', ')}`,
];

/** The write-switch lines of `migrate cutover --dry-run`, as `step: detail`, preconditions left out (their answers are today's). */
function dryRunSwitch(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => /^\s*\d+\. \[writes\] write-switch: (.*)$/.exec(l)?.[1])
    .filter((d): d is string => d !== undefined && !d.startsWith('preconditions'));
}

describe.each(['postgres', 'mysql'] as const)('the whole lifecycle of orders from %s with three consumer processes under load', (engine) => {
  let dbs: TestDatabases | undefined;
  let service: ReadyProcess | undefined;
  let serviceUrl: string;
  let sourceUrl: string;
  let planFile: string;
  let session: Session | undefined;
  let consumers: RoutedConsumers | undefined;
  let historyDir: string | undefined;
  const workers: WorkerProcess[] = [];
  let keepHistory = false;
  const env = { MIGRATE_ACTOR: 'e2e-operator', TEST_SERVICE_TOKEN: TOKEN };

  beforeAll(async () => {
    dbs = await createTestDatabases(`lifecycle${engine}`);
    sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    for (const sql of seedSql(engine)) await runSql(engine, sourceUrl, sql);
    // The reference service in a process of its own, as the worker and the apps are: in the test's
    // process it would share one event loop with the load generator and fall behind the apps' reads.
    service = await startReadyProcess(['--import', 'tsx', 'examples/fulfillment-service/main.ts', '--port', '0', '--database-url', dbs.pgUrl, '--token', TOKEN, '--no-track-keys'], {}, /listening on (http:\/\/\S+)/);
    serviceUrl = service.match[1]!;
    planFile = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl, token: TOKEN, entitiesYaml: ENTITY_YAML }).file;
    session = await openSession(await loadTestPlan(planFile, { ...process.env, ...env }), { ...process.env, ...env }, process.cwd());
    historyDir = mkdtempSync(path.join(tmpdir(), `tracer-lifecycle-${engine}-`));
    await startWorker('lifecycle-1');
  });

  afterAll(async () => {
    await consumers?.stop();
    for (const w of workers) await w.kill();
    await session?.close();
    await stopProcess(service);
    await dbs?.drop();
    // A failed run keeps its histories for offline checking (history:check, the Jepsen export).
    if (historyDir && !keepHistory) rmSync(historyDir, { recursive: true, force: true });
  });

  async function startWorker(identity: string): Promise<WorkerProcess> {
    const w = startWorkerProcess(planFile, env, identity);
    workers.push(w);
    await w.ready;
    return w;
  }

  const plan = () => session!.loaded.plan.name;
  const cli = (...args: string[]) => runMigrate(['--plan', planFile, 'cutover', '--entity', 'orders', ...args], env);
  const progress = (): Promise<CutoverProgress> => session!.temporal.client.workflow.getHandle(cutoverWorkflowId(plan(), 'orders')).query(cutoverProgressQuery);

  /**
   * Waits until `check` answers something for the cutover's progress; a gate left inconclusive (too
   * few samples yet) is resumed from the command line, as an operator would. On timeout the error
   * shows the last progress.
   */
  const undone: string[] = [];
  async function waitFor<T>(check: (p: CutoverProgress) => Promise<T | false> | T | false): Promise<T> {
    let last: CutoverProgress | undefined;
    try {
      return await eventually(async () => {
        const p = (last = await progress());
        // An undone write switch leaves writes where they were; the operator resumes to try it again.
        if (p.step === 'paused' && (p.paused?.by === 'gate' || p.paused?.by === 'write-switch')) {
          if (p.paused.by === 'write-switch') undone.push(p.paused.reason);
          expect((await cli('--resume')).code).toBe(0);
        }
        return check(p);
      }, 240_000, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}; cutover: ${JSON.stringify(last && { ...last, events: last.events.slice(-8) })}`);
    }
  }
  const until = (step: string, test: (p: CutoverProgress) => boolean = () => true): Promise<CutoverProgress> => waitFor((p) => p.step === step && test(p) && p);

  const journal = async (n: number): Promise<JournalEntry[]> => (await session!.resources.stateStore()).listJournal(plan(), 'orders', writeSwitchWorkflowId(plan(), 'orders', n));
  const writesInForce = async (): Promise<string | undefined> => {
    const r = await (await session!.resources.stateStore()).getRouting(plan(), 'orders');
    return r ? stageOf(r.document as RoutingDocument)?.writes : undefined;
  };
  const switchResult = (n: number) => session!.temporal.client.workflow.getHandle<typeof writeSwitchWorkflow>(writeSwitchWorkflowId(plan(), 'orders', n)).result();
  const steps = (r: Awaited<ReturnType<typeof switchResult>>) => r.steps.map((s) => `${s.step}: ${s.detail}`).filter((d) => !d.startsWith('preconditions'));

  it('Given reporting, billing and support under load (≥ 100 operations/s) recording histories, when the lifecycle runs from capture to retire with the worker SIGKILLed during the write switch and the writes rolled back from the writes stage and moved again, then the switch completes or undoes (never half done), the lifecycle goes on, and the history checker finds no acknowledged write lost, no impossible read and no read staler than the declared window', async () => {
    const s = session!;
    onTestFailed(() => {
      keepHistory = true;
      console.log(`[${engine}] histories kept in ${historyDir}`);
    });
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await installCapture(s, 'orders', 'test');
    await (await startBackfill(s, 'orders', 'test')).handle.result();
    await startSync(s, 'orders', 'test');
    await (await startVerify(s, 'orders', 'test')).handle.result();

    // The values before the load: every key at version 0 ('paid').
    const before = legacyOrdersTruth(sourceUrl);
    writeFileSync(path.join(historyDir!, 'initial.json'), valuesJson(await before.readAll!()));
    await before.close();

    mark('verified');
    const dry = await cli('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('[canary] publish: publish epoch 2: reads reporting new 10%, billing shadow, support shadow; writes legacy');
    const planned = dryRunSwitch(dry.stdout);
    expect(planned.map((d) => d.split(':')[0])).toEqual(['fence', 'drain', 'catch-up', 'verify-changed', 'reverse-sync', 'journal', 'switch', 'unfence']);

    // When: the operator starts the cutover (its first routing is what the apps start from) and the apps run under load.
    const start = await cli('--detach');
    expect(start.code, start.stderr).toBe(0);
    await eventually(async () => (await progress()).epoch >= 1, 60_000, 250);
    consumers = await startRoutedConsumers(planFile, env, {
      names: CONSUMERS,
      legacyUrl: sourceUrl,
      serviceUrl,
      historyDir,
      appEnv: { FULFILLMENT_TOKEN: TOKEN, POLL_MS: '200', REPORT_EVERY_MS: '300', RECHECK_MS: '1500' },
    });
    const load = startLoad({ apps: consumers.apps.map((a) => a.url), keys: KEYS, workersPerApp: WORKERS_PER_APP, ratePerSecond: RATE, timeoutMs: 10_000 });

    mark('load started');
    // When: the first write switch has fenced the writes, the worker is SIGKILLed and a new one started.
    await waitFor(async () => (await journal(1)).some((e) => e.step === 'fence' && e.outcome === 'done'));
    await workers[0]!.kill('SIGKILL');
    const atKill = await journal(1);
    const killedAfter = atKill.at(-1)!.step;
    mark('killed');
    await startWorker('lifecycle-2');

    // Then: the switch ends switched or undone — writes are `new` or `legacy` in force, never left fenced — and the cutover goes on to writes on the service.
    const first = await switchResult(1);
    expect(['switched', 'undone']).toContain(first.outcome);
    expect(await writesInForce()).toBe(first.outcome === 'switched' ? 'new' : 'legacy');
    const ends = (await journal(1)).map((e) => e.step);
    // Killed or not, a switch that completes takes exactly the steps its dry run listed.
    if (first.outcome === 'switched') expect(steps(first)).toEqual(planned);
    else expect(ends.at(-1) === 'undo' || ends.at(-1) === 'stop-reverse-sync').toBe(true);
    console.log(`[${engine}] worker SIGKILLed after journal step ${killedAfter} (entries ${atKill.map((e) => e.step).join(', ')}); switch 1 ${first.outcome}${first.reason ? `: ${first.reason}` : ''}`);
    const writes = await until('complete', (p) => p.stage === 'writes');
    expect(writes).toMatchObject({ writes: 'new', reads: { reporting: 'new', billing: 'new', support: 'new' } });
    const events = writes.events.map((e) => e.text);
    for (const e of ['stage shadow published', 'gate of stage shadow passed', 'stage canary published', 'stage reads published']) expect(events).toContain(e);
    expect(events.some((e) => /^writes switched to new \(epoch \d+\)$/.test(e))).toBe(true);
    const canary = await runMigrate(['--plan', planFile, 'flags', 'show', 'orders', '--epoch', '2'], env);
    expect(canary.stdout).toMatch(/reporting\s+new 10%/);

    mark('writes on new');
    // When: the writes are rolled back to the legacy from the writes stage, under the same load.
    const abort = await cli('--abort', '--reason', 'rehearse the rollback');
    expect(abort.code, abort.stderr).toBe(0);
    const back = await until('paused', (p) => p.writes === 'legacy');
    expect(back).toMatchObject({ stage: 'reads', paused: { by: 'rollback' } });
    expect(await writesInForce()).toBe('legacy');

    mark('rolled back');
    // When: resumed, the writes move to the service again, through the same steps (at later epochs).
    const resume = await cli('--resume');
    expect(resume.code, resume.stderr).toBe(0);
    const again = await until('complete', (p) => p.epoch > back.epoch);
    expect(again).toMatchObject({ stage: 'writes', epoch: back.epoch + 2, writes: 'new' });
    const name = (d: string) => d.split(':')[0];
    const switches = new Set((await (await session!.resources.stateStore()).listJournal(plan(), 'orders')).map((e) => e.switchId)).size;
    expect(steps(await switchResult(switches)).map(name)).toEqual(planned.map(name));

    mark('writes on new again');
    // When: the load ends and the entity is retired.
    const result = await load.stop();
    expect(result.writes.ok).toBeGreaterThan(0);
    const retire = await eventually(async () => {
      const r = await runMigrate(['--plan', planFile, 'retire', '--entity', 'orders', '--yes'], env);
      return r.code === 0 && r;
    }, 60_000, 1_000);
    expect(retire.stdout).toContain('orders: retired (audited as e2e-operator): reverse sync stopped; ');
    expect(retire.stdout).toContain('change capture removed');
    // … and status shows it retired, with no run behind it and no next command.
    const status = await runMigrate(['--plan', planFile, 'status'], env);
    expect(status.stdout).toMatch(/orders: retired/);
    expect(status.stdout).not.toContain('migrate retire');
    await consumers.stop();
    consumers = undefined;

    mark('retired');
    // Then: the three apps' histories held the load's rate over the whole run …
    const recorded = loadHistories([historyDir!]).operations;
    const spanMs = Math.max(...recorded.map((o) => o.completeWall ?? o.invokeWall)) - Math.min(...recorded.map((o) => o.invokeWall));
    const opsPerSecond = (recorded.length / spanMs) * 1000;
    const firstInvoke = Math.min(...recorded.map((o) => o.invokeWall));
    const perTenSeconds: number[] = [];
    for (const o of recorded) {
      const b = Math.floor((o.invokeWall - firstInvoke) / 10_000);
      perTenSeconds[b] = (perTenSeconds[b] ?? 0) + 1;
    }
    expect(new Set(recorded.map((o) => o.process.split('-')[0])).size).toBe(3);

    // … every acknowledged write is in the service, no read saw a value never written, and none was staler than the window.
    const truth = serviceOrdersTruth(serviceUrl, { token: TOKEN });
    const check = await checkDirectories({ dirs: [historyDir!], truth, windowMs: WINDOW_MS, jepsenPath: false });
    await truth.close();
    const report = formatReport(check.report);
    console.log(`[${engine}] ${recorded.length} operations in ${(spanMs / 1000).toFixed(1)} s = ${opsPerSecond.toFixed(1)} ops/s; load saw ${JSON.stringify({ writes: result.writes, reads: result.reads })}\nops/s per 10 s: ${Array.from(perTenSeconds, (n) => ((n ?? 0) / 10).toFixed(0)).join(' ')}\n${marks.join('; ')}\nundone switches resumed: ${undone.length === 0 ? 'none' : undone.join(' | ')}\n${report}`);
    expect(opsPerSecond, report).toBeGreaterThanOrEqual(MIN_RATE);
    expect(check.report.operations.writes.ok, report).toBe(result.writes.ok);
    expect(check.report.lost.count, report).toBe(0);
    expect(check.report.impossible, report).toMatchObject({ reads: 0, finals: 0 });
    expect(check.report.stale.count, report).toBe(0);
    expect(check.report.stale.maxStalenessMs, report).toBeLessThanOrEqual(WINDOW_MS);
  }, 600_000);
});
