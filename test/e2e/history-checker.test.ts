/**
 * The history checker over real consumer processes: three sample apps (examples/orders-consumer)
 * with TRACER_HISTORY_DIR set read and write orders through the consumer library against
 * PostgreSQL and the reference service (writes dual; reads legacy, shadow and new), driven by
 * bench/history/loadgen.ts, then `npm run history:check` reads their histories and the final
 * legacy table.
 *
 * Seeded: orders 1..30 (status 'paid', version 0) in both stores. Each key has one writer (a
 * worker of one app) writing v1, v2, … one at a time; every worker reads any key.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { runLoad } from '../../bench/history/loadgen.js';
import type { CheckDirectoriesResult } from '../../bench/history/run.js';
import { buildRoutingDocument } from '../../src/flags/routing.js';
import { listen, type Listening } from '../../src/ops/listen.js';
import { createTestDatabases, runSql, type TestDatabases } from '../support/databases.js';
import { writeTestPlan } from '../support/harness.js';
import { SAMPLE_ORDERS_ENTITY_YAML, startOrdersConsumers, type OrdersConsumer } from '../support/ordersConsumers.js';
import { runMigrate, runNode, stopProcess, type RunResult } from '../support/processes.js';

const ENTITY_YAML = SAMPLE_ORDERS_ENTITY_YAML(`      - verify: { recheckAfter: 2s }
`);
const CONSUMERS = ['reporting', 'support-ui', 'billing'] as const;
const KEYS = 30;

let dbs: TestDatabases;
let service: FulfillmentService;
/** A second service for the MariaDB run, so its items do not mix with the PostgreSQL runs'. */
let serviceForMysql: FulfillmentService;
let reports: Listening;
let historyDir: string;
const apps: OrdersConsumer[] = [];
let routingFile: string;
let rulesFile: string;
/** The last version each key was written with (or attempted), carried from run to run. */
let lastWritten = new Map<number, number>();
const KEY_IDS = Array.from({ length: KEYS }, (_, k) => k + 1);
const tempDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
};

/** `npm run history:check -- …` as a process (through tsx, as the npm script runs it). */
const historyCheck = (args: string[]): Promise<RunResult> => runNode(['--import', 'tsx', 'bench/history/cli.ts', ...args], {});

beforeAll(async () => {
  dbs = await createTestDatabases('historycheck');
  const legacy = new pg.Client({ connectionString: dbs.pgUrl });
  await legacy.connect();
  await legacy.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)');
  await legacy.query(`insert into orders select g, 'paid', g * 100, 'user' || g || '@example.com' from generate_series(1, ${KEYS}) g`);
  await legacy.end();
  service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, schema: 'svc_history' });
  for (let id = 1; id <= KEYS; id++) await service.putItem('orders', { id, status: 'paid', total: id * 100, email: `user${id}@example.com` });
  await runSql('mysql', dbs.mysqlUrl, 'create table orders (id bigint primary key, status varchar(64) not null, total_cents bigint not null, email varchar(255) not null)');
  for (let id = 1; id <= KEYS; id++) await runSql('mysql', dbs.mysqlUrl, 'insert into orders values (?, ?, ?, ?)', [id, 'paid', id * 100, `user${id}@example.com`]);
  serviceForMysql = await startFulfillmentService({ databaseUrl: dbs.pgUrl, schema: 'svc_history_mysql' });
  for (let id = 1; id <= KEYS; id++) await serviceForMysql.putItem('orders', { id, status: 'paid', total: id * 100, email: `user${id}@example.com` });
  // Reports are not this test's subject: a sink that accepts them.
  reports = await listen(
    http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    }),
    0,
    '127.0.0.1',
  );
  historyDir = tempDir('tracer-history-e2e-');

  const plan = writeTestPlan({ name: 'orders-history', sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ENTITY_YAML });
  rulesFile = path.join(plan.dir, 'orders.rules.json');
  const rules = await runMigrate(['consumer', 'rules', '--plan', plan.file, '--entity', 'orders', '--out', rulesFile], {});
  expect(rules.code, rules.stderr).toBe(0);
  routingFile = path.join(plan.dir, 'orders.routing.json');
  writeFileSync(routingFile, JSON.stringify(buildRoutingDocument({ plan: 'orders-history', entity: 'orders', epoch: 1, reads: { reporting: 'legacy', 'support-ui': 'shadow', billing: 'new' }, writes: 'dual' })));
});

