import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
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

  it('Given a batch of one-part, two-part and object keys with string, number, missing and Date versions, when derived, then the key is the sha256 of the text written out by hand', () => {
    const text = [
      '"orders"',
      '[42]@"2024-01-02T03:04:05.123456Z"',
      '["a\\"b"]@7.5',
      '[1,"x"]@null',
      '{"a":1,"b":[2]}@"2024-01-01T00:00:00.000Z"',
      '[0]@"v\\n"', // JSON writes -0 as 0
    ].join('\n');
    const items = [
      { key: [42], version: '2024-01-02T03:04:05.123456Z' },
      { key: ['a"b'], version: 7.5 },
      { key: [1, 'x'] },
      { key: { b: [2], a: 1 }, version: new Date('2024-01-01T00:00:00Z') },
      { key: [-0], version: 'v\n' },
    ];
    expect(idempotencyKey('orders', items)).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('Given versions with a quote, a backslash, a control character, an emoji and a lone surrogate, when derived, then each is written as JSON writes it, by hand here', () => {
    const text = ['"orders"', '[1]@"say \\"hi\\""', '[2]@"C:\\\\tmp"', '[3]@"a\\u0001b"', '[4]@"\u{1F600}"', '[5]@"\\ud800"', '[6]@"2024-01-02T03:04:05.000Z"'].join('\n');
    const items = [
      { key: [1], version: 'say "hi"' },
      { key: [2], version: 'C:\\tmp' },
      { key: [3], version: 'a\u0001b' },
      { key: [4], version: '\u{1F600}' },
      { key: [5], version: '\ud800' },
      { key: [6], version: '2024-01-02T03:04:05.000Z' },
    ];
    expect(idempotencyKey('orders', items)).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('Given any batch, when derived, then the key is 64 hex characters', () => {
    expect(idempotencyKey('orders', [{ key: { id: 1 } }])).toMatch(/^[0-9a-f]{64}$/);
  });
});
