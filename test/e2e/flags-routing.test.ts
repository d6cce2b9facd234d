/**
 * Routing documents through the CLI: published into the state store (as the cutover will), then
 * exported, listed, shown and served by `migrate flags`, and evaluated by flagd-core from the file
 * the export wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildRoutingDocument, createStateStoreFlagProvider, routingKey, RoutingEvaluator, type FlagProvider, type RoutingStage } from '../../src/flags/index.js';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/types.js';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFlagsServe, startWorkerProcess, type WorkerProcess } from '../support/processes.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/migrate.js');
const PLAN_NAME = 'routing-e2e';

const PLAN = `version: 1
name: ${PLAN_NAME}
state: { url: "\${MIGRATE_STATE_URL}" }
sources:
  legacy: { url: "postgres://postgres@127.0.0.1:5432/test" }
targets:
  svc: { baseUrl: "http://127.0.0.1:9" }
entities:
  orders:
    source: { db: legacy, table: orders, key: [id] }
    target:
      service: svc
      write: { method: POST, path: /v1/orders }
      read: { method: POST, path: /v1/orders:batchGet }
    map: { id: id }
    phases:
      - backfill: { flag: orders.backfill }
  customers:
    source: { db: legacy, table: customers, key: [id] }
    target:
      service: svc
      write: { method: POST, path: /v1/customers }
      read: { method: POST, path: /v1/customers:batchGet }
    map: { id: id }
    phases:
      - backfill: { flag: customers.backfill }
`;

/** Shadow for two consumers, 10 % of keys on new for a third: the contract's example. */
const canary = (epoch: number, percent: number): RoutingStage => ({
  plan: PLAN_NAME,
  entity: 'orders',
  epoch,
  reads: { reporting: 'shadow', 'support-ui': 'shadow', billing: { new: percent } },
  writes: 'legacy',
});

let dbs: TestDatabases;
let dir: string;
let store: StateStore;
let flags: FlagProvider;

beforeAll(async () => {
  dbs = await createTestDatabases('flagsrouting');
  dir = mkdtempSync(path.join(tmpdir(), 'migrate-routing-'));
  writeFileSync(path.join(dir, 'plan.yaml'), PLAN);
  store = await openStateStore(dbs.pgUrl);
  flags = createStateStoreFlagProvider(store, PLAN_NAME);
  await flags.setFlag('orders.backfill', true, { plan: PLAN_NAME, entity: 'orders', actor: 'e2e', reason: 'setup' });
  await flags.publishRouting(buildRoutingDocument({ ...canary(1, 0), reads: {} }), { plan: PLAN_NAME, entity: 'orders', actor: 'e2e', reason: 'all legacy' });
  await flags.publishRouting(buildRoutingDocument(canary(2, 10)), { plan: PLAN_NAME, entity: 'orders', actor: 'e2e-operator', reason: 'canary' });
});

afterAll(async () => {
  await store?.close();
  await dbs?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, MIGRATE_STATE_URL: dbs.pgUrl, MIGRATE_ACTOR: 'e2e-operator', NO_COLOR: '1' });

