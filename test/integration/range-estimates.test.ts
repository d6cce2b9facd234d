/**
 * Partition estimates are the totals of a backfill's and a verification's progress: planSweep splits
 * the key space and asks for each range's estimate. On MySQL/MariaDB the optimizer's range estimate
 * never exceeds half the table, so every quarter of a large table used to come back as about half of
 * it and progress ended at 50%. Tables here are larger than the exact-count limit per partition, so
 * the estimates, not counts, are what is checked; expected figures are the rows actually inserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { openSource } from '../../src/sources/index.js';
import { createMysqlPool, MysqlSource } from '../../src/sources/mysql.js';
import type { SourceDb } from '../../src/sources/types.js';
import type { SourceConfig } from '../../src/plan/schema.js';

type Dialect = 'postgres' | 'mysql';

/** 600,000 rows: ids 1..600000 in `dense`; in `skewed` 450,000 dense ids and 150,000 spread a million apart. */
const ROWS = 600_000;
const DIGITS = '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
const NUMBERS = `SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d + 1 AS n FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} e, ${DIGITS} f, ${DIGITS} g`;

const src = (table: string): SourceConfig => ({ db: 'legacy', table, key: ['id'] }) as SourceConfig;

describe.each<Dialect>(['mysql', 'postgres'])('%s partition estimates', (dialect) => {
  let dbs: TestDatabases;
  let source: SourceDb;

  beforeAll(async () => {
    dbs = await createTestDatabases(`estimates${dialect}`);
    const million = dialect === 'postgres' ? 'CAST(1000000 AS bigint)' : '1000000';
    const statements = [
      'CREATE TABLE dense (id bigint PRIMARY KEY, v int NOT NULL)',
      'CREATE TABLE skewed (id bigint PRIMARY KEY, v int NOT NULL)',
      `INSERT INTO dense (id, v) SELECT n, 0 FROM (${NUMBERS}) x WHERE n <= ${ROWS}`,
      `INSERT INTO skewed (id, v) SELECT CASE WHEN n <= 450000 THEN n ELSE (n - 450000) * ${million} END, 0 FROM (${NUMBERS}) x WHERE n <= ${ROWS}`,
      // Statistics as a table that has been live for a while has them.
      dialect === 'mysql' ? 'ANALYZE TABLE dense, skewed' : 'ANALYZE dense, skewed',
    ];
    if (dialect === 'mysql') {
      const c = await mysql.createConnection(dbs.mysqlUrl);
      for (const sql of statements) await c.query(sql);
      await c.end();
    } else {
      const c = new pg.Client({ connectionString: dbs.pgUrl });
      await c.connect();
      for (const sql of statements) await c.query(sql);
      await c.end();
    }
    source = await openSource(dialect === 'mysql' ? dbs.mysqlUrl : dbs.pgUrl, 2);
  }, 120_000);

  afterAll(async () => {
    await source?.close();
    await dbs?.drop();
  });

  /** Splits into 4 and estimates each range as planSweep does; each must be 150,000 within 20%. */
  async function quarterEstimates(table: string): Promise<number[]> {
    const ranges = await source.splitKeySpace(src(table), 4);
    expect(ranges).toHaveLength(4);
    const estimates = await Promise.all(ranges.map((r) => source.estimateRows(src(table), r)));
    for (const e of estimates) {
      expect(e).toBeGreaterThanOrEqual(120_000);
      expect(e).toBeLessThanOrEqual(180_000);
    }
    return estimates;
  }

  it('Given 600,000 dense ids split into 4, When each range is estimated as planSweep does, Then each is 150,000 within 20% and the total 600,000 within 15%', async () => {
    const estimates = await quarterEstimates('dense');
    const total = estimates.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(510_000);
    expect(total).toBeLessThanOrEqual(690_000);
  });

  it('Given 450,000 dense ids and 150,000 spread far above them, When split into 4 and estimated, Then each range is 150,000 within 20%', async () => {
    await quarterEstimates('skewed');
  });
});

describe('mysql split of a large integer key', () => {
  let dbs: TestDatabases;
  let source: MysqlSource;
  const statements: string[] = [];

  beforeAll(async () => {
    dbs = await createTestDatabases('probesplit');
    const c = await mysql.createConnection(dbs.mysqlUrl);
    await c.query('CREATE TABLE dense (id bigint PRIMARY KEY, v int NOT NULL)');
    await c.query(`INSERT INTO dense (id, v) SELECT n, 0 FROM (${NUMBERS}) x WHERE n <= ${ROWS}`);
    // 300,000 ids 1..300000, then 300,000 more on every third id up to 1,200,000: half the key space
    // holds rows, so it is probed, but the bottom quarter holds half the rows.
    await c.query('CREATE TABLE halfdense (id bigint PRIMARY KEY, v int NOT NULL)');
    await c.query(`INSERT INTO halfdense (id, v) SELECT CASE WHEN n <= 300000 THEN n ELSE 300000 + (n - 300000) * 3 END, 0 FROM (${NUMBERS}) x WHERE n <= ${ROWS}`);
    await c.query('ANALYZE TABLE dense, halfdense');
    await c.end();
    const pool = createMysqlPool(dbs.mysqlUrl, 2);
    // Every statement the source sends, to tell a probe split from a scan.
    const query = pool.query.bind(pool) as (sql: string, values?: unknown) => Promise<unknown>;
    (pool as unknown as { query: typeof query }).query = (sql, values) => (statements.push(sql), query(sql, values));
    source = new MysqlSource(pool);
  }, 120_000);

  afterAll(async () => {
    await source?.close();
    await dbs?.drop();
  });

  it('Given 600,000 dense ids, When split into 4, Then even ranges come back and no statement reads every row (index probes, no RAND() scan)', async () => {
    statements.length = 0;
    const ranges = await source.splitKeySpace(src('dense'), 4);
    expect(ranges).toEqual([{ upTo: [150000] }, { after: [150000], upTo: [300000] }, { after: [300000], upTo: [450000] }, { after: [450000] }]);
    expect(statements.some((s) => s.includes('MIN(`id`) FROM `dense` WHERE `id` >= ?'))).toBe(true);
    expect(statements.some((s) => s.includes('RAND()'))).toBe(false);
  });

  it('Given half the rows in the bottom quarter of the key space, When split into 4, Then the skew is seen and every partition holds 150,000 rows within 25%', async () => {
    statements.length = 0;
    const ranges = await source.splitKeySpace(src('halfdense'), 4);
    expect(ranges).toHaveLength(4);
    // Probed first, then sampled by scan for the quantiles.
    expect(statements.some((s) => s.includes('MIN(`id`) FROM `halfdense`'))).toBe(true);
    expect(statements.some((s) => s.includes('RAND()'))).toBe(true);
    const c = await mysql.createConnection(dbs.mysqlUrl);
    try {
      for (const r of ranges) {
        const [[row]] = (await c.query('SELECT COUNT(*) AS n FROM halfdense WHERE id > ? AND id <= ?', [r.after?.[0] ?? 0, r.upTo?.[0] ?? 2_000_000])) as unknown as [{ n: number }[]];
        expect(Number(row!.n)).toBeGreaterThanOrEqual(112_500);
        expect(Number(row!.n)).toBeLessThanOrEqual(187_500);
      }
    } finally {
      await c.end();
    }
  });
});
