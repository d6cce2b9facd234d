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

  it('Given 600,000 dense ids split into 4, When each range is estimated as planSweep does, Then each is 150,000 within 20% and the total 600,000 within 15%', async () => {
    const ranges = await source.splitKeySpace(src('dense'), 4);
    expect(ranges).toHaveLength(4);
    const estimates = await Promise.all(ranges.map((r) => source.estimateRows(src('dense'), r)));
    for (const e of estimates) {
      expect(e).toBeGreaterThanOrEqual(120_000);
      expect(e).toBeLessThanOrEqual(180_000);
    }
    const total = estimates.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(510_000);
    expect(total).toBeLessThanOrEqual(690_000);
  });

  it('Given 450,000 dense ids and 150,000 spread far above them, When split into 4 and estimated, Then each range is 150,000 within 20%', async () => {
    const ranges = await source.splitKeySpace(src('skewed'), 4);
    expect(ranges).toHaveLength(4);
    const estimates = await Promise.all(ranges.map((r) => source.estimateRows(src('skewed'), r)));
    for (const e of estimates) {
      expect(e).toBeGreaterThanOrEqual(120_000);
      expect(e).toBeLessThanOrEqual(180_000);
    }
  });
});
