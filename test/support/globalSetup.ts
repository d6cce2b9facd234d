/**
 * Once per test run: check PostgreSQL and MariaDB answer, start a headless Temporal dev server on a
 * free port from the `temporal` CLI (never downloaded), and hand addresses to the tests.
 */
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { findTemporalCli, freePort, startDevServer, type DevServer } from '../../src/temporal/devServer.js';
import { PG_ADMIN_URL, MYSQL_ADMIN_URL } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
    runId: string;
  }
}

let server: DevServer | undefined;

async function checkPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(e as Error).message}).\n` +
        `Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkMysql(): Promise<void> {
  try {
    const conn = await mysql.createConnection(MYSQL_ADMIN_URL);
    await conn.query('select 1');
    await conn.end();
  } catch (e) {
    throw new Error(
      `MariaDB/MySQL is not reachable at ${MYSQL_ADMIN_URL} (${(e as Error).message}).\n` +
        `Start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`,
    );
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await Promise.all([checkPostgres(), checkMysql()]);
  const cli = findTemporalCli(process.env, process.cwd());
  const port = await freePort();
  server = await startDevServer({ cliPath: cli, port });
  project.provide('temporalAddress', server.address);
  project.provide('temporalCli', cli);
  project.provide('runId', `${Date.now().toString(36)}${process.pid.toString(36)}`);
  return async () => {
    await server?.stop();
  };
}
