/**
 * Dual writes through the consumer library against a real legacy table (PostgreSQL) and the real
 * reference service failing 20% of write requests: every write the caller saw succeed ends up in
 * both stores, row by row, after the failure log is replayed — by a new process-like consumer on
 * the same log, since the log must survive a restart — and no write reaches the service twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { createConsumer, type Consumer } from '../../src/consumer/index.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { memorySink, ordersDocument, routingFile } from '../unit/consumer/fixtures.js';

interface Order {
  id: number;
  status: string;
  total: number;
}

let dbs: TestDatabases;
let legacy: pg.Pool;
let service: FulfillmentService;

beforeAll(async () => {
  dbs = await createTestDatabases('consumerdual');
  legacy = new pg.Pool({ connectionString: dbs.pgUrl, max: 8 });
  await legacy.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null)');
  // 20% of write requests answer 503 without touching the store; reads always work.
  service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, schema: 'svc_dual', knobs: { failRate5xx: 0.2, failScope: 'writes' } });
});

afterAll(async () => {
  await service?.close();
  await legacy?.end();
  await dbs?.drop();
});

async function putService(order: Order): Promise<void> {
  const res = await fetch(`${service.url}/v1/orders/${order.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order) });
  await res.text();
  if (!res.ok) throw new Error(`PUT ${order.id}: ${res.status}`);
}

async function putLegacy(order: Order): Promise<void> {
  await legacy.query('insert into orders (id, status, total_cents) values ($1, $2, $3) on conflict (id) do update set status = excluded.status, total_cents = excluded.total_cents', [order.id, order.status, order.total]);
}

function consumerOn(routing: string, logPath: string): Consumer {
  return createConsumer({
    name: 'billing',
    entity: 'orders',
    routing,
    report: memorySink(),
    failures: { path: logPath, replay: (_key, value) => putService(value as Order), retryEveryMs: 300_000 },
  });
}

describe('dual writes', () => {
  it('given the new service failing 20% of writes, when 300 orders are created and 100 updated, then after replay both stores hold every acknowledged write exactly once', async () => {
    const { file } = routingFile(ordersDocument(4, { writes: 'dual' }));
    const logPath = join(mkdtempSync(join(tmpdir(), 'tracer-dual-')), 'orders.billing.failures.jsonl');
    const first = consumerOn(file, logPath);
    await first.ready();
    expect(first.writeRoute()).toBe('dual');

    const writesPerKey = new Map<number, number>();
    const acknowledged = new Map<number, Order>();
    const write = async (order: Order): Promise<void> => {
      await first.write(order.id, { value: order, legacy: () => putLegacy(order), next: () => putService(order) });
      acknowledged.set(order.id, order);
      writesPerKey.set(order.id, (writesPerKey.get(order.id) ?? 0) + 1);
    };
    const creates = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, status: 'new', total: 1000 + i }));
    const updates = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, status: 'paid', total: 2000 + i }));
    // Ten writers at a time, creates before updates (the same key is never written twice at once here).
    for (const batch of [creates, updates]) {
      for (let i = 0; i < batch.length; i += 10) await Promise.all(batch.slice(i, i + 10).map(write));
    }
    expect(acknowledged.size).toBe(300);
    const logged = (await first.pendingFailures()).length;
    expect(logged).toBeGreaterThan(0); // the failure path really ran
    await first.close();

    // A restarted process finds the log and drains it; the service still fails 20% of writes.
    const second = consumerOn(file, logPath);
    await second.ready();
    expect((await second.pendingFailures()).length).toBe(logged);
    let remaining = logged;
    for (let round = 0; round < 20 && remaining > 0; round++) remaining = (await second.replay()).remaining;
    expect(remaining).toBe(0);
    await second.close();

    const legacyRows = (await legacy.query<{ id: string; status: string; total_cents: string }>('select id, status, total_cents from orders order by id')).rows.map((r) => ({ id: Number(r.id), status: r.status, total: Number(r.total_cents) }));
    const serviceItems = (await service.allItems('orders')).map((i) => ({ id: Number(i.id), status: i.status, total: Number(i.total) }));
    expect(legacyRows).toHaveLength(300);
    expect(serviceItems).toEqual(legacyRows);
    for (const row of legacyRows) expect(row).toEqual(acknowledged.get(row.id));
    // None twice: no key reached the service's store more often than it was written.
    for (const [id, writes] of writesPerKey) {
      const received = service.receivedCount('orders', { id });
      if (received < 1 || received > writes) expect.fail(`order ${id}: written ${writes}×, received by the service ${received}×`);
    }
  });
});
