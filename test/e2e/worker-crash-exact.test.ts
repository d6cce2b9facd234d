/**
 * The crash bound, counted exactly: one partition, and the reference service holds the write
 * request that follows a known number of answered ones (its `holdWritesAfter` knob), so the real
 * `migrate worker` process is SIGKILLed at a known point — right after page n was acknowledged and
 * its checkpoint saved, while page n+1 is in flight. The restarted worker must re-send exactly page
 * n+1, no row more or less: a checkpoint saved late or only every other page re-sends more and
 * fails here on every run, not on some. Each crash costs the sweep's heartbeat timeout (12 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, writeTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';

const ROWS = 2_000;
const BATCH = 100;

/** Ids 1..ROWS are read in key order, BATCH per page: page p (1-based) holds these ids. */
const idsOfPage = (p: number) => Array.from({ length: BATCH }, (_, i) => (p - 1) * BATCH + i + 1);

describe.each(['postgres', 'mysql'] as const)('a worker killed at a known page of a one-partition backfill from %s', (engine) => {
  const token = `svc-${randomBytes(8).toString('hex')}`;
  const env = { TEST_SERVICE_TOKEN: token };
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let session: Session;
  let planFile: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dbs = await createTestDatabases(`wx${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    // The first worker's 4th write request (page 4) is held: pages 1–3 are answered.
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token, knobs: { holdWritesAfter: 3 } });
    planFile = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: BATCH, partitions: 1 }) }).file;
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
  const held = () => service.requestLog.heldWrites === 1;

  it('given SIGKILLs while page 4 and then page 8 are in flight, when the backfill finishes, then exactly those two pages were received twice and every other row once', async () => {
    const first = await startWorker('exact-1');
    const { handle } = await startBackfill(session, 'orders', 'test');

    // Given: pages 1–3 acknowledged, page 4 received and unanswered.
    await eventually(async () => held(), 60_000, 20);
    await first.kill('SIGKILL');
    expect(service.requestLog.writes).toBe(4);
    expect(service.requestLog.statuses['200']).toBe(3);
    expect(service.requestLog.itemsReceived).toBe(4 * BATCH);

    // The restarted worker re-sends page 4 (its write 1), then pages 5–7; page 8 (its write 5) is held.
    service.setKnobs({ holdWritesAfter: 4 });
    const second = await startWorker('exact-2');
    await eventually(async () => held(), 120_000, 20);
    await second.kill('SIGKILL');
    expect(service.requestLog.writes).toBe(4 + 5);
    expect(service.requestLog.itemsReceived).toBe(9 * BATCH);

    service.setKnobs({ holdWritesAfter: null });
    await startWorker('exact-3');
    const result = await handle.result();

    // Then: all rows arrived; the re-sent ones are exactly pages 4 and 8, each once more.
    expect(result).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });
    expect(await service.count('orders')).toBe(ROWS);
    const twice = new Set([...idsOfPage(4), ...idsOfPage(8)]);
    const wrong: string[] = [];
    for (let id = 1; id <= ROWS; id++) {
      const receipts = service.receivedCount('orders', { id });
      if (receipts !== (twice.has(id) ? 2 : 1)) wrong.push(`id ${id} received ${receipts}×`);
    }
    expect(wrong).toEqual([]);
    expect(service.requestLog.resentItems).toBe(2 * BATCH);
    expect(service.requestLog.itemsReceived).toBe(ROWS + 2 * BATCH);
    // The re-sent pages were the same batches: same Idempotency-Key as the requests they repeat.
    expect(service.requestLog.repeatedIdempotencyKeys).toBe(2);
  });
});
