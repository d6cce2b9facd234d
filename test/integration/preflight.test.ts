/**
 * `migrate plan --check` against real PostgreSQL and MariaDB tables and the reference service:
 * every mismatch found in one run, each with its fix, and the exit code that fits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentError, UserError } from '../../src/errors.js';
import { loadPlanFile } from '../../src/plan/load.js';
import { preflightError, runPreflight, type PreflightDeps } from '../../src/plan/preflight.js';
import { openSource } from '../../src/sources/index.js';
import { createTargetClient } from '../../src/service/client.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/server.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'preflight-token-x81';
const deps: PreflightDeps = { openSource, createTarget: createTargetClient };

let dbs: TestDatabases;
let service: FulfillmentService;
let closedPort: number;
const dir = mkdtempSync(path.join(tmpdir(), 'preflight-'));

/** A free port with nothing listening on it. */
async function closedLocalPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Same tables on both databases: customers is right, orders has no unique key, shipments is absent. */
const TABLES = {
  postgres: [
    'create table customers (id bigint primary key, email text not null, full_name text, updated_at timestamptz not null default now())',
    'create table orders (id bigint not null, customer_id bigint not null, total_cents integer not null, updated_at timestamptz not null default now())',
    'create index orders_id on orders (id)',
    "insert into customers (id, email, full_name) select g, 'c' || g || '@example.com', 'C ' || g from generate_series(1, 25) g",
    'insert into orders (id, customer_id, total_cents) select g, 1 + g % 25, g * 100 from generate_series(1, 40) g',
  ],
  mysql: [
    'create table customers (id bigint primary key, email varchar(200) not null, full_name varchar(200), updated_at timestamp(3) not null default current_timestamp(3))',
    'create table orders (id bigint not null, customer_id bigint not null, total_cents int not null, updated_at timestamp(3) not null default current_timestamp(3), key orders_id (id))',
    "insert into customers (id, email, full_name) select seq, concat('c', seq, '@example.com'), concat('C ', seq) from seq_1_to_25",
    'insert into orders (id, customer_id, total_cents) select seq, 1 + seq % 25, seq * 100 from seq_1_to_40',
  ],
};

/** A plan over `sourceUrl`; `broken` adds the missing column, the missing table and the unreachable target. */
function writePlan(name: string, sourceUrl: string, broken: boolean): string {
  const text = `version: 1
name: preflight-${name}
state: { url: "${sourceUrl}" }
sources:
  legacy: { url: "${sourceUrl}" }
targets:
  svc:
    baseUrl: "${service.url}"
    headers: { Authorization: "Bearer \${SVC_TOKEN}" }
  down: { baseUrl: "http://127.0.0.1:${closedPort}", timeout: 2s }
entities:
  customers:
    source: { db: legacy, table: customers, key: [id], updatedAt: updated_at }
    target:
      service: svc
      write: { path: "/v1/customers:batchUpsert", batch: 100 }
      read: { path: "/v1/customers:batchGet", batch: 100 }
    map:
      id: id
      email: email
      name: full_name
${broken ? '      phone: phone\n' : ''}    phases:
      - backfill: { flag: customers.backfill }
${broken ? `  orders:
    dependsOn: [customers]
    source: { db: legacy, table: orders, key: [id], updatedAt: updated_at }
    target:
      service: svc
      write: { path: "/v1/orders:batchUpsert", batch: 100 }
      read: { path: "/v1/orders:batchGet", batch: 100 }
    map: { id: id, customerId: customer_id, total: total_cents }
    phases:
      - backfill: { flag: orders.backfill }
  shipments:
    source: { db: legacy, table: shipments, key: [id] }
    target:
      service: down
      write: { path: "/v1/shipments:batchUpsert", batch: 100 }
      read: { path: "/v1/shipments:batchGet", batch: 100 }
    map: { id: id }
    phases:
      - backfill: { flag: shipments.backfill }
` : ''}`;
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

function migrate(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/migrate.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dbs = await createTestDatabases('preflight');
  const pgc = new pg.Client({ connectionString: dbs.pgUrl });
  await pgc.connect();
  for (const sql of TABLES.postgres) await pgc.query(sql);
  await pgc.query('analyze');
  await pgc.end();
  const my = await mysql.createConnection(dbs.mysqlUrl);
  for (const sql of TABLES.mysql) await my.query(sql);
  await my.end();
  service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, token: TOKEN, schema: 'preflight_svc' });
  closedPort = await closedLocalPort();
});

