/** `migrate plan` as users run it: the real binary in a subprocess, exit codes and both streams. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/migrate.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// A Tracer home of its own, so a local Temporal server left by a demo on this machine cannot show live states.
const ISOLATED_HOME = mkdtempSync(path.join(tmpdir(), 'tracer-home-'));

/** Runs the binary with only the environment given (plus PATH), so the machine's variables cannot leak in. */
function migrate(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', MIGRATE_HOME: ISOLATED_HOME, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('migrate plan', () => {
  it('Given the PostgreSQL sample plan, When planned, Then it exits 0 and lists each entity with its phases and next step', async () => {
    const r = await migrate(['plan', '--plan', 'plans/orders-postgres.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Plan orders-to-fulfillment (plans/orders-postgres.yaml)');
    expect(r.stdout.indexOf('1. customers  pending')).toBeLessThan(r.stdout.indexOf('2. orders  pending  (after customers)'));
    for (const kind of ['backfill', 'verify  ', 'cutover ']) expect(r.stdout).toContain(`   ${kind}`);
    expect(r.stdout).toContain('   next   migrate backfill --entity customers\n');
    expect(r.stdout).toContain('   next   migrate backfill --entity orders   (once customers is backfilled)');
  });

  it('Given the MySQL sample plan, When planned as JSON, Then stdout parses as the documented document', async () => {
    const r = await migrate(['plan', '--plan', 'plans/orders-mysql.yaml', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.documentVersion).toBe(1);
    expect(doc.plan).toEqual({ name: 'orders-mysql-to-fulfillment', version: 1, file: 'plans/orders-mysql.yaml' });
    expect(doc.sources).toEqual([{ name: 'shop', dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/tracer_demo' }]);
    expect(doc.entities.map((e: { name: string; state: string; phases: { kind: string }[] }) => [e.name, e.state, e.phases.map((p) => p.kind)])).toEqual([
      ['customers', 'pending', ['backfill', 'verify', 'cutover']],
      ['orders', 'pending', ['backfill', 'verify', 'cutover']],
    ]);
    expect(doc.entities[1].next).toEqual({ command: 'migrate backfill --entity orders', reason: 'ready to backfill', waitingFor: ['customers'] });
  });

  it('Given MIGRATE_PLAN and no --plan, When planned, Then that plan is used', async () => {
    const r = await migrate(['plan'], { MIGRATE_PLAN: 'plans/orders-mysql.yaml' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Plan orders-mysql-to-fulfillment');
  });

  it('Given neither --plan nor MIGRATE_PLAN and two plans in plans/, When planned, Then it exits 2 naming both', async () => {
    const r = await migrate(['plan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no plan file given and plans/ holds');
    expect(r.stderr).toContain('orders-mysql.yaml');
    expect(r.stderr).toContain('orders-postgres.yaml');
  });

  it('Given a directory whose plans/ holds one plan, When planned without options, Then that plan is used', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-e2e-'));
    mkdirSync(path.join(dir, 'plans'));
    copyFileSync(path.join(ROOT, 'plans/orders-postgres.yaml'), path.join(dir, 'plans/only.yaml'));
    const r = await migrate(['plan'], {}, dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Plan orders-to-fulfillment (plans/only.yaml)');
  });

  const invalid = [
    { fixture: 'unknown-field-suggestion', at: '20:21', text: 'entities.customers.phases[0].backfill.batchSze: unknown field "batchSze" — did you mean "batchSize"?' },
    { fixture: 'dependson-cycle', at: '11:16', text: 'dependsOn forms a cycle: customers → orders → customers' },
    { fixture: 'write-stage-before-reads', at: '26:31', text: 'stage "writes" switches writes before every consumer reads from new' },
    { fixture: 'unset-env-var', at: '10:39', text: 'environment variable FIXTURE_UNSET_TOKEN is not set' },
    { fixture: 'yaml-syntax-error', at: '11:54', text: 'YAML syntax error' },
    { fixture: 'empty-file', at: '1:1', text: 'the plan file is empty' },
  ];
  it.each(invalid)('Given the invalid fixture $fixture, When planned, Then it exits 2 and stderr points at $at', async ({ fixture, at, text }) => {
    const file = `test/fixtures/plans/invalid/${fixture}.yaml`;
    const r = await migrate(['plan', '--plan', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace(/\./g, '\\.')} has \\d+ problems?\n`));
    expect(r.stderr).toContain(`  ${file}:${at} `);
    expect(r.stderr).toContain(text);
    expect(r.stderr).toContain('hint: docs/plan-file.md describes every field');
  });
});

describe('secrets in migrate plan', () => {
  const TOKEN = 'tok-e2e-7Hq2xZpW';
  const PASSWORD = 'pw-e2e-Rk93mZ';
  let server: http.Server;
  let serviceUrl: string;

  beforeAll(async () => {
    // A careless service that echoes the credentials it was sent back in its 401 body.
    server = http.createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `bad token: ${req.headers.authorization}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const expectNoSecret = (r: Run) => {
    for (const secret of [TOKEN, PASSWORD, encodeURIComponent(PASSWORD)]) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  };

  it('Given a token and a URL password in the environment, When a valid plan is shown as text and JSON, Then neither appears', async () => {
    const env = { FULFILLMENT_TOKEN: TOKEN, LEGACY_DATABASE_URL: `postgres://app:${PASSWORD}@127.0.0.1:5432/legacy`, FULFILLMENT_URL: serviceUrl };
    const text = await migrate(['plan', '--plan', 'plans/orders-postgres.yaml'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('postgres://app:***@127.0.0.1:5432/legacy');
    expectNoSecret(text);
    const json = await migrate(['plan', '--plan', 'plans/orders-postgres.yaml', '--json'], env);
    expect(json.code).toBe(0);
    expectNoSecret(json);
  });

  it('Given a URL with a password that fails validation, When planned, Then the error shows the URL redacted', async () => {
    const r = await migrate(['plan', '--plan', 'plans/orders-postgres.yaml'], { FULFILLMENT_TOKEN: TOKEN, LEGACY_DATABASE_URL: `pgsql://app:${PASSWORD}@127.0.0.1:5432/legacy` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sources.legacy.url: expected a postgres:// or mysql:// URL, got "pgsql://app:***@127.0.0.1:5432/legacy"');
    expectNoSecret(r);
  });

  it('Given a service echoing the token and a database refusing the connection, When checked, Then neither secret appears and it exits 3', async () => {
    const env = {
      FULFILLMENT_TOKEN: TOKEN,
      FULFILLMENT_URL: serviceUrl,
      LEGACY_DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:5432/tracer_no_such_db_${process.pid}`,
    };
    const r = await migrate(['plan', '--plan', 'plans/orders-postgres.yaml', '--check'], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('refused the credentials (HTTP 401)');
    expect(r.stderr).toContain('does not exist');
    expectNoSecret(r);
    const json = await migrate(['plan', '--plan', 'plans/orders-postgres.yaml', '--check', '--json'], env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).check.ok).toBe(false);
    expectNoSecret(json);
  });
});
