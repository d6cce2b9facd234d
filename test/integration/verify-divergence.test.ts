/**
 * Verification on both legacy engines through the real service: a clean backfill verifies clean;
 * seeded divergence (37 deleted, 53 changed, 11 extra) is reported with exactly those keys, extras
 * counted as persistent mismatches; repair mends the missing and different rows (audited) and leaves
 * the extras (the batch protocol has no delete), which the next run reports and counts again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { assertRepairAllowed, runRepair, startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';
import { publishWrites } from '../support/routing.js';
import { UserError } from '../../src/errors.js';
import type { VerifyEntry } from '../../src/state/types.js';

const ROWS = 5_000;

/** Distinct ids spread over the key space, chosen without overlap. */
function pick(n: number, from: number, step: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i * step);
}

describe.each(['postgres', 'mysql'] as const)('verification from %s', (engine) => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;
  const deleted = pick(37, 11, 131);
  const changed = pick(53, 17, 89);
  const extras = pick(11, 900_001, 7);

  async function entries(run: string, state: VerifyEntry['state']): Promise<VerifyEntry[]> {
    const store = await session.resources.stateStore();
    const page = await store.listVerifyEntries(session.loaded.plan.name, 'orders', `verify/${run}`, { state, limit: 10_000 });
    return page.entries;
  }
  const ids = (xs: VerifyEntry[], cls: VerifyEntry['class']) => xs.filter((x) => x.class === cls).map((x) => Number(x.key[0])).sort((a, b) => a - b);

  beforeAll(async () => {
    dbs = await createTestDatabases(`vd${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token: 'svc-token-vd', trackKeys: false });
    const { file } = writeTestPlan({ sourceUrl, stateUrl: engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl, serviceUrl: service.url, token: 'svc-token-vd', entitiesYaml: ORDERS_ENTITY_YAML({ batch: 250, partitions: 3 }) });
    const loaded = await loadTestPlan(file);
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
    const { handle } = await startBackfill(session, 'orders', 'test');
    await handle.result();
  });

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('Given a clean backfill, when a verification runs, then it passes with zero persistent mismatches and no extras', async () => {
    const { handle } = await startVerify(session, 'orders', 'test');
    const { report } = await verifyOutcome(session, handle);
    expect(report.report.totals).toMatchObject({ compared: ROWS, matched: ROWS, missing: 0, different: 0, extra: 0, persistent: 0 });
    expect(report.report.passed).toBe(true);
    expect(report.report.extras.checked).toBe(true);
  });

  it('Given 37 rows deleted, 53 changed and 11 extra in the service, when verified, repaired and verified again, then counts and keys are exact, the 11 extras count as mismatches, repair mends the 90 and the extras stay', async () => {
    for (const id of deleted) await service.deleteItem('orders', { id });
    for (const id of changed) await service.putItem('orders', { ...expectedOrder(id), total: 7 });
    for (const id of extras) await service.putItem('orders', { ...expectedOrder(1), id });

    const first = await startVerify(session, 'orders', 'test');
    const { report } = await verifyOutcome(session, first.handle);
    const r = report.report;
    expect(r.totals).toMatchObject({ compared: ROWS, missing: 37, different: 53, extra: 11, persistent: 101, transient: 0, matched: ROWS - 90 });
    expect(r.passed).toBe(false);
    expect(r.fields).toEqual({ total: 53 });
    const persistent = await entries(first.run, 'persistent');
    expect(ids(persistent, 'missing')).toEqual(deleted);
    expect(ids(persistent, 'different')).toEqual(changed);
    expect(ids(persistent, 'extra')).toEqual(extras);
    expect(r.samples.length).toBe(20);

    const repaired = await runRepair(session, 'orders', 'test-operator', { run: first.run, reportId: report.id, report: r });
    expect(repaired.result).toMatchObject({ repaired: 90, stillDifferent: 0, failures: 0 });
    expect(repaired.report.report.totals).toMatchObject({ persistent: 11, repaired: 90, extra: 11 });
    for (const id of [...deleted, ...changed]) expect(await service.getItem('orders', { id })).toEqual(expectedOrder(id));
    const store = await session.resources.stateStore();
    const audit = await store.listAudit({ plan: session.loaded.plan.name, entity: 'orders', limit: 500 });
    const repairedKeys = audit.filter((a) => a.action === 'verify.repair').flatMap((a) => (a.detail?.keys as number[][]).map((k) => Number(k[0])));
    expect(repairedKeys.sort((a, b) => a - b)).toEqual([...deleted, ...changed].sort((a, b) => a - b));
    expect(audit.filter((a) => a.action === 'verify.repair').every((a) => a.actor === 'test-operator')).toBe(true);

    const second = await startVerify(session, 'orders', 'test');
    const again = (await verifyOutcome(session, second.handle)).report.report;
    expect(again.totals).toMatchObject({ compared: ROWS, missing: 0, different: 0, extra: 11, persistent: 11 });
    expect(ids(await entries(second.run, 'persistent'), 'extra')).toEqual(extras);
    for (const id of extras) expect(await service.getItem('orders', { id })).toBeDefined();
  });

  it('Given writes switched to the new service (routing of orders sends writes to new), when repair is asked for, then it is refused with a UserError', async () => {
    const flags = await session.resources.flags();
    const epoch = await publishWrites(flags, session.loaded.plan.name, 'orders', 'new');
    try {
      await expect(assertRepairAllowed(session, 'orders')).rejects.toBeInstanceOf(UserError);
      await expect(assertRepairAllowed(session, 'orders')).rejects.toThrow(`routing epoch ${epoch} of orders sends writes to new`);
    } finally {
      await publishWrites(flags, session.loaded.plan.name, 'orders', 'legacy', 'undo');
    }
    await expect(assertRepairAllowed(session, 'orders')).resolves.toBeUndefined();
  });
});
