import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { compileComparator } from '../../../src/compare/index.js';
import { verifyPhaseSchema } from '../../../src/plan/schema.js';
import { entity } from '../mapping/entity.js';

function comparator(map: Record<string, unknown>, verify: Record<string, unknown> = {}) {
  return compileComparator(entity(map), verifyPhaseSchema.parse(verify));
}

describe('compare: classes', () => {
  const c = comparator({ id: 'id', name: 'name', total: { from: 'total', as: 'integer' } });

  it('given no item in the service, then missing', () => {
    expect(c.compare({ id: 1, name: 'a' }, undefined)).toEqual({ status: 'missing', fields: [] });
  });

  it('given identical items, then match', () => {
    expect(c.compare({ id: 1, name: 'a', total: 3 }, { id: 1, name: 'a', total: 3 }).status).toBe('match');
  });

  it('given two differing fields, then different listing exactly those paths', () => {
    expect(c.compare({ id: 1, name: 'a', total: 3 }, { id: 1, name: 'b', total: 4 })).toEqual({ status: 'different', fields: ['name', 'total'] });
  });

  it('given fields only the service has (createdAt), then they are not differences', () => {
    expect(c.compare({ id: 1, name: 'a' }, { id: 1, name: 'a', createdAt: '2024-01-01T00:00:00Z' }).status).toBe('match');
  });

  it('given a null the service omits, then it is a match; a value it omits is a difference', () => {
    expect(c.compare({ id: 1, name: null }, { id: 1 }).status).toBe('match');
    expect(c.compare({ id: 1, name: 'a' }, { id: 1 }).fields).toEqual(['name']);
  });

  it('given an uncast field, then 42 and "42" differ (types are compared strictly without a cast)', () => {
    expect(c.compare({ id: 1, name: '42' }, { id: 1, name: 42 }).fields).toEqual(['name']);
  });
});

describe('compare: casts normalise', () => {
  const c = comparator({
    id: 'id',
    price: { from: 'price', as: 'decimal' },
    ratio: { from: 'ratio', as: 'number' },
    big: { from: 'big', as: 'integer' },
    paid: { from: 'paid', as: 'boolean' },
    at: { from: 'at', as: 'timestamp' },
  });

  it('given a decimal string and the same number, then equal ("12.50" vs 12.5)', () => {
    expect(c.compare({ id: 1, price: '12.5' }, { id: 1, price: 12.5 }).status).toBe('match');
    expect(c.compare({ id: 1, price: '12.50' }, { id: 1, price: '12.5' }).status).toBe('match');
  });

  it('given a different decimal, then different', () => {
    expect(c.compare({ id: 1, price: '12.5' }, { id: 1, price: 12.51 }).fields).toEqual(['price']);
  });

  it('given a number cast and a numeric string from the service, then equal', () => {
    expect(c.compare({ id: 1, ratio: 0.25 }, { id: 1, ratio: '0.250' }).status).toBe('match');
  });

  it('given an unsafe integer string and the service number that lost precision, then different', () => {
    expect(c.compare({ id: 1, big: '9007199254740993' }, { id: 1, big: 9007199254740992 }).fields).toEqual(['big']);
    expect(c.compare({ id: 1, big: '9007199254740993' }, { id: 1, big: '9007199254740993' }).status).toBe('match');
  });

  it('given a boolean cast and 1/"t" from the service, then equal', () => {
    expect(c.compare({ id: 1, paid: true }, { id: 1, paid: 1 }).status).toBe('match');
    expect(c.compare({ id: 1, paid: false }, { id: 1, paid: 't' }).fields).toEqual(['paid']);
  });

  it('given a timestamp cast, then instants are compared, not strings', () => {
    expect(c.compare({ id: 1, at: '2024-01-01T08:00:00.000Z' }, { id: 1, at: '2024-01-01T10:00:00+02:00' }).status).toBe('match');
    expect(c.compare({ id: 1, at: '2024-01-01T08:00:00.000Z' }, { id: 1, at: '2024-01-01T08:00:00.001Z' }).fields).toEqual(['at']);
  });

  it('given a non-numeric value under a numeric cast, then it is a difference, not a crash', () => {
    expect(c.compare({ id: 1, price: '1' }, { id: 1, price: 'n/a' }).fields).toEqual(['price']);
  });
});

