/**
 * Scaling out: two `migrate worker` processes on one task queue share a backfill's partitions with
 * no change to the plan, and when one is killed the other finishes with nothing lost. Each worker
 * gets two activity slots for four partitions, so neither can take all the work: which worker runs
 * which chunk is read from Temporal (the pending activities' worker identity, then the history).
 * The source engine plays no part in how the queue is shared; this runs on PostgreSQL, and the
 * crash test covers resuming on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, writeTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { startWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';

const ROWS = 30_000;
const BATCH = 100;
const PARTITIONS = 4;

describe('two worker processes on one task queue', () => {
  const token = `svc-${randomBytes(8).toString('hex')}`;
  const env = { TEST_SERVICE_TOKEN: token };
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let session: Session;
  let planFile: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dbs = await createTestDatabases('wscale');
    await seedOrdersPg(dbs.pgUrl, ROWS);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token, knobs: { latencyMs: 40 } });
    planFile = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: BATCH, partitions: PARTITIONS }) }).file;
    session = await openSession(await loadTestPlan(planFile, { ...process.env, ...env }), { ...process.env, ...env }, process.cwd());
  });

  afterAll(async () => {
    for (const w of workers) await w.kill();
    await session?.close();
    await service?.close();
    await dbs?.drop();
  });

  it('given two workers with two slots each, when a backfill of four partitions runs and one worker is killed, then both did work and the other finishes with nothing lost', async () => {
    for (const identity of ['scale-a', 'scale-b']) workers.push(startWorkerProcess(planFile, env, identity, ['--max-activities', '2']));
    await Promise.all(workers.map((w) => w.ready));
    const { handle } = await startBackfill(session, 'orders', 'test');

    // Both identities hold running chunks at once: the partitions are shared, not queued behind one worker.
    const runningOn = await eventually(async () => {
      const d = await handle.describe();
      const who = new Set((d.raw.pendingActivities ?? []).map((a) => a.lastWorkerIdentity).filter((x): x is string => !!x));
      return who.has('scale-a') && who.has('scale-b') ? who : undefined;
    }, 60_000, 100);
    expect([...runningOn].sort()).toEqual(['scale-a', 'scale-b']);
    await eventually(async () => (await service.count('orders')) >= ROWS / 10, 60_000, 50);

    await workers[0]!.kill('SIGKILL');
    expect(await service.count('orders')).toBeLessThan(ROWS);
    const result = await handle.result();

    expect(result).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });
    expect(await service.count('orders')).toBe(ROWS);
    let distinct = 0;
    for (const k of service.requestLog.itemsByKey.keys()) if (k.startsWith('orders/')) distinct += 1;
    expect(distinct).toBe(ROWS);
    // The survivor, the only worker left, ran everything after the kill, including the killed worker's chunks.
    expect(workers[1]!.child.exitCode).toBeNull();
    expect(service.requestLog.itemsReceived - distinct).toBeLessThanOrEqual(PARTITIONS * BATCH);
  });

  it('given both workers, when their output is read, then the service token never appears', () => {
    expect(workers).toHaveLength(2);
    for (const w of workers) {
      expect(w.output()).toContain('polling task queue');
      expect(w.output()).not.toContain(token);
    }
  });
});
