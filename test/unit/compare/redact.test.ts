import { describe, expect, it } from 'vitest';
import { compileComparator, REDACTED } from '../../../src/compare/index.js';
import { verifyPhaseSchema } from '../../../src/plan/schema.js';
import { entity } from '../mapping/entity.js';

const c = compileComparator(
  entity({ id: 'id', ssn: { from: 'ssn', sensitive: true }, 'card.number': { from: 'card', sensitive: true }, name: 'name' }),
  verifyPhaseSchema.parse({}),
);

describe('redactItem', () => {
  it('given sensitive top-level and nested fields, then their values read [redacted] and the rest is kept', () => {
    expect(c.redactItem({ id: 1, ssn: '123-45-6789', card: { number: '4111', brand: 'visa' }, name: 'Ada' })).toEqual({
      id: 1,
      ssn: REDACTED,
      card: { number: REDACTED, brand: 'visa' },
      name: 'Ada',
    });
  });

  it('given an item, when redacted, then the input is not changed', () => {
    const item = { id: 1, ssn: 'secret', card: { number: '4111' } };
    c.redactItem(item);
    expect(item).toEqual({ id: 1, ssn: 'secret', card: { number: '4111' } });
  });

  it('given a sensitive null, then it is redacted too (absence is not revealed); a missing field stays missing', () => {
    expect(c.redactItem({ id: 1, ssn: null })).toEqual({ id: 1, ssn: REDACTED });
    expect(c.redactItem({ id: 1 })).toEqual({ id: 1 });
  });

  it('given the parent of a sensitive field as JSON text, then the whole text is redacted', () => {
    expect(c.redactItem({ id: 1, card: '{"number":"4111"}' }).card).toBe(REDACTED);
  });

  it('given sensitive fields that differ, then they are compared and reported by name only', () => {
    const r = c.compare({ id: 1, ssn: 'a-secret' }, { id: 1, ssn: 'b-secret' });
    expect(r).toEqual({ status: 'different', fields: ['ssn'] });
    expect(JSON.stringify(r)).not.toContain('a-secret');
  });

  it('given a verify rule marking a field sensitive, then it is redacted as well', () => {
    const verify = verifyPhaseSchema.parse({});
    verify.fields['email'] = { sensitive: true } as never;
    const withRule = compileComparator(entity({ id: 'id', email: 'email' }), verify);
    expect(withRule.redactItem({ id: 1, email: 'ada@example.com' })).toEqual({ id: 1, email: REDACTED });
    expect(withRule.sensitiveFields).toEqual(['email']);
  });

  it('given no sensitive fields, then the item is returned as it is', () => {
    const plain = compileComparator(entity({ id: 'id' }), verifyPhaseSchema.parse({}));
    const item = { id: 1 };
    expect(plain.redactItem(item)).toBe(item);
  });
});