describe('compare: rules', () => {
  it('given verify.ignore, then the field is never a difference', () => {
    const c = comparator({ id: 'id', updatedAt: 'updated_at' }, { ignore: ['updatedAt'] });
    expect(c.compare({ id: 1, updatedAt: 'a' }, { id: 1, updatedAt: 'b' }).status).toBe('match');
  });

  it('given an ignored parent, then differences anywhere beneath it are skipped', () => {
    const c = comparator({ id: 'id', 'audit.by': 'by', 'audit.at': 'at' }, { ignore: ['audit'] });
    expect(c.compare({ id: 1, audit: { by: 'a', at: 'x' } }, { id: 1, audit: { by: 'b', at: 'y' } }).status).toBe('match');
  });

  it('given an ignore rule on a nested path, then only that path is skipped', () => {
    const c = comparator({ id: 'id', 'customer.id': 'cid', 'customer.name': 'cname' }, { fields: { 'customer.name': { ignore: true } } });
    expect(c.compare({ id: 1, customer: { id: 2, name: 'a' } }, { id: 1, customer: { id: 2, name: 'b' } }).status).toBe('match');
    expect(c.compare({ id: 1, customer: { id: 2, name: 'a' } }, { id: 1, customer: { id: 3, name: 'a' } }).fields).toEqual(['customer.id']);
  });

  it('given an absolute tolerance, then a difference equal to it matches and one beyond it does not', () => {
    const c = comparator({ id: 'id', amount: 'amount' }, { fields: { amount: { tolerance: 0.1 } } });
    expect(c.compare({ id: 1, amount: 1.0 }, { id: 1, amount: 1.1 }).status).toBe('match');
    expect(c.compare({ id: 1, amount: '1.0' }, { id: 1, amount: 0.9 }).status).toBe('match');
    expect(c.compare({ id: 1, amount: 1.0 }, { id: 1, amount: 1.1000001 }).fields).toEqual(['amount']);
  });

  it('given timestampPrecision s, then instants within the same second match and the next second does not', () => {
    const c = comparator({ id: 'id', at: 'at' }, { fields: { at: { timestampPrecision: 's' } } });
    expect(c.compare({ id: 1, at: '2024-01-01T08:00:00.000Z' }, { id: 1, at: '2024-01-01T08:00:00.999Z' }).status).toBe('match');
    expect(c.compare({ id: 1, at: '2024-01-01T08:00:00.999Z' }, { id: 1, at: '2024-01-01T08:00:01.000Z' }).fields).toEqual(['at']);
  });

  it('given timestampPrecision m, then seconds are truncated, not rounded', () => {
    const c = comparator({ id: 'id', at: 'at' }, { fields: { at: { timestampPrecision: 'm' } } });
    expect(c.compare({ id: 1, at: '2024-01-01 08:00:59' }, { id: 1, at: '2024-01-01T08:00:00Z' }).status).toBe('match');
    expect(c.compare({ id: 1, at: '2024-01-01 08:00:59' }, { id: 1, at: '2024-01-01T08:01:00Z' }).fields).toEqual(['at']);
  });

  it('given a timeZone, then zone-less values are read in it and compared as instants', () => {
    const c = comparator({ id: 'id', at: 'at' }, { fields: { at: { timeZone: 'Europe/Berlin' } } });
    // Winter (+01:00) and summer (+02:00) both resolve through the zone's rules.
    expect(c.compare({ id: 1, at: '2024-01-15T09:00:00Z' }, { id: 1, at: '2024-01-15 10:00:00' }).status).toBe('match');
    expect(c.compare({ id: 1, at: '2024-07-15T08:00:00Z' }, { id: 1, at: '2024-07-15 10:00:00' }).status).toBe('match');
    expect(c.compare({ id: 1, at: '2024-07-15T09:00:00Z' }, { id: 1, at: '2024-07-15 10:00:00' }).fields).toEqual(['at']);
  });

  it('given a fixed-offset timeZone, then zone-less values use that offset', () => {
    const c = comparator({ id: 'id', at: 'at' }, { fields: { at: { timeZone: '-05:00' } } });
    expect(c.compare({ id: 1, at: '2024-01-01T15:00:00Z' }, { id: 1, at: '2024-01-01 10:00:00' }).status).toBe('match');
  });

  it('given an unknown timeZone, when compiled, then a UserError names it', () => {
    expect(() => comparator({ id: 'id', at: 'at' }, { fields: { at: { timeZone: 'Mars/Olympus' } } })).toThrow(UserError);
  });

  it('given caseInsensitive, then letter case does not matter but letters do', () => {
    const c = comparator({ id: 'id', email: 'email' }, { fields: { email: { caseInsensitive: true } } });
    expect(c.compare({ id: 1, email: 'Ada@Example.com' }, { id: 1, email: 'ada@example.COM' }).status).toBe('match');
    expect(c.compare({ id: 1, name: 'x', email: 'STRASSE' }, { id: 1, name: 'x', email: 'straße' }).status).toBe('match');
    expect(c.compare({ id: 1, email: 'ada@example.com' }, { id: 1, email: 'bob@example.com' }).fields).toEqual(['email']);
  });

  it('given trim, then leading/trailing whitespace and internal runs fold, but words still count', () => {
    const c = comparator({ id: 'id', name: 'name' }, { fields: { name: { trim: true } } });
    expect(c.compare({ id: 1, name: '  Ada \t  Lovelace ' }, { id: 1, name: 'Ada Lovelace' }).status).toBe('match');
    expect(c.compare({ id: 1, name: 'Ada Lovelace' }, { id: 1, name: 'AdaLovelace' }).fields).toEqual(['name']);
  });

  it('given a json rule, then objects are equal regardless of key order, also when one side is JSON text', () => {
    const c = comparator({ id: 'id', meta: 'meta' }, { fields: { meta: { json: true } } });
    expect(c.compare({ id: 1, meta: { a: 1, b: { c: [1, 2] } } }, { id: 1, meta: { b: { c: [1, 2] }, a: 1 } }).status).toBe('match');
    expect(c.compare({ id: 1, meta: '{"b":2,"a":1}' }, { id: 1, meta: { a: 1, b: 2 } }).status).toBe('match');
    expect(c.compare({ id: 1, meta: { a: 1 } }, { id: 1, meta: { a: 1, extra: true } }).fields).toEqual(['meta']);
    expect(c.compare({ id: 1, meta: { c: [1, 2] } }, { id: 1, meta: { c: [2, 1] } }).fields).toEqual(['meta']);
  });

  it('given nested objects with no rule, then they are deep-equal regardless of key order', () => {
    const c = comparator({ id: 'id', tags: 'tags' });
    expect(c.compare({ id: 1, tags: { x: 1, y: [{ p: 1, q: 2 }] } }, { id: 1, tags: { y: [{ q: 2, p: 1 }], x: 1 } }).status).toBe('match');
  });

  it('given a rule inside a json field, then it applies to that sub-path and other keys still count', () => {
    const c = comparator({ id: 'id', payload: { from: 'payload', as: 'json' } }, { fields: { 'payload.amount': { tolerance: 0.01 } } });
    expect(c.compare({ id: 1, payload: { amount: 1, k: 'a' } }, { id: 1, payload: { k: 'a', amount: 1.01 } }).status).toBe('match');
    expect(c.compare({ id: 1, payload: { amount: 1, k: 'a' } }, { id: 1, payload: { k: 'b', amount: 1 } }).fields).toEqual(['payload.k']);
    expect(c.compare({ id: 1, payload: { amount: 1 } }, { id: 1, payload: { amount: 1, added: 2 } }).fields).toEqual(['payload.added']);
  });

  it('given a rule on a field inside an array of objects, then it applies to every element', () => {
    const c = comparator({ id: 'id', lines: 'lines' }, { fields: { 'lines.sku': { caseInsensitive: true } } });
    expect(c.compare({ id: 1, lines: [{ sku: 'ab' }, { sku: 'cd' }] }, { id: 1, lines: [{ sku: 'AB' }, { sku: 'CD' }] }).status).toBe('match');
    expect(c.compare({ id: 1, lines: [{ sku: 'ab' }] }, { id: 1, lines: [{ sku: 'ab' }, { sku: 'x' }] }).fields).toEqual(['lines']);
  });

  it('given map-built nested objects, then fields the service adds inside them are ignored', () => {
    const c = comparator({ id: 'id', 'customer.id': 'cid' });
    expect(c.compare({ id: 1, customer: { id: 2 } }, { id: 1, customer: { id: 2, name: 'added by service' } }).status).toBe('match');
  });
});
