import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/plan/suggest.js';

describe('closest', () => {
  it('Given a missing letter, When suggested, Then the intended key is found', () => {
    expect(closest('batchSze', ['batchSize', 'partitions', 'flag'])).toBe('batchSize');
  });

  it('Given swapped neighbours, When measured, Then it counts as one edit', () => {
    expect(editDistance('flga', 'flag')).toBe(1);
  });

  it('Given a different case only, When suggested, Then the key is found', () => {
    expect(closest('BatchSize', ['batchSize', 'flag'])).toBe('batchSize');
  });

  it('Given nothing close, When suggested, Then there is no suggestion', () => {
    expect(closest('id', ['db', 'table'])).toBeUndefined();
    expect(closest('zzzzzz', ['batchSize', 'partitions'])).toBeUndefined();
  });
});
