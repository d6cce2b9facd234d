/**
 * `migrate status` while a backfill is open and no worker polls its task queue — the state right
 * after a worker crash. It used to wait 31 s for a query no worker could answer and exit 70; it must
 * answer from Temporal's own record (describe), say that no worker polls and how to start one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, writeTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { modulesLoadedBy, runMigrate } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import type { DashboardSnapshot } from '../../src/progress.js';

describe('migrate status with an open backfill and no worker', () => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let session: Session;
  let planFile: string;
  let taskQueue: string;

  beforeAll(async () => {
    dbs = await createTestDatabases('nowork');
    await seedOrdersPg(dbs.pgUrl, 500);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl });
    const plan = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: 50, partitions: 2 }) });
    planFile = plan.file;
    taskQueue = plan.taskQueue;
    session = await openSession(await loadTestPlan(planFile), process.env, process.cwd());
    // Started straight through Temporal, so no worker is started for it: nobody ever polls this queue.
    await startBackfill(session, 'orders', 'test');
  });

  afterAll(async () => {
    await session?.close();
    await service?.close();
    await dbs?.drop();
  });

  it('given no worker polls, when `migrate status` runs, then it exits 0, says the backfill runs and that no worker polls the queue, and how to start one', async () => {
    const started = Date.now();
    const r = await runMigrate(['--plan', planFile, 'status'], {});
    const tookMs = Date.now() - started;
    console.log(`migrate status with no worker answered in ${tookMs} ms (process start included)`);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('orders: backfilling');
    expect(r.stdout).toContain(`held up: no worker polls task queue "${taskQueue}": the work waits in Temporal`);
    expect(r.stdout).toContain(`Start one with \`migrate worker --plan ${planFile}\`.`);
    // No count was ever answered: question marks, not a made-up 0%.
    expect(r.stdout).toContain('backfill ?/?');
    // Not a timed assertion (machines differ): the words above come only from the path that never
    // waits on a worker. The time is printed next to a `--help`, which measures process start alone.
    const helpStarted = Date.now();
    await runMigrate(['--help'], {});
    console.log(`migrate --help took ${Date.now() - helpStarted} ms on this machine now`);
  });

  it('given no worker polls, when the status is read in-process, then it is answered from the record without waiting on a worker', async () => {
    const { collectStatus } = await import('../../src/ops/status.js');
    const started = Date.now();
    const snap = await collectStatus(session);
    console.log(`collectStatus with no worker took ${Date.now() - started} ms (query deadline 3 s)`);
    expect(snap.entities[0]!.backfill?.stall?.cause).toBe('no-worker');
  });

  it('given no worker polls, when a session reads the status and closes at once, then no call is left in flight to fail after the close', async () => {
    const { collectStatus } = await import('../../src/ops/status.js');
    let snap;
    for (let i = 0; i < 3; i++) {
      const own = await openSession(await loadTestPlan(planFile), process.env, process.cwd());
      snap = await collectStatus(own);
      snap = await collectStatus(own);
      await own.close();
    }
    // A query left running would be retried by the client on the closed channel and throw from a
    // timer ("Channel has been shut down"), which vitest reports as an error of this file.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(snap!.entities[0]!.backfill?.stall?.cause).toBe('no-worker');
  });

  it('given a plan on PostgreSQL, when `migrate status` runs, then it loads neither mysql2, flagd-core nor any activity: what status does not use, it does not pay to load', () => {
    const { code, modules } = modulesLoadedBy(['--plan', planFile, 'status']);
    expect(code).toBe(0);
    expect(modules.some((m) => m.includes('/@temporalio/client/'))).toBe(true);
    expect(modules.filter((m) => ['/mysql2/', '/@openfeature/flagd-core/', '/@temporalio/activity/', '/dist/activities/', '/src/activities/'].some((h) => m.includes(h)))).toEqual([]);
  });

  it('given no worker polls, when `migrate status --json` runs, then the document carries the stall as data', async () => {
    const r = await runMigrate(['--plan', planFile, '--json', 'status'], {});
    expect(r.code).toBe(0);
    const snap = JSON.parse(r.stdout) as DashboardSnapshot;
    const orders = snap.entities.find((e) => e.entity === 'orders')!;
    expect(orders.phase).toBe('backfilling');
    expect(orders.backfill?.state).toBe('running');
    expect(orders.backfill?.countsUnknown).toBe(true);
    expect(orders.backfill?.stall).toMatchObject({ cause: 'no-worker', message: `no worker polls task queue "${taskQueue}": the work waits in Temporal` });
  });
});
