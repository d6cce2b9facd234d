/**
 * The value model without a database: exact JSON text in and out, PostgreSQL text parsers,
 * single-precision floats, special values refused or represented by the mapping, and the
 * comparator flagging a change of one digit, one ulp, one microsecond or one type. Expected
 * values are written by hand.
 */
import { describe, expect, it } from 'vitest';
import { forDisplay, isLosslessNumber, LosslessNumber, parseJsonExact, stringifyJsonExact } from '../../../src/values/json.js';
import { JsonString, SpecialValue } from '../../../src/values/special.js';
import { exactPgTypes, parsePgFloat, parsePgNumeric } from '../../../src/sources/pgTypes.js';
import { shortestFloat32 } from '../../../src/sources/values.js';
import { valueOptionsInUrl, withoutValueOptions } from '../../../src/sources/urlOptions.js';
import { sessionOptions } from '../../../src/sources/postgres.js';
import { castJson, castString } from '../../../src/mapping/casts.js';
import { compileMapping } from '../../../src/mapping/compile.js';
import { MappingError } from '../../../src/mapping/errors.js';
import { compileComparator } from '../../../src/compare/index.js';
import { verifyPhaseSchema } from '../../../src/plan/schema.js';
import { entity } from '../mapping/entity.js';

const pgText = (oid: number) => exactPgTypes.getTypeParser(oid, 'text') as (t: string) => unknown;

describe('exact JSON text', () => {
  it('Given numbers a double cannot give back digit for digit, when parsed and written again, then the text is identical', () => {
    const text = '{"int":9007199254740993,"big":12345678901234567890123,"prec":0.1000000000000000055511151231257827,"z":-0,"t":1.10,"e":1e2,"ok":0.5}';
    expect(stringifyJsonExact(parseJsonExact(text))).toBe(text);
  });

  it('Given ordinary numbers, when parsed, then they are plain numbers (no wrapper objects on the common path)', () => {
    expect(parseJsonExact('{"a":1,"b":-2.5,"c":0.1}')).toEqual({ a: 1, b: -2.5, c: 0.1 });
  });

  it('Given keys in a non-alphabetical order, when parsed and written, then the order is kept', () => {
    expect(stringifyJsonExact(parseJsonExact('{"z":1,"a":{"y":2,"b":3}}'))).toBe('{"z":1,"a":{"y":2,"b":3}}');
  });

  it('Given strings that look like inexact numbers (a timestamp fraction .000, 20 digits), when parsed keeping the last duplicate, then they stay strings and the numbers plain', () => {
    expect(parseJsonExact('{"at":"2024-01-01T00:00:00.000Z","id":"12345678901234567890","n":7,"s":"a\\"1.10"}', 'last')).toEqual({ at: '2024-01-01T00:00:00.000Z', id: '12345678901234567890', n: 7, s: 'a"1.10' });
  });

  it('Given a number a double cannot give back after a string holding a quote, when parsed keeping the last duplicate, then its digits are kept', () => {
    const parsed = parseJsonExact('{"s":"say \\"hi\\"","n":12345678901234567890,"f":1.50}', 'last') as Record<string, unknown>;
    expect(isLosslessNumber(parsed.n)).toBe(true);
    expect(stringifyJsonExact(parsed)).toBe('{"s":"say \\"hi\\"","n":12345678901234567890,"f":1.50}');
  });

  it('Given integers around 15 and 16 digits, negative ones, zeros and leading zeros, when parsed keeping the last duplicate, then exactly those a double cannot give back keep their text', () => {
    const text = '{"a":[123456789012345,-123456789012345,9007199254740993,-9007199254740993,1234567890123456,0,-0,5,-7,10,1e2,1.0,00]}';
    // 00 is no JSON number: either path refuses it.
    expect(() => parseJsonExact(text, 'last')).toThrow();
    const parsed = parseJsonExact(text.replace(',00]', ']'), 'last') as { a: unknown[] };
    const kept = parsed.a.map((v) => (isLosslessNumber(v) ? `lossless ${(v as LosslessNumber).value}` : v));
    expect(kept).toEqual([123456789012345, -123456789012345, 'lossless 9007199254740993', 'lossless -9007199254740993', 1234567890123456, 0, 'lossless -0', 5, -7, 10, 'lossless 1e2', 'lossless 1.0']);
  });

  it('Given an ordinary object with an isLosslessNumber key, when written, then it is written as it is', () => {
    expect(stringifyJsonExact({ isLosslessNumber: true, value: 'x' })).toBe('{"isLosslessNumber":true,"value":"x"}');
  });

  it('Given a key twice, when parsed, then it is refused unless first or last is asked for', () => {
    expect(() => parseJsonExact('{"a":1,"a":2}')).toThrow(/"a" appears twice/);
    expect(parseJsonExact('{"a":1,"a":2}', 'first')).toEqual({ a: 1 });
    expect(parseJsonExact('{"a":1,"a":2}', 'last')).toEqual({ a: 2 });
  });
});

