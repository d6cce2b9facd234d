/**
 * `migrate backfill` attached from a process: Ctrl-C (SIGINT) detaches, says how to re-attach, and
 * the backfill keeps running; attaching again follows it to the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersPg } from '../support/seed.js';
import { BIN, ROOT, runMigrate } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { backfillProgress } from '../../src/ops/backfill.js';

describe('migrate backfill, attached', () => {
  const token = `detach-secret-${randomBytes(6).toString('hex')}`;
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;
  let planFile: string;

  beforeAll(async () => {
    dbs = await createTestDatabases('detach');
    await seedOrdersPg(dbs.pgUrl, 20_000);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token });
    planFile = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token: 'from-env', rateLimit: '2000/s', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 100, partitions: 2 }) }).file;
    const loaded = await loadTestPlan(planFile, { ...process.env, TEST_SERVICE_TOKEN: token });
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
  });

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('given an attached backfill, when Ctrl-C is pressed, then the command detaches with exit 0 and the backfill keeps running to completion', async () => {
    const env = { ...process.env, TEST_SERVICE_TOKEN: token, NO_COLOR: '1' };
    const child = spawn(process.execPath, [BIN, '--plan', planFile, 'backfill', '--entity', 'orders', '--progress', 'plain'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

    await eventually(async () => /orders backfill running/.test(out), 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Detached; the backfill keeps running. Re-attach with `migrate backfill --entity orders`');

    const writesAtDetach = service.requestLog.writes;
    await eventually(async () => service.requestLog.writes > writesAtDetach, 30_000);
    expect((await backfillProgress(session, 'orders'))?.state).toBe('running');

    // Attaching again follows it to the end.
    const again = await runMigrate(['--plan', planFile, 'backfill', '--entity', 'orders', '--progress', 'plain'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('orders: backfill completed: 20000 rows, no failures');
    expect(again.stderr).toContain('backfill attached');
    expect(out + again.stdout + again.stderr).not.toContain(token);
  });
});
