import { describe, expect, it } from 'vitest';
import {
  canonicalDecimal,
  castBoolean,
  castDecimal,
  castInteger,
  castJson,
  castNumber,
  castString,
  castTimestamp,
  CastFailure,
  jsonSafe,
  parseTimestamp,
  withinTolerance,
} from '../../../src/mapping/casts.js';

describe('integer cast', () => {
  it('given a safe integer as number, bigint or numeric string, when cast, then it is a JSON number', () => {
    expect(castInteger(42)).toBe(42);
    expect(castInteger(42n)).toBe(42);
    expect(castInteger(' +0042 ')).toBe(42);
    expect(castInteger('-17')).toBe(-17);
  });

  it('given a numeric string with only zero decimals (a numeric(10,2) column), when cast, then it is the integer', () => {
    expect(castInteger('12.00')).toBe(12);
  });

  it('given a bigint string beyond 2^53, when cast, then it stays an exact decimal string', () => {
    expect(castInteger('9007199254740993')).toBe('9007199254740993');
    expect(castInteger(-9007199254740993n)).toBe('-9007199254740993');
  });

  it('given exactly 2^53-1, when cast, then it is still a number', () => {
    expect(castInteger('9007199254740991')).toBe(9007199254740991);
    expect(castInteger('9007199254740992')).toBe('9007199254740992');
  });

  it('given a negative zero, when cast, then it is plain 0', () => {
    expect(Object.is(castInteger('-0'), 0)).toBe(true);
    expect(Object.is(castInteger(-0), 0)).toBe(true);
  });

  it('given a fractional value, when cast, then it fails saying it has a fractional part', () => {
    expect(() => castInteger(12.5)).toThrow(/fractional/);
    expect(() => castInteger('12.50')).toThrow(/fractional/);
  });

  it('given text, an empty string, a boolean or NaN, when cast, then it fails', () => {
    for (const v of ['abc', '', true, Number.NaN, '1e3']) expect(() => castInteger(v), String(v)).toThrow(CastFailure);
  });
});

describe('number cast', () => {
  it('given numeric strings and bigints, when cast, then they are doubles', () => {
    expect(castNumber('12.50')).toBe(12.5);
    expect(castNumber('1e3')).toBe(1000);
    expect(castNumber(7n)).toBe(7);
  });

  it('given non-numeric text or Infinity, when cast, then it fails', () => {
    expect(() => castNumber('12,5')).toThrow(CastFailure);
    expect(() => castNumber('.')).toThrow(CastFailure);
    expect(() => castNumber(Number.POSITIVE_INFINITY)).toThrow(CastFailure);
  });
});

describe('decimal cast', () => {
  it('given the same value written differently, when cast, then every form gives one canonical string', () => {
    for (const v of ['12.50', '12.5', '+012.500', 12.5, '1.25e1']) expect(castDecimal(v), String(v)).toBe('12.5');
  });

  it('given a decimal longer than a double can hold, when cast, then no digit is lost', () => {
    expect(castDecimal('12345678901234567890.123456789012345678')).toBe('12345678901234567890.123456789012345678');
  });

  it('given zeros and signs, when cast, then they are canonical', () => {
    expect(castDecimal('-0.00')).toBe('0');
    expect(castDecimal('100')).toBe('100');
    expect(castDecimal('0.0010')).toBe('0.001');
    expect(castDecimal('.5')).toBe('0.5');
    expect(castDecimal(-3n)).toBe('-3');
  });

  it('given a float with an exponent form, when cast, then it is written out in full', () => {
    expect(castDecimal(1e21)).toBe('1000000000000000000000');
    expect(castDecimal(1e-7)).toBe('0.0000001');
  });

  it('given a float sum, when cast, then it is the shortest string that round-trips the double', () => {
    expect(castDecimal(0.1 + 0.2)).toBe('0.30000000000000004');
  });

  it('given non-numeric text or an absurd exponent, when cast, then it fails', () => {
    expect(() => castDecimal('12.5.1')).toThrow(CastFailure);
    expect(() => castDecimal('1e5000')).toThrow(CastFailure);
    expect(canonicalDecimal('abc')).toBeUndefined();
  });
});

