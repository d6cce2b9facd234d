/**
 * Crash recovery with real worker processes: `migrate worker` is SIGKILLed twice in the middle of a
 * backfill and started again. Nothing may be lost, and each crash may re-send at most the page in
 * flight per partition (partitions × batch size), counted from the service's request log.
 * Each crash costs the sweep's heartbeat timeout (Temporal re-dispatches a dead worker's chunk only
 * then), so this file takes about a minute per engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, writeTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';

const ROWS = 30_000;
const BATCH = 100;
const PARTITIONS = 4;

describe.each(['postgres', 'mysql'] as const)('worker crashes during a backfill from %s', (engine) => {
  const token = `svc-${randomBytes(8).toString('hex')}`;
  const env = { TEST_SERVICE_TOKEN: token };
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let session: Session;
  let planFile: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dbs = await createTestDatabases(`wc${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    // Latency stretches the run to several seconds of work, so kills land mid-run.
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token, knobs: { latencyMs: 40 } });
    planFile = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: BATCH, partitions: PARTITIONS }) }).file;
    session = await openSession(await loadTestPlan(planFile, { ...process.env, ...env }), { ...process.env, ...env }, process.cwd());
  });

  afterAll(async () => {
    for (const w of workers) await w.kill();
    await session?.close();
    await service?.close();
    await dbs?.drop();
  });

  const startWorker = async (identity: string) => {
    const w = startWorkerProcess(planFile, env, identity);
    workers.push(w);
    await w.ready;
    return w;
  };
  const count = () => service.count('orders');

  it('given a worker SIGKILLed twice mid-run and restarted, when the backfill finishes, then no row is missing and each crash re-sent at most partitions × batch rows', async () => {
    const first = await startWorker('crash-1');
    const { handle } = await startBackfill(session, 'orders', 'test');

    await eventually(async () => (await count()) >= ROWS / 10, 60_000, 50);
    await first.kill('SIGKILL');
    const atFirstKill = await count();
    expect(atFirstKill).toBeLessThan(ROWS);

    const second = await startWorker('crash-2');
    // The restarted worker gets the dead one's chunks once their heartbeats time out.
    await eventually(async () => (await count()) >= atFirstKill + ROWS / 10, 120_000, 50);
    await second.kill('SIGKILL');
    const atSecondKill = await count();
    expect(atSecondKill).toBeLessThan(ROWS);

    await startWorker('crash-3');
    const result = await handle.result();

    expect(result).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });
    expect(await count()).toBe(ROWS);
    for (const id of [1, 2, ROWS / 2, ROWS - 1, ROWS]) expect(await service.getItem('orders', { id })).toEqual(expectedOrder(id));
    let distinct = 0;
    for (const k of service.requestLog.itemsByKey.keys()) if (k.startsWith('orders/')) distinct += 1;
    expect(distinct).toBe(ROWS);
    const resent = service.requestLog.itemsReceived - distinct;
    expect(resent).toBe(service.requestLog.resentItems);
    expect(resent).toBeLessThanOrEqual(2 * PARTITIONS * BATCH);
  });

  it('given the crashed and restarted workers, when their output is read, then the service token never appears', () => {
    expect(workers.length).toBe(3);
    for (const w of workers) {
      expect(w.output()).toContain('polling task queue');
      expect(w.output()).not.toContain(token);
    }
  });
});
