/**
 * Backfill through the real service on both legacy engines: every row arrives, mapped exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';

describe.each(['postgres', 'mysql'] as const)('backfill from %s', (engine) => {
  const ROWS = 5_000;
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;

  beforeAll(async () => {
    dbs = await createTestDatabases(`bf${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token: 'svc-token-123' });
    const { file } = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token: 'svc-token-123', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 200, partitions: 3 }) });
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

  it('given a legacy table, when the backfill runs to completion, then every row is in the service exactly as mapped', async () => {
    const { handle, how } = await startBackfill(session, 'orders', 'test');
    expect(how).toBe('started');
    const result = await handle.result();
    expect(result).toMatchObject({ kind: 'backfill', done: ROWS, failures: 0 });
    expect(await service.count('orders')).toBe(ROWS);
    for (let id = 1; id <= ROWS; id++) {
      expect(await service.getItem('orders', { id })).toEqual(expectedOrder(id));
    }
  });
});
