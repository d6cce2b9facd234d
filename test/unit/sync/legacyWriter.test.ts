import { describe, expect, it } from 'vitest';
import { applyStatements } from '../../../src/sync/legacyWriter.js';

const orders = { table: 'orders', key: ['id'] };

describe('reverse sync statements into the legacy', () => {
  it('Given rows and deleted keys on PostgreSQL, when built, then one upsert that skips unchanged rows and one delete by key', () => {
    const out = applyStatements('postgres', orders, ['id', 'status'], { upserts: [{ id: 1, status: 'PAID' }, { id: 2, status: 'NEW' }], deletes: [[7], [8]] });
    expect(out).toEqual([
      {
        kind: 'upsert',
        sql: 'INSERT INTO "orders" AS t ("id", "status") VALUES ($1, $2), ($3, $4) ON CONFLICT ("id") DO UPDATE SET "status" = EXCLUDED."status" WHERE (t."status") IS DISTINCT FROM (EXCLUDED."status")',
        params: [1, 'PAID', 2, 'NEW'],
      },
      { kind: 'delete', sql: 'DELETE FROM "orders" WHERE "id" IN ($1, $2)', params: [7, 8] },
    ]);
  });

  it('Given a composite key on MySQL, when built, then ON DUPLICATE KEY UPDATE and a delete per key tuple', () => {
    const out = applyStatements('mysql', { table: 'lines', key: ['order_id', 'line_no'] }, ['order_id', 'line_no', 'sku'], { upserts: [{ order_id: 1, line_no: 2, sku: null }], deletes: [[3, 'a']] });
    expect(out).toEqual([
      { kind: 'upsert', sql: 'INSERT INTO `lines` (`order_id`, `line_no`, `sku`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `sku` = VALUES(`sku`)', params: [1, 2, null] },
      { kind: 'delete', sql: 'DELETE FROM `lines` WHERE (`order_id` = ? AND `line_no` = ?)', params: [3, 'a'] },
    ]);
  });
});
