/**
 * Forward sync through faults, with real processes: a `migrate worker` is SIGKILLed and the Temporal
 * server (a dev server of this file's own, state in a file) is restarted while a writer changes the
 * legacy at 200 changes/s. Afterwards nothing is lost (every legacy row is in the service exactly as
 * mapped, deleted rows are gone), at most one batch was re-sent per crash (counted from repeated
 * idempotency keys at the service), and the persisted position never went backwards.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { startChangeWriter } from '../support/changeWriter.js';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/devServer.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { installCapture, startSync, syncProgress } from '../../src/ops/sync.js';
import { SYNC_RUN_KEY } from '../../src/activities/syncActivities.js';

const ROWS = 2_000;
const BATCH = 50;

describe.each(['postgres', 'mysql'] as const)('forward sync from %s through a worker crash and a Temporal restart', (engine) => {
  const token = `svc-${randomBytes(8).toString('hex')}`;
  const env = { TEST_SERVICE_TOKEN: token };
  let dbs: TestDatabases;
  let server: DevServer | undefined;
  let service: FulfillmentService;
  let planFile: string;
  let port: number;
  let dbFile: string;
  let session: Session | undefined;
  const workers: WorkerProcess[] = [];

  const open = async () => openSession(await loadTestPlan(planFile, { ...process.env, ...env }), { ...process.env, ...env }, process.cwd());
  const startWorker = async (identity: string) => {
    const w = startWorkerProcess(planFile, env, identity);
    workers.push(w);
    await w.ready;
    return w;
  };

  beforeAll(async () => {
    dbs = await createTestDatabases(`sc${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    const dir = mkdtempSync(join(tmpdir(), 'tracer-synccrash-'));
    dbFile = join(dir, 'temporal.db');
    port = await freePort();
    server = await startDevServer({ cliPath: inject('temporalCli'), port, dbFile });
    // Latency makes each batch take a while, so the kill lands between a write and its acknowledgement now and then.
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token, knobs: { latencyMs: 20 } });
    const entities = ORDERS_ENTITY_YAML({ batch: BATCH, partitions: 2 })
      .replace('      list: { path: /v1/orders }', `      list: { path: /v1/orders }\n      delete: { method: POST, path: "/v1/orders:batchDelete", batch: ${BATCH} }`)
      .replace('      - verify:', `      - sync: { capture: triggers, batchSize: ${BATCH}, poll: 200ms, flag: orders.sync }\n      - verify:`);
    planFile = join(dir, 'plan.yaml');
    writeFileSync(
      planFile,
      `version: 1
name: sync-crash-${engine}
state: { url: "${dbs.pgUrl}" }
temporal: { address: "127.0.0.1:${port}", taskQueue: sync-crash }
sources:
  legacy: { url: "${sourceUrl}" }
targets:
  fulfillment:
    baseUrl: "${service.url}"
    headers: { Authorization: "Bearer \${TEST_SERVICE_TOKEN}" }
    timeout: 5s
entities:
${entities}`,
    );
    session = await open();
  });

  afterAll(async () => {
    for (const w of workers) await w.kill();
    await session?.close();
    await service?.close();
    await server?.stop();
    await dbs?.drop();
  });

  it('Given sync running under a live writer, when the worker is SIGKILLed and Temporal restarts, then nothing is lost, re-sends stay within one batch per crash and the position never goes back', async () => {
    const first = await startWorker('sync-crash-1');
    await installCapture(session!, 'orders', 'test');
    await (await startBackfill(session!, 'orders', 'test')).handle.result();
    const store = await session!.resources.stateStore();
    const planName = session!.loaded.plan.name;
    await startSync(session!, 'orders', 'test');
    const repeatedBefore = service.requestLog.repeatedIdempotencyKeys;

    // Watch the persisted position the whole time: it may only grow.
    const positions: bigint[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const cp = await store.getCheckpoint(planName, 'orders', SYNC_RUN_KEY, 0).catch(() => undefined);
        if (cp?.cursor?.[0] !== undefined) positions.push(BigInt(String(cp.cursor[0])));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const writer = await startChangeWriter(engine, engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl, ROWS, 200);
    await eventually(async () => positions.length > 5, 30_000, 100);
    await first.kill('SIGKILL');
    await startWorker('sync-crash-2');
    await new Promise((r) => setTimeout(r, 3_000));

    await session!.close();
    session = undefined;
    await server!.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    server = await startDevServer({ cliPath: inject('temporalCli'), port, dbFile });
    session = await open();
    await new Promise((r) => setTimeout(r, 3_000));
    const written = await writer.stop();

    // The killed worker's chunk is re-dispatched after its 12 s heartbeat timeout.
    const log = session.resources.changeLog('orders');
    await eventually(async () => (await log.lag()).pending === 0, 90_000, 250);
    watching = false;
    await watcher;

    const progress = await syncProgress(session, 'orders');
    expect(progress?.state).toBe('running');
    for (let i = 1; i < positions.length; i++) expect(positions[i]! >= positions[i - 1]!).toBe(true);

    // Nothing lost: the service holds exactly the legacy's rows.
    const target = session.resources.target('orders');
    expect(await target.read(written.deleted.map((id) => ({ id })))).toEqual([]);
    const source = await session.resources.source('legacy');
    const e = session.resources.entity('orders');
    const status: Record<string, string> = { NEW: 'created', PAID: 'paid', SHIPPED: 'shipped' };
    let legacyCount = 0;
    for (let page = await source.readPage(e.source, {}, 500); page.rows.length > 0; page = await source.readPage(e.source, { after: page.last }, 500)) {
      legacyCount += page.rows.length;
      const items = await target.read(page.rows.map((r) => ({ id: Number(r.id) })));
      const byId = new Map(items.map((it) => [Number(it.id), it]));
      for (const row of page.rows) {
        expect(byId.get(Number(row.id))).toMatchObject({ id: Number(row.id), customerId: Number(row.customer_id), total: Number(row.total_cents), status: status[String(row.status)] });
      }
    }
    expect(legacyCount).toBe(ROWS + written.inserts - written.deletes);
    expect(await service.count('orders')).toBe(legacyCount);

    // One crash: at most the batch in flight is sent again (its idempotency key repeats).
    expect(service.requestLog.repeatedIdempotencyKeys - repeatedBefore).toBeLessThanOrEqual(1);
  });
});
