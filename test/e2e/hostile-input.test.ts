/**
 * Input built to break `migrate`, given to the real binary in a subprocess: every case is refused
 * with exit 2 and a position, never an internal error (exit 70) or a stack trace, and a reader that
 * closes the pipe early ends the command quietly.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editedPlan, fieldEditedPlan } from '../support/planFuzz.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/migrate.js');
const MINIMAL = readFileSync(path.join(ROOT, 'test/fixtures/plans/valid/minimal.yaml'), 'utf8');
const HOME = mkdtempSync(path.join(tmpdir(), 'tracer-home-'));
const DIR = mkdtempSync(path.join(tmpdir(), 'hostile-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the migrate process, in KiB, as the kernel counted it (getrusage). */
  peakRssKiB: number;
  /** CPU time (user + system) of the migrate process, in ms: its own work, whatever else the machine runs. */
  cpuMs: number;
  /** Wall time of the whole run, start-up included. */
  ms: number;
}

/**
 * Runs the binary with only the environment given. A preloaded module records the process's own
 * peak RSS at exit, so memory is measured on the CLI itself, not on the test runner.
 */
function migrate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const rssFile = path.join(DIR, `rss-${Math.random().toString(36).slice(2)}`);
  const hook = `data:text/javascript,${encodeURIComponent(`import { writeFileSync } from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(${JSON.stringify(rssFile)}, JSON.stringify([u.maxRSS, (u.userCPUTime + u.systemCPUTime) / 1000])); });`)}`;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', hook, BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1', MIGRATE_HOME: HOME, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        let peakRssKiB = -1;
        let cpuMs = -1;
        try {
          [peakRssKiB, cpuMs] = JSON.parse(readFileSync(rssFile, 'utf8')) as [number, number];
        } catch {
          // no exit hook ran (killed): the assertions on these fail and say so
        }
        resolve({ code, stdout, stderr, peakRssKiB, cpuMs, ms: Date.now() - started });
      },
    );
  });
}

function planFile(name: string, text: string | Buffer): string {
  const file = path.join(DIR, name);
  writeFileSync(file, text);
  return file;
}

/** An entity of the minimal plan's shape, `i` making its names unique. */
function entity(i: number): string {
  return [
    `  e${i}:`,
    `    source: { db: legacy, table: t${i}, key: [id] }`,
    `    target: { service: svc, write: { path: "/v1/t${i}:batchUpsert", batch: 100 }, read: { path: "/v1/t${i}:batchGet" } }`,
    `    map: { id: id, a: a, b: { from: b, as: integer } }`,
    `    phases:`,
    `      - backfill: { flag: e${i}.backfill }`,
    `      - verify: { maxMismatchRate: 0 }`,
    '',
  ].join('\n');
}

function expectRefused(r: Run): void {
  expect(r.stderr).not.toMatch(/internal error|    at |This is a bug/);
  expect(r.code).toBe(2);
}