describe('PostgreSQL text parsers', () => {
  it('Given float text, when parsed, then finite values are numbers and NaN, ±Infinity and -0 are special', () => {
    expect(parsePgFloat('0.1')).toBe(0.1);
    expect(parsePgFloat('1.7976931348623157e+308')).toBe(1.7976931348623157e308);
    expect(parsePgFloat('NaN')).toEqual(new SpecialValue('nan', 'NaN'));
    expect(parsePgFloat('-Infinity')).toEqual(new SpecialValue('infinity', '-Infinity'));
    expect(parsePgFloat('-0')).toEqual(new SpecialValue('negativeZero', '-0'));
  });

  it('Given numeric text, when parsed, then finite values keep every digit and NaN/Infinity are special', () => {
    expect(parsePgNumeric('12345678901234567890.0123456789')).toBe('12345678901234567890.0123456789');
    expect(parsePgNumeric('1.10')).toBe('1.10');
    expect(parsePgNumeric('NaN')).toEqual(new SpecialValue('nan', 'NaN'));
    expect(parsePgNumeric('Infinity')).toEqual(new SpecialValue('infinity', 'Infinity'));
  });

  it('Given numeric[], timestamp[], date[], bytea[] text, when parsed, then each element gets its type\'s exact form', () => {
    expect(pgText(1231)('{12345678901234567890.0123456789,0.1,1.10,NULL}')).toEqual(['12345678901234567890.0123456789', '0.1', '1.10', null]);
    expect(pgText(1115)('{"2024-01-15 10:11:12.123456","2024-01-15 00:00:00"}')).toEqual(['2024-01-15T10:11:12.123456', '2024-01-15T00:00:00']);
    expect(pgText(1185)('{"2024-01-15 10:11:12.000001+00"}')).toEqual(['2024-01-15T10:11:12.000001Z']);
    expect(pgText(1182)('{2024-01-15,2000-02-29}')).toEqual(['2024-01-15', '2000-02-29']);
    expect(pgText(1001)('{"\\\\x00ff10",NULL}')).toEqual(['AP8Q', null]);
  });

  it('Given infinity and BC dates, alone or in arrays, when parsed, then they are special with PostgreSQL\'s own text', () => {
    expect(pgText(1082)('infinity')).toEqual(new SpecialValue('infiniteDate', 'infinity'));
    expect(pgText(1114)('0044-03-15 12:00:00 BC')).toEqual(new SpecialValue('bcDate', '0044-03-15 12:00:00 BC'));
    const arr = pgText(1182)('{2024-01-15,-infinity}') as SpecialValue;
    expect(arr.kind).toBe('infiniteDate');
    expect(arr.elements).toEqual(['2024-01-15', new SpecialValue('infiniteDate', '-infinity')]);
  });

  it('Given json documents, when parsed, then a string document stays a JsonString, null and duplicate keys are special, numbers keep their digits', () => {
    expect(pgText(3802)('"123"')).toEqual(new JsonString('123'));
    expect(pgText(114)('null')).toEqual(new SpecialValue('jsonNull', 'null'));
    expect(pgText(114)('{"a":1,"a":2}')).toEqual(new SpecialValue('duplicateKeys', '{"a":1,"a":2}'));
    const v = pgText(3802)('{"n": 9007199254740993}') as { n: LosslessNumber };
    expect(isLosslessNumber(v.n) && v.n.value).toBe('9007199254740993');
  });
});

describe('PostgreSQL json[] and jsonb[]', () => {
  it('Given an array of documents, When parsed, Then each element keeps its digits, a string element is a plain string', () => {
    const v = pgText(3807)('{"{\\"a\\": 1.10}","\\"s\\"",NULL}') as unknown[];
    expect(stringifyJsonExact(v)).toBe('[{"a":1.10},"s",null]');
  });
});

