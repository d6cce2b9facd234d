/**
 * Faults made visible (issue 9, item 8). During one backfill: the worker is SIGKILLed, Temporal
 * restarts, the source database goes away, the target service is killed, and the target answers
 * 5xx to every write so rows are re-sent without end. For each, `migrate status` (plain and JSON,
 * real processes) and the dashboard (Ink, fed the same snapshot) say the cause, and say nothing of
 * it once the fault is gone. Shared servers are never stopped: the source is reached through a
 * TCP proxy this test stops, the target and the worker are processes of this test, and Temporal
 * is a dev server of its own (state in a file, so a restart keeps the workflow).
 *
 * How long each cause took to show is printed, not asserted (no timed assertions in tests);
 * docs/operations.md quotes the measured figures.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { eventually, loadTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { runMigrate, startWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { startServiceProcess, startTcpProxy, type ServiceProcess, type TcpProxy } from '../support/faults.js';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/devServer.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { collectStatus } from '../../src/ops/status.js';
import { statusSources } from '../../src/ops/statusSources.js';
import { Dashboard } from '../../src/ui/components/Dashboard.js';
import type { DashboardSnapshot, SweepProgress } from '../../src/progress.js';
import { flat, frameOf } from '../unit/ui/helpers.js';

const ROWS = 60_000;

describe('faults during a backfill show their cause in status, and clear', () => {
  let dbs: TestDatabases;
  let server: DevServer | undefined;
  let temporalPort: number;
  let dbFile: string;
  let proxy: TcpProxy;
  let servicePort: number;
  let service: ServiceProcess | undefined;
  let planFile: string;
  let session: Session;
  const workers: WorkerProcess[] = [];
  const timings: Record<string, number> = {};

  const backfillOf = (snap: DashboardSnapshot): SweepProgress | undefined => snap.entities.find((e) => e.entity === 'orders')?.backfill;
  const status = () => collectStatus(session, statusSources());
  const dashboard = (snap: DashboardSnapshot, extra: { reconnectReason?: string } = {}) =>
    flat(frameOf(<Dashboard snapshot={snap} width={200} color={false} {...(extra.reconnectReason ? { reconnecting: true, reconnectReason: extra.reconnectReason } : {})} />));
  const startService = async (knobs?: Record<string, unknown>) => {
    service = await startServiceProcess({ port: servicePort, databaseUrl: dbs.pgUrl, knobs: { latencyMs: 100, ...knobs } });
  };
  const startWorker = async (identity: string) => {
    const w = startWorkerProcess(planFile, {}, identity);
    workers.push(w);
    await w.ready;
    return w;
  };

  /** Waits for the held-up cause to match, then checks the dashboard, plain and JSON outputs say it too. */
  async function expectCause(what: string, cause: RegExp): Promise<void> {
    const from = Date.now();
    const snap = await eventually(async () => {
      const s = await status();
      const stall = backfillOf(s)?.stall;
      return stall && cause.test(stall.message) ? s : undefined;
    }, 90_000, 500);
    timings[what] = Date.now() - from;
    expect(dashboard(snap)).toMatch(new RegExp(`held up: ${cause.source}`));
    const [plain, json] = await Promise.all([runMigrate(['--plan', planFile, 'status'], {}), runMigrate(['--plan', planFile, '--json', 'status'], {})]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`orders: backfilling .*held up: ${cause.source}`));
    expect(json.code).toBe(0);
    expect(backfillOf(JSON.parse(json.stdout) as DashboardSnapshot)?.stall?.message).toMatch(cause);
  }

  /** Waits until the backfill moves again with no cause shown, and the dashboard and plain output say no more of it. */
  async function expectCleared(what: string): Promise<void> {
    const from = Date.now();
    // Right after a restart the server may still be starting: the first read is retried too.
    const before = (await eventually(async () => backfillOf(await status()), 120_000, 500)).done;
    const snap = await eventually(async () => {
      const s = await status();
      const b = backfillOf(s);
      return b && b.state === 'running' && !b.stall && b.stalledSince === undefined && b.done > before ? s : undefined;
    }, 120_000, 500);
    timings[`${what} cleared`] = Date.now() - from;
    expect(dashboard(snap)).not.toContain('held up');
    const plain = await runMigrate(['--plan', planFile, 'status'], {});
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('orders: backfilling');
    expect(plain.stdout).not.toContain('held up');
  }

  beforeAll(async () => {
    dbs = await createTestDatabases('faults');
    await seedOrdersPg(dbs.pgUrl, ROWS);
    const pg = new URL(dbs.pgUrl);
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const viaProxy = new URL(dbs.pgUrl);
    viaProxy.port = String(proxy.port);
    servicePort = await freePort();
    await startService();
    const dir = mkdtempSync(join(tmpdir(), 'tracer-faults-'));
    dbFile = join(dir, 'temporal.db');
    temporalPort = await freePort();
    server = await startDevServer({ cliPath: inject('temporalCli'), port: temporalPort, dbFile });
    planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      `version: 1
name: faults-test
state: { url: "${dbs.pgUrl}" }
temporal: { address: "127.0.0.1:${temporalPort}", taskQueue: faults }
sources:
  legacy: { url: "${viaProxy.toString()}" }
targets:
  fulfillment: { baseUrl: "http://127.0.0.1:${servicePort}", timeout: 5s }
entities:
${ORDERS_ENTITY_YAML({ batch: 20, partitions: 2 })}`,
    );
    session = await openSession(await loadTestPlan(planFile), process.env, process.cwd());
    await startWorker('faults-1');
    await startBackfill(session, 'orders', 'test');
    await eventually(async () => ((backfillOf(await status())?.done ?? 0) > 0 ? true : undefined), 90_000, 500);
  });

  afterAll(async () => {
    console.log(`time until status showed each cause / cleared (ms): ${JSON.stringify(timings)}`);
    for (const w of workers) await w.kill();
    await session?.close();
    await service?.kill();
    await proxy?.stop();
    await server?.stop();
    await dbs?.drop();
  });

  it('given the only worker SIGKILLed, when status is read, then it says the worker is gone; when a worker starts again, then that clears', async () => {
    await workers[workers.length - 1]!.kill('SIGKILL');
    await expectCause('worker SIGKILL', /(worker \S+ stopped heartbeating|the worker running sweepChunk stopped heartbeating|no worker answered|no worker polls)/);
    await startWorker('faults-2');
    await expectCleared('worker SIGKILL');
  });

  it('given Temporal stopped, when status is read, then every output says Temporal at its address is not answering and exits 3; when it is back, then that clears', async () => {
    await server!.stop();
    server = undefined;
    const address = `127\\.0\\.0\\.1:${temporalPort}`;
    const from = Date.now();
    const error = await eventually(async () => {
      try {
        await status();
        return undefined;
      } catch (e) {
        return e as Error;
      }
    }, 60_000, 500);
    timings['Temporal stopped'] = Date.now() - from;
    expect(error.message).toMatch(new RegExp(`Temporal at ${address}`));
    expect(flat(frameOf(<Dashboard snapshot={{ plan: 'faults-test', takenAt: Date.now(), connection: 'ok', entities: [] }} reconnecting reconnectReason={error.message} width={200} color={false} />))).toMatch(
      new RegExp(`reconnecting… showing data from \\d\\d:\\d\\d:\\d\\d — .*Temporal at ${address}`),
    );
    const [plain, json] = await Promise.all([runMigrate(['--plan', planFile, 'status'], {}), runMigrate(['--plan', planFile, '--json', 'status'], {})]);
    expect(plain.code, `plain status exited ${plain.code}; stderr: ${plain.stderr}`).toBe(3);
    expect(plain.stdout).toMatch(new RegExp(`orders: unknown · state unknown: .*Temporal at ${address}`));
    expect(plain.stderr).toMatch(new RegExp(`error: .*Temporal at ${address}`));
    expect(json.code, `json status exited ${json.code}; stderr: ${json.stderr}`).toBe(3);
    const doc = JSON.parse(json.stdout) as DashboardSnapshot;
    expect(doc.entities[0]).toMatchObject({ entity: 'orders', phase: 'unknown' });
    expect(doc.entities[0]!.unknownBecause).toMatch(new RegExp(`Temporal at ${address}`));

    server = await startDevServer({ cliPath: inject('temporalCli'), port: temporalPort, dbFile });
    await expectCleared('Temporal restart');
  });

  it('given the source database unreachable, when status is read, then it names the source; when it is back, then that clears', async () => {
    await proxy.stop();
    await expectCause('source down', /source "legacy" could not be read/);
    await proxy.start();
    await expectCleared('source down');
  });

  it('given the target service killed, when status is read, then it names the target and that it cannot be reached; when it is back, then that clears', async () => {
    await service!.kill('SIGKILL');
    await expectCause('target killed', /target "fulfillment" could not be reached/);
    await startService();
    await expectCleared('target killed');
  });

  it('given the target answering 503 to every write (rows re-sent without end), when status is read, then it says so with the attempt count, and the rate gives way to "stalled since"; when it answers again, then that clears', async () => {
    await service!.kill('SIGKILL');
    await startService({ failRate5xx: 1, failScope: 'writes' });
    await expectCause('target 5xx', /target "fulfillment" answered HTTP 503/);
    const stalled = await eventually(async () => {
      const b = backfillOf(await status());
      return b?.stalledSince !== undefined && (b.stall?.attempt ?? 0) > 1 ? b : undefined;
    }, 90_000, 1_000);
    expect(stalled.ratePerSec).toBeUndefined();
    expect(stalled.etaMs).toBeUndefined();
    const plain = await runMigrate(['--plan', planFile, 'status'], {});
    expect(plain.stdout).toMatch(/stalled since \d\d:\d\d:\d\d/);
    expect(plain.stdout).toMatch(/attempt \d+/);
    expect(plain.stdout).not.toMatch(/ETA/);
    await service!.kill('SIGKILL');
    await startService();
    await expectCleared('target 5xx');
  });

  it('given every fault mended, when the backfill finishes, then no row is missing and the final status agrees with the totals', async () => {
    await service!.kill('SIGKILL');
    await startService({ latencyMs: 0 });
    const done = await eventually(async () => {
      const b = backfillOf(await status());
      return b?.state === 'completed' ? b : undefined;
    }, 300_000, 1_000);
    expect(done.done).toBe(ROWS);
    // Counted in the service's own store, not from the sweep: every row arrived.
    const c = new pg.Client({ connectionString: dbs.pgUrl });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: string }>(`select count(*) as n from fulfillment.items where collection = 'orders'`);
      expect(Number(rows[0]!.n)).toBe(ROWS);
    } finally {
      await c.end();
    }
    expect(done.partitions.map((p) => [p.state, p.done === p.total])).toEqual([
      ['completed', true],
      ['completed', true],
    ]);
    const plain = await runMigrate(['--plan', planFile, 'status'], {});
    expect(plain.stdout).toContain('orders: backfilled 100% · backfill 60,000/60,000');
  });
});