describe('hostile plan files', () => {
  it('Given a 30 MB plan, When planned, Then it is refused at its first line within 10 s and under 500 MB', async () => {
    // The issue's bar: a 26 MB plan once ran 400 s and grew to 3.6 GB. The time bound is the one the
    // issue asks for (10 s), on the CPU time of the migrate process itself, so the 2-core machine's
    // other work cannot fail it (measured: 1.5 s and 170 MB, nearly all start-up through tsx); wall time gets a
    // bound 6 times as generous. The refusal reads no more than 1 MiB.
    const parts = [MINIMAL];
    let size = MINIMAL.length;
    for (let i = 0; size < 30 * 1024 * 1024; i++) {
      const e = entity(i);
      parts.push(e);
      size += e.length;
    }
    const file = planFile('huge.yaml', parts.join(''));
    const r = await migrate(['plan', '--plan', file]);
    expectRefused(r);
    expect(r.stderr).toContain(`${file}:1:1 the plan file is 30.0 MiB; plans are limited to 1.0 MiB`);
    expect(r.cpuMs).toBeGreaterThan(0);
    expect(r.cpuMs).toBeLessThan(10_000);
    expect(r.ms).toBeLessThan(60_000);
    expect(r.peakRssKiB).toBeGreaterThan(0);
    expect(r.peakRssKiB).toBeLessThan(500 * 1024);
  });

  it('Given a plan just under 1 MiB with thousands of entities, When planned, Then it is validated under 500 MB', async () => {
    const parts = [MINIMAL];
    let size = MINIMAL.length;
    for (let i = 0; ; i++) {
      const e = entity(i);
      if (size + e.length > 1024 * 1024 - 1024) break;
      parts.push(e);
      size += e.length;
    }
    const file = planFile('largest.yaml', parts.join(''));
    const r = await migrate(['plan', '--plan', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).entities.length).toBe(parts.length - 1 + 2);
    expect(r.peakRssKiB).toBeLessThan(500 * 1024);
  });

  it('Given thousands of problems, When planned, Then the first 50 are printed and the rest counted', async () => {
    const parts = [MINIMAL];
    for (let i = 0; i < 300; i++) parts.push(entity(i).replace('service: svc', 'service: nope'));
    const r = await migrate(['plan', '--plan', planFile('many-problems.yaml', parts.join(''))]);
    expectRefused(r);
    expect(r.stderr).toContain('many-problems.yaml has 300 problems');
    expect(r.stderr.match(/target "nope" is not defined in targets/g)).toHaveLength(50);
    expect(r.stderr).toContain('  … and 250 more problems (fix these first and run again to see them)');
  });

  it('Given a YAML alias bomb, When planned, Then exit 2 at the alias, not an internal error', async () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefg'[i]}`).join(',')}]`)].join('\n');
    const file = planFile('bomb.yaml', `${MINIMAL}${bomb}\n`);
    const r = await migrate(['plan', '--plan', file]);
    expectRefused(r);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+:\\d+ aliases expand to more than 50,000 values`));
  });

  it('Given a 10,000-character entity name, When backfilled, Then exit 2 naming the name before anything is touched', async () => {
    const long = 'e'.repeat(10_000);
    const file = planFile('long-name.yaml', MINIMAL.replace('  orders:\n', `  ? ${long}\n  :\n`));
    // The state store and Temporal addresses lead nowhere: a refusal must come before either is used.
    const r = await migrate(['backfill', '--plan', file, '--entity', long, '--detach'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expectRefused(r);
    expect(r.stderr).toContain(`long-name.yaml:28:5 entities["${'e'.repeat(60)}…(10000 characters)"]: invalid name "${'e'.repeat(57)}...": expected a name of at most 63 characters`);
  });

  it.each([
    ['invalid UTF-8 and control bytes', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x3a, 0x3a, 0x5b])],
    ['a tab-indented mapping', 'version: 1\nname: x\n\tstate: {}\n'],
    ['nesting 100,000 deep', `x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
    ['a document of only an alias', '*nothing\n'],
    ['a number as the whole document', '42\n'],
    ['two documents', `${MINIMAL}---\n${MINIMAL}`],
  ])('Given %s, When planned, Then exit 2 with a position, never an internal error', async (_name, text) => {
    const file = planFile('odd.yaml', text);
    const r = await migrate(['plan', '--plan', file]);
    expectRefused(r);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+:\\d+ `));
  });
});

describe('an unknown entity on the command line', () => {
  // Temporal's address leads nowhere: a command that connected (or started a local server and a
  // worker) before checking the entity would fail with exit 3 instead.
  it.each([['backfill'], ['verify']])('Given `%s --entity` naming no entity of the plan, When run, Then exit 2 before anything is connected or started', async (command) => {
    const r = await migrate([command, '--plan', 'plans/orders-postgres.yaml', '--entity', `x${'y'.repeat(5000)}`], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expectRefused(r);
    expect(r.stderr).toContain(`error: entity "x${'y'.repeat(59)}…(5001 characters)" is not in plan orders-to-fulfillment`);
    expect(r.stderr).toContain('hint: Entities in this plan: customers, orders.');
    expect(r.stderr).not.toMatch(/Started|Temporal/);
  });
});

describe('generated plans through the binary', () => {
  // The property test (test/unit/plan/fuzz.test.ts) runs thousands in process; these few check the
  // exit-code mapping end to end. A fixed seed keeps the cases the same from run to run.
  const cases = [...fc.sample(editedPlan, { numRuns: 3, seed: 9 }), ...fc.sample(fieldEditedPlan, { numRuns: 2, seed: 9 })];
  it.each(cases.map((text, i) => [i, text] as const))('Given generated plan %i, When planned, Then it exits 0, 2 or 3 and prints no stack trace', async (i, text) => {
    const r = await migrate(['plan', '--plan', planFile(`generated-${i}.yaml`, text)]);
    expect(r.stderr).not.toMatch(/internal error|    at |This is a bug/);
    expect([0, 2, 3]).toContain(r.code);
  });
});

describe('plan --check stays read-only and inside the base URL', () => {
  it('Given a read path /v1/../../admin/reset-log, When checked against a live service, Then exit 2 at the path and the service receives no request', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const text = MINIMAL.replace('"http://127.0.0.1:8787"', `"${base}"`).replace('read: { path: "/v1/customers:batchGet" }', 'read: { path: "/v1/../../admin/reset-log" }');
      const file = planFile('climb.yaml', text);
      const r = await migrate(['plan', '--check', '--plan', file]);
      expectRefused(r);
      expect(r.stderr).toContain(`climb.yaml:15:21 entities.customers.target.read.path: path "/v1/../../admin/reset-log" leaves targets.svc.baseUrl: it resolves to ${base}/admin/reset-log`);
      expect(r.stdout).not.toContain('All checks passed');
      expect(seen).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('Given a header value from a variable holding a newline, When checked, Then exit 2 naming the header and the variable, not "not reachable" and not the value', async () => {
    const text = MINIMAL.replace('{ baseUrl: "http://127.0.0.1:8787" }', '{ baseUrl: "http://127.0.0.1:8787", headers: { Authorization: "Bearer ${SVC_TOKEN}" } }');
    const r = await migrate(['plan', '--check', '--plan', planFile('header.yaml', text)], { SVC_TOKEN: 'hunter2-token\n' });
    expectRefused(r);
    expect(r.stderr).toContain('header.yaml:8:78 targets.svc.headers.Authorization: header Authorization takes a line break from environment variable SVC_TOKEN; header values are one line');
    expect(r.stderr + r.stdout).not.toMatch(/hunter2|not reachable/);
  });
});

describe('a reader that closes the pipe early', () => {
  it('Given stdout closed before migrate writes, When planned, Then it exits 0 quietly, without an EPIPE trace', async () => {
    const child = spawn(process.execPath, [BIN, 'plan', '--plan', 'plans/orders-postgres.yaml'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NO_COLOR: '1', MIGRATE_HOME: HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // What `| head -c 0` does: the read end of the pipe is closed before anything is read.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|internal error|    at /);
    expect(code).toBe(0);
  });
});
