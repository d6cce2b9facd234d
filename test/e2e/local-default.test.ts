/**
 * With no Temporal configured, `migrate` runs on its own: it starts a local dev server (state in
 * MIGRATE_HOME) and a background worker, says what it started and where, and the backfill
 * completes. A second command reuses both.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { runMigrate } from '../support/processes.js';

function stopPid(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

describe('local default: no Temporal configured', () => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let home: string;
  let planFile: string;
  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, MIGRATE_HOME: home, MIGRATE_WORKER_HEAP_MB: '192' };
    delete e.TEMPORAL_ADDRESS;
    delete e.TEMPORAL_NAMESPACE;
    return e;
  };

  beforeAll(async () => {
    dbs = await createTestDatabases('local');
    await seedOrdersPg(dbs.pgUrl, 3_000);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0 });
    home = mkdtempSync(join(tmpdir(), 'tracer-home-'));
    planFile = join(home, 'plan.yaml');
    writeFileSync(
      planFile,
      `version: 1
name: local-default
state: { url: "${dbs.pgUrl}" }
sources: { legacy: { url: "${dbs.pgUrl}" } }
targets: { fulfillment: { baseUrl: "${service.url}" } }
entities:
${ORDERS_ENTITY_YAML({ batch: 500, partitions: 2 })}`,
    );
  });

  afterAll(async () => {
    const state = existsSync(join(home, 'temporal.json')) ? (JSON.parse(readFileSync(join(home, 'temporal.json'), 'utf8')) as { pid: number }) : undefined;
    const workerPid = existsSync(join(home, 'worker-local-default.pid')) ? Number(readFileSync(join(home, 'worker-local-default.pid'), 'utf8')) : undefined;
    stopPid(workerPid);
    stopPid(state?.pid);
    await service?.close();
    await dbs?.drop();
  });

  it('given no Temporal settings, when a backfill runs, then migrate starts a dev server and a worker, says where, and completes; a second command reuses them', async () => {
    const first = await runMigrate(['--plan', planFile, 'backfill', '--entity', 'orders'], env());
    expect(first.stderr).toMatch(/Started a local Temporal dev server at 127\.0\.0\.1:\d+ \(state .*temporal\.db/);
    expect(first.stderr).toMatch(/Started a background worker \(pid \d+, log .*worker-local-default\.log\)/);
    expect(first.stdout).toContain('orders: backfill completed: 3000 rows, no failures');
    expect(first.code).toBe(0);
    expect(await service.count('orders')).toBe(3_000);

    const second = await runMigrate(['--plan', planFile, 'status'], env());
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('Started');
    expect(second.stdout).toMatch(/orders: backfilled 100%/);
  });
});
