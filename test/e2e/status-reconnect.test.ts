/**
 * `migrate status --watch` outlives a Temporal restart: while the server is down it says
 * "reconnecting" (keeping the last data), and once the server is back it carries on by itself.
 * Uses a Temporal dev server of its own, with its state in a file, so the restart keeps the workflows.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { eventually } from '../support/harness.js';
import { BIN, ROOT } from '../support/processes.js';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/devServer.js';

describe('migrate status --watch across a Temporal restart', () => {
  let dbs: TestDatabases;
  let server: DevServer | undefined;
  let port: number;
  let dbFile: string;
  let planFile: string;

  beforeAll(async () => {
    dbs = await createTestDatabases('reconnect');
    const dir = mkdtempSync(join(tmpdir(), 'tracer-reconnect-'));
    dbFile = join(dir, 'temporal.db');
    port = await freePort();
    server = await startDevServer({ cliPath: inject('temporalCli'), port, dbFile });
    planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      `version: 1
name: reconnect-test
state: { url: "${dbs.pgUrl}" }
temporal: { address: "127.0.0.1:${port}", taskQueue: reconnect }
sources: { legacy: { url: "${dbs.pgUrl}" } }
targets: { fulfillment: { baseUrl: "http://127.0.0.1:9" } }
entities:
  orders:
    source: { db: legacy, table: orders, key: [id] }
    target: { service: fulfillment, write: { path: "/v1/orders:batchUpsert", batch: 10 }, read: { path: "/v1/orders:batchGet" } }
    map: { id: id }
    phases: [ { backfill: { flag: orders.backfill } } ]
`,
    );
  });

  afterAll(async () => {
    await server?.stop();
    await dbs?.drop();
  });

  it('given a watching dashboard, when Temporal stops and starts again, then it shows reconnecting and then carries on', async () => {
    const child = spawn(process.execPath, [BIN, '--plan', planFile, 'status', '--watch', '--progress', 'plain'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await eventually(async () => /orders: pending/.test(out), 60_000);

      await server!.stop();
      await eventually(async () => /plan reconnect-test: reconnecting/.test(out), 60_000);
      const reconnectingAt = out.length;

      server = await startDevServer({ cliPath: inject('temporalCli'), port, dbFile });
      await eventually(async () => /plan reconnect-test: connected/.test(out.slice(reconnectingAt)), 90_000);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGINT');
    }
  });
});