describe('single-precision floats (MySQL FLOAT)', () => {
  it('Given the double of a FLOAT, when formatted, then the shortest number reading back as that float', () => {
    expect(shortestFloat32(16777216)).toBe(16777216);
    expect(shortestFloat32(1.100000023841858)).toBe(1.1);
    expect(shortestFloat32(3.4028234663852886e38)).toBe(3.4028235e38);
    expect(shortestFloat32(1.401298464324817e-45)).toBe(1e-45);
  });
});

describe('driver options in source URLs', () => {
  it('Given ?decimalNumbers=true on a MySQL URL, when the pool URL is built, then the option is named and dropped, others kept', () => {
    const url = 'mysql://root@127.0.0.1:3306/test?decimalNumbers=true&charset=utf8mb4&dateStrings=false';
    expect(valueOptionsInUrl(url)).toEqual(['decimalNumbers', 'dateStrings']);
    expect(withoutValueOptions(url)).toBe('mysql://root@127.0.0.1:3306/test?charset=utf8mb4');
  });

  it('Given a PostgreSQL URL with its own options, when the session options are built, then ours come last so they win', () => {
    expect(sessionOptions('postgres://u@h/db?options=-c%20DateStyle%3DSQL&sslmode=disable')).toEqual({
      connectionString: 'postgres://u@h/db?sslmode=disable',
      options: '-c DateStyle=SQL -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1',
    });
  });
});

describe('as: json and as: string on JSON column values', () => {
  it('Given a JSON string document "123", when cast to json, then it is the string "123", not parsed again', () => {
    expect(castJson(new JsonString('123'))).toBe('123');
    expect(castJson(new JsonString('é😀'))).toBe('é😀');
  });

  it('Given JSON text from a text column, when cast to json, then it is parsed once, exactly', () => {
    expect(stringifyJsonExact(castJson('{"b":12345678901234567890123,"a":"x"}'))).toBe('{"b":12345678901234567890123,"a":"x"}');
    expect(castJson('"{\\"a\\":1}"')).toBe('{"a":1}');
  });

  it('Given a parsed document with exact numbers, when cast to string, then the text keeps every digit', () => {
    expect(castString(parseJsonExact('{"x":0.1000000000000000055511151231257827}'))).toBe('{"x":0.1000000000000000055511151231257827}');
  });
});

