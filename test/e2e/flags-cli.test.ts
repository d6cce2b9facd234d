import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFlagsServe } from '../support/processes.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/migrate.js');

const PLAN = `version: 1
name: flags-e2e
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
`;

let dbs: TestDatabases;
let dir: string;

beforeAll(async () => {
  dbs = await createTestDatabases('flagscli');
  dir = mkdtempSync(path.join(tmpdir(), 'migrate-flags-'));
  writeFileSync(path.join(dir, 'plan.yaml'), PLAN);
  // A second plan in the same state store, with an entity and a flag of the same names.
  writeFileSync(path.join(dir, 'other.yaml'), PLAN.replace('name: flags-e2e', 'name: flags-e2e-other'));
});

afterAll(async () => {
  await dbs?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function migrate(stateUrl: string, args: string[], planFile = 'plan.yaml'): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--plan', path.join(dir, planFile), ...args], {
      cwd: dir,
      env: { ...process.env, MIGRATE_STATE_URL: stateUrl, MIGRATE_ACTOR: 'e2e-operator', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each([
  { dialect: 'postgres', url: () => dbs.pgUrl },
  { dialect: 'mysql', url: () => dbs.mysqlUrl },
])('migrate flags and audit with the state store on $dialect', ({ url }) => {
  it('Given a plan flag never set, when flags list --json runs, then it is listed as off and not set', async () => {
    const run = await migrate(url(), ['flags', 'list', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toContainEqual({ name: 'orders.backfill', enabled: false, set: false, entity: 'orders' });
  });

  it('Given flags set off with a reason, when flags get and audit run, then the flag reads off and the audit names actor and reason', async () => {
    const set = await migrate(url(), ['flags', 'set', 'orders.backfill', 'off', '--reason', 'service is slow']);
    expect(set.code).toBe(0);
    expect((await migrate(url(), ['flags', 'get', 'orders.backfill'])).stdout.trim()).toBe('off');
    const audit = JSON.parse((await migrate(url(), ['audit', '--entity', 'orders', '--limit', '1', '--json'])).stdout);
    expect(audit).toMatchObject([
      { action: 'flag.set', actor: 'e2e-operator', reason: 'service is slow', detail: { flag: 'orders.backfill', enabled: false } },
    ]);
  });

  it('Given flags set without --reason, when it runs, then the audit records "no reason given" and stderr says so', async () => {
    const set = await migrate(url(), ['flags', 'set', 'orders.backfill', 'on']);
    expect(set.code).toBe(0);
    expect(set.stderr).toContain('no --reason');
    const [entry] = JSON.parse((await migrate(url(), ['audit', '--limit', '1', '--json'])).stdout);
    expect(entry).toMatchObject({ reason: 'no reason given', detail: { enabled: true } });
  });

  it('Given a misspelt flag name, when flags set runs, then it exits 2 suggesting the right name and writes nothing', async () => {
    const set = await migrate(url(), ['flags', 'set', 'order.backfill', 'off']);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('did you mean "orders.backfill"');
    expect((await migrate(url(), ['flags', 'get', 'order.backfill'])).stdout.trim()).toBe('unset');
  });

  it('Given a set flag, when flags export --format flagd runs, then it prints a flagd document with its value', async () => {
    await migrate(url(), ['flags', 'set', 'orders.backfill', 'on', '--reason', 'export']);
    const run = await migrate(url(), ['flags', 'export', '--format', 'flagd']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.$schema).toBe('https://flagd.dev/schema/v0/flags.json');
    expect(doc.flags['orders.backfill']).toMatchObject({ state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' });
  });
});

describe('flags are scoped by plan', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('Given two plans in one state store with the same flag name, when one plan sets it, then the other plan\'s flag stays unset in get, list, export and flags serve', async () => {
    const url = dbs.pgUrl;
    // When this plan turns its orders.backfill on, then the other plan's is still never set.
    expect((await migrate(url, ['flags', 'set', 'orders.backfill', 'on', '--reason', 'this plan runs'])).code).toBe(0);
    expect((await migrate(url, ['flags', 'get', 'orders.backfill'], 'other.yaml')).stdout.trim()).toBe('unset');

    // When the other plan turns its own off, then this plan's stays on.
    expect((await migrate(url, ['flags', 'set', 'orders.backfill', 'off', '--reason', 'other plan paused'], 'other.yaml')).code).toBe(0);
    expect((await migrate(url, ['flags', 'get', 'orders.backfill'])).stdout.trim()).toBe('on');
    expect((await migrate(url, ['flags', 'get', 'orders.backfill'], 'other.yaml')).stdout.trim()).toBe('off');
    const otherList = JSON.parse((await migrate(url, ['flags', 'list', '--json'], 'other.yaml')).stdout);
    expect(otherList).toContainEqual(expect.objectContaining({ name: 'orders.backfill', enabled: false, set: true }));
    const otherExport = JSON.parse((await migrate(url, ['flags', 'export', '--format', 'flagd'], 'other.yaml')).stdout);
    expect(otherExport.flags['orders.backfill']).toMatchObject({ state: 'ENABLED', defaultVariant: 'off' });

    // And the other plan's flags server serves the other plan's value.
    const serve = await startFlagsServe(path.join(dir, 'other.yaml'), { ...process.env, MIGRATE_STATE_URL: url, NO_COLOR: '1' }, dir);
    child = serve.child;
    const { base } = serve;
    const served = await (await fetch(`${base}/flags.json`)).json();
    expect(served.flags['orders.backfill']).toMatchObject({ defaultVariant: 'off' });
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', (code) => resolve(code)));
    serve.child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('migrate flags with an unreachable state store', () => {
  it('Given a state URL with a password that cannot be reached, when flags list runs, then it exits 3 without printing the password', async () => {
    const run = await migrate('postgres://ops:Pa55-w0rd-e2e@127.0.0.1:1/state', ['flags', 'list']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('state store');
    expect(run.stdout + run.stderr).not.toContain('Pa55-w0rd-e2e');
  });
});