/** Starts the three apps recording into `dir`. */
async function startApps(dir: string, env: NodeJS.ProcessEnv = {}, stores = { legacyUrl: dbs.pgUrl, serviceUrl: service.url }): Promise<OrdersConsumer[]> {
  const started = await startOrdersConsumers(CONSUMERS, {
    ...stores,
    routing: routingFile,
    reportUrl: `${reports.url}/v1/consumer-reports`,
    rulesFile,
    dir: tempDir('tracer-history-e2e-failures-'),
    historyDir: dir,
    env: { RECHECK_MS: '50', ...env },
  });
  apps.push(...started);
  return started;
}

/** Publishes a routing document with this epoch and writes route, and waits until every app applied it. */
async function publish(running: OrdersConsumer[], epoch: number, writes: 'dual' | 'fenced'): Promise<void> {
  writeFileSync(routingFile, JSON.stringify(buildRoutingDocument({ plan: 'orders-history', entity: 'orders', epoch, reads: { reporting: 'legacy', 'support-ui': 'shadow', billing: 'new' }, writes })));
  for (const app of running) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const health = (await (await fetch(`${app.url}/healthz`)).json()) as { epoch: number | null };
      if (health.epoch === epoch) break;
      if (Date.now() > deadline) throw new Error(`${app.name} did not apply epoch ${epoch} within 30 s (at ${health.epoch})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function snapshotInitial(dir: string, legacyUrl = dbs.pgUrl): Promise<void> {
  const snapshot = await historyCheck(['snapshot', dir, '--truth', 'legacy', '--legacy-url', legacyUrl]);
  expect(snapshot.code, snapshot.stderr).toBe(0);
  expect(snapshot.stdout).toContain(`wrote ${KEYS} values from legacy table orders`);
}

afterAll(async () => {
  for (const a of apps) await stopProcess(a);
  await reports?.close();
  await service?.close();
  await serviceForMysql?.close();
  await dbs?.drop();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

describe('history checker over three consumer processes', () => {
  it('given three sample apps recording their operations under dual writes, when the checker reads their histories and the final legacy table, then it reports 0 lost writes, 0 impossible reads and a PASS', async () => {
    await snapshotInitial(historyDir);
    const running = await startApps(historyDir);

    // 6 workers × 45 operations, every third a write: 90 writes (3 per key), 180 reads.
    const load = await runLoad({ apps: running.map((a) => a.url), keys: KEY_IDS, opsPerWorker: 45 });
    expect(load.writes).toEqual({ ok: 90, failed: 0, unknown: 0 });
    expect(load.reads).toEqual({ ok: 180, failed: 0 });
    lastWritten = load.versions;
    // SIGTERM: each app closes its consumer and its recorder, which writes what it buffered.
    for (const a of running) await stopProcess(a);
    expect(readdirSync(historyDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(3);

    // Each app reads one store, and each store is linearizable per key: reads must also be monotonic here.
    const check = await historyCheck([historyDir, '--truth', 'legacy', '--legacy-url', dbs.pgUrl, '--window', '5s', '--require-monotonic-reads', '--json']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const result = JSON.parse(check.stdout) as CheckDirectoriesResult;
    expect(result.report.operations).toEqual({ reads: { ok: 180, fail: 0, unknown: 0 }, writes: { ok: 90, fail: 0, unknown: 0 } });
    expect(result.report.processes).toBe(3);
    expect(result.report.keys).toBe(KEYS);
    expect(result.report.lost.count).toBe(0);
    expect(result.report.impossible).toMatchObject({ reads: 0, finals: 0 });
    expect(result.report.stale.count).toBe(0);
    expect(result.report.stale.maxStalenessMs).toBeLessThanOrEqual(5000);
    expect(result.report.nonMonotonic.count).toBe(0);
    expect(result.report.ok).toBe(true);
    expect(result.history.incomplete).toBe(0);

    // Dual writes kept the new service in step: read as the truth, it gives the same verdict.
    const viaService = await historyCheck([historyDir, '--truth', 'service', '--service-url', service.url, '--window', '5s', '--no-jepsen']);
    expect(viaService.code, viaService.stdout + viaService.stderr).toBe(0);
    expect(viaService.stdout).toContain('truth: new service /v1/orders');
    expect(viaService.stdout).toContain('lost acknowledged writes: 0\n');

    // The Jepsen export: the initial state's transaction, then an invoke and a completion per operation.
    const jepsen = JSON.parse(readFileSync(path.join(historyDir, 'history.jepsen.json'), 'utf8')) as { type: string; f: string; index: number }[];
    expect(jepsen).toHaveLength(2 + 2 * 270);
    expect(jepsen.map((o) => o.index)).toEqual(jepsen.map((_, i) => i));
    expect(new Set(jepsen.map((o) => o.type))).toEqual(new Set(['invoke', 'ok']));
  });

  it('given the same histories, when the last acknowledged write of a key is undone in the legacy table behind the apps’ back, then the checker reports that one write lost and fails', async () => {
    const [id, v] = [...lastWritten.entries()].find(([, version]) => version >= 2)!;
    const setVersion = (version: number) => runSql('postgres', dbs.pgUrl, `update orders set status = $2, total_cents = $3 where id = $1`, [id, `v${version}`, id * 100 + version]);
    // Back to the version before: exactly what that write had written, so only the last write is missing.
    await setVersion(v - 1);
    try {
      const check = await historyCheck([historyDir, '--truth', 'legacy', '--legacy-url', dbs.pgUrl, '--window', '5s', '--no-jepsen']);
      expect(check.code, check.stderr).toBe(1);
      expect(check.stdout).toContain('lost acknowledged writes: 1\n');
      expect(check.stdout).toContain(`  lost: key ${id} v${v} acknowledged to `);
      expect(check.stdout).toContain('verdict: FAIL');
    } finally {
      // The new service still holds v; the next runs start from stores that agree.
      await setVersion(v);
    }
  });

  it('given a second run from where the first left off, when one app is SIGKILLed under load, then the checker still finds 0 lost and 0 impossible (what the victim had not flushed counts as unknown)', async () => {
    const dir = tempDir('tracer-history-e2e-kill-');
    await snapshotInitial(dir);
    const running = await startApps(dir);
    const victim = running[0]!;
    let killed = false;
    const load = await runLoad({
      apps: running.map((a) => a.url),
      keys: KEY_IDS,
      opsPerWorker: 60,
      versions: lastWritten,
      timeoutMs: 5000,
      onOperation(done) {
        if (done === 60 && !killed) {
          killed = true;
          victim.child.kill('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    lastWritten = load.versions;
    // The victim's writes after the kill reached nobody, or may have: unknown either way.
    expect(load.writes.unknown).toBeGreaterThan(0);
    for (const a of running) await stopProcess(a);
    expect(victim.child.signalCode).toBe('SIGKILL');

    const check = await historyCheck([dir, '--truth', 'legacy', '--legacy-url', dbs.pgUrl, '--window', '5s', '--json']);
    const result = JSON.parse(check.stdout) as CheckDirectoriesResult;
    expect(result.report.processes).toBe(3);
    expect(result.report.lost.count).toBe(0);
    expect(result.report.impossible).toMatchObject({ reads: 0, finals: 0 });
    expect(result.report.inputProblems).toEqual([]);
    expect(result.report.ok).toBe(true);
    expect(check.code).toBe(0);
  });

  it('given writes fenced for a while (rejected before touching a store), when the checker reads the histories, then those writes are failed, none of their versions is ever read or final, and the verdict is PASS', async () => {
    const dir = tempDir('tracer-history-e2e-fence-');
    await snapshotInitial(dir);
    const running = await startApps(dir, { POLL_MS: '100' });
    const urls = running.map((a) => a.url);
    const before = await runLoad({ apps: urls, keys: KEY_IDS, opsPerWorker: 9, versions: lastWritten });
    await publish(running, 2, 'fenced');
    const fenced = await runLoad({ apps: urls, keys: KEY_IDS, opsPerWorker: 9, versions: before.versions });
    await publish(running, 3, 'dual');
    const dual = await runLoad({ apps: urls, keys: KEY_IDS, opsPerWorker: 9, versions: fenced.versions });
    lastWritten = dual.versions;
    // 6 workers × 3 writes per phase: every fenced write answered 503, the others 200.
    expect([before.writes, fenced.writes, dual.writes]).toEqual([
      { ok: 18, failed: 0, unknown: 0 },
      { ok: 0, failed: 18, unknown: 0 },
      { ok: 18, failed: 0, unknown: 0 },
    ]);
    for (const a of running) await stopProcess(a);

    const check = await historyCheck([dir, '--truth', 'legacy', '--legacy-url', dbs.pgUrl, '--window', '5s', '--require-monotonic-reads', '--json']);
    const result = JSON.parse(check.stdout) as CheckDirectoriesResult;
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(result.report.operations.writes).toEqual({ ok: 36, fail: 18, unknown: 0 });
    expect(result.report.lost.count).toBe(0);
    expect(result.report.impossible).toMatchObject({ reads: 0, finals: 0 });
    expect(result.report.ok).toBe(true);
  });
});

describe('history checker with MariaDB as the legacy store', () => {
  it('given three sample apps on a MariaDB legacy table under dual writes, when the checker reads their histories and the final MariaDB table, then it reports 0 lost writes, 0 impossible reads and a PASS', async () => {
    const dir = tempDir('tracer-history-e2e-mysql-');
    await snapshotInitial(dir, dbs.mysqlUrl);
    const running = await startApps(dir, {}, { legacyUrl: dbs.mysqlUrl, serviceUrl: serviceForMysql.url });
    const load = await runLoad({ apps: running.map((a) => a.url), keys: KEY_IDS, opsPerWorker: 45 });
    expect(load.writes).toEqual({ ok: 90, failed: 0, unknown: 0 });
    for (const a of running) await stopProcess(a);

    const check = await historyCheck([dir, '--truth', 'legacy', '--legacy-url', dbs.mysqlUrl, '--window', '5s', '--require-monotonic-reads', '--json']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const result = JSON.parse(check.stdout) as CheckDirectoriesResult;
    expect(result.report.operations).toEqual({ reads: { ok: 180, fail: 0, unknown: 0 }, writes: { ok: 90, fail: 0, unknown: 0 } });
    expect(result.report.lost.count).toBe(0);
    expect(result.report.impossible).toMatchObject({ reads: 0, finals: 0 });
    expect(result.report.ok).toBe(true);
    // What the checker read as the truth: every key at its third (last) version.
    const my = await mysql.createConnection({ uri: dbs.mysqlUrl });
    const [rows] = await my.query('select id, status from orders order by id');
    await my.end();
    expect(Object.fromEntries((rows as { id: number; status: string }[]).map((r) => [Number(r.id), r.status]))).toEqual(Object.fromEntries(KEY_IDS.map((id) => [id, 'v3'])));
  });
});
