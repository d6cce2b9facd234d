/**
 * Keys other than one integer: a composite (order_id, line_no) key, a UUID key, and a string key —
 * on MySQL in a case-insensitive collation with mixed-case values, where keyset pages must compare
 * in the column's collation or rows are skipped or repeated. Each table spans several partitions
 * (sampled quantile splits) and many pages; every row must arrive exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { startLiveStack, type LiveStack } from '../support/harness.js';
import { startBackfill } from '../../src/ops/backfill.js';

const LINES_ORDERS = 600;
const LINES_PER_ORDER = 5;
const PARCELS = 3_000;
const CUSTOMERS = 3_000;

const entity = (name: string, table: string, key: string, map: string) => `  ${name}:
    source: { db: legacy, table: ${table}, key: [${key}] }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/${name}:batchUpsert", batch: 50 }
      read: { method: POST, path: "/v1/${name}:batchGet" }
    map: ${map}
    phases:
      - backfill: { batchSize: 50, partitions: 4, flag: ${name}.backfill }
`;

const ENTITIES =
  entity('lines', 'order_lines', 'order_id, line_no', '{ orderId: order_id, lineNo: line_no, sku: sku }') +
  entity('parcels', 'parcels', 'id', '{ id: id, weight: weight_g }') +
  entity('customers', 'customers', 'code', '{ code: code, name: name }');

/** Deterministic UUID-shaped id n (version-4 layout, hex from n). */
function uuidOf(n: number): string {
  const h = (n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0') + n.toString(16).padStart(8, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(1, 4)}-${h.slice(4, 8)}${n.toString(16).padStart(8, '0')}`;
}

/** Mixed-case codes, unique even when case is ignored: `cUsT-0001`, `CuSt-0002`, … */
function codeOf(n: number): string {
  const word = [...'cust'].map((c, i) => ((n >> i) & 1 ? c.toUpperCase() : c)).join('');
  return `${word}-${String(n).padStart(5, '0')}`;
}

async function seedPg(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('create table order_lines (order_id int not null, line_no int not null, sku text not null, primary key (order_id, line_no))');
  await c.query(`insert into order_lines select o, l, 'sku-' || o || '-' || l from generate_series(1, $1) o, generate_series(1, $2) l`, [LINES_ORDERS, LINES_PER_ORDER]);
  await c.query('create table parcels (id uuid primary key, weight_g int not null)');
  await c.query('insert into parcels select unnest($1::uuid[]), unnest($2::int[])', [Array.from({ length: PARCELS }, (_, i) => uuidOf(i + 1)), Array.from({ length: PARCELS }, (_, i) => i + 1)]);
  await c.query('create table customers (code text primary key, name text not null)');
  await c.query('insert into customers select unnest($1::text[]), unnest($2::text[])', [Array.from({ length: CUSTOMERS }, (_, i) => codeOf(i + 1)), Array.from({ length: CUSTOMERS }, (_, i) => `Customer ${i + 1}`)]);
  await c.query('analyze');
  await c.end();
}

async function seedMysql(url: string): Promise<void> {
  const c = await mysql.createConnection(url);
  await c.query('create table order_lines (order_id int not null, line_no int not null, sku varchar(32) not null, primary key (order_id, line_no))');
  const lines: unknown[][] = [];
  for (let o = 1; o <= LINES_ORDERS; o++) for (let l = 1; l <= LINES_PER_ORDER; l++) lines.push([o, l, `sku-${o}-${l}`]);
  await c.query('insert into order_lines values ?', [lines]);
  await c.query('create table parcels (id char(36) primary key, weight_g int not null)');
  await c.query('insert into parcels values ?', [Array.from({ length: PARCELS }, (_, i) => [uuidOf(i + 1), i + 1])]);
  // utf8mb4_general_ci: 'cust-00001' = 'CUST-00001' for the index; pages must be cut in that order.
  await c.query('create table customers (code varchar(32) collate utf8mb4_general_ci primary key, name varchar(64) not null) default charset utf8mb4');
  await c.query('insert into customers values ?', [Array.from({ length: CUSTOMERS }, (_, i) => [codeOf(i + 1), `Customer ${i + 1}`])]);
  await c.query('analyze table order_lines, parcels, customers');
  await c.end();
}

describe.each(['postgres', 'mysql'] as const)('backfill of non-integer keys from %s', (engine) => {
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'bfkeys',
      engine,
      seed: (url) => (engine === 'postgres' ? seedPg(url) : seedMysql(url)),
      service: { token: 'keys-token-1234', collections: { lines: { key: ['orderId', 'lineNo'] }, parcels: { key: ['id'] }, customers: { key: ['code'] } } },
      plan: { token: 'keys-token-1234', entitiesYaml: ENTITIES },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** Receipts per key of one collection, from the service's request log. */
  function receipts(collection: string): number[] {
    return [...stack.service.requestLog.itemsByKey.entries()].filter(([k]) => k.startsWith(`${collection}/`)).map(([, n]) => n);
  }

  it('given a composite (order_id, line_no) key, when the backfill completes, then every line arrives once with its fields', async () => {
    const { handle } = await startBackfill(stack.session, 'lines', 'test');
    expect(await handle.result()).toMatchObject({ done: LINES_ORDERS * LINES_PER_ORDER, failures: 0 });
    const items = await stack.service.allItems('lines');
    expect(items).toHaveLength(LINES_ORDERS * LINES_PER_ORDER);
    for (const it of items) expect(it).toEqual({ orderId: it.orderId, lineNo: it.lineNo, sku: `sku-${String(it.orderId)}-${String(it.lineNo)}` });
    expect(receipts('lines').every((n) => n === 1)).toBe(true);
    expect(receipts('lines')).toHaveLength(LINES_ORDERS * LINES_PER_ORDER);
  });

  it('given a UUID key, when the backfill completes, then every parcel arrives once under its UUID', async () => {
    const { handle } = await startBackfill(stack.session, 'parcels', 'test');
    expect(await handle.result()).toMatchObject({ done: PARCELS, failures: 0 });
    for (const n of [1, 2, PARCELS / 2, PARCELS]) expect(await stack.service.getItem('parcels', { id: uuidOf(n) })).toEqual({ id: uuidOf(n), weight: n });
    expect(await stack.service.count('parcels')).toBe(PARCELS);
    expect(receipts('parcels')).toHaveLength(PARCELS);
    expect(receipts('parcels').every((n) => n === 1)).toBe(true);
  });

  it(`given a mixed-case string key${engine === 'mysql' ? ' in a case-insensitive collation' : ''}, when the backfill completes, then every customer arrives once with its exact case`, async () => {
    const { handle } = await startBackfill(stack.session, 'customers', 'test');
    expect(await handle.result()).toMatchObject({ done: CUSTOMERS, failures: 0 });
    const codes = (await stack.service.allItems('customers')).map((c) => c.code as string).sort();
    const expected = Array.from({ length: CUSTOMERS }, (_, i) => codeOf(i + 1)).sort();
    expect(codes).toEqual(expected);
    expect(receipts('customers').every((n) => n === 1)).toBe(true);
    expect(await stack.service.getItem('customers', { code: codeOf(7) })).toEqual({ code: codeOf(7), name: 'Customer 7' });
  });
});
