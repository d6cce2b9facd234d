import { describe, expect, it } from 'vitest';
import {
  buildCount,
  buildExplain,
  buildKeyProbes,
  buildMinMax,
  buildReadByKeys,
  buildReadPage,
  buildSample,
  keyPredicate,
} from '../../../src/sources/keyset.js';

function collector(dialect: 'postgres' | 'mysql') {
  const values: unknown[] = [];
  return { values, add: (v: unknown) => (values.push(v), dialect === 'postgres' ? `$${values.length}` : '?') };
}

describe('keyPredicate', () => {
  it('Given a single-column key, When bounding after, Then a strict comparison with one parameter', () => {
    const p = collector('postgres');
    expect(keyPredicate('postgres', ['id'], 'after', [5], p)).toBe('"id" > $1');
    expect(p.values).toEqual([5]);
  });

  it('Given a single-column key, When bounding upTo, Then an inclusive comparison', () => {
    const p = collector('mysql');
    expect(keyPredicate('mysql', ['id'], 'upTo', ['x'], p)).toBe('`id` <= ?');
  });

  it('Given a two-column key on PostgreSQL, When bounding after, Then a row comparison the btree uses', () => {
    const p = collector('postgres');
    expect(keyPredicate('postgres', ['a', 'b'], 'after', [1, 'x'], p)).toBe('("a", "b") > ($1, $2)');
    expect(p.values).toEqual([1, 'x']);
  });

  it('Given a three-column key on PostgreSQL, When bounding upTo, Then an inclusive row comparison', () => {
    const p = collector('postgres');
    expect(keyPredicate('postgres', ['a', 'b', 'c'], 'upTo', [1, 2, 3], p)).toBe('("a", "b", "c") <= ($1, $2, $3)');
  });

  it('Given a two-column key on MySQL, When bounding after, Then an index guard and OR-expanded prefixes', () => {
    const p = collector('mysql');
    expect(keyPredicate('mysql', ['a', 'b'], 'after', [1, 2], p)).toBe('`a` >= ? AND (`a` > ? OR (`a` = ? AND `b` > ?))');
    expect(p.values).toEqual([1, 1, 1, 2]);
  });

  it('Given a three-column key on MySQL, When bounding upTo, Then only the last column compares inclusively', () => {
    const p = collector('mysql');
    expect(keyPredicate('mysql', ['a', 'b', 'c'], 'upTo', [1, 2, 3], p)).toBe(
      '`a` <= ? AND (`a` < ? OR (`a` = ? AND `b` < ?) OR (`a` = ? AND `b` = ? AND `c` <= ?))',
    );
    expect(p.values).toEqual([1, 1, 1, 2, 1, 2, 3]);
  });

  it('Given a tuple of the wrong length, When building, Then it throws naming the key', () => {
    expect(() => keyPredicate('mysql', ['a', 'b'], 'after', [1], collector('mysql'))).toThrow(/key has 2 columns \(a, b\)/);
  });
});

describe('buildReadPage', () => {
  const source = { table: 'orders', key: ['id'] };

  it('Given no range, When building a page, Then it orders by the key and limits without OFFSET', () => {
    const q = buildReadPage('postgres', source, {}, 500);
    expect(q).toEqual({ sql: 'SELECT * FROM "orders" ORDER BY "id" LIMIT 500', params: [] });
  });

  it('Given both bounds, updatedSince and where on PostgreSQL, When building, Then all are ANDed with where last in parentheses', () => {
    const q = buildReadPage('postgres', { ...source, schema: 's', updatedAt: 'updated_at', where: "status <> 'x' OR id < 0" }, { after: [1], upTo: [9] }, 10, '2024-01-01T00:00:00.000Z');
    expect(q.sql).toBe(
      `SELECT * FROM "s"."orders" WHERE "id" > $1 AND "id" <= $2 AND "updated_at" >= $3 AND (status <> 'x' OR id < 0) ORDER BY "id" LIMIT 10`,
    );
    expect(q.params).toEqual([1, 9, '2024-01-01T00:00:00.000Z']);
  });

  it('Given a composite key on MySQL with a where containing a question mark, When building, Then where follows every placeholder', () => {
    const q = buildReadPage('mysql', { table: 't', key: ['a', 'b'], where: "note <> '?'" }, { after: [1, 2] }, 3);
    expect(q.sql).toBe("SELECT * FROM `t` WHERE `a` >= ? AND (`a` > ? OR (`a` = ? AND `b` > ?)) AND (note <> '?') ORDER BY `a`, `b` LIMIT 3");
    expect(q.params).toEqual([1, 1, 1, 2]);
  });

  it('Given updatedSince without an updatedAt column, When building, Then it throws', () => {
    expect(() => buildReadPage('mysql', source, {}, 5, '2024-01-01')).toThrow(/updatedAt/);
  });

  it('Given a non-integer limit, When building, Then it throws rather than splicing it', () => {
    expect(() => buildReadPage('mysql', source, {}, 1.5)).toThrow(/positive integer/);
    expect(() => buildReadPage('mysql', source, {}, 0)).toThrow(/positive integer/);
  });
});