function migrate(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--plan', path.join(dir, 'plan.yaml'), ...args], { cwd: dir, env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** flagd-core over a file on disk, as an OpenFeature app with a flagd file provider would load it. */
function flagdFromFile(file: string): (key: string, consumer: string) => string {
  const storage = new MemoryStorage({ error() {}, warn() {}, info() {}, debug() {} });
  storage.setConfigurations(readFileSync(file, 'utf8'), true);
  const core = new FlagdCore(storage);
  return (key, consumer) => {
    const r = core.resolveStringEvaluation('orders.reads', 'ERROR', { targetingKey: key, consumer });
    if (r.reason === 'ERROR') throw new Error(r.errorMessage);
    return r.value;
  };
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => i + 1);
const CONSUMERS = ['reporting', 'support-ui', 'billing', 'warehouse'];

describe('migrate flags export --format flagd --entity: the routing document any OpenFeature app can load', () => {
  it('Given shadow for two consumers and 10 % new for billing, when exported to a file, then flagd-core from the file and Tracer route 10,000 keys identically; raising to 20 % keeps every new key', async () => {
    const run = await migrate(['flags', 'export', '--format', 'flagd', '--entity', 'orders']);
    expect(run.code, run.stderr).toBe(0);
    const file10 = path.join(dir, 'orders-10.json');
    writeFileSync(file10, run.stdout);
    const fromFile10 = flagdFromFile(file10);
    const tracer10 = new RoutingEvaluator((await flags.getRouting(PLAN_NAME, 'orders'))!.document);
    expect(tracer10.epoch).toBe(2);

    const disagreements: string[] = [];
    const newAt10 = new Set<number>();
    for (const key of KEYS) {
      for (const consumer of CONSUMERS) {
        const ours = tracer10.read(key, consumer);
        const theirs = fromFile10(routingKey(key), consumer);
        if (ours !== theirs) disagreements.push(`${key}/${consumer}: tracer ${ours}, flagd ${theirs}`);
        // By hand: the two shadow consumers always shadow, a consumer not named always legacy.
        if (consumer === 'reporting' || consumer === 'support-ui') expect(ours).toBe('shadow');
        if (consumer === 'warehouse') expect(ours).toBe('legacy');
        if (consumer === 'billing' && ours === 'new') newAt10.add(key);
      }
    }
    expect(disagreements).toEqual([]);
    expect(newAt10.size).toBeGreaterThan(850);
    expect(newAt10.size).toBeLessThan(1150);

    await flags.publishRouting(buildRoutingDocument(canary(3, 20)), { plan: PLAN_NAME, entity: 'orders', actor: 'e2e-operator', reason: 'canary 20' });
    const again = await migrate(['flags', 'export', '--format', 'flagd', '--entity', 'orders']);
    expect(again.code, again.stderr).toBe(0);
    const file20 = path.join(dir, 'orders-20.json');
    writeFileSync(file20, again.stdout);
    expect(JSON.parse(again.stdout).metadata).toEqual({ tracerPlan: PLAN_NAME, tracerEntity: 'orders', tracerEpoch: 3 });
    const fromFile20 = flagdFromFile(file20);
    const movedBack = [...newAt10].filter((key) => fromFile20(routingKey(key), 'billing') !== 'new');
    expect(movedBack).toEqual([]);
    const newAt20 = KEYS.filter((key) => fromFile20(routingKey(key), 'billing') === 'new').length;
    expect(newAt20).toBeGreaterThan(newAt10.size + 700);
  });

  it('Given an entity with no routing published, when exported alone, then it exits 2 naming the entities that have routing', async () => {
    const run = await migrate(['flags', 'export', '--format', 'flagd', '--entity', 'customers']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no routing document has been published for customers');
    expect(run.stderr).toMatch(/Routing is published for: orders \(epoch \d+\)/);
  });

  it('Given booleans and routing, when everything is exported, then one flagd file holds both, routing flags carrying their epoch', async () => {
    const run = await migrate(['flags', 'export', '--format', 'flagd']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.flags['orders.backfill']).toMatchObject({ variants: { on: true, off: false }, defaultVariant: 'on' });
    expect(doc.flags['customers.backfill']).toMatchObject({ defaultVariant: 'off' });
    expect(doc.flags['orders.reads'].metadata).toMatchObject({ tracerPlan: PLAN_NAME, tracerEntity: 'orders' });
    expect(doc.flags['orders.writes']).toMatchObject({ defaultVariant: 'legacy' });
    const storage = new MemoryStorage({ error() {}, warn() {}, info() {}, debug() {} });
    expect(() => storage.setConfigurations(run.stdout, true)).not.toThrow();
  });
});

describe('migrate flags list and show: routing flags with variants, targeting and epoch', () => {
  it('Given published routing, when flags list --json runs, then each routing flag is listed with its epoch, variants and routes', async () => {
    const run = await migrate(['flags', 'list', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    const epoch = (await flags.getRouting(PLAN_NAME, 'orders'))!.epoch;
    expect(rows).toContainEqual(expect.objectContaining({ name: 'orders.backfill', enabled: true, set: true, entity: 'orders' }));
    expect(rows.find((r) => r.name === 'orders.reads')).toMatchObject({
      kind: 'routing',
      entity: 'orders',
      epoch,
      variants: ['legacy', 'shadow', 'new'],
      defaultVariant: 'legacy',
      routes: { billing: expect.stringMatching(/^new \d+%$/), reporting: 'shadow', 'support-ui': 'shadow', '*': 'legacy' },
      publishedBy: 'e2e-operator',
    });
    expect(rows.find((r) => r.name === 'orders.writes')).toMatchObject({ kind: 'routing', variants: ['legacy', 'dual', 'new', 'fenced'], routes: { '*': 'legacy' } });
  });

  it('Given published routing, when flags list runs for a person, then a routing table follows the flags and the hint is a command that works', async () => {
    const run = await migrate(['flags', 'list']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ROUTING FLAG\s+EPOCH\s+DEFAULT\s+ROUTES/);
    expect(run.stdout).toMatch(/orders\.reads\s+\d+\s+legacy\s+billing new \d+%, reporting shadow, support-ui shadow, others legacy/);
    const hint = /details: migrate (.+)$/m.exec(run.stderr)?.[1];
    expect(hint).toBe('flags show orders');
    const shown = await migrate(hint!.split(' '));
    expect(shown.code, shown.stderr).toBe(0);
  });

  it('Given epochs 1 and 2, when flags show orders --epoch 2 runs, then it prints the epoch, who published it and the route of each consumer', async () => {
    const run = await migrate(['flags', 'show', 'orders', '--epoch', '2']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^orders: routing epoch 2 of plan routing-e2e, published \S+ by e2e-operator$/);
    expect(run.stdout).toContain('orders.reads  variants legacy, shadow, new  default legacy');
    expect(lines).toContain('  billing               new 10%');
    expect(lines).toContain('  reporting             shadow');
    expect(lines).toContain('  every other consumer  legacy');
    expect(run.stdout).toContain('orders.writes  variants legacy, dual, new, fenced  default legacy');
  });

  it('Given a misspelt entity, when flags show runs, then it exits 2 with a did-you-mean', async () => {
    const run = await migrate(['flags', 'show', 'ordres']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('did you mean "orders"');
  });
});

describe('migrate flags serve: routing documents over HTTP', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('Given the server running, when a consumer fetches, then it gets the document in force with its epoch, 304 when unchanged, and never a write', async () => {
    const serve = await startFlagsServe(path.join(dir, 'plan.yaml'), env(), dir);
    child = serve.child;
    const { base } = serve;

    const now = (await flags.getRouting(PLAN_NAME, 'orders'))!;
    const res = await fetch(`${base}/routing/orders`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${now.epoch}"`);
    const served = await res.json();
    expect(served).toEqual(now.document);
    expect(new RoutingEvaluator(served).read(4711, 'billing')).toBe(new RoutingEvaluator(now.document).read(4711, 'billing'));

    expect((await fetch(`${base}/routing/orders`, { headers: { 'If-None-Match': `"${now.epoch}"` } })).status).toBe(304);
    expect((await fetch(`${base}/routing/orders`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${base}/routing/customers`)).status).toBe(404);
    expect(await (await fetch(`${base}/routing`)).json()).toEqual([{ entity: 'orders', epoch: now.epoch, publishedAt: now.publishedAt.toISOString() }]);

    // A publish is served at once: nothing is cached between requests.
    await flags.publishRouting(buildRoutingDocument({ ...canary(now.epoch + 1, 50) }), { plan: PLAN_NAME, entity: 'orders', actor: 'e2e', reason: 'half' });
    const next = await fetch(`${base}/routing/orders`, { headers: { 'If-None-Match': `"${now.epoch}"` } });
    expect(next.status).toBe(200);
    expect((await next.json()).metadata.tracerEpoch).toBe(now.epoch + 1);
    const all = await (await fetch(`${base}/flags.json`)).json();
    expect(all.flags['orders.reads'].metadata.tracerEpoch).toBe(now.epoch + 1);

    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', (code) => resolve(code)));
    serve.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(serve.stderr()).toContain('flags serve stopped');
  });
});

describe('routing flags are not on/off flags', () => {
  it('Given orders.reads, when flags get or set is asked for it, then it exits 2 pointing at flags show', async () => {
    const get = await migrate(['flags', 'get', 'orders.reads']);
    expect(get.code).toBe(2);
    expect(get.stderr).toContain('orders.reads is a routing flag with variants');
    expect(get.stderr).toContain('`migrate flags show orders`');
    const before = (await flags.getRouting(PLAN_NAME, 'orders'))!.epoch;
    const set = await migrate(['flags', 'set', 'orders.writes', 'on']);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('orders.writes is a routing flag');
    expect((await flags.getRouting(PLAN_NAME, 'orders'))!.epoch).toBe(before);
    expect(await flags.getFlag('orders.writes')).toBeUndefined();
  });
});

describe('migrate worker --serve-routing: routing documents from a worker', () => {
  let worker: WorkerProcess | undefined;
  afterAll(async () => {
    await worker?.kill('SIGKILL');
  });

  it('Given a worker started with --serve-routing 0, when a consumer fetches /routing/orders, then it gets the document in force; the worker stops cleanly on SIGINT', async () => {
    const planFile = path.join(dir, 'worker-plan.yaml');
    writeFileSync(planFile, PLAN.replace('state: {', `temporal: { address: "${inject('temporalAddress')}", taskQueue: routing-e2e-${process.pid} }\nstate: {`));
    worker = startWorkerProcess(planFile, env(), 'routing-server', ['--serve-routing', '0']);
    await worker.ready;
    const base = /at (http:\/\/[^/\s]+)\/routing\/<entity>/.exec(worker.output())?.[1];
    expect(base, worker.output()).toBeDefined();
    const now = (await flags.getRouting(PLAN_NAME, 'orders'))!;
    const res = await fetch(`${base}/routing/orders`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tracer-epoch')).toBe(String(now.epoch));
    expect(await res.json()).toEqual(now.document);
    await worker.kill('SIGINT');
    expect(worker.child.exitCode).toBe(0);
    expect(worker.output()).toContain('worker routing-server stopped');
  });
});
