/**
 * The backfill under the ways a real service and a real operator interrupt it: a flaky, throttling
 * service; credentials refused mid-run; the flag turned off mid-run. On both legacy engines, against
 * the real reference service, Temporal dev server and an in-process worker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService, type Knobs } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { backfillProgress, setBackfillRunning, startBackfill } from '../../src/ops/backfill.js';

const ROWS = 8_000;
const BATCH = 100;
const PARTITIONS = 4;

describe.each(['postgres', 'mysql'] as const)('backfill from %s under faults', (engine) => {
  let dbs: TestDatabases;
  let sourceUrl: string;
  let running: { service: FulfillmentService; worker: RunningWorker; session: Session } | undefined;

  beforeAll(async () => {
    dbs = await createTestDatabases(`bff${engine}`);
    sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
  });

  afterEach(async () => {
    await running?.session.close();
    await running?.worker.stop();
    await running?.service.close();
    running = undefined;
  });

  afterAll(async () => {
    await dbs?.drop();
  });

  /** A fresh service (own schema), plan (own task queue, workflow ID) and worker for one test. */
  async function setUp(knobs: Partial<Knobs> = {}) {
    const token = `svc-${randomBytes(6).toString('hex')}`;
    const service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, schema: `svc_${randomBytes(4).toString('hex')}`, token, knobs });
    const { file } = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token, entitiesYaml: ORDERS_ENTITY_YAML({ batch: BATCH, partitions: PARTITIONS }) });
    const loaded = await loadTestPlan(file);
    const worker = await startTestWorker(loaded);
    const session = await openSession(loaded, process.env, process.cwd());
    running = { service, worker, session };
    return running;
  }

  it('given a service failing 20% of requests with 503 and throttling some with 429 + Retry-After, when the backfill runs, then it completes with every row and an empty failure log', async () => {
    const { service, session } = await setUp({ failRate5xx: 0.2, rate429: 0.04, retryAfterSeconds: 1 });
    const { handle } = await startBackfill(session, 'orders', 'test');
    const result = await handle.result();
    expect(result).toMatchObject({ done: ROWS, failures: 0 });
    expect(service.requestLog.injected['503']).toBeGreaterThan(0);
    expect(service.requestLog.injected['429']).toBeGreaterThan(0);
    expect(await service.count('orders')).toBe(ROWS);
    expect(countKeys(service)).toBe(ROWS);
    expect(await (await session.resources.stateStore()).countFailures(session.loaded.plan.name, 'orders')).toBe(0);
  });

  it('given a running backfill, when its flag is turned off, then no write reaches the service after one batch and it resumes to completion when turned back on', async () => {
    const { service, session } = await setUp({ latencyMs: 40 });
    const { handle } = await startBackfill(session, 'orders', 'test');
    await eventually(async () => (await service.count('orders')) > ROWS / 10, 60_000, 50);
    const offAt = Date.now();
    await setBackfillRunning(session, 'orders', false, 'test', 'stop for the test');
    // One batch takes ~40 ms here; a page already in flight when the flag flips may still land.
    const ONE_BATCH_BOUND_MS = 1_500;
    await new Promise((r) => setTimeout(r, ONE_BATCH_BOUND_MS));
    const writesAfterSettle = service.requestLog.writes;
    const countAfterSettle = await service.count('orders');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(service.requestLog.writes).toBe(writesAfterSettle);
    expect(service.requestLog.lastWriteRequestAt!).toBeLessThanOrEqual(offAt + ONE_BATCH_BOUND_MS);
    expect(countAfterSettle).toBeLessThan(ROWS);
    const paused = await backfillProgress(session, 'orders');
    expect(paused).toMatchObject({ state: 'paused', flag: { name: 'orders.backfill', enabled: false } });

    await setBackfillRunning(session, 'orders', true, 'test', 'go on');
    const result = await handle.result();
    expect(result).toMatchObject({ done: ROWS, failures: 0 });
    expect(await service.count('orders')).toBe(ROWS);
  });

  it('given a running backfill, when the service starts answering 401, then it pauses naming the target and the fix, logs no failure, and completes once credentials work and it is resumed', async () => {
    const { service, session } = await setUp({ latencyMs: 20 });
    const { handle } = await startBackfill(session, 'orders', 'test');
    await eventually(async () => (await service.count('orders')) > ROWS / 10, 60_000, 50);
    service.setKnobs({ force401: true });
    const paused = await eventually(async () => {
      const p = await backfillProgress(session, 'orders');
      return p?.state === 'paused' ? p : undefined;
    }, 60_000);
    expect(paused.reason).toContain('"fulfillment"');
    expect(paused.reason).toContain('401');
    expect(paused.reason).toMatch(/targets\.fulfillment\.headers/);
    expect(paused.reason).toContain('--resume');
    expect(await (await session.resources.stateStore()).countFailures(session.loaded.plan.name, 'orders')).toBe(0);
    const stuckAt = await service.count('orders');
    expect(stuckAt).toBeLessThan(ROWS);

    service.setKnobs({ force401: false });
    await setBackfillRunning(session, 'orders', true, 'test', 'token rotated');
    const result = await handle.result();
    expect(result).toMatchObject({ done: ROWS, failures: 0 });
    expect(await service.count('orders')).toBe(ROWS);
    expect(await (await session.resources.stateStore()).countFailures(session.loaded.plan.name, 'orders')).toBe(0);
  });
});

/** Distinct order keys the service received (the request log tracks receipts per key). */
function countKeys(service: FulfillmentService): number {
  let n = 0;
  for (const k of service.requestLog.itemsByKey.keys()) if (k.startsWith('orders/')) n += 1;
  return n;
}
