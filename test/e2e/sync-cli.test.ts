/**
 * `migrate sync` as an operator runs it: the capture DDL is shown before anything changes, nothing
 * happens without a terminal or --yes, install and uninstall are audited, and sync refuses to start
 * before capture exists — each hint names a command that works.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { writeTestPlan } from '../support/harness.js';
import { runMigrate } from '../support/processes.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';

const ENTITY_YAML = ORDERS_ENTITY_YAML({ batch: 100, partitions: 1 })
  .replace('      list: { path: /v1/orders }', '      list: { path: /v1/orders }\n      delete: { method: POST, path: "/v1/orders:batchDelete", batch: 100 }')
  .replace('      - verify:', '      - sync: { capture: triggers, flag: orders.sync }\n      - verify:');

describe('migrate sync on the command line', () => {
  let dbs: TestDatabases;
  let planFile: string;
  const env = { MIGRATE_ACTOR: 'e2e-operator' };
  const triggers = async () => {
    const c = new pg.Client({ connectionString: dbs.pgUrl });
    await c.connect();
    try {
      return (await c.query(`select tgname from pg_trigger where not tgisinternal order by 1`)).rows.map((r: { tgname: string }) => r.tgname);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dbs = await createTestDatabases('synccli');
    await seedOrdersPg(dbs.pgUrl, 10);
    planFile = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: 'http://127.0.0.1:9', entitiesYaml: ENTITY_YAML }).file;
  });

  afterAll(async () => {
    await dbs?.drop();
  });

  it('Given no capture, when sync starts, then it exits 2 before changing anything and names the install command', async () => {
    const r = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--no-wait-for-worker'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('change capture is not installed on orders');
    expect(r.stderr).toContain('migrate sync --entity orders --install');
    const audit = await runMigrate(['--plan', planFile, 'audit', '--json'], env);
    expect(audit.stdout).not.toContain('sync.start');
  });

  it('Given --install --dry-run, when it runs, then it prints the DDL and installs nothing', async () => {
    const r = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--install', '--dry-run'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('CREATE TABLE "tracer_orders_changes" AS SELECT "id" FROM "orders" WITH NO DATA');
    expect(r.stderr).toContain('CREATE TRIGGER "tracer_orders_capture" AFTER INSERT OR UPDATE OR DELETE ON "orders"');
    expect(r.stdout).toContain('dry run: nothing changed');
    expect(await triggers()).toEqual([]);
  });

  it('Given --install without a terminal and without --yes, when it runs, then it refuses with exit 2 and installs nothing', async () => {
    const r = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--install'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Pass --yes');
    expect(await triggers()).toEqual([]);
  });

  it('Given --install --yes, when it runs, then the trigger exists, the install is audited, and --capture-status reports it', async () => {
    const r = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--install', '--yes', '--reason', 'sync for cutover'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await triggers()).toEqual(['tracer_orders_capture']);
    const audit = await runMigrate(['--plan', planFile, 'audit', '--json'], env);
    const entries = JSON.parse(audit.stdout) as { action: string; actor: string; reason?: string }[];
    expect(entries.find((e) => e.action === 'sync.capture.install')).toMatchObject({ actor: 'e2e-operator', reason: 'sync for cutover' });
    const status = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--capture-status', '--json'], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: { installed: true }, lag: { pending: 0 }, syncRunning: false });
  });

  it('Given capture installed and changes waiting with sync not running, when --capture-status runs, then it warns with commands that start sync or remove capture', async () => {
    const c = new pg.Client({ connectionString: dbs.pgUrl });
    await c.connect();
    await c.query(`update orders set status = 'PAID' where id <= 3`);
    await c.end();
    const r = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--capture-status'], env);
    expect(r.stdout).toContain('3 changes wait');
    expect(r.stderr).toContain('`migrate sync --entity orders`');
    expect(r.stderr).toContain('`migrate sync --entity orders --uninstall`');
  });

  it('Given the same 3 changes waiting and sync never started, when migrate status runs, then it shows the lag and warns with the command that starts sync', async () => {
    const json = await runMigrate(['--plan', planFile, '--json', 'status'], env);
    expect(json.code, json.stderr).toBe(0);
    const orders = (JSON.parse(json.stdout) as { entities: { entity: string; sync?: Record<string, unknown> }[] }).entities.find((e) => e.entity === 'orders')!;
    expect(orders.sync).toMatchObject({ state: 'not-started', changes: 0, captureInstalled: true, lag: { pending: 3 }, next: 'migrate sync --entity orders' });
    const plain = await runMigrate(['--plan', planFile, 'status'], env);
    expect(plain.stdout + plain.stderr).toMatch(/sync not started · 0 applied · lag 3 pending, oldest \d+(ms|s|m \d+s) · capture still records changes: run migrate sync --entity orders/);
  });

  it('Given the same 3 changes waiting, when migrate plan runs, then it shows the sync line under orders and the JSON document carries the sync state', async () => {
    const text = await runMigrate(['--plan', planFile, 'plan'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/ {3}now {4}sync not started · 0 applied · lag 3 pending, oldest \S+ · capture still records changes: run migrate sync --entity orders/);
    const json = await runMigrate(['--plan', planFile, '--json', 'plan'], env);
    const orders = (JSON.parse(json.stdout) as { entities: { name: string; sync?: unknown }[] }).entities.find((e) => e.name === 'orders')!;
    expect(orders.sync).toMatchObject({ state: 'not-started', lag: { pending: 3 }, next: 'migrate sync --entity orders' });
  });

  it('Given capture installed, when --uninstall --yes runs, then the trigger is gone, the dropped changes are counted and it is audited', async () => {
    const r = await runMigrate(['--plan', planFile, 'sync', '--entity', 'orders', '--uninstall', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 unsent changes were dropped');
    expect(await triggers()).toEqual([]);
    const audit = await runMigrate(['--plan', planFile, 'audit', '--json'], env);
    expect(audit.stdout).toContain('sync.capture.uninstall');
  });
});
