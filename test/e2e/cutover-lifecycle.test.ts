/**
 * The whole cutover of orders on real services with sample consumer processes under load:
 * `migrate cutover` drives shadow → canary 10 % → reads → writes, `migrate cutover --abort` rolls
 * the writes back to the legacy, `--resume` moves them to the service again, and `migrate retire`
 * ends the migration. The apps (examples/orders-consumer, reporting and billing) read and write
 * orders through the consumer library the whole time and record every operation; the history
 * checker (docs/history-checker.md) then compares those histories row by row with the service,
 * the final truth once writes are `new`.
 *
 * PostgreSQL legacy with trigger capture and forward sync; the reference service with its change
 * feed for reverse sync; a worker running the cutover and its write switch. Seeded: orders 1..40
 * (status 'paid', version 0) in the legacy table, backfilled to the service.
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
import { startBackfill } from '../../src/ops/backfill.js';
import { installCapture, startSync } from '../../src/ops/sync.js';
import { startVerify } from '../../src/ops/verifyRuns.js';
import { writeSwitchWorkflowId } from '../../src/workflows/cutoverDefinitions.js';
import type { CutoverProgress } from '../../src/workflows/cutoverWorkflow.js';
import type { writeSwitchWorkflow } from '../../src/workflows/writeSwitchWorkflow.js';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { runMigrate } from '../support/processes.js';
import { startRoutedConsumers, type RoutedConsumers } from '../support/routedConsumers.js';

const TOKEN = 'svc-token-lifecycle';
const KEYS = Array.from({ length: 40 }, (_, k) => k + 1);
const ENTITY_YAML = `  orders:
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
            - { name: canary, reads: { new: 10 }, consumers: [reporting], gate: { minSamples: 1 } }
            - { name: reads, reads: new }
            - { name: writes, writes: new }
`;

let stack: LiveStack;
let consumers: RoutedConsumers | undefined;
let historyDir: string;
const env = { MIGRATE_ACTOR: 'e2e-operator' };

beforeAll(async () => {
  stack = await startLiveStack({
    label: 'lifecycle',
    engine: 'postgres',
    seed: async (url) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('create table orders (id bigint primary key, status text not null, total_cents bigint not null, email text not null)');
      await c.query(`insert into orders select g, 'paid', g * 100, 'user' || g || '@example.com' from generate_series(1, ${KEYS.length}) g`);
      await c.end();
    },
    service: { token: TOKEN },
    plan: { token: TOKEN, entitiesYaml: ENTITY_YAML },
  });
  historyDir = mkdtempSync(path.join(tmpdir(), 'tracer-lifecycle-history-'));
});

afterAll(async () => {
  await consumers?.stop();
  await stack?.close();
  if (historyDir) rmSync(historyDir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runMigrate(['--plan', stack.planFile, 'cutover', '--entity', 'orders', ...args], env);

async function progress(): Promise<CutoverProgress> {
  const r = await cli('--detach', '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CutoverProgress;
}

/** Waits until the cutover is at `step` with `test` true; a gate left inconclusive is resumed from the command line. */
function until(step: string, test: (p: CutoverProgress) => boolean = () => true): Promise<CutoverProgress> {
  return eventually(async () => {
    const p = await progress();
    if (p.step === 'paused' && p.paused?.by === 'gate') expect((await cli('--resume')).code).toBe(0);
    return p.step === step && test(p) && p;
  }, 240_000, 1_000);
}

/** The write-switch lines of `migrate cutover --dry-run`, as `step: detail`, preconditions left out (their answers are today's). */
function dryRunSwitch(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => /^\s*\d+\. \[writes\] write-switch: (.*)$/.exec(l)?.[1])
    .filter((d): d is string => d !== undefined && !d.startsWith('preconditions'));
}

async function switchTaken(n: number): Promise<string[]> {
  const r = await stack.session.temporal.client.workflow.getHandle<typeof writeSwitchWorkflow>(writeSwitchWorkflowId(stack.session.loaded.plan.name, 'orders', n)).result();
  return r.steps.map((s) => `${s.step}: ${s.detail}`).filter((d) => !d.startsWith('preconditions'));
}