describe('other statements', () => {
  it('Given a range and where, When counting, Then COUNT(*) with the same conditions', () => {
    expect(buildCount('mysql', { table: 't', key: ['id'], where: 'x = 1' }, { upTo: [5] })).toEqual({
      sql: 'SELECT COUNT(*) AS n FROM `t` WHERE `id` <= ? AND (x = 1)',
      params: [5],
    });
  });

  it('Given PostgreSQL, When explaining, Then JSON format is asked for', () => {
    expect(buildExplain('postgres', { table: 't', key: ['id'] }).sql).toBe('EXPLAIN (FORMAT JSON) SELECT 1 FROM "t"');
  });

  it('Given a single key, When building min/max, Then lo and hi aliases over the filtered table', () => {
    expect(buildMinMax('postgres', { table: 't', key: ['id'], where: 'x' }).sql).toBe('SELECT MIN("id") AS lo, MAX("id") AS hi FROM "t" WHERE (x)');
  });

  it('Given a composite key, When building min/max, Then it throws', () => {
    expect(() => buildMinMax('postgres', { table: 't', key: ['a', 'b'] })).toThrow(/single-column/);
  });

  it('Given PostgreSQL, When sampling a fraction, Then TABLESAMPLE BERNOULLI in percent, sorted by the key in SQL', () => {
    const q = buildSample('postgres', { table: 't', key: ['a', 'b'], where: 'x' }, 0.25, 100);
    expect(q.sql).toBe('SELECT "a", "b" FROM (SELECT "a", "b" FROM "t" TABLESAMPLE BERNOULLI ($1) WHERE (x) LIMIT 100) s ORDER BY "a", "b"');
    expect(q.params).toEqual([25]);
  });

  it('Given MySQL, When sampling a fraction, Then RAND() < p before the where', () => {
    const q = buildSample('mysql', { table: 't', key: ['k'] }, 0.5, 10);
    expect(q.sql).toBe('SELECT `k` FROM (SELECT `k` FROM `t` WHERE RAND() < ? LIMIT 10) s ORDER BY `k`');
    expect(q.params).toEqual([0.5]);
  });

  it('Given two points, When building key probes, Then each point is one row of the first key at or after it and the last key before it, as MIN/MAX the index answers', () => {
    const q = buildKeyProbes('mysql', { table: 't', key: ['k'] }, [10n, 20n]);
    expect(q.sql).toBe(
      'SELECT (SELECT MIN(`k`) FROM `t` WHERE `k` >= ?) AS at_or_after, (SELECT MAX(`k`) FROM `t` WHERE `k` < ?) AS before_point' +
        ' UNION ALL SELECT (SELECT MIN(`k`) FROM `t` WHERE `k` >= ?) AS at_or_after, (SELECT MAX(`k`) FROM `t` WHERE `k` < ?) AS before_point',
    );
    expect(q.params).toEqual([10n, 10n, 20n, 20n]);
  });

  it('Given a where or a composite key, When building key probes, Then it throws (the probes would sample other rows than the entity has)', () => {
    expect(() => buildKeyProbes('mysql', { table: 't', key: ['k'], where: 'x = 1' }, [1])).toThrow(/without where/);
    expect(() => buildKeyProbes('mysql', { table: 't', key: ['a', 'b'] }, [1])).toThrow(/single-column/);
  });

  it('Given a fraction of one, When sampling, Then no sampling clause is used', () => {
    expect(buildSample('postgres', { table: 't', key: ['k'] }, 1, 10).sql).toBe('SELECT "k" FROM (SELECT "k" FROM "t" LIMIT 10) s ORDER BY "k"');
  });

  it('Given a single key on PostgreSQL, When reading by keys, Then one array parameter with = ANY', () => {
    expect(buildReadByKeys('postgres', { table: 't', key: ['id'] }, [[1], ['9007199254740993']])).toEqual({
      sql: 'SELECT * FROM "t" WHERE "id" = ANY($1)',
      params: [[1, '9007199254740993']],
    });
  });

  it('Given a composite key on PostgreSQL, When reading by keys, Then a row IN list', () => {
    const q = buildReadByKeys('postgres', { table: 't', key: ['a', 'b'], where: 'x' }, [[1, 2], [3, 4]]);
    expect(q.sql).toBe('SELECT * FROM "t" WHERE ("a", "b") IN (($1, $2), ($3, $4)) AND (x)');
    expect(q.params).toEqual([1, 2, 3, 4]);
  });

  it('Given a single key on MySQL, When reading by keys, Then an IN list of placeholders', () => {
    expect(buildReadByKeys('mysql', { table: 't', key: ['id'] }, [[1], [2]]).sql).toBe('SELECT * FROM `t` WHERE `id` IN (?, ?)');
  });

  it('Given a composite key on MySQL, When reading by keys, Then parenthesised OR-expanded equalities', () => {
    const q = buildReadByKeys('mysql', { table: 't', key: ['a', 'b'] }, [[1, 2], [3, 4]]);
    expect(q.sql).toBe('SELECT * FROM `t` WHERE ((`a` = ? AND `b` = ?) OR (`a` = ? AND `b` = ?))');
  });

  it('Given no keys, When reading by keys, Then it throws', () => {
    expect(() => buildReadByKeys('mysql', { table: 't', key: ['id'] }, [])).toThrow(/at least one key/);
  });
});