afterAll(async () => {
  await service?.close();
  await dbs?.drop();
});

describe('migrate plan --check on PostgreSQL', () => {
  it('Given a missing column, a non-unique key, a missing table and an unreachable target, When checked through the binary, Then all four are reported in one run with fixes and it exits 3', async () => {
    const file = writePlan('pg-broken', dbs.pgUrl, true);
    const r = await migrate(['plan', '--plan', file, '--check'], { SVC_TOKEN: TOKEN });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: preflight found 4 problems; some systems could not be reached or used');
    expect(r.stderr).toMatch(/targets\.down\.baseUrl: .*could not be reached.*\n    hint: check that the service is running/);
    expect(r.stderr).toMatch(/entities\.customers\.map\.phone: mapped \(phone\) column "phone" does not exist in table customers\n    hint: columns of customers: id, email, full_name, updated_at/);
    expect(r.stderr).toMatch(/entities\.orders\.source\.key: key \(id\) is not unique in orders: .*\n    hint: use a unique key of the table as source\.key, or add one: CREATE UNIQUE INDEX orders_tracer_key ON orders \(id\)/);
    expect(r.stderr).toMatch(/entities\.shipments\.source\.table: table shipments does not exist in source "legacy"\n    hint: fix entities\.shipments\.source\.table/);
    expect(r.stdout).toContain('customers: legacy.customers ~25 rows, key unique; svc read endpoint ok');
  });

  it('Given only plan mismatches (everything reachable), When checked, Then the error is a UserError (exit 2)', async () => {
    const loaded = await loadPlanFile(writePlan('pg-mismatch', dbs.pgUrl, true), { SVC_TOKEN: TOKEN });
    delete (loaded.plan.entities as Record<string, unknown>).shipments;
    loaded.plan.entities.customers!.source.where = 'archived_at IS NULL';
    const report = await runPreflight(loaded, deps);
    expect(report.problems.map((p) => p.path).sort()).toEqual(['entities.customers.map.phone', 'entities.customers.source.where', 'entities.orders.source.key']);
    expect(report.problems.find((p) => p.path === 'entities.customers.source.where')!.message).toContain('the filter does not run on customers');
    expect(preflightError(report)).toBeInstanceOf(UserError);
  });

  it('Given a plan that matches the database and service, When checked through the binary, Then it exits 0 with exact row counts', async () => {
    const r = await migrate(['plan', '--plan', writePlan('pg-good', dbs.pgUrl, false), '--check', '--json'], { SVC_TOKEN: TOKEN });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.check).toMatchObject({ ok: true, problems: [], entities: [{ entity: 'customers', exists: true, keyUnique: true, estimatedRows: 25, targetReachable: true }] });
  });

  it('Given a bigint column mapped as: number, When checked, Then it passes with a warning that names the field and the exact cast to use', async () => {
    const file = writePlan('pg-asnum', dbs.pgUrl, false);
    writeFileSync(file, readFileSync(file, 'utf8').replace('      id: id\n', '      id: { from: id, as: number }\n'));
    const report = await runPreflight(await loadPlanFile(file, { SVC_TOKEN: TOKEN }), deps);
    expect(report.ok).toBe(true);
    expect(report.warnings.map((w) => [w.path, w.hint])).toEqual([['entities.customers.map.id', 'use as: integer (exact) instead of as: number']]);
    expect(report.warnings[0]!.message).toContain('column "id" is bigint');
  });

  it('Given a wrong token, When checked, Then the refusal is an environment problem naming the headers', async () => {
    const report = await runPreflight(await loadPlanFile(writePlan('pg-badtoken', dbs.pgUrl, false), { SVC_TOKEN: 'wrong-token-xyz' }), deps);
    expect(report.problems).toMatchObject([{ kind: 'environment', path: 'targets.svc.headers', message: 'target "svc" refused the credentials (HTTP 401)' }]);
  });
});

