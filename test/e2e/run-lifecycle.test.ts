/**
 * `migrate run` drives the plan: customers (backfill, verify) and orders (depends on customers;
 * capture, backfill, forward sync, verify, cutover shadow → reads with approval → writes, retire)
 * on real services, with two sample consumer apps under load once the cutover publishes its first
 * routing. The operator only answers what the run asks for, with the commands it names: the
 * approval of the reads stage and retire. The customers backfill is run by hand first, and the run
 * picks up from there instead of starting it again.
 *
 * PostgreSQL legacy; the reference service with its change feed; a worker in the test process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../../bench/history/loadgen.js';
import { checkDirectories } from '../../bench/history/run.js';
import { formatReport } from '../../bench/history/checker.js';
import { legacyOrdersTruth, serviceOrdersTruth, valuesJson } from '../../bench/history/truth.js';
import { cutoverProgress } from '../../src/ops/cutover.js';
import { runProgress } from '../../src/ops/run.js';
import type { RunProgress } from '../../src/workflows/lifecycleWorkflow.js';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { runMigrate } from '../support/processes.js';
import { startRoutedConsumers, type RoutedConsumers } from '../support/routedConsumers.js';

const TOKEN = 'svc-token-run';
const KEYS = Array.from({ length: 40 }, (_, k) => k + 1);
const ENTITIES_YAML = `  customers:
    source: { db: legacy, table: customers, key: [id] }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/customers:batchUpsert", batch: 50 }
      read: { method: POST, path: "/v1/customers:batchGet", batch: 50 }
      list: { path: /v1/customers }
    map:
      id: id
      name: name
    phases:
      - backfill: { batchSize: 50, partitions: 1, flag: customers.backfill }
      - verify: { maxMismatchRate: 0 }
  orders:
    dependsOn: [customers]
    source: { db: legacy, table: orders, key: [id] }
    target:
      service: fulfillment
      write: { method: POST, path: "/v1/orders:batchUpsert", batch: 50 }
      read: { method: POST, path: "/v1/orders:batchGet", batch: 50 }
      list: { path: /v1/orders }
      delete: { method: POST, path: "/v1/orders:batchDelete", batch: 50 }
      changes: { path: "/v1/orders:changes", limit: 50, overlap: 1s }
    map:
      id: id
      status: status
      total: { from: total_cents, as: integer }
      email: { from: email, sensitive: true }
    phases:
      - backfill: { batchSize: 50, partitions: 1, flag: orders.backfill }
      - sync: { capture: triggers, batchSize: 50, poll: 200ms, flag: orders.sync }
      - verify: { recheckAfter: 2s, recheckRounds: 3, maxMismatchRate: 0 }
      - cutover:
          consumers: [reporting, billing]
          stages:
            - { name: shadow, reads: shadow, gate: { maxMismatchRate: 0.2, minSamples: 20 } }
            - { name: reads, reads: new, gate: { approval: true } }
            - { name: writes, writes: new }
`;

let stack: LiveStack;
let consumers: RoutedConsumers | undefined;
let historyDir: string;
const env = { MIGRATE_ACTOR: 'e2e-operator' };

beforeAll(async () => {
  stack = await startLiveStack({
    label: 'runlife',
    engine: 'postgres',
    seed: async (url) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('create table customers (id bigint primary key, name text not null)');
      await c.query(`insert into customers select g, 'customer ' || g from generate_series(1, 10) g`);
      await c.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)');
      await c.query(`insert into orders select g, 'paid', g * 100, 'user' || g || '@example.com' from generate_series(1, ${KEYS.length}) g`);
      await c.end();
    },
    service: { token: TOKEN },
    plan: { token: TOKEN, entitiesYaml: ENTITIES_YAML },
  });
  historyDir = mkdtempSync(path.join(tmpdir(), 'tracer-run-history-'));
});

afterAll(async () => {
  await consumers?.stop();
  await stack?.close();
  if (historyDir) rmSync(historyDir, { recursive: true, force: true });
});

const migrate = (...args: string[]) => runMigrate(['--plan', stack.planFile, ...args], env);

/** The run of `entity` once `test` holds. */
function runUntil(entity: string, test: (p: RunProgress) => boolean, timeoutMs = 240_000): Promise<RunProgress> {
  return eventually(async () => {
    const p = await runProgress(stack.session, entity);
    return p !== undefined && test(p) && p;
  }, timeoutMs, 500);
}

/** Runs a command the run printed as its next step, exactly as printed. */
async function runPrinted(command: string) {
  const [bin, ...args] = command.split(' ');
  expect(bin).toBe('migrate');
  const r = await migrate(...args);
  expect(r.code, `${command}\n${r.stderr}`).toBe(0);
  return r;
}

