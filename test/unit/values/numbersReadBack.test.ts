import { describe, expect, it } from 'vitest';
import { numbersReadBackExactly, parseJsonExact } from '../../../src/values/json.js';

// The scan decides whether JSON.parse may read an answer (fast) or the exact parser must (every
// digit kept): a wrong "true" would silently change a number, so each case is written by hand.
describe('numbersReadBackExactly', () => {
  it('Given numbers a double gives back character for character, when scanned, then the text may be read with JSON.parse', () => {
    expect(numbersReadBackExactly('[0,-1,123,1.5,-2.25,123456789012345]')).toBe(true);
  });

  it('Given a number with a trailing zero, -0, an exponent or more digits than a double holds, when scanned, then it may not', () => {
    for (const text of ['{"a":1.10}', '[-0]', '[1e3]', '[12345678901234567890]', '[0.1000000000000000055511151231257827]']) {
      expect(numbersReadBackExactly(text), text).toBe(false);
    }
  });

  it('Given number-like text only inside strings, when scanned, then strings are skipped whole', () => {
    expect(numbersReadBackExactly('{"a":"1.10","updatedAt":"2024-01-01T00:00:00.000Z","b":2}')).toBe(true);
  });

  it('Given an escaped quote inside a string, when scanned, then the string goes on past it', () => {
    expect(numbersReadBackExactly('{"a":"x\\"1.10","b":1.5}')).toBe(true);
    expect(numbersReadBackExactly('{"a":"x\\"","b":1.50}')).toBe(false);
  });

  it('Given a string ending in an escaped backslash, when scanned, then its closing quote ends it and the number after it is checked', () => {
    expect(numbersReadBackExactly('{"a":"x\\\\","b":1.50}')).toBe(false);
    expect(numbersReadBackExactly('{"a":"x\\\\\\\\","b":1.50}')).toBe(false);
  });

  it('Given an answer with a trailing zero after an escaped backslash, when parsed exactly, then the digits are kept', () => {
    const parsed = parseJsonExact('{"a":"x\\\\","b":1.50}', 'last') as { a: string; b: { value: string } };
    expect(parsed.a).toBe('x\\');
    expect(parsed.b.value).toBe('1.50');
  });
});
