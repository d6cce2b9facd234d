/**
 * Per-item refusals: 1% of rows rejected with 422 land in the failure log (and only those), the rest
 * complete; `migrate failures` shows them; once the rule is lifted `migrate retry --all --yes` — the
 * real binary, as an operator runs it — brings them in and empties the log. Both legacy engines.
 * The tests of one engine are steps of one story and run in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { runMigrate, type RunResult } from '../support/processes.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import type { StateStore } from '../../src/state/types.js';
import { createStateStoreFlagProvider } from '../../src/flags/index.js';
import { publishWrites } from '../support/routing.js';

const ROWS = 5_000;
/** Ids that are multiples of 100: exactly 1% of the rows. */
const REJECTED = Array.from({ length: ROWS / 100 }, (_, i) => (i + 1) * 100);

describe.each(['postgres', 'mysql'] as const)('failure log and retry, source %s', (engine) => {
  const token = `svc-${randomBytes(8).toString('hex')}`;
  const env = { TEST_SERVICE_TOKEN: token, MIGRATE_ACTOR: 'retry-operator' };
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;
  let store: StateStore;
  let planFile: string;
  const outputs: RunResult[] = [];
  const migrate = async (...args: string[]) => {
    const r = await runMigrate(['--plan', planFile, ...args], env);
    outputs.push(r);
    return r;
  };

  beforeAll(async () => {
    dbs = await createTestDatabases(`bfr${engine}`);
    const sourceUrl = engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
    await (engine === 'postgres' ? seedOrdersPg(sourceUrl, ROWS) : seedOrdersMysql(sourceUrl, ROWS));
    service = await startFulfillmentService({
      databaseUrl: dbs.pgUrl,
      token,
      knobs: { reject: { field: 'id', pattern: '^[0-9]*00$', message: 'order id reserved by the new numbering scheme' } },
    });
    // The token reaches the plan only through the environment, as in production.
    const { file } = writeTestPlan({ sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: 200, partitions: 3 }) });
    planFile = file;
    const loaded = await loadTestPlan(file, { ...process.env, ...env });
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, { ...process.env, ...env }, process.cwd());
    store = await session.resources.stateStore();
  });

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('given a service rejecting 1% of rows with 422, when the backfill runs, then it completes with exactly those rows in the failure log, each with its reason', async () => {
    const { handle } = await startBackfill(session, 'orders', 'test');
    const result = await handle.result();
    expect(result).toMatchObject({ done: ROWS, failures: REJECTED.length });
    expect(await service.count('orders')).toBe(ROWS - REJECTED.length);

    const logged = await store.listFailures(session.loaded.plan.name, 'orders', 10_000);
    expect(logged.map((f) => Number(f.key[0])).sort((a, b) => a - b)).toEqual(REJECTED);
    for (const f of logged) {
      expect(f.status).toBe(422);
      expect(f.error).toContain('order id reserved by the new numbering scheme');
      expect(f.attempts).toBe(1);
    }
    for (const id of [1, 99, 101, ROWS - 1]) expect(await service.getItem('orders', { id })).toEqual(expectedOrder(id));
    for (const id of REJECTED) expect(await service.getItem('orders', { id })).toBeUndefined();
  });

  it('given logged failures, when `migrate failures --json` runs, then it reports the count and every key with status and reason', async () => {
    const r = await migrate('failures', '--entity', 'orders', '--limit', '1000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const listing = JSON.parse(r.stdout) as { count: number; failures: { key: unknown[]; status: number; error: string; attempts: number }[] };
    expect(listing.count).toBe(REJECTED.length);
    expect(listing.failures.map((f) => Number(f.key[0])).sort((a, b) => a - b)).toEqual(REJECTED);
    expect(listing.failures.every((f) => f.status === 422 && f.error.includes('reserved'))).toBe(true);
  });

  it('given logged failures, when `migrate failures` runs for a person, then it prints a table with reasons and the total', async () => {
    const r = await migrate('failures', '--entity', 'orders', '--limit', '5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^KEY\s+STATUS\s+ATTEMPTS/m);
    // Oldest first: which rejected keys come first depends on which partition logged first, so any of them.
    expect(r.stdout).toMatch(/^[1-9][0-9]*00\s+422\s+1\s+/m);
    expect(r.stdout).toContain('order id reserved');
    expect(r.stdout).toContain(`${REJECTED.length} failures logged for orders (showing 5`);
  });

  it('given no terminal to confirm on, when `migrate retry --all` runs without --yes, then it exits 2 and writes nothing', async () => {
    const writes = service.requestLog.writes;
    const r = await migrate('retry', '--entity', 'orders', '--all');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(service.requestLog.writes).toBe(writes);
    expect(await store.countFailures(session.loaded.plan.name, 'orders')).toBe(REJECTED.length);
  });

  it('given the rule still in force, when one key is retried, then it stays logged with attempts 2', async () => {
    const r = await migrate('retry', '--entity', 'orders', '--key', '200');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 written, 1 still failing');
    const logged = await store.listFailures(session.loaded.plan.name, 'orders', 10_000);
    expect(logged.find((f) => Number(f.key[0]) === 200)?.attempts).toBe(2);
    expect(logged).toHaveLength(REJECTED.length);
  });

  it('given writes switched to the new service, when `migrate retry --all --yes` runs, then it is refused with exit 2 and writes nothing', async () => {
    const plan = session.loaded.plan.name;
    const flags = createStateStoreFlagProvider(store, plan);
    await publishWrites(flags, plan, 'orders', 'new', 'simulated write cutover');
    try {
      const writes = service.requestLog.writes;
      const r = await migrate('retry', '--entity', 'orders', '--all', '--yes');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no longer the source of truth');
      expect(service.requestLog.writes).toBe(writes);
    } finally {
      await publishWrites(flags, plan, 'orders', 'legacy', 'back to legacy writes');
    }
  });

  it('given the rule lifted, when `migrate retry --all --yes` runs, then every rejected row arrives as mapped, the log is empty and the retry is audited', async () => {
    service.setKnobs({ reject: null });
    const r = await migrate('retry', '--entity', 'orders', '--all', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`retried ${REJECTED.length} rows of orders: ${REJECTED.length} written, 0 still failing`);
    expect(await store.countFailures(session.loaded.plan.name, 'orders')).toBe(0);
    expect(await service.count('orders')).toBe(ROWS);
    for (const id of REJECTED) expect(await service.getItem('orders', { id })).toEqual(expectedOrder(id));
    const audit = await store.listAudit({ plan: session.loaded.plan.name, entity: 'orders', limit: 20 });
    expect(audit.find((a) => a.action === 'failures.retry' && a.actor === 'retry-operator')?.detail).toMatchObject({ selected: REJECTED.length, written: REJECTED.length, remaining: 0 });
  });

  it('given every command above, when their output is read, then the service token never appears', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(5);
    for (const r of outputs) {
      expect(r.stdout).not.toContain(token);
      expect(r.stderr).not.toContain(token);
    }
  });
});
