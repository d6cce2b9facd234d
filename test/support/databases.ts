/**
 * A fresh PostgreSQL database and a fresh MariaDB database per test file, so files can run in
 * parallel and leave nothing behind. Call `createTestDatabases` in beforeAll and `drop` in afterAll.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { PG_ADMIN_URL, MYSQL_ADMIN_URL } from './env.js';

export interface TestDatabases {
  name: string;
  pgUrl: string;
  mysqlUrl: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createTestDatabases(label: string): Promise<TestDatabases> {
  const name = `t_${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const pgc = new pg.Client({ connectionString: PG_ADMIN_URL });
  await pgc.connect();
  await pgc.query(`create database "${name}"`);
  await pgc.end();
  const my = await mysql.createConnection(MYSQL_ADMIN_URL);
  await my.query(`create database \`${name}\``);
  await my.end();
  return {
    name,
    pgUrl: withDatabase(PG_ADMIN_URL, name),
    mysqlUrl: withDatabase(MYSQL_ADMIN_URL, name),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      // pg's Pool.end() resolves before its sockets have closed: forcing the drop at once would send
      // "terminating connection" to clients still ending, an error nobody listens for any more.
      // Give them up to 2 s to leave, then force whatever is left.
      for (let i = 0; i < 40; i++) {
        const { rows } = await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (rows[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
      const m = await mysql.createConnection(MYSQL_ADMIN_URL);
      await m.query(`drop database if exists \`${name}\``);
      await m.end();
    },
  };
}

/** Runs one statement on a test database as an application would (its own connection, autocommit). */
export async function runSql(engine: 'postgres' | 'mysql', url: string, sql: string, params: unknown[] = []): Promise<void> {
  if (engine === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(sql, params).finally(() => c.end());
  } else {
    const c = await mysql.createConnection({ uri: url });
    await c.query(sql, params).finally(() => c.end());
  }
}
