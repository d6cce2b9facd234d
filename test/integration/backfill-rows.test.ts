/**
 * Scale and exactness: 50,000 rows backfilled from each legacy engine, and every item in the service
 * compared one by one with what the mapping makes of its source row.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';

const ROWS = 50_000;

describe.each(['postgres', 'mysql'] as const)('50,000-row backfill from %s', (engine) => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;

  beforeAll(async () => {
    dbs = await createTestDatabases(`bfrows${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    // Counting receipts per key for 50k keys is cheap and lets the test see that nothing was sent twice.
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token: 'rows-token-1234' });
    const { file } = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token: 'rows-token-1234', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 500, partitions: 4 }) });
    const loaded = await loadTestPlan(file);
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
  });

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('given 50,000 legacy rows, when the backfill completes, then every item in the service equals its mapped source row, each sent once', async () => {
    const { handle } = await startBackfill(session, 'orders', 'test');
    expect(await handle.result()).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });

    const items = await service.allItems('orders');
    expect(items).toHaveLength(ROWS);
    const byId = new Map(items.map((it) => [it.id as number, it]));
    const wrong: { id: number; got: unknown }[] = [];
    for (let id = 1; id <= ROWS; id++) {
      const got = byId.get(id);
      if (!isDeepStrictEqual(got, expectedOrder(id))) wrong.push({ id, got });
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(wrong).toHaveLength(0);
    expect(service.requestLog.itemsReceived).toBe(ROWS);
    expect(service.requestLog.resentItems).toBe(0);
  });
});
