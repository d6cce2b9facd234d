/**
 * `migrate cutover` driving real consumer processes (examples/orders-consumer) through shadow →
 * canary 10 % → reads: a worker process runs the cutover workflow, `migrate flags serve` serves the
 * routing the cutover publishes, the apps report through `migrate consumer ingest`, and the
 * operator's commands (dry run, start, resume, approve — a stale one refused) are the CLI's.
 *
 * Seeded: orders 1..60 in the legacy table and, identical, in the new service.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { eventually, writeTestPlan } from '../support/harness.js';
import { SAMPLE_ORDERS_ENTITY_YAML, type OrdersConsumer } from '../support/ordersConsumers.js';
import { runMigrate, startWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { startRoutedConsumers, type RoutedConsumers } from '../support/routedConsumers.js';
import type { CutoverProgress } from '../../src/workflows/cutoverWorkflow.js';

const PLAN = 'orders-cutover-e2e';
const ENTITY_YAML = SAMPLE_ORDERS_ENTITY_YAML(`      - cutover:
          consumers: [reporting, billing]
          stages:
            - { name: shadow, reads: shadow, gate: { maxMismatchRate: 0.1, minSamples: 50 } }
            - { name: canary, reads: { new: 10 }, consumers: [reporting], gate: { minSamples: 1 } }
            - { name: reads, reads: new, gate: { approval: true } }
`);

let dbs: TestDatabases;
let service: FulfillmentService;
let worker: WorkerProcess | undefined;
let consumers: RoutedConsumers | undefined;
let apps: OrdersConsumer[] = [];
let planFile: string;
const env = { MIGRATE_ACTOR: 'e2e-operator' };

beforeAll(async () => {
  dbs = await createTestDatabases('cutovercli');
  const legacy = new pg.Client({ connectionString: dbs.pgUrl });
  await legacy.connect();
  await legacy.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)');
  await legacy.query(`insert into orders select g, 'paid', g * 100, 'user' || g || '@example.com' from generate_series(1, 60) g`);
  await legacy.end();
  service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, schema: 'svc_cutover' });
  for (let id = 1; id <= 60; id++) await service.putItem('orders', { id, status: 'paid', total: id * 100, email: `user${id}@example.com` });
  planFile = writeTestPlan({ name: PLAN, sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ENTITY_YAML }).file;
  worker = startWorkerProcess(planFile, env, 'cutover-e2e');
  await worker.ready;
});

afterAll(async () => {
  await consumers?.stop();
  await worker?.kill('SIGTERM');
  await service?.close();
  await dbs?.drop();
});

const cli = (...args: string[]) => runMigrate(['--plan', planFile, 'cutover', '--entity', 'orders', ...args], env);

async function progress(): Promise<CutoverProgress> {
  const r = await cli('--detach', '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CutoverProgress;
}

/** Every app reads orders 1..60 and flushes its report. */
async function readAll(): Promise<void> {
  for (const app of apps) {
    for (let id = 1; id <= 60; id++) expect((await fetch(`${app.url}/orders/${id}`)).status).toBe(200);
    expect((await fetch(`${app.url}/admin/flush`, { method: 'POST' })).status).toBe(200);
  }
}

/**
 * Traffic until the cutover reaches `step` at `stage`: an inconclusive gate (it may be evaluated
 * before the reads arrive) is resumed from the command line, which evaluates it again.
 */
async function driveTo(stage: string, step: string): Promise<CutoverProgress> {
  return eventually(async () => {
    await readAll();
    const p = await progress();
    if (p.step === 'paused' && p.paused?.by === 'gate') expect((await cli('--resume')).code).toBe(0);
    return p.stage === stage && p.step === step && p;
  }, 120_000, 1_000);
}

describe('migrate cutover with consumer processes', () => {
  it('Given two consumers of orders, when the operator runs the cutover, then it goes shadow → canary 10 % → reads, the consumers follow each epoch, a stale approval is refused and the right one completes it', async () => {
    const dry = await cli('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('[shadow] publish: publish epoch 1: reads reporting shadow, billing shadow; writes legacy');
    expect(dry.stdout).toContain('[canary] publish: publish epoch 2: reads reporting new 10%, billing shadow; writes legacy');
    expect(dry.stdout).toContain('[reads] approval: a person approves: `migrate cutover --entity orders --approve --stage reads --epoch 3`');

    const start = await cli('--detach');
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain('orders: cutover started');
    // Printed at once: before or just after the first publish.
    expect(start.stdout).toMatch(/^orders: cutover (before the first stage · epoch 0|stage shadow \(1\/3\) · epoch 1) · /);

    // The apps read routing the cutover published, served by flags serve, and report through ingest.
    consumers = await startRoutedConsumers(planFile, env, {
      names: ['reporting', 'billing'],
      legacyUrl: dbs.pgUrl,
      serviceUrl: service.url,
      appEnv: { POLL_MS: '200', REPORT_EVERY_MS: '300', RECHECK_MS: '50' },
    });
    apps = consumers.apps;

    const approval = await driveTo('reads', 'approval');
    expect(approval).toMatchObject({ epoch: 3, reads: { reporting: 'new', billing: 'new' }, writes: 'legacy', next: 'migrate cutover --entity orders --approve --stage reads --epoch 3' });
    const events = approval.events.map((e) => e.text);
    for (const e of ['stage shadow published', 'gate of stage shadow passed', 'stage canary published', 'gate of stage canary passed', 'stage reads published', 'gate of stage reads passed']) expect(events).toContain(e);
    // The canary routed 10 % of reporting's keys to the new service: its reads there counted at epoch 2.
    const canaryRouting = await runMigrate(['--plan', planFile, 'flags', 'show', 'orders', '--epoch', '2'], env);
    expect(canaryRouting.stdout).toMatch(/reporting\s+new 10%/);

    const stale = await cli('--approve', '--stage', 'canary', '--epoch', '2');
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('refused: stale approval: it names stage canary at epoch 2, the cutover waits for stage reads at epoch 3');

    const ok = await cli('--approve', '--stage', 'reads', '--epoch', '3', '--reason', 'canary clean');
    expect(ok.code, ok.stderr).toBe(0);
    const done = await eventually(async () => {
      const p = await progress();
      return p.step === 'complete' && p;
    }, 60_000, 500);
    expect(done.epoch).toBe(3);

    // Both apps apply epoch 3 and now read from the new service.
    const report = await runMigrate(['--plan', planFile, 'consumer', 'report', '--entity', 'orders', '--json'], env);
    const acks = (JSON.parse(report.stdout) as { acks: { consumer: string; epoch: number }[] }).acks;
    expect(acks.map((a) => [a.consumer, a.epoch])).toEqual([
      ['billing', 3],
      ['reporting', 3],
    ]);
    const audit = await runMigrate(['--plan', planFile, 'audit', '--entity', 'orders', '--json'], env);
    const actions = (JSON.parse(audit.stdout) as { action: string; actor: string }[]).map((a) => a.action);
    expect(actions.filter((a) => a === 'routing.publish')).toHaveLength(3);
    expect(actions).toContain('cutover.approve');
    const status = await runMigrate(['--plan', planFile, 'status'], env);
    expect(status.stdout).toContain('cutover stage reads (3/3) · epoch 3 · complete');
  });
});
