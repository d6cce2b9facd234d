/**
 * Writes in flight: a separate writer process updates 200 rows/s on both copies during the sweep,
 * up to 2 s apart. Re-checks must clear every row it touched (zero persistent mismatches); when it
 * drops 1% of its second writes, exactly the rows whose last write was dropped stay persistent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { eventually, loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';
import { verifyStatusQuery } from '../../src/workflows/verifyWorkflow.js';

const ROWS = 12_000;
const WRITER = fileURLToPath(new URL('./verify-writer-process.ts', import.meta.url));
const TOKEN = 'svc-token-vw';

interface Writer {
  child: ChildProcess;
  stop(): Promise<{ writes: number; dropped: number[] }>;
}

async function startWriter(config: Record<string, unknown>): Promise<Writer> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER], { env: { ...process.env, WRITER_CONFIG: JSON.stringify(config) }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'ready') throw new Error(`writer did not start: ${String(first.value)}`);
  return {
    child,
    async stop() {
      child.stdin!.write('stop\n');
      const out = await lines.next();
      return JSON.parse(String(out.value)) as { writes: number; dropped: number[] };
    },
  };
}

describe.each(['postgres', 'mysql'] as const)('verification during writes, from %s', (engine) => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;
  let sourceUrl: string;
  let writer: Writer | undefined;

  beforeAll(async () => {
    dbs = await createTestDatabases(`vw${engine}`);
    sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token: TOKEN, trackKeys: false });
    // 3 s between re-checks: longer than the writer's 2 s gap, so a round always sees its second write.
    const entities = ORDERS_ENTITY_YAML({ batch: 200, partitions: 2 }).replace(/- verify: \{[^}]*\}/, '- verify: { recheckAfter: 3s, recheckRounds: 3, maxMismatchRate: 0 }');
    const { file } = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token: TOKEN, entitiesYaml: entities });
    const loaded = await loadTestPlan(file);
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    // Slower service reads stretch the sweep over a few seconds of writes: at 10 ms a page the sweep
    // took under a second on a quiet machine, too short for the writer's 400 writes to overlap it.
    service.setKnobs({ latencyMs: 40 });
  });

  afterAll(async () => {
    writer?.child.kill();
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  /** Runs a verification with the writer active for the whole sweep, stopping it when the sweep ends. */
  async function verifyUnderWrites(dropEvery: number) {
    writer = await startWriter({ engine, sourceUrl, serviceUrl: service.url, token: TOKEN, rows: ROWS, perSecond: 200, maxDelayMs: 2000, dropEvery });
    await new Promise((r) => setTimeout(r, 1000));
    const { handle, run } = await startVerify(session, 'orders', 'test');
    await eventually(async () => (await handle.query(verifyStatusQuery)).phase !== 'sweep', 120_000, 100);
    const written = await writer.stop();
    writer = undefined;
    const { report } = await verifyOutcome(session, handle);
    const store = await session.resources.stateStore();
    const persistent = (await store.listVerifyEntries(session.loaded.plan.name, 'orders', `verify/${run}`, { state: 'persistent', limit: 10_000 })).entries;
    return { written, report: report.report, persistentIds: persistent.map((e) => Number(e.key[0])).sort((a, b) => a - b) };
  }

  it('Given a writer updating 200 rows/s on both copies up to 2 s apart, when a verification sweeps meanwhile, then no mismatch is persistent', async () => {
    const { written, report } = await verifyUnderWrites(0);
    expect(written.writes).toBeGreaterThan(400);
    expect(report.totals.persistent).toBe(0);
    // Rows caught between the writer's two writes were seen to differ, then cleared on re-check.
    expect(report.totals.transient).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  });

  it('Given the writer drops 1% of its second writes, when a verification sweeps meanwhile, then exactly the rows whose last write was dropped are persistent', async () => {
    const { written, report, persistentIds } = await verifyUnderWrites(100);
    expect(written.dropped.length).toBeGreaterThan(0);
    expect(persistentIds).toEqual(written.dropped);
    expect(report.totals).toMatchObject({ persistent: written.dropped.length, different: written.dropped.length, missing: 0 });
    expect(report.fields).toEqual({ total: written.dropped.length, updatedAt: written.dropped.length });
  });
});
