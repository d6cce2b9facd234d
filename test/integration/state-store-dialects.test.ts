/**
 * What the state store must do alike on both engines beyond its own suite: adopt a store made by the
 * pre-kysely build, run on a store that a newer build migrated further, and order failures the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { EnvironmentError } from '../../src/errors.js';
import { openStateStore } from '../../src/state/index.js';
import { postgres } from '../../src/state/dialects.js';
import { migrations } from '../../src/state/migrations/index.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';

let legacyDbs: TestDatabases;
let aheadDbs: TestDatabases;
let divergedDbs: TestDatabases;
let orderDbs: TestDatabases;

beforeAll(async () => {
  [legacyDbs, aheadDbs, divergedDbs, orderDbs] = await Promise.all([
    createTestDatabases('statelegacy'),
    createTestDatabases('stateahead'),
    createTestDatabases('statediverged'),
    createTestDatabases('stateorder'),
  ]);
});

afterAll(async () => {
  await Promise.all([legacyDbs?.drop(), aheadDbs?.drop(), divergedDbs?.drop(), orderDbs?.drop()]);
});

type Dialect = 'postgres' | 'mysql';

/** This build's migrations, in order (the list grows as tables are added). */
const KNOWN = Object.keys(migrations(postgres.ddl)).sort();

/** Runs statements directly and returns the last one's rows. */
async function exec(dialect: Dialect, url: string, statements: string[]): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = [];
  if (dialect === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    for (const s of statements) rows = (await c.query(s)).rows;
    await c.end();
    return rows;
  }
  const c = await mysql.createConnection(url);
  for (const s of statements) rows = (await c.query(s))[0] as Record<string, unknown>[];
  await c.end();
  return rows;
}

describe.each([
  { dialect: 'postgres' as const, url: (d: TestDatabases) => d.pgUrl, time: 'timestamptz not null default now()' },
  { dialect: 'mysql' as const, url: (d: TestDatabases) => d.mysqlUrl, time: 'datetime(6) not null' },
])('state store on $dialect, beyond its own suite', ({ dialect, url, time }) => {
  it('Given a store made by the pre-kysely build (versions 1-3 by number), when migrate() runs, then it keeps its data, names the three migrations and still answers max(version) = 3', async () => {
    const u = url(legacyDbs);
    const first = await openStateStore(u);
    await first.setFlag('p', 'orders.backfill', true, 'alice');
    await first.close();
    // Put back the version table exactly as the pre-kysely build left it.
    await exec(dialect, u, [
      'drop table migrate_schema_version',
      `create table migrate_schema_version (version integer primary key, description varchar(255) not null, applied_at ${time})`,
      `insert into migrate_schema_version (version, description, applied_at) values
         (1, 'flags, audit, checkpoints, failures, reports', '2026-01-01 00:00:00'),
         (2, 'checkpoints keep the mismatch tally of verification sweeps', '2026-01-02 00:00:00'),
         (3, 'verification re-check queue', '2026-01-03 00:00:00')`,
    ]);

    const store = await openStateStore(u);
    try {
      expect((await store.getFlag('p', 'orders.backfill'))?.enabled).toBe(true);
      const versions = await exec(dialect, u, ['select name, version from migrate_schema_version order by version']);
      expect(versions.slice(0, 3).map((r) => [r.name, Number(r.version)])).toEqual([
        ['0001_initial_tables', 1],
        ['0002_checkpoint_mismatches', 2],
        ['0003_verify_entries', 3],
      ]);
      // Later migrations are then applied as on any store; one row per known migration, numbered as
      // its name says (numbers are assigned ahead, so a build may lack some in between).
      expect(versions.map((r) => r.name)).toEqual(KNOWN);
      expect(versions.map((r) => Number(r.version))).toEqual(KNOWN.map((name) => Number(name.slice(0, 4))));
      // What a pre-kysely worker reads at start to decide that nothing is left for it to apply (it knew 3).
      const [max] = await exec(dialect, u, ['select max(version) as v from migrate_schema_version']);
      expect(Number(max?.v)).toBeGreaterThanOrEqual(3);
      const leftovers = await exec(dialect, u, [
        dialect === 'postgres'
          ? `select tablename as t from pg_tables where tablename like 'migrate_schema_version_%'`
          : `select table_name as t from information_schema.tables where table_schema = database() and table_name like 'migrate_schema_version_%'`,
      ]);
      expect(leftovers).toEqual([]);
      await store.migrate();
      expect(Number((await exec(dialect, u, ['select count(*) as n from migrate_schema_version']))[0]?.n)).toBe(KNOWN.length);
    } finally {
      await store.close();
    }
  });

  it('Given a store a newer build migrated further, when this build opens it, then it runs on the schema as it is', async () => {
    const u = url(aheadDbs);
    await (await openStateStore(u)).close();
    await exec(dialect, u, [
      `create table migrate_from_the_future (entity varchar(100) primary key, document text not null)`,
      `insert into migrate_schema_version (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00.000Z')`,
    ]);
    const store = await openStateStore(u);
    try {
      await store.setFlag('p', 'customers.backfill', false, 'bob', 'paused');
      expect((await store.getFlag('p', 'customers.backfill'))?.updatedBy).toBe('bob');
      const names = await exec(dialect, u, ['select name from migrate_schema_version order by name']);
      expect(names.map((r) => r.name)).toEqual([...KNOWN, '9999_from_the_future']);
    } finally {
      await store.close();
    }
  });

  it('Given a store with a migration this build does not know and without one it knows, when opened, then an EnvironmentError names both', async () => {
    const u = url(divergedDbs);
    await (await openStateStore(u)).close();
    await exec(dialect, u, [
      `delete from migrate_schema_version where name = '0003_verify_entries'`,
      `insert into migrate_schema_version (name, timestamp) values ('0003_other_branch', '2027-01-01T00:00:00.000Z')`,
    ]);
    const err = await openStateStore(u).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toContain('0003_other_branch');
    expect((err as Error).message).toContain('0003_verify_entries');
  });

  it('Given failures recorded in one call, when listed, then they come in code-point order of the key text, as on the other engine', async () => {
    const store = await openStateStore(url(orderDbs));
    try {
      const keys = [['b'], [9], ['é'], ['B'], [10], ['a']];
      await store.recordFailures(keys.map((key) => ({ plan: 'p', entity: 'order', key, status: 422, error: 'x' })));
      // Key texts ["B"] < ["a"] < ["b"] < ["é"] < [10] < [9]: '"' is 0x22, '1' 0x31, '9' 0x39, 'B' before 'a'.
      expect((await store.listFailures('p', 'order')).map((f) => f.key)).toEqual([['B'], ['a'], ['b'], ['é'], [10], [9]]);
    } finally {
      await store.close();
    }
  });
});