describe('migrate plan --check on MariaDB', () => {
  it('Given a missing column, a non-unique key, a missing table and an unreachable target, When checked, Then all four come in one EnvironmentError', async () => {
    const loaded = await loadPlanFile(writePlan('my-broken', dbs.mysqlUrl, true), { SVC_TOKEN: TOKEN });
    const report = await runPreflight(loaded, deps);
    const error = preflightError(report);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error!.exitCode).toBe(3);
    expect(report.problems.map((p) => [p.kind, p.path])).toEqual([
      ['environment', 'targets.down.baseUrl'],
      ['plan', 'entities.customers.map.phone'],
      ['plan', 'entities.orders.source.key'],
      ['plan', 'entities.shipments.source.table'],
    ]);
    expect(report.problems.every((p) => p.hint)).toBe(true);
    expect(report.sources).toEqual([{ name: 'legacy', url: dbs.mysqlUrl.replace(/\/$/, ''), reachable: true, dialect: 'mysql' }]);
  });

  it('Given a matching plan, When checked, Then it is ok with the row count', async () => {
    const report = await runPreflight(await loadPlanFile(writePlan('my-good', dbs.mysqlUrl, false), { SVC_TOKEN: TOKEN }), deps);
    expect(report.problems).toEqual([]);
    expect(report.entities[0]).toMatchObject({ exists: true, keyUnique: true, estimatedRows: 25, targetReachable: true });
    expect(report.warnings).toEqual([]);
  });

  it('Given ?decimalNumbers=true&dateStrings=false in the source URL, When checked, Then it passes with a warning naming both options and the fix, and a DECIMAL still reads as its exact text', async () => {
    const url = `${dbs.mysqlUrl}?decimalNumbers=true&dateStrings=false`;
    const report = await runPreflight(await loadPlanFile(writePlan('my-opts', url, false), { SVC_TOKEN: TOKEN }), deps);
    expect(report.ok).toBe(true);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]!.message).toContain('decimalNumbers, dateStrings');
    expect(report.warnings[0]!.hint).toBe('remove decimalNumbers=…, dateStrings=… from sources.legacy.url');
    const db = await openSource(url, 1);
    try {
      const source = { db: 'legacy', table: 'exact_decimals', key: ['id'] };
      const my = await mysql.createConnection(dbs.mysqlUrl);
      await my.query('create table exact_decimals (id int primary key, d decimal(30,20), at datetime(6))');
      await my.query("insert into exact_decimals values (1, 1234567890.12345678901234567890, '2024-01-15 10:11:12.000001')");
      await my.end();
      const page = await db.readPage(source as never, {}, 10);
      expect(page.rows[0]).toEqual({ id: 1, d: '1234567890.12345678901234567890', at: '2024-01-15T10:11:12.000001' });
    } finally {
      await db.close();
    }
  });
});

describe.each(['postgres', 'mysql'] as const)('migrate plan --check of a sync by updatedAt on %s', (engine) => {
  /** The good plan with a sync by updatedAt over `column`. */
  function cursorPlan(name: string, column: string): string {
    const file = writePlan(name, engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl, false);
    const text = readFileSync(file, 'utf8')
      .replace('updatedAt: updated_at }', `updatedAt: ${column} }`)
      .replace('      - backfill: { flag: customers.backfill }\n', '      - backfill: { flag: customers.backfill }\n      - sync: { capture: updatedAt, flag: customers.sync }\n');
    writeFileSync(file, text);
    return file;
  }

  it('Given source.updatedAt naming a text column, When checked, Then the problem names the field, its type and the fix', async () => {
    const report = await runPreflight(await loadPlanFile(cursorPlan(`${engine}-cursor-text`, 'email'), { SVC_TOKEN: TOKEN }), deps);
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: 'plan',
        path: 'entities.customers.source.updatedAt',
        message: expect.stringMatching(/^column "email" has type (text|varchar), but sync with capture: updatedAt needs a date-time column/),
        hint: 'name a date-time column that every write sets, or use `capture: triggers`',
      }),
    ]);
  });

  it('Given source.updatedAt naming the timestamp column, When checked, Then there is no problem', async () => {
    const report = await runPreflight(await loadPlanFile(cursorPlan(`${engine}-cursor-ok`, 'updated_at'), { SVC_TOKEN: TOKEN }), deps);
    expect(report.problems).toEqual([]);
  });
});
