/**
 * `migrate verify` as a subprocess against the real services: exit codes by threshold, the --json
 * document against the printed report, sensitive values in no output and no stored report, repair's
 * confirmation rules and its refusal after the write cutover.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../support/databases.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { loadTestPlan, startTestWorker, writeTestPlan, type RunningWorker } from '../support/harness.js';
import { ORDERS_ENTITY_YAML, expectedOrder, seedOrdersPg } from '../support/seed.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { publishWrites } from '../support/routing.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/migrate.js');
const ROWS = 3_000;
const TOKEN = 'svc-token-vc';
const secretOf = (id: number) => `sekrit-${id}-zq`;
const TAMPERED = 'tampered-secret-xy';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const noSecret = (text: string) => {
  expect(text).not.toMatch(/sekrit-/);
  expect(text).not.toContain(TAMPERED);
};

describe('migrate verify (binary)', () => {
  let dbs: TestDatabases;
  let service: FulfillmentService;
  let worker: RunningWorker;
  let session: Session;
  let planFile: string;
  const tampered = [5, 600, 1200];

  beforeAll(async () => {
    dbs = await createTestDatabases('vcli');
    await seedOrdersPg(dbs.pgUrl, ROWS);
    const c = new pg.Client({ connectionString: dbs.pgUrl });
    await c.connect();
    await c.query(`alter table orders add column note text`);
    await c.query(`update orders set note = 'sekrit-' || id || '-zq'`);
    await c.end();
    service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, token: TOKEN, trackKeys: false });
    // One sensitive field; a threshold that tolerates one mismatch in 2,000 rows.
    const entities = ORDERS_ENTITY_YAML({ batch: 250, partitions: 2 })
      .replace('      updatedAt: { from: updated_at, as: timestamp }\n', '      updatedAt: { from: updated_at, as: timestamp }\n      note: { from: note, sensitive: true }\n')
      .replace(/- verify: \{[^}]*\}/, '- verify: { recheckAfter: 1s, recheckRounds: 1, maxMismatchRate: 0.0005, sampleRows: 50 }');
    const { file } = writeTestPlan({ sourceUrl: dbs.pgUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url, token: TOKEN, entitiesYaml: entities });
    planFile = file;
    const loaded = await loadTestPlan(file);
    worker = await startTestWorker(loaded);
    session = await openSession(loaded, process.env, process.cwd());
    await (await startBackfill(session, 'orders', 'test')).handle.result();
  });

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await service?.close();
    await dbs?.drop();
  });

  it('Given one tampered sensitive field (rate within the threshold), when verify runs, then it exits 0 and no secret value is printed', async () => {
    await service.putItem('orders', { ...expectedOrder(tampered[0]!), note: TAMPERED });
    const r = await run(['--plan', planFile, 'verify', '--entity', 'orders']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verdict: PASSED/);
    expect(r.stdout).toMatch(/different: 1/);
    expect(r.stdout).toMatch(/field note: 1/);
    noSecret(r.stdout + r.stderr);
  });

  it('Given three tampered rows (rate beyond the threshold), when verify --json runs, then it exits 1, the document parses, matches the reprinted report and the stored one holds no secret', async () => {
    for (const id of tampered) await service.putItem('orders', { ...expectedOrder(id), note: TAMPERED });
    const r = await run(['--plan', planFile, '--json', 'verify', '--entity', 'orders']);
    expect(r.code, r.stderr).toBe(1);
    noSecret(r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { id: string; passed: boolean; totals: Record<string, number>; samples: { key: number[]; expected?: Record<string, unknown>; actual?: Record<string, unknown> }[] };
    expect(doc.passed).toBe(false);
    expect(doc.totals).toMatchObject({ compared: ROWS, different: 3, persistent: 3 });
    expect(doc.samples.map((s) => s.key[0]).sort((a, b) => a! - b!)).toEqual(tampered);
    expect(doc.samples.every((s) => s.expected?.note === '[redacted]' && s.actual?.note === '[redacted]')).toBe(true);

    const again = await run(['--plan', planFile, 'verify', '--report', doc.id]);
    expect(again.code).toBe(1);
    const printed = Object.fromEntries(again.stdout.split('\n').filter((l) => /^[a-z ]+: /.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    expect(printed).toMatchObject({ report: doc.id, compared: String(doc.totals.compared), different: String(doc.totals.different), persistent: String(doc.totals.persistent), missing: String(doc.totals.missing) });

    const store = await session.resources.stateStore();
    noSecret(JSON.stringify((await store.getReport(doc.id))?.report));
    noSecret(JSON.stringify(await store.listAudit({ plan: session.loaded.plan.name, limit: 1000 })));
  });

  it('Given --repair without --yes and no terminal, when verify runs, then it exits 2 saying to pass --yes, before anything starts', async () => {
    const r = await run(['--plan', planFile, 'verify', '--entity', 'orders', '--repair']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
  });

  it('Given persistent mismatches, when verify --repair --dry-run runs, then it lists the keys it would repair and writes nothing', async () => {
    const before = await service.getItem('orders', { id: tampered[1]! });
    const r = await run(['--plan', planFile, 'verify', '--entity', 'orders', '--repair', '--dry-run']);
    expect(r.code).toBe(1);
    for (const id of tampered) expect(r.stderr).toContain(`would repair different [${id}]`);
    expect(await service.getItem('orders', { id: tampered[1]! })).toEqual(before);
    noSecret(r.stdout + r.stderr);
  });

  it('Given persistent mismatches, when verify --repair --yes runs, then the rows are re-pushed, the final report passes and it exits 0', async () => {
    const r = await run(['--plan', planFile, 'verify', '--entity', 'orders', '--repair', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/repaired: 3/);
    expect(r.stdout).toMatch(/persistent: 0/);
    for (const id of tampered) expect((await service.getItem('orders', { id }))?.note).toBe(secretOf(id));
    noSecret(r.stdout + r.stderr);
  });

  it('Given writes switched to the new service, when verify --repair --yes runs, then it is refused with exit 2', async () => {
    await publishWrites(await session.resources.flags(), session.loaded.plan.name, 'orders', 'new');
    const r = await run(['--plan', planFile, 'verify', '--entity', 'orders', '--repair', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused/);
  });
});