describe('mapping: values without a faithful JSON form', () => {
  const e = entity({ id: 'id', reading: { from: 'reading_col' }, doc: { from: 'doc', as: 'json' } });

  it('Given NaN in a row and no represent setting, when mapped, then the row is refused naming entity, key, column, class and setting', () => {
    const m = compileMapping(e, { name: 'meters' });
    let err: unknown;
    try {
      m.map({ id: 7, reading_col: new SpecialValue('nan', 'NaN'), doc: null });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(MappingError);
    const msg = (err as Error).message;
    expect(msg).toContain('entity "meters"');
    expect(msg).toContain('key [7]');
    expect(msg).toContain('column "reading_col"');
    expect(msg).toContain('value class nan');
    expect(msg).toContain('map.reading.represent.nan: `string` or `null`');
  });

  it('Given represent settings, when mapped, then the chosen forms are sent', () => {
    const m = compileMapping(
      entity({
        id: 'id',
        a: { from: 'a', represent: { nan: 'string' } },
        b: { from: 'b', represent: { negativeZero: 'zero' } },
        c: { from: 'c', represent: { infiniteDate: 'null' } },
        d: { from: 'd', as: 'json', represent: { duplicateKeys: 'last', jsonNull: 'null' } },
        f: { from: 'f', as: 'json', represent: { jsonNull: 'null' } },
      }),
    );
    expect(
      m.map({
        id: 1,
        a: new SpecialValue('nan', 'NaN'),
        b: new SpecialValue('negativeZero', '-0'),
        c: new SpecialValue('infiniteDate', 'infinity'),
        d: '{"k":1,"k":2}',
        f: 'null',
      }),
    ).toEqual({ id: 1, a: 'NaN', b: 0, c: null, d: { k: 2 }, f: null });
  });

  it('Given JSON text with a duplicate key under as: json, when mapped without represent, then the row is refused as duplicateKeys', () => {
    const m = compileMapping(e, { name: 'meters' });
    expect(() => m.map({ id: 1, reading_col: 1, doc: '{"k":1,"k":2}' })).toThrow(/value class duplicateKeys refused.*map\.doc\.represent\.duplicateKeys: `first` or `last`/);
  });
});

describe('comparison of exact forms', () => {
  const cmp = compileComparator(
    entity({ id: 'id', doc: { from: 'doc', as: 'json' }, f: 'f', at: 'at', ts: { from: 'ts', as: 'timestamp' } }),
    verifyPhaseSchema.parse({}),
  );
  const expected = () => ({
    id: 1,
    doc: parseJsonExact('{"a":{"n":9007199254740993,"s":"123"}}') as Record<string, unknown>,
    f: 0.1,
    at: '2024-01-15T10:11:12.123456',
    ts: '2024-01-15T10:11:12.123456Z',
  });

  it('Given the same exact values read back, when compared, then they match', () => {
    expect(cmp.compare(expected(), parseJsonExact(stringifyJsonExact(expected())) as Record<string, unknown>).status).toBe('match');
  });

  it('Given one digit changed inside nested JSON, when compared, then the field differs', () => {
    const actual = { ...expected(), doc: parseJsonExact('{"a":{"n":9007199254740992,"s":"123"}}') as Record<string, unknown> };
    expect(cmp.compare(expected(), actual)).toEqual({ status: 'different', fields: ['doc'] });
  });

  it('Given a JSON string turned into a number, when compared, then the field differs', () => {
    const actual = { ...expected(), doc: { a: { n: new LosslessNumber('9007199254740993'), s: 123 } } };
    expect(cmp.compare(expected(), actual)).toEqual({ status: 'different', fields: ['doc'] });
  });

  it('Given a float one ulp away, when compared, then the field differs', () => {
    expect(cmp.compare(expected(), { ...expected(), f: 0.10000000000000002 })).toEqual({ status: 'different', fields: ['f'] });
  });

  it('Given timestamps one microsecond apart, with and without as: timestamp, when compared, then both differ', () => {
    expect(cmp.compare(expected(), { ...expected(), at: '2024-01-15T10:11:12.123457' }).fields).toEqual(['at']);
    expect(cmp.compare(expected(), { ...expected(), ts: '2024-01-15T10:11:12.123457Z' }).fields).toEqual(['ts']);
  });

  it('Given 1.10 sent and 1.1 stored, when compared, then they match: numbers compare by decimal value', () => {
    const e = { ...expected(), doc: parseJsonExact('{"a":1.10}') as Record<string, unknown> };
    expect(cmp.compare(e, { ...e, doc: { a: 1.1 } }).status).toBe('match');
  });
});

describe('exact JSON text: the JSON.parse shortcut for service answers', () => {
  // Every token here must come back as the same text whichever parser serves it.
  const tokens = ['0', '-1', '1.5', '0.1', '123456789012345', '-0.000001', '1e2', '1E-7', '1.10', '-0', '-0.0', '0.0000001', '1234567890.1234567', '12345678901234.56', '9007199254740993', '0.30000000000000004', '1.7976931348623157e308', '100.0', '5e-324'];

  it('Given answers with numbers of every shape, When parsed keeping the last duplicate, Then every number is written back with its exact text', () => {
    for (const t of tokens) {
      const text = `{"items":[{"n":${t},"s":"x"}]}`;
      expect(stringifyJsonExact(parseJsonExact(text, 'last')), t).toBe(text);
    }
  });

  it('Given a duplicate key, When parsed keeping the last, Then the last wins on either path', () => {
    expect(parseJsonExact('{"a":1,"a":2}', 'last')).toEqual({ a: 2 });
    expect(parseJsonExact('{"a":1.10,"a":2.50}', 'last')).toEqual({ a: new LosslessNumber('2.50') });
  });
});

describe('exact numbers in plain-JSON reports', () => {
  it('Given an item holding exact numbers, When made for display, Then they become their digit strings and the rest is unchanged', () => {
    const item = parseJsonExact('{"id":1,"doc":{"n":9007199254740993,"xs":[1.10,0.5]},"s":"x"}');
    expect(forDisplay(item)).toEqual({ id: 1, doc: { n: '9007199254740993', xs: ['1.10', 0.5] }, s: 'x' });
  });
});
