import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../../src/service/idempotency.js';

describe('idempotencyKey', () => {
  it('Given the same entity, keys and versions, when derived twice, then the keys are equal', () => {
    const items = [{ key: { id: 1 }, version: '2025-01-01T00:00:00Z' }, { key: { id: 2 } }];
    expect(idempotencyKey('orders', items)).toBe(idempotencyKey('orders', items.map((i) => ({ ...i }))));
  });

  it('Given key objects with fields in another order, when derived, then the key is the same', () => {
    expect(idempotencyKey('lines', [{ key: { a: 1, b: 2 } }])).toBe(idempotencyKey('lines', [{ key: { b: 2, a: 1 } }]));
  });

  it('Given a changed row version, when derived, then the key differs', () => {
    expect(idempotencyKey('orders', [{ key: { id: 1 }, version: 1 }])).not.toBe(idempotencyKey('orders', [{ key: { id: 1 }, version: 2 }]));
  });

  it('Given another entity with the same keys, when derived, then the key differs', () => {
    expect(idempotencyKey('orders', [{ key: { id: 1 } }])).not.toBe(idempotencyKey('customers', [{ key: { id: 1 } }]));
  });

  it('Given a Date version, when derived, then it equals the key of its ISO string', () => {
    const d = new Date('2025-01-01T00:00:00Z');
    expect(idempotencyKey('orders', [{ key: { id: 1 }, version: d }])).toBe(idempotencyKey('orders', [{ key: { id: 1 }, version: d.toISOString() }]));
  });

  it('Given any batch, when derived, then the key is 64 hex characters', () => {
    expect(idempotencyKey('orders', [{ key: { id: 1 } }])).toMatch(/^[0-9a-f]{64}$/);
  });
});
