import { describe, expect, it } from 'vitest';
import { routingKey } from '../../../src/flags/routingKey.js';

describe('routingKey (the targetingKey of a routing document)', () => {
  it('Given a one-column numeric key, when turned into a targeting key, then it is its decimal digits', () => {
    expect(routingKey(42)).toBe('42');
    expect(routingKey([42])).toBe('42');
  });

  it('Given a one-column text key, when turned into a targeting key, then it is unchanged', () => {
    expect(routingKey('7f1c2a90-0000-4000-8000-000000000001')).toBe('7f1c2a90-0000-4000-8000-000000000001');
    expect(routingKey(['a|b\\c'])).toBe('a|b\\c');
  });

  it('Given a composite key, when turned into a targeting key, then its values are joined by | with | and \\ escaped', () => {
    expect(routingKey([7, 'EU'])).toBe('7|EU');
    expect(routingKey([7, 'a|b'])).toBe('7|a\\|b');
    expect(routingKey(['a\\', 'b'])).toBe('a\\\\|b');
  });

  it('Given two composite keys whose plain join would collide, when turned into targeting keys, then they differ', () => {
    expect(routingKey(['a|b', 'c'])).not.toBe(routingKey(['a', 'b|c']));
    expect(routingKey(['a\\', '|b'])).not.toBe(routingKey(['a\\|', 'b']));
  });

  it('Given a key with non-ASCII characters or %, when turned into a targeting key, then they are percent-encoded UTF-8 bytes', () => {
    expect(routingKey('café')).toBe('caf%C3%A9');
    expect(routingKey('50%')).toBe('50%25');
    expect(routingKey(['ß', 'x y'])).toBe('%C3%9F|x y');
  });

  it('Given a fractional or unsafe number, when turned into a targeting key, then it is refused so no language prints it differently', () => {
    expect(() => routingKey(1.5)).toThrow(/safe integer/);
    expect(() => routingKey(2 ** 60)).toThrow(/safe integer/);
    expect(() => routingKey([])).toThrow(/at least one/);
  });
});