describe('the whole cutover with consumer processes under load', () => {
  it('Given reporting and billing under load recording histories, when migrate cutover goes shadow → canary 10 % → reads → writes, is aborted back to legacy writes, resumed to writes again and the entity retired, then the write switch takes the steps its dry run listed and the history checker finds no acknowledged write lost and no impossible read', async () => {
    const { session, service, sourceUrl } = stack;
    await installCapture(session, 'orders', 'test');
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    await startSync(session, 'orders', 'test');
    await (await startVerify(session, 'orders', 'test')).handle.result();

    // The values before the load: every key at version 0 ('paid').
    const before = legacyOrdersTruth(sourceUrl);
    writeFileSync(path.join(historyDir, 'initial.json'), valuesJson(await before.readAll!()));
    await before.close();

    const dry = await cli('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('[canary] publish: publish epoch 2: reads reporting new 10%, billing shadow; writes legacy');
    const planned = dryRunSwitch(dry.stdout);
    expect(planned.map((d) => d.split(':')[0])).toEqual(['fence', 'drain', 'catch-up', 'verify-changed', 'reverse-sync', 'journal', 'switch', 'unfence']);

    // When: the operator starts the cutover (its first routing is what the apps start from), the apps run under load, and it runs every stage through to writes on the service.
    const start = await cli('--detach');
    expect(start.code, start.stderr).toBe(0);
    await eventually(async () => (await progress()).epoch >= 1, 60_000, 500);
    consumers = await startRoutedConsumers(stack.planFile, env, {
      names: ['reporting', 'billing'],
      legacyUrl: sourceUrl,
      serviceUrl: service.url,
      historyDir,
      appEnv: { FULFILLMENT_TOKEN: TOKEN, POLL_MS: '200', REPORT_EVERY_MS: '300', RECHECK_MS: '1500' },
    });
    const load = startLoad({ apps: consumers.apps.map((a) => a.url), keys: KEYS, workersPerApp: 1, ratePerSecond: 20, timeoutMs: 10_000 });

    const writes = await until('complete', (p) => p.stage === 'writes');
    expect(writes).toMatchObject({ epoch: 5, writes: 'new', reads: { reporting: 'new', billing: 'new' } });
    const events = writes.events.map((e) => e.text);
    for (const e of ['stage shadow published', 'gate of stage shadow passed', 'stage canary published', 'stage reads published', 'writes switched to new (epoch 5)']) expect(events).toContain(e);
    const canary = await runMigrate(['--plan', stack.planFile, 'flags', 'show', 'orders', '--epoch', '2'], env);
    expect(canary.stdout).toMatch(/reporting\s+new 10%/);
    // Then the switch took the steps its dry run listed.
    expect(await switchTaken(1)).toEqual(planned);

    // When: the writes are rolled back to the legacy, under the same load.
    const abort = await cli('--abort', '--reason', 'rehearse the rollback');
    expect(abort.code, abort.stderr).toBe(0);
    const back = await until('paused', (p) => p.writes === 'legacy');
    expect(back).toMatchObject({ stage: 'reads', epoch: 7, paused: { by: 'rollback' } });

    // When: resumed, the writes move to the service again.
    const resume = await cli('--resume');
    expect(resume.code, resume.stderr).toBe(0);
    const again = await until('complete', (p) => p.epoch > 7);
    expect(again).toMatchObject({ stage: 'writes', epoch: 9, writes: 'new' });

    // When: the load ends and the entity is retired.
    const result = await load.stop();
    expect(result.writes.ok).toBeGreaterThan(0);
    const retire = await eventually(async () => {
      const r = await runMigrate(['--plan', stack.planFile, 'retire', '--entity', 'orders', '--yes'], env);
      return r.code === 0 && r;
    }, 60_000, 1_000);
    expect(retire.stdout).toContain('orders: retired (audited as e2e-operator): reverse sync stopped; ');
    expect(retire.stdout).toContain('change capture removed');
    await consumers.stop();
    consumers = undefined;

    // Then: every acknowledged write is in the service, and no read saw a value never written.
    const truth = serviceOrdersTruth(service.url, { token: TOKEN });
    const check = await checkDirectories({ dirs: [historyDir], truth, windowMs: 10_000, jepsenPath: false });
    await truth.close();
    const report = formatReport(check.report);
    expect(check.report.operations.writes.ok, report).toBe(result.writes.ok);
    expect(check.report.lost.count, report).toBe(0);
    expect(check.report.impossible, report).toMatchObject({ reads: 0, finals: 0 });
  }, 600_000);
});
