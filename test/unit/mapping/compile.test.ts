import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { compileMapping, MappingError } from '../../../src/mapping/index.js';
import { entity } from './entity.js';

function mappingError(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MappingError) return e;
    throw e;
  }
  throw new Error('expected a MappingError');
}

describe('compileMapping: fields', () => {
  it('given target and column names with quotes, backslashes and line breaks, when a row is mapped, then each lands under its own name in map order', () => {
    const m = compileMapping(entity({ id: 'id', 'say "hi"': 'col "q"', 'back\\slash': 'a\\b', 'two\nlines': { from: 'x\ny', as: 'integer' }, 'c]${1}': { const: 'k' } }));
    const item = m.map({ id: 1, 'col "q"': 'quoted', 'a\\b': 'slashed', 'x\ny': '7' });
    expect(item).toEqual({ id: 1, 'say "hi"': 'quoted', 'back\\slash': 'slashed', 'two\nlines': 7, 'c]${1}': 'k' });
    expect(Object.keys(item)).toEqual(['id', 'say "hi"', 'back\\slash', 'two\nlines', 'c]${1}']);
  });

  it('given a flat map whose third field fails, when the row is mapped, then the error names that field', () => {
    const m = compileMapping(entity({ id: 'id', name: 'name', total: { from: 'total', as: 'integer' }, note: 'note' }));
    const e = mappingError(() => m.map({ id: 4, name: 'n', total: '1.5', note: 'x' }));
    expect(e.field).toBe('total');
    expect(e.message).toContain('field "total" (as integer)');
  });

  it('given a string entry, when a row is mapped, then the column is renamed', () => {
    const m = compileMapping(entity({ id: 'id', customerId: 'customer_id' }));
    expect(m.map({ id: 1, customer_id: 7, other: 'x' })).toEqual({ id: 1, customerId: 7 });
  });

  it('given an object entry without from, when mapped, then the column of the same name is read', () => {
    const m = compileMapping(entity({ id: 'id', total: { as: 'integer' } }));
    expect(m.map({ id: 1, total: '300' })).toEqual({ id: 1, total: 300 });
  });

  it('given a values map, when a listed value is mapped, then its target value is used', () => {
    const m = compileMapping(entity({ id: 'id', status: { from: 'status', values: { NEW: 'created', PAID: 'paid' } } }));
    expect(m.map({ id: 1, status: 'PAID' }).status).toBe('paid');
  });

  it('given a values map keyed by numbers in YAML, when a numeric source value is mapped, then it is found by its text', () => {
    const m = compileMapping(entity({ id: 'id', kind: { from: 'kind', values: { '1': 'retail', '2': 'wholesale' } } }));
    expect(m.map({ id: 1, kind: 2 }).kind).toBe('wholesale');
  });

  it('given a values map and a cast, when mapped, then the cast applies to the mapped value', () => {
    const m = compileMapping(entity({ id: 'id', active: { from: 'state', values: { A: 'yes', I: 'no' }, as: 'boolean' } }));
    expect(m.map({ id: 1, state: 'A' }).active).toBe(true);
  });

  it('given an unlisted value and no default, when mapped, then a MappingError names the field, the value and the row key', () => {
    const m = compileMapping(entity({ id: 'id', status: { from: 'status', values: { NEW: 'created' } } }));
    const e = mappingError(() => m.map({ id: 9, status: 'LOST' }));
    expect(e.field).toBe('status');
    expect(e.rowKey).toEqual([9]);
    expect(e.message).toContain('"LOST"');
    expect(e.hint).toMatch(/default/);
    expect(e.permanent).toBe(true);
  });

  it('given an unlisted value and a default, when mapped, then the default is used', () => {
    const m = compileMapping(entity({ id: 'id', status: { from: 'status', values: { NEW: 'created' }, default: 'unknown' } }));
    expect(m.map({ id: 1, status: 'LOST' }).status).toBe('unknown');
  });

  it('given a const, when mapped, then every item carries it, cast', () => {
    const m = compileMapping(entity({ id: 'id', source: { const: 'legacy' }, version: { const: '3', as: 'integer' } }));
    expect(m.map({ id: 1 })).toEqual({ id: 1, source: 'legacy', version: 3 });
  });

  it('given a null source value without default, when mapped, then the target is null, not cast', () => {
    const m = compileMapping(entity({ id: 'id', total: { from: 'total', as: 'integer' } }));
    expect(m.map({ id: 1, total: null }).total).toBeNull();
  });

  it('given a null or missing source value with a default, when mapped, then the cast default is used', () => {
    const m = compileMapping(entity({ id: 'id', paidAt: { from: 'paid_at', as: 'timestamp', default: '1970-01-01' } }));
    expect(m.map({ id: 1, paid_at: null }).paidAt).toBe('1970-01-01T00:00:00.000Z');
    expect(m.map({ id: 1 }).paidAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('given nested target paths, when mapped, then nested objects are built', () => {
    const m = compileMapping(entity({ id: 'id', 'customer.id': 'customer_id', 'customer.address.city': 'city' }));
    expect(m.map({ id: 1, customer_id: 7, city: 'Lyon' })).toEqual({ id: 1, customer: { id: 7, address: { city: 'Lyon' } } });
  });

  it('given a cast failure, when mapped, then the MappingError names field, cast, value and row key', () => {
    const m = compileMapping(entity({ id: 'id', total: { from: 'total_cents', as: 'integer' } }));
    const e = mappingError(() => m.map({ id: 42, total_cents: '12.5' }));
    expect(e.message).toBe('field "total" (as integer): value "12.5" has a fractional part, so it is not an integer');
    expect(e.field).toBe('total');
    expect(e.rowKey).toEqual([42]);
  });

  it('given a sensitive field that fails its cast, when mapped, then the error hides the value', () => {
    const m = compileMapping(entity({ id: 'id', ssn: { from: 'ssn', as: 'integer', sensitive: true } }));
    const e = mappingError(() => m.map({ id: 1, ssn: '123-45-6789' }));
    expect(e.message).not.toContain('123-45-6789');
    expect(e.message).toContain('hidden');
  });

  it('given a key that maps to null, when mapped, then a MappingError says the key field is empty', () => {
    const m = compileMapping(entity({ id: 'id', code: 'code' }, { targetKey: ['code'] }));
    expect(mappingError(() => m.map({ id: 3, code: null })).field).toBe('code');
  });

  it('given a bigint key beyond 2^53, when an error is raised, then the row key keeps it exact as a string', () => {
    const m = compileMapping(entity({ id: 'id', total: { from: 'total', as: 'integer' } }));
    expect(mappingError(() => m.map({ id: 2n ** 60n, total: 'x' })).rowKey).toEqual(['1152921504606846976']);
  });
});

describe('compileMapping: keys and columns', () => {
  it('given no target.key, then the key fields are the targets of the source key columns, in key order', () => {
    const m = compileMapping(entity({ line: 'line_no', order: 'order_id', sku: 'sku' }, { key: ['order_id', 'line_no'] }));
    expect(m.targetKeyFields).toEqual(['order', 'line']);
  });

  it('given target.key, then it is the key, whatever the source key is', () => {
    const m = compileMapping(entity({ id: 'id', ref: 'ref' }, { targetKey: ['ref'] }));
    expect(m.targetKeyFields).toEqual(['ref']);
  });

  it('given a single key, when keyOfItem is asked, then only the key field is returned', () => {
    const m = compileMapping(entity({ id: 'id', name: 'name' }));
    expect(m.keyOfItem({ id: 5, name: 'x' })).toEqual({ id: 5 });
  });

  it('given a composite nested key, when keyOfItem is asked, then the key is shaped like the item', () => {
    const m = compileMapping(entity({ 'order.id': 'order_id', lineNo: 'line_no', sku: 'sku' }, { key: ['order_id', 'line_no'] }));
    const item = m.map({ order_id: 1, line_no: 3, sku: 'A' });
    expect(m.keyOfItem(item)).toEqual({ order: { id: 1 }, lineNo: 3 });
  });

  it('given keys of different JSON types, when keyId is asked, then 42 and "42" have one identity', () => {
    const m = compileMapping(entity({ id: 'id' }));
    expect(m.keyId({ id: 42 })).toBe(m.keyId({ id: '42' }));
    expect(m.keyId({ id: 42 })).not.toBe(m.keyId({ id: 43 }));
  });

  it('given an unmapped key column, when compiled, then a UserError names the column', () => {
    let err: unknown;
    try {
      compileMapping(entity({ name: 'name' }), { name: 'orders' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems[0]!.message).toContain('"id"');
    expect((err as UserError).problems[0]!.where).toBe('entities.orders');
  });

  it('given a target.key that the map does not produce and no transform, when compiled, then a UserError', () => {
    expect(() => compileMapping(entity({ id: 'id' }, { targetKey: ['ref'] }))).toThrow(UserError);
  });

  it('given a field that is also the parent of another, when compiled, then a UserError', () => {
    expect(() => compileMapping(entity({ id: 'id', customer: 'c', 'customer.id': 'cid' }))).toThrow(/parent/);
  });

  it('given a default that does not cast, when compiled, then a UserError rather than failing every row', () => {
    expect(() => compileMapping(entity({ id: 'id', n: { from: 'n', as: 'integer', default: 'none' } }))).toThrow(UserError);
  });

  it('given a map, then sourceColumns lists each read column once, key columns included', () => {
    const m = compileMapping(entity({ ref: 'id', copy: 'id', total: { from: 'total', as: 'integer' }, k: { const: 1 } }, { key: ['id', 'shard'], targetKey: ['ref'] }));
    expect(m.sourceColumns).toEqual(['id', 'total', 'shard']);
  });

  it('given sensitive entries, then sensitiveFields lists their target paths', () => {
    const m = compileMapping(entity({ id: 'id', 'card.number': { from: 'card', sensitive: true }, name: 'name' }));
    expect(m.sensitiveFields).toEqual(['card.number']);
  });
});
