import { describe, expect, it } from 'vitest';
import { invertibility, invertMapping } from '../../../src/mapping/invert.js';
import { MappingError } from '../../../src/mapping/errors.js';
import { UserError } from '../../../src/errors.js';
import { entity } from './entity.js';

const ORDERS = {
  id: 'id',
  customerId: 'customer_id',
  total: { from: 'total_cents', as: 'integer' },
  amount: { from: 'amount', as: 'decimal' },
  status: { from: 'status', values: { NEW: 'created', PAID: 'paid', SHIPPED: 'shipped' } },
  updatedAt: { from: 'updated_at', as: 'timestamp' },
  source: { const: 'legacy' },
  'address.city': { from: 'city' },
};

describe('inverted mapping', () => {
  it('Given a map of plain columns, casts, a values table, a constant and a nested field, when an item is inverted, then every column gets its original value back', () => {
    const inv = invertMapping(entity(ORDERS));
    const row = inv.toRow({ id: 42, customerId: 7, total: 421, amount: '12.50', status: 'paid', updatedAt: '2024-01-01T00:00:42.123456Z', source: 'legacy', address: { city: 'Lyon' } });
    expect(row).toEqual({ id: 42, customer_id: 7, total_cents: 421, amount: '12.50', status: 'PAID', updated_at: '2024-01-01T00:00:42.123456Z', city: 'Lyon' });
    expect(inv.columns).toEqual(['id', 'customer_id', 'total_cents', 'amount', 'status', 'updated_at', 'city']);
  });

  it('Given a MySQL legacy, when a timestamp is inverted, then it is written in the form DATETIME accepts (UTC, no T or Z)', () => {
    const inv = invertMapping(entity(ORDERS), { dialect: 'mysql' });
    expect(inv.toRow({ id: 1, status: 'created', updatedAt: '2024-01-01T08:30:00.000Z' }).updated_at).toBe('2024-01-01 08:30:00.000');
  });

  it('Given an item missing optional fields, when inverted, then those columns are written empty (null)', () => {
    const inv = invertMapping(entity(ORDERS));
    expect(inv.toRow({ id: 5 })).toEqual({ id: 5, customer_id: null, total_cents: null, amount: null, status: null, updated_at: null, city: null });
  });

  it('Given a deleted item, when its service key is inverted, then it is the legacy key tuple', () => {
    const inv = invertMapping(entity({ orderId: 'order_id', lineNo: 'line_no', sku: 'sku' }, { key: ['order_id', 'line_no'] }));
    expect(inv.keyOf({ orderId: 8, lineNo: 'x,y' })).toEqual([8, 'x,y']);
  });

  it('Given an item value the values table never sends, when inverted, then the row is refused naming the field, not written with a guess', () => {
    const inv = invertMapping(entity(ORDERS));
    const err = (() => {
      try {
        inv.toRow({ id: 9, status: 'lost' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).message).toBe('field "status": value "lost" is not one of the values map.status.values sends ("created", "paid", "shipped")');
    expect((err as MappingError).rowKey).toEqual([9]);
  });

  it('Given a timestamp field holding something else, when inverted, then the row is refused', () => {
    const inv = invertMapping(entity(ORDERS));
    expect(() => inv.toRow({ id: 9, status: 'paid', updatedAt: 'yesterday' })).toThrow('field "updatedAt": value "yesterday" is not an ISO 8601 UTC timestamp (…T…Z)');
  });
});

describe('invertibility', () => {
  it('Given the orders map, when checked, then every entry can be inverted', () => {
    expect(invertibility(entity(ORDERS))).toEqual([]);
  });

  it('Given a computed field, a values table sending two values to one, a values default, a plain default, a number cast and a transform, when checked, then each is reported with its severity', () => {
    const e = entity(
      {
        id: 'id',
        label: { compute: { cat: [{ var: 'a' }, '-', { var: 'b' }] } },
        state: { from: 'state', values: { A: 'open', B: 'open', C: 'closed' } },
        kind: { from: 'kind', values: { X: 'x' }, default: 'other' },
        tier: { from: 'tier', values: { G: 'gold', B: 'bronze' }, default: 'bronze' },
        note: { from: 'note', default: 'none' },
        ratio: { from: 'ratio', as: 'number' },
        maybe: { from: 'maybe', default: null },
      },
      { transform: './t.js' },
    );
    expect(invertibility(e).map((p) => [p.field, p.severity, p.reason])).toEqual([
      ['transform', 'refused', 'the transform module ./t.js has no inverse'],
      ['label', 'refused', 'a computed field has no inverse (several rows can compute one value)'],
      ['state', 'refused', 'values "A" and "B" both become "open", so "open" cannot tell which to write back'],
      ['kind', 'lossy', 'the `default` "other" catches every unlisted value, which has no way back (reverse sync refuses such items)'],
      ['tier', 'lossy', 'the `default` "bronze" catches every unlisted value, which comes back as "B"'],
      ['note', 'lossy', 'the default "none" makes an empty column and one holding "none" look the same'],
      ['ratio', 'refused', '`as: number` rounds to a double, so the exact column value cannot be written back'],
    ]);
  });

  it('Given only lossy entries (defaults), when the map is inverted, then reverse sync may run and writes the folded value back', () => {
    const inv = invertMapping(entity({ id: 'id', tier: { from: 'tier', values: { G: 'gold', B: 'bronze' }, default: 'bronze' }, currency: { from: 'currency', default: 'EUR' } }));
    expect(inv.toRow({ id: 1, tier: 'bronze', currency: 'EUR' })).toEqual({ id: 1, tier: 'B', currency: 'EUR' });
  });

  it('Given a key column only read by a computed field, when checked, then the key column is reported too', () => {
    const e = entity({ ref: { compute: { cat: [{ var: 'id' }] } }, name: 'name' }, { targetKey: ['ref'] });
    expect(invertibility(e).map((p) => p.field)).toEqual(['ref', 'id']);
  });

  it('Given a map that cannot be inverted, when invertMapping is asked for it, then a UserError names the file, the field and the fix', () => {
    const e = entity({ id: 'id', ratio: { from: 'ratio', as: 'number' } });
    const err = (() => {
      try {
        invertMapping(e, { name: 'orders', planFile: 'plans/orders.yaml' });
      } catch (x) {
        return x as UserError;
      }
    })()!;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe('plans/orders.yaml: entities.orders.map.ratio cannot be inverted for reverse sync: `as: number` rounds to a double, so the exact column value cannot be written back');
    expect(err.hint).toBe('Fix: use `as: decimal` (exact text) or `as: integer`.');
  });
});