describe('decimal tolerance arithmetic', () => {
  it('given a difference exactly equal to the tolerance, then it is within (no float error at 1.1 - 1.0)', () => {
    expect(withinTolerance('1', '1.1', '0.1')).toBe(true);
    expect(withinTolerance('1', '1.1000001', '0.1')).toBe(false);
  });
});

describe('boolean cast', () => {
  it('given true spellings, when cast, then true', () => {
    for (const v of [true, 1, 1n, 't', 'TRUE', 'yes', 'Y', 'on', '1', Buffer.from([1])]) expect(castBoolean(v), String(v)).toBe(true);
  });

  it('given false spellings, when cast, then false', () => {
    for (const v of [false, 0, 'f', 'False', 'no', 'N', 'off', '0', Buffer.from([0])]) expect(castBoolean(v), String(v)).toBe(false);
  });

  it('given 2 or other words, when cast, then it fails', () => {
    expect(() => castBoolean(2)).toThrow(CastFailure);
    expect(() => castBoolean('maybe')).toThrow(CastFailure);
  });
});

describe('timestamp cast', () => {
  it('given a Date, when cast, then ISO 8601 UTC with milliseconds', () => {
    expect(castTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe('2024-01-02T03:04:05.006Z');
  });

  it('given ISO strings with zones, when cast, then the same instant in UTC', () => {
    expect(castTimestamp('2024-01-01T10:00:00+02:00')).toBe('2024-01-01T08:00:00.000Z');
    expect(castTimestamp('2024-01-01T10:00:00-0530')).toBe('2024-01-01T15:30:00.000Z');
    expect(castTimestamp('2024-01-01 10:00:00+02')).toBe('2024-01-01T08:00:00.000Z');
    expect(castTimestamp('2024-01-01T10:00:00Z')).toBe('2024-01-01T10:00:00.000Z');
  });

  it('given a zone-less MySQL DATETIME(6) string, when cast, then it is read as UTC and its microseconds are kept, not rounded or cut', () => {
    expect(castTimestamp('2024-03-04 05:06:07.123999')).toBe('2024-03-04T05:06:07.123999Z');
  });

  it('given sub-millisecond digits with trailing zeros or none beyond the millisecond, when cast, then milliseconds are written and only significant further digits', () => {
    expect(castTimestamp('2024-03-04T05:06:07.123400+02:00')).toBe('2024-03-04T03:06:07.1234Z');
    expect(castTimestamp('2024-03-04 05:06:07.120000')).toBe('2024-03-04T05:06:07.120Z');
  });

  it('given a date only, when cast, then midnight UTC', () => {
    expect(castTimestamp('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('given a year before 100, when cast, then it is not shifted to the 1900s', () => {
    expect(castTimestamp('0050-06-01 00:00:00')).toBe('0050-06-01T00:00:00.000Z');
  });

  it('given impossible dates (zero date, Feb 30, hour 24) or non-dates, when cast, then it fails', () => {
    for (const v of ['0000-00-00 00:00:00', '2023-02-29', '2024-01-01 24:00:00', 'yesterday', 1700000000, new Date(Number.NaN)]) {
      expect(() => castTimestamp(v), String(v)).toThrow(CastFailure);
    }
  });

  it('given the ISO forms the sources hand over (T, optional fraction, optional Z), when cast, then the same text as any other spelling of that instant', () => {
    expect(castTimestamp('2024-01-02T03:04:05Z')).toBe('2024-01-02T03:04:05.000Z');
    expect(castTimestamp('2024-01-02T03:04:05')).toBe('2024-01-02T03:04:05.000Z');
    expect(castTimestamp('2024-01-02T03:04:05.1Z')).toBe('2024-01-02T03:04:05.100Z');
    expect(castTimestamp('2024-01-02T03:04:05.123456')).toBe('2024-01-02T03:04:05.123456Z');
    expect(castTimestamp('2024-01-02T03:04:05.120000Z')).toBe('2024-01-02T03:04:05.120Z');
    expect(castTimestamp('2024-02-29T23:59:59.000001Z')).toBe('2024-02-29T23:59:59.000001Z');
    expect(castTimestamp('0000-01-01T00:00:00Z')).toBe('0000-01-01T00:00:00.000Z');
    // Already in the cast's own form, or one trailing zero away from it.
    expect(castTimestamp('2024-01-02T03:04:05.123Z')).toBe('2024-01-02T03:04:05.123Z');
    expect(castTimestamp('2024-01-02T03:04:05.000Z')).toBe('2024-01-02T03:04:05.000Z');
    expect(castTimestamp('2024-01-02T03:04:05.1230Z')).toBe('2024-01-02T03:04:05.123Z');
    expect(castTimestamp('2024-01-02T03:04:05.12340Z')).toBe('2024-01-02T03:04:05.1234Z');
    expect(castTimestamp('2024-01-02T03:04:05.12Z')).toBe('2024-01-02T03:04:05.120Z');
    expect(castTimestamp('2024-01-02T03:04:05.123')).toBe('2024-01-02T03:04:05.123Z');
  });

  it('given impossible dates and times in the ISO form the sources hand over, when cast, then it fails', () => {
    for (const v of ['2023-02-29T00:00:00Z', '2024-04-31T00:00:00', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:60:00Z', '2024-01-01T00:00:60Z', '2024-01-01T00:00:00.Z', '2024-01-01T00:00:00.12aZ']) {
      expect(() => castTimestamp(v), v).toThrow(CastFailure);
    }
  });

  it('given a zone function, when a zone-less string is parsed, then the wall time is read in that zone', () => {
    expect(parseTimestamp('2024-01-01 10:00:00', () => 2 * 3600_000)).toBe(Date.UTC(2024, 0, 1, 8));
    expect(parseTimestamp('2024-01-01 10:00:00Z', () => 2 * 3600_000)).toBe(Date.UTC(2024, 0, 1, 10));
  });

  it('given the ISO form the sources hand over with 0 to 6 fraction digits, with and without Z, when parsed, then the instant is read off the digits to the millisecond', () => {
    expect(parseTimestamp('2024-02-29T23:59:59Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 0));
    expect(parseTimestamp('2024-02-29T23:59:59.5Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 500));
    expect(parseTimestamp('2024-02-29T23:59:59.07Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 70));
    expect(parseTimestamp('2024-02-29T23:59:59.123456Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 123));
    expect(parseTimestamp('1969-12-31T23:59:59.999Z')).toBe(-1);
    expect(parseTimestamp('0001-01-01T00:00:00Z')).toBe(Date.UTC(2000, 0, 1) - 730_119 * 86_400_000);
    expect(parseTimestamp('2024-01-01T10:00:00.250', () => 2 * 3600_000)).toBe(Date.UTC(2024, 0, 1, 8, 0, 0, 250));
    expect(parseTimestamp('2023-02-29T00:00:00Z')).toBeUndefined();
  });
});

describe('json, string and pass-through', () => {
  it('given JSON text, when cast as json, then it is parsed; objects pass through', () => {
    expect(castJson('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    const o = { a: 1 };
    expect(castJson(o)).toBe(o);
  });

  it('given invalid JSON text, when cast as json, then it fails without quoting the text', () => {
    try {
      castJson('{secret-ish');
      expect.unreachable();
    } catch (e) {
      expect((e as CastFailure).reason).not.toContain('secret');
    }
  });

  it('given numbers, booleans, dates and objects, when cast as string, then decimal, true/false, ISO and JSON', () => {
    expect(castString(12.5)).toBe('12.5');
    expect(castString(10n)).toBe('10');
    expect(castString(false)).toBe('false');
    expect(castString(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(castString({ a: 1 })).toBe('{"a":1}');
  });

  it('given driver values without a cast, then bigints, dates and bytes become JSON-safe', () => {
    expect(jsonSafe(5n)).toBe(5);
    expect(jsonSafe(2n ** 60n)).toBe('1152921504606846976');
    expect(jsonSafe(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(jsonSafe(Buffer.from('hi'))).toBe('aGk=');
    expect(jsonSafe('x')).toBe('x');
  });
});
