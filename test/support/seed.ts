/** Legacy tables for tests: an `orders` table with n rows on PostgreSQL or MySQL, filled in bulk. */
import pg from 'pg';
import mysql from 'mysql2/promise';

export const ORDERS_ENTITY_YAML = (opts: { batch?: number; partitions?: number; table?: string; flag?: string; write?: string; read?: string } = {}) => `  orders:
    source: { db: legacy, table: ${opts.table ?? 'orders'}, key: [id], updatedAt: updated_at }
    target:
      service: fulfillment
      write: ${opts.write ?? `{ method: POST, path: "/v1/orders:batchUpsert", batch: ${opts.batch ?? 100} }`}
      read: ${opts.read ?? `{ method: POST, path: "/v1/orders:batchGet", batch: ${opts.batch ?? 100} }`}
      list: { path: /v1/orders }
    map:
      id: id
      customerId: customer_id
      total: { from: total_cents, as: integer }
      status: { from: status, values: { NEW: created, PAID: paid, SHIPPED: shipped } }
      updatedAt: { from: updated_at, as: timestamp }
    phases:
      - backfill: { batchSize: ${opts.batch ?? 100}, partitions: ${opts.partitions ?? 4}, flag: ${opts.flag ?? 'orders.backfill'} }
      - verify: { recheckAfter: 2s, recheckRounds: 2, maxMismatchRate: 0 }
`;

/**
 * ORDERS_ENTITY_YAML with forward sync by triggers (and the batch delete it needs), optionally the
 * service's change feed for reverse sync, and optionally a cutover of `billing` (reads new, then
 * writes new): the shape the sync, reverse-sync and write-switch tests share.
 */
export const ORDERS_SYNC_ENTITY_YAML = (opts: { batch: number; partitions: number; changes?: { limit: number; overlap: string }; cutover?: boolean }): string =>
  ORDERS_ENTITY_YAML({ batch: opts.batch, partitions: opts.partitions })
    .replace(
      '      list: { path: /v1/orders }',
      `      list: { path: /v1/orders }\n      delete: { method: POST, path: "/v1/orders:batchDelete", batch: ${opts.batch} }` +
        (opts.changes ? `\n      changes: { path: "/v1/orders:changes", limit: ${opts.changes.limit}, overlap: ${opts.changes.overlap} }` : ''),
    )
    .replace('      - verify:', `      - sync: { capture: triggers, batchSize: ${opts.batch}, poll: 200ms, flag: orders.sync }\n      - verify:`)
    .concat(opts.cutover ? '      - cutover:\n          consumers: [billing]\n          stages:\n            - { name: reads, reads: new }\n            - { name: writes, writes: new }\n' : '');

const STATUSES = ['NEW', 'PAID', 'SHIPPED'];

/** Creates `orders` (id, customer_id, total_cents, status, updated_at) with ids 1..n. */
export async function seedOrdersPg(url: string, n: number, table = 'orders'): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`create table ${table} (id bigint primary key, customer_id int not null, total_cents bigint not null, status text not null, updated_at timestamptz not null default now())`);
  await c.query(
    `insert into ${table} (id, customer_id, total_cents, status, updated_at)
     select g, (g % 97) + 1, g * 10 + 1, (array['NEW','PAID','SHIPPED'])[1 + g % 3], timestamptz '2024-01-01' + g * interval '1 second' from generate_series(1, $1) g`,
    [n],
  );
  await c.query(`analyze ${table}`);
  await c.end();
}

export async function seedOrdersMysql(url: string, n: number, table = 'orders'): Promise<void> {
  const c = await mysql.createConnection(url);
  await c.query(`create table ${table} (id bigint primary key, customer_id int not null, total_cents bigint not null, status varchar(16) not null, updated_at datetime(6) not null)`);
  const chunk = 5000;
  for (let start = 1; start <= n; start += chunk) {
    const rows: unknown[][] = [];
    for (let g = start; g < Math.min(n + 1, start + chunk); g++) {
      const t = new Date(Date.UTC(2024, 0, 1) + g * 1000).toISOString().replace('T', ' ').replace('Z', '');
      rows.push([g, (g % 97) + 1, g * 10 + 1, STATUSES[g % 3], t]);
    }
    await c.query(`insert into ${table} (id, customer_id, total_cents, status, updated_at) values ?`, [rows]);
  }
  await c.query(`analyze table ${table}`);
  await c.end();
}

/** What the mapping above makes of source row `id` (for one-by-one comparison). */
export function expectedOrder(id: number): Record<string, unknown> {
  return {
    id,
    customerId: (id % 97) + 1,
    total: id * 10 + 1,
    status: ['created', 'paid', 'shipped'][id % 3],
    updatedAt: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString(),
  };
}
