/**
 * A plain REST service (json-server 0.17, with a middleware refusing items titled "bogus") behind a
 * MySQL legacy whose key column is case-insensitive: a row the service refuses fails alone into the
 * failure log, once; a key whose case changed in the legacy leaves the old item behind in the
 * service, which verification reports as an extra (the source "finds" it case-insensitively, the
 * keys differ exactly) and a confirmed repair deletes, while the new spelling is re-pushed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { REJECTING_MIDDLEWARE, startJsonServer, type JsonServer } from '../support/jsonServer.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { runRepair, startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';
import { runMigrate } from '../support/processes.js';

const CODES = Array.from({ length: 20 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);

const ENTITY = `  codes:
    source: { db: legacy, table: codes, key: [code] }
    target:
      service: fulfillment
      key: [id]
      rest:
        create: { path: /codes }
        update: { path: "/codes/{key}" }
        read: { path: "/codes/{key}" }
        readMany: { path: /codes, param: id }
        list: { path: /codes, pageParam: _page, limitParam: _limit }
    map:
      id: code
      title: title
    phases:
      - backfill: { batchSize: 10, partitions: 1, flag: codes.backfill }
      - verify: { recheckAfter: 1s, recheckRounds: 1, maxMismatchRate: 0 }
`;

describe('REST target behind a case-insensitive MySQL key', () => {
  let dbs: TestDatabases;
  let js: JsonServer;
  let worker: RunningWorker;
  let session: Session;
  let sql: mysql.Connection;
  let planFile: string;

  beforeAll(async () => {
    dbs = await createTestDatabases('restci');
    sql = await mysql.createConnection(dbs.mysqlUrl);
    await sql.query('create table codes (code varchar(16) collate utf8mb4_general_ci not null primary key, title varchar(64) not null)');
    await sql.query('insert into codes (code, title) values ?', [[...CODES.map((c) => [c, `Title ${c}`]), ['c99', 'bogus']]]);
    js = await startJsonServer({ collections: ['codes'], middlewares: [REJECTING_MIDDLEWARE], log: true });
    const { file } = writeTestPlan({ sourceUrl: dbs.mysqlUrl, stateUrl: dbs.pgUrl, serviceUrl: js.url, entitiesYaml: ENTITY });
    planFile = file;
    const loaded = await loadTestPlan(file);
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
  });

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await sql?.end();
    await js?.stop();
    await dbs?.drop();
  });

  it('Given the plan, when `migrate plan --check` runs, then the write path is proven by OPTIONS alone, what it cannot check is said, and nothing is written', async () => {
    const r = await runMigrate(['plan', '--check', '--plan', planFile], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('write path allowed, nothing written: POST /codes, PUT /codes/{key}');
    expect(r.stdout).toContain('not checked: whether the service accepts the mapped items (field names and types) is not checked without writing one');
    // json-server answers OPTIONS in its CORS middleware, ahead of its request log: the log shows the read probe only.
    expect(js.requests().map((x) => x.method)).toEqual(['GET']);
    expect(await js.all('codes')).toEqual([]);
  });

  it('Given a row the service refuses with 422, when backfilled, then the sweep completes, that row alone is in the failure log with the reason, and it was sent once', async () => {
    const { handle } = await startBackfill(session, 'codes', 'test');
    expect(await handle.result()).toMatchObject({ kind: 'backfill', done: 21, failures: 1 });
    const store = await session.resources.stateStore();
    const failures = await store.listFailures(session.loaded.plan.name, 'codes');
    expect(failures.map((f) => [f.key, f.status])).toEqual([[['c99'], 422]]);
    expect(failures[0]!.error).toContain('title "bogus" is not allowed');
    expect(js.requests().filter((r) => r.path === '/codes/c99')).toEqual([{ method: 'PUT', path: '/codes/c99', status: 422 }]);
    expect((await js.all('codes')).length).toBe(20);
  });

  it('Given a key whose case changed in the legacy, when verified, then the new spelling is missing and the old item is an extra, and a confirmed repair re-pushes one and deletes the other', async () => {
    await sql.query("delete from codes where code = 'c99'");
    await sql.query("update codes set code = 'C05' where code = 'c05'");

    const first = await startVerify(session, 'codes', 'test');
    const { report } = await verifyOutcome(session, first.handle);
    expect(report.report.totals).toMatchObject({ compared: 20, missing: 1, different: 0, extra: 1, persistent: 2 });
    const store = await session.resources.stateStore();
    const page = await store.listVerifyEntries(session.loaded.plan.name, 'codes', `verify/${first.run}`, { state: 'persistent', limit: 10 });
    expect(page.entries.map((x) => [x.class, x.key]).sort()).toEqual([
      ['extra', ['c05']],
      ['missing', ['C05']],
    ]);

    const repaired = await runRepair(session, 'codes', 'test-operator', { run: first.run, reportId: report.id, report: report.report });
    expect(repaired.result).toMatchObject({ repaired: 1, deleted: 1, failures: 0 });
    expect(await js.get('codes', 'C05')).toEqual({ id: 'C05', title: 'Title c05' });
    expect(await js.get('codes', 'c05')).toBeUndefined();

    const again = await startVerify(session, 'codes', 'test');
    expect((await verifyOutcome(session, again.handle)).report.report).toMatchObject({ passed: true, totals: { compared: 20, persistent: 0, extra: 0 } });
  });
});