describe('migrate run drives the whole lifecycle from the plan', () => {
  it('Given customers backfilled by hand and orders depending on customers, when `migrate run --yes` runs and the operator gives only the approval and the retire it asks for, then both entities walk every phase, the hand-run backfill is not repeated, and the history checker finds no acknowledged write lost and no impossible read', async () => {
    const { service, sourceUrl } = stack;

    // The plan says what run would do: customers backfills first, orders waits for it.
    const plan = await migrate('plan');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('   run    `migrate run --entity orders` would:');
    expect(plan.stdout).toContain('            next  capture   install change capture on orders');
    expect(plan.stdout).toContain('            waits for customers to be backfilled');

    const byHand = await migrate('backfill', '--entity', 'customers');
    expect(byHand.code, byHand.stderr).toBe(0);
    const afterHand = await migrate('run', '--dry-run');
    expect(afterHand.stdout).toMatch(/customers:\n {3}run {4}`migrate run --entity customers` would:\n {12}done {2}backfill\n {12}next {2}verify/);

    const before = legacyOrdersTruth(sourceUrl);
    writeFileSync(path.join(historyDir, 'initial.json'), valuesJson(await before.readAll!()));
    await before.close();

    // When: the plan drives.
    const start = await migrate('run', '--yes', '--detach');
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain('customers: run started (audited as e2e-operator)');
    expect(start.stderr).toContain('orders: run started (audited as e2e-operator)');

    const customersDone = await runUntil('customers', (p) => p.step === 'done', 120_000);
    expect(customersDone.steps.map((s) => [s.name, s.state])).toEqual([
      ['backfill', 'done'],
      ['verify', 'done'],
    ]);

    // The apps start from the cutover's first routing, as an operator would start them.
    await runUntil('orders', (p) => p.step === 'cutover');
    await eventually(async () => ((await cutoverProgress(stack.session, 'orders'))?.epoch ?? 0) >= 1, 60_000, 500);
    consumers = await startRoutedConsumers(stack.planFile, env, {
      names: ['reporting', 'billing'],
      legacyUrl: sourceUrl,
      serviceUrl: service.url,
      historyDir,
      appEnv: { FULFILLMENT_TOKEN: TOKEN, POLL_MS: '200', REPORT_EVERY_MS: '300', RECHECK_MS: '1500' },
    });
    const load = startLoad({ apps: consumers.apps.map((a) => a.url), keys: KEYS, workersPerApp: 1, ratePerSecond: 20, timeoutMs: 10_000 });

    // The run stops where a person must decide and names the command; an inconclusive gate is resumed.
    const approval = await eventually(async () => {
      const p = await runProgress(stack.session, 'orders');
      if (p?.needsPerson && p.next?.endsWith('--resume')) await runPrinted(p.next);
      return p?.needsPerson === true && p.next?.includes('--approve') === true && p;
    }, 240_000, 1_000);
    expect(approval.step).toBe('cutover');
    expect(approval.next).toMatch(/^migrate cutover --entity orders --approve --stage reads --epoch \d+$/);
    expect(approval.waitingFor[0]).toMatch(/^cutover at approval of stage reads, epoch \d+: approval of stage reads at epoch \d+$/);
    // Attached again, `migrate run` shows where the cutover is and stops following at once: only a person can move it on.
    const attached = await migrate('run', '--entity', 'orders');
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain('orders: run at cutover (waiting)');
    expect(attached.stdout).toMatch(/\n {2}cutover stage reads \(2\/3\) · epoch \d+ · approval/);
    expect(attached.stdout).toContain(`  next: ${approval.next}`);
    expect(attached.stderr).toContain('Stopped following: every run is done or waits for a person');
    await runPrinted(approval.next!);

    const retire = await runUntil('orders', (p) => p.step === 'retire' && p.needsPerson);
    expect(retire.next).toBe('migrate retire --entity orders');
    const result = await load.stop();
    expect(result.writes.ok).toBeGreaterThan(0);
    // Retire is refused until every app acknowledged the final epoch; then it goes through.
    await eventually(async () => (await migrate('retire', '--entity', 'orders', '--yes')).code === 0, 60_000, 1_000);
    await consumers.stop();
    consumers = undefined;

    const done = await runUntil('orders', (p) => p.step === 'done', 60_000);
    expect(done.steps.map((s) => [s.name, s.state])).toEqual([
      ['capture', 'done'],
      ['backfill', 'done'],
      ['sync', 'done'],
      ['verify', 'done'],
      ['cutover', 'done'],
      ['retire', 'done'],
    ]);

    // Then: the hand-run backfill was not started again, and status shows orders retired by the run.
    const audit = JSON.parse((await migrate('audit', '--json')).stdout) as { entity?: string; action: string; detail?: { by?: string } }[];
    expect(audit.filter((a) => a.entity === 'customers' && a.action === 'backfill.requested')).toHaveLength(1);
    expect(audit.filter((a) => a.entity === 'orders' && a.action === 'backfill.requested').map((a) => a.detail?.by)).toEqual(['migrate run']);
    const status = await migrate('status');
    expect(status.stdout).toMatch(/orders: retired.* · run done/);

    const truth = serviceOrdersTruth(service.url, { token: TOKEN });
    const check = await checkDirectories({ dirs: [historyDir], truth, windowMs: 10_000, jepsenPath: false });
    await truth.close();
    const report = formatReport(check.report);
    expect(check.report.operations.writes.ok, report).toBe(result.writes.ok);
    expect(check.report.lost.count, report).toBe(0);
    expect(check.report.impossible, report).toMatchObject({ reads: 0, finals: 0 });
  }, 600_000);
});
