import { describe, expect, it } from 'vitest';
import {
  dateToUtcLiteral,
  isoToMysqlDatetime,
  keyTupleOf,
  keyTypesFrom,
  mysqlDatetimeToIso,
  parseInteger,
  pgTimestampToIso,
  pgTimestamptzToIso,
} from '../../../src/sources/values.js';
import { UserError } from '../../../src/errors.js';

describe('value conversions', () => {
  it('Given int8 text, When parsed, Then a number when exact and the text beyond 2^53', () => {
    expect(parseInteger('42')).toBe(42);
    expect(parseInteger('-9007199254740991')).toBe(-9007199254740991);
    expect(parseInteger('9007199254740993')).toBe('9007199254740993');
  });

  it('Given PostgreSQL timestamp text with microseconds, When converted, Then ISO with every digit', () => {
    expect(pgTimestampToIso('2024-01-02 03:04:05.123456')).toBe('2024-01-02T03:04:05.123456');
    expect(pgTimestampToIso('infinity')).toBe('infinity');
  });

  it('Given timestamptz text in UTC, When converted, Then ISO with Z', () => {
    expect(pgTimestamptzToIso('2024-01-02 03:04:05.000001+00')).toBe('2024-01-02T03:04:05.000001Z');
    expect(pgTimestamptzToIso('2024-01-02 03:04:05+00')).toBe('2024-01-02T03:04:05Z');
    expect(pgTimestamptzToIso('2024-01-02 03:04:05+00:30')).toBe('2024-01-02T02:34:05Z');
  });

  it('Given timestamptz text with another offset, When converted, Then the UTC instant keeps its microseconds', () => {
    expect(pgTimestamptzToIso('2024-01-02 01:30:05.123456-02:30')).toBe('2024-01-02T04:00:05.123456Z');
    expect(pgTimestamptzToIso('2024-01-02 03:04:05+05')).toBe('2024-01-01T22:04:05Z');
  });

  it('Given MySQL DATETIME and TIMESTAMP text, When converted, Then ISO, with Z only for TIMESTAMP', () => {
    expect(mysqlDatetimeToIso('2024-01-02 03:04:05.123456', false)).toBe('2024-01-02T03:04:05.123456');
    expect(mysqlDatetimeToIso('2024-01-02 03:04:05', true)).toBe('2024-01-02T03:04:05Z');
    expect(mysqlDatetimeToIso('0000-00-00 00:00:00', false)).toBe('0000-00-00 00:00:00');
  });

  it('Given an ISO cursor, When bound for MySQL, Then the literal MySQL compares exactly', () => {
    expect(isoToMysqlDatetime('2024-01-02T03:04:05.123456Z')).toBe('2024-01-02 03:04:05.123456');
    expect(isoToMysqlDatetime('2024-01-02T03:04:05')).toBe('2024-01-02 03:04:05');
  });

  it('Given a Date, When made a UTC literal, Then milliseconds in UTC', () => {
    expect(dateToUtcLiteral(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).toBe('2024-01-02 03:04:05.678');
  });
});

describe('keyTupleOf', () => {
  it('Given a row, When taking a composite key, Then values in key order', () => {
    expect(keyTupleOf(['b', 'a'], { a: 1, b: 'x', c: true })).toEqual(['x', 1]);
  });

  it('Given a bigint or Date key value, When taken, Then JSON-safe', () => {
    expect(keyTupleOf(['id'], { id: 2n ** 60n })).toEqual(['1152921504606846976']);
    expect(keyTupleOf(['id'], { id: 7n })).toEqual([7]);
    expect(keyTupleOf(['t'], { t: new Date(0) })).toEqual(['1970-01-01T00:00:00.000Z']);
  });

  it('Given a NULL key value, When taken, Then a UserError naming the column', () => {
    expect(() => keyTupleOf(['id'], { id: null })).toThrow(UserError);
    expect(() => keyTupleOf(['id'], { id: null })).toThrow(/"id"/);
  });
});

describe('keyTypesFrom', () => {
  const info = { exists: true, columns: [{ name: 'id', dataType: 'bigint', nullable: false }], uniqueKeys: [['id']], estimatedRows: 1 };

  it('Given existing key columns, When resolved, Then their types in key order', () => {
    expect(keyTypesFrom({ table: 't', key: ['id'] }, info)).toEqual(['bigint']);
  });

  it('Given a missing column, When resolved, Then a UserError listing the columns', () => {
    expect(() => keyTypesFrom({ table: 't', key: ['ID'] }, info)).toThrow(/key column "ID".*/);
  });

  it('Given a missing table, When resolved, Then a UserError naming it', () => {
    expect(() => keyTypesFrom({ schema: 's', table: 't', key: ['id'] }, { ...info, exists: false })).toThrow(/table s\.t does not exist/);
  });
});
