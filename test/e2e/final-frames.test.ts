/**
 * Final and late frames of the attached views (issue 9, item 4), through the real CLI with plain
 * progress: the last frame of a backfill and of a verification agrees with its totals (every
 * partition completed, none `running` under a completed total), and a verification past its sweep
 * says it is re-checking rather than sitting at `running 100%`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersPg } from '../support/seed.js';
import { runMigrate } from '../support/processes.js';

const ROWS = 2_000;

/** Plain progress lines of one kind ("backfill" or "verify") from a command's stderr. */
const progressLines = (stderr: string, kind: string) => stderr.split('\n').filter((l) => new RegExp(`^\\S+ orders ${kind} `).test(l));

describe('final frames of attached views', () => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let planFile: string;

  beforeAll(async () => {
    dbs = await createTestDatabases('frames');
    await seedOrdersPg(dbs.pgUrl, ROWS);
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, knobs: { latencyMs: 20 } });
    planFile = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, entitiesYaml: ORDERS_ENTITY_YAML({ batch: 50, partitions: 2 }) }).file;
    worker = await startTestWorker(await loadTestPlan(planFile));
  });

  afterAll(async () => {
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('given a backfill followed to its end, when the last progress line is read, then it is completed at 100% with every partition completed', async () => {
    const r = await runMigrate(['--plan', planFile, 'backfill', '--entity', 'orders', '--progress', 'plain'], { CI: '1' });
    expect(r.code).toBe(0);
    const lines = progressLines(r.stderr, 'backfill');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[lines.length - 1]).toMatch(/ orders backfill completed 100% · 2,000\/2,000 · 0 failures · partitions: 2 completed$/);
  });

  it('given rows that differ in the service, when verify is followed, then it says it is re-checking, and its last line is completed with every partition completed', async () => {
    for (const id of [7, 700]) await service.putItem('orders', { ...expectedOrder(id), total: 1 });
    const r = await runMigrate(['--plan', planFile, 'verify', '--entity', 'orders', '--progress', 'plain'], { CI: '1' });
    // Two rows still differ after every re-check: the plan's threshold is 0, so exit 1.
    expect(r.code).toBe(1);
    const lines = progressLines(r.stderr, 'verify');
    expect(lines.some((l) => / orders verify running 100% · 2,000\/2,000 · .*re-checking rows that differed \(round 1 of 2/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/ orders verify completed 100% · 2,000\/2,000 · 0 failures · 2 differ so far · partitions: 2 completed$/);
  });
});
