/**
 * `migrate retry` for an entity whose plan names a `transform:` — the real binary, as an operator
 * runs it. The retried rows are mapped exactly as the backfill maps them, transform included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, writeTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersPg } from '../support/seed.js';
import { runMigrate } from '../support/processes.js';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/types.js';

const TRANSFORM = fileURLToPath(new URL('../fixtures/transforms/shipEveryOrder.ts', import.meta.url));

describe('retry of an entity with a transform', () => {
  const token = `svc-${randomBytes(8).toString('hex')}`;
  const env = { TEST_SERVICE_TOKEN: token, MIGRATE_ACTOR: 'retry-operator' };
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let store: StateStore;
  let planFile: string;
  let plan: string;

  beforeAll(async () => {
    dbs = await createTestDatabases('retrytransform');
    await seedOrdersPg(dbs.pgUrl, 20);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token });
    const entitiesYaml = ORDERS_ENTITY_YAML().replace('    map:\n', `    transform: "${TRANSFORM}"\n    map:\n`);
    planFile = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml }).file;
    plan = (await loadTestPlan(planFile, { ...process.env, ...env })).plan.name;
    store = await openStateStore(dbs.pgUrl);
  });

  afterAll(async () => {
    await store?.close();
    await service?.close();
    await dbs?.drop();
  });

  it('Given two logged failures of an entity with a transform, when `migrate retry --all --yes` runs, then both rows arrive transformed and the log is empty', async () => {
    await store.setFlag(plan, 'orders.backfill', true, 'test', 'backfill running', 'orders');
    await store.recordFailures([3, 7].map((id) => ({ plan, entity: 'orders', key: [id], status: 422, error: 'refused earlier' })));

    const r = await runMigrate(['--plan', planFile, 'retry', '--entity', 'orders', '--all', '--yes'], env);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('retried 2 rows of orders: 2 written, 0 still failing');
    expect(await store.countFailures(plan, 'orders')).toBe(0);
    // Order 3 maps to `created` and order 7 to `paid`; the transform ships both.
    expect(await service.getItem('orders', { id: 3 })).toEqual({ ...expectedOrder(3), status: 'shipped' });
    expect(await service.getItem('orders', { id: 7 })).toEqual({ ...expectedOrder(7), status: 'shipped' });
    expect(await service.count('orders')).toBe(2);
  });
});
