/**
 * Trigger-based change capture on real PostgreSQL and MariaDB: what the application's writes leave
 * in the change table, what Tracer's own writes do not, a late commit that must not be skipped, and
 * an uninstall that leaves the catalog exactly as it was.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChangeLog, type ChangeLog } from '../../src/capture/changeLog.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';

interface Db {
  exec(sql: string, params?: unknown[]): Promise<unknown[]>;
  /** A second connection with an explicit transaction, for interleavings. */
  begin(): Promise<{ exec(sql: string, params?: unknown[]): Promise<void>; commit(): Promise<void>; rollback(): Promise<void> }>;
  catalog(): Promise<string[]>;
  close(): Promise<void>;
}

async function pgDb(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    exec: async (sql, params) => (await pool.query(sql, params)).rows,
    async begin() {
      const c = await pool.connect();
      await c.query('BEGIN');
      return {
        exec: async (sql, params) => void (await c.query(sql, params)),
        commit: async () => void (await c.query('COMMIT'), c.release()),
        rollback: async () => void (await c.query('ROLLBACK'), c.release()),
      };
    },
    async catalog() {
      const rows = (
        await pool.query(
          `SELECT 'rel ' || c.relkind::text || ' ' || c.relname AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
           UNION ALL SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public'
           UNION ALL SELECT 'fn ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
           UNION ALL SELECT 'trg ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
        )
      ).rows as { o: string }[];
      return rows.map((r) => r.o).sort();
    },
    close: () => pool.end(),
  };
}

async function mysqlDb(url: string): Promise<Db> {
  const pool = mysql.createPool({ uri: url, connectionLimit: 4, supportBigNumbers: true, bigNumberStrings: true });
  return {
    exec: async (sql, params) => (await pool.query(sql, params))[0] as unknown[],
    async begin() {
      const c = await pool.getConnection();
      await c.query('START TRANSACTION');
      return {
        exec: async (sql, params) => void (await c.query(sql, params)),
        commit: async () => void (await c.query('COMMIT'), c.release()),
        rollback: async () => void (await c.query('ROLLBACK'), c.release()),
      };
    },
    async catalog() {
      const [rows] = await pool.query(
        `SELECT CONCAT('tab ', TABLE_NAME, ' ', TABLE_TYPE) AS o FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
         UNION ALL SELECT CONCAT('col ', TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE, ' ', COALESCE(COLUMN_DEFAULT, ''), ' ', EXTRA) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
         UNION ALL SELECT CONCAT('trg ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
         UNION ALL SELECT CONCAT('routine ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`,
      );
      return (rows as { o: string }[]).map((r) => r.o).sort();
    },
    close: () => pool.end(),
  };
}

const SOURCE = { table: 'accounts', key: ['region', 'id'] };

describe.each(['postgres', 'mysql'] as const)('change capture on %s', (engine) => {
  let dbs: TestDatabases;
  let db: Db;
  let log: ChangeLog;
  let before: string[];
  const ph = (i: number) => (engine === 'postgres' ? `$${i}` : '?');

  beforeAll(async () => {
    dbs = await createTestDatabases(`cap${engine}`);
    const url = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    db = engine === 'postgres' ? await pgDb(url) : await mysqlDb(url);
    // A composite key with a case-insensitive text part and a bigint beyond 2^53.
    await db.exec(
      engine === 'postgres'
        ? 'create table accounts (region text not null, id bigint not null, name text, primary key (region, id))'
        : 'create table accounts (region varchar(16) collate utf8mb4_general_ci not null, id bigint not null, name text, primary key (region, id))',
    );
    before = await db.catalog();
    log = openChangeLog(url, SOURCE);
    await log.install();
  });

  afterAll(async () => {
    await log?.close();
    await db?.close();
    await dbs?.drop();
  });

  async function drain(): Promise<void> {
    for (let batch = await log.read(1000); batch.length > 0; batch = await log.read(1000)) await log.acknowledge(batch.map((c) => c.position));
  }

  it('Given capture installed, when its state is read, then every object is present and none missing', async () => {
    const state = await log.state();
    expect(state).toMatchObject({ installed: true, partial: false, missing: [] });
    expect(state.present.length).toBe(engine === 'postgres' ? 3 : 4);
  });

  it('Given inserts, an update, a key change and a delete, when changes are read, then each is there in order with its exact key', async () => {
    await drain();
    await db.exec(`insert into accounts (region, id, name) values ('EU', 9007199254740993, 'a'), ('us', 2, 'b')`);
    await db.exec(`update accounts set name = 'c' where id = 2`);
    await db.exec(`update accounts set region = 'ap' where id = 2`);
    await db.exec(`delete from accounts where id = 9007199254740993`);
    const changes = await log.read(100);
    expect(changes.map((c) => [c.op, c.key])).toEqual([
      ['I', ['EU', '9007199254740993']],
      ['I', ['us', 2]],
      ['U', ['us', 2]],
      ['U', ['ap', 2]],
      ['D', ['us', 2]],
      ['D', ['EU', '9007199254740993']],
    ]);
    // Positions are strictly increasing in capture order.
    const positions = changes.map((c) => BigInt(c.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('Given a rolled-back transaction, when changes are read, then it left nothing', async () => {
    await drain();
    const tx = await db.begin();
    await tx.exec(`insert into accounts (region, id, name) values ('EU', 100, 'x')`);
    await tx.rollback();
    expect(await log.read(10)).toEqual([]);
  });

  it("Given a session marked as Tracer's own sync, when it writes, then nothing is captured (no echo)", async () => {
    await drain();
    const tx = await db.begin();
    await tx.exec(engine === 'postgres' ? `SELECT set_config('tracer.origin', 'sync', true)` : `SET @tracer_origin = 'sync'`);
    await tx.exec(`insert into accounts (region, id, name) values ('EU', 200, 'from the service')`);
    // A MySQL user variable outlives the transaction on a pooled connection: reverse sync clears it.
    if (engine === 'mysql') await tx.exec('SET @tracer_origin = NULL');
    await tx.commit();
    expect(await log.read(10)).toEqual([]);
    // The marker is per session: a normal write right after is captured.
    await db.exec(`update accounts set name = 'app' where id = ${ph(1)}`, [200]);
    expect((await log.read(10)).map((c) => c.op)).toEqual(['U']);
  });

  it('Given a transaction that took an earlier position but commits after a later one was acknowledged, when read again, then its change is still delivered', async () => {
    await drain();
    const slow = await db.begin();
    await slow.exec(`insert into accounts (region, id, name) values ('EU', 300, 'slow')`);
    await db.exec(`insert into accounts (region, id, name) values ('EU', 301, 'fast')`);
    const first = await log.read(10);
    expect(first.map((c) => c.key)).toEqual([['EU', 301]]);
    await log.acknowledge(first.map((c) => c.position));
    await slow.commit();
    const second = await log.read(10);
    expect(second.map((c) => [c.op, c.key])).toEqual([['I', ['EU', 300]]]);
    expect(BigInt(second[0]!.position)).toBeLessThan(BigInt(first[0]!.position));
  });

  it('Given unacknowledged changes, when lag is measured, then it counts them and ages the oldest; acknowledged, it is zero', async () => {
    await drain();
    await db.exec(`update accounts set name = 'lag' where region = 'EU'`);
    await new Promise((r) => setTimeout(r, 1100));
    const lag = await log.lag();
    expect(lag.pending).toBe(3);
    expect(lag.oldestSeconds).toBeGreaterThanOrEqual(1);
    await drain();
    expect(await log.lag()).toEqual({ pending: 0, oldestSeconds: 0 });
  });

  it('Given changes captured, when the head is taken and some acknowledged, then pendingUpTo counts only those at or before the head; a change after the head does not count', async () => {
    await drain();
    expect(await log.head()).toBeUndefined();
    await db.exec(`insert into accounts (region, id, name) values ('EU', 500, 'h1'), ('EU', 501, 'h2')`);
    const head = await log.head();
    const captured = await log.read(10);
    expect(head).toBe(captured[1]!.position);
    expect(await log.pendingUpTo(head!)).toBe(2);
    await db.exec(`insert into accounts (region, id, name) values ('EU', 502, 'after the head')`);
    await log.acknowledge([captured[0]!.position]);
    expect(await log.pendingUpTo(head!)).toBe(1);
    await log.acknowledge([captured[1]!.position]);
    expect(await log.pendingUpTo(head!)).toBe(0);
    expect((await log.lag()).pending).toBe(1);
  });

  it('Given capture installed, when it is uninstalled, then the catalog is exactly as before the install and writes still work', async () => {
    await log.uninstall();
    expect(await db.catalog()).toEqual(before);
    expect((await log.state()).installed).toBe(false);
    await db.exec(`insert into accounts (region, id, name) values ('EU', 400, 'after')`);
    // Uninstall twice is harmless (statements are IF EXISTS), and install works again.
    await log.uninstall();
    await log.install();
    expect((await log.state()).installed).toBe(true);
  });
});
