/**
 * Forward sync with `capture: updatedAt` on real PostgreSQL and MariaDB (no triggers, nothing
 * installed): a writer inserting and updating at 200 changes/s while sync runs, then the cursor's
 * lag returns to 0 within 10 s of the writer stopping and the service equals the legacy row by row;
 * a worker that starts with no memory re-sends the overlap and changes nothing; a transaction that
 * commits late is found by the overlap; a row deleted in the legacy is not claimed synced: status
 * says deletes are not seen and verification reports the row; nothing is installed, and a stopped
 * sync's waiting rows are shown with the start command.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { startChangeWriter } from '../support/changeWriter.js';
import { runSql } from '../support/databases.js';
import { ORDERS_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { captureReport, capturePlan, installCapture, startSync, stopSync, syncProgress, uninstallCapture, UPDATED_AT_BLIND_SPOT } from '../../src/ops/sync.js';
import { UserError } from '../../src/errors.js';
import { collectStatus } from '../../src/ops/status.js';
import { statusSources } from '../../src/ops/statusSources.js';
import { viewSync } from '../../src/ui/view.js';
import { startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';
import { cursorSyncChunk } from '../../src/activities/syncActivities.js';
import { savedCursor } from '../../src/sync/lag.js';
import type { Session } from '../../src/ops/session.js';

const ROWS = 3_000;
const TOKEN = 'svc-token-sync-cursor';
// No delete endpoint: this capture never sends deletes, so the plan needs none.
const ENTITY_YAML = ORDERS_ENTITY_YAML({ batch: 200, partitions: 2 }).replace(
  '      - verify:',
  '      - sync: { capture: updatedAt, overlap: 2s, batchSize: 200, poll: 200ms, flag: orders.sync }\n      - verify:',
);

/** Rows past the saved cursor, as `migrate status` reads them. */
async function cursorLag(session: Session) {
  const cursor = await savedCursor(await session.resources.stateStore(), session.loaded.plan.name, 'orders');
  return session.resources.updatedAtCursor('orders').lag(cursor);
}

/** Every legacy row, mapped as the plan maps it, against the service's item of the same key; returns the row count. */
async function expectServiceEqualsLegacy(session: Session): Promise<number> {
  const source = await session.resources.source('legacy');
  const e = session.resources.entity('orders');
  const mapping = session.resources.mapping('orders');
  const target = session.resources.target('orders');
  let count = 0;
  for (let page = await source.readPage(e.source, {}, 1000); page.rows.length > 0; page = await source.readPage(e.source, { after: page.last }, 1000)) {
    count += page.rows.length;
    const expected = page.rows.map((r) => mapping.map(r));
    const items = await target.read(page.rows.map((r) => ({ id: Number(r.id) })));
    const byId = new Map(items.map((i) => [Number(i.id), i]));
    for (const want of expected) expect(byId.get(Number(want.id))).toEqual(want);
  }
  return count;
}

/** The service's item of this id equals the legacy row as mapped now. */
async function serviceMatches(session: Session, id: number): Promise<boolean> {
  const source = await session.resources.source('legacy');
  const [row] = await source.readByKeys(session.resources.entity('orders').source, [[id]]);
  const [item] = await session.resources.target('orders').read([{ id }]);
  return row !== undefined && JSON.stringify(item) === JSON.stringify(session.resources.mapping('orders').map(row));
}

describe.each(['postgres', 'mysql'] as const)('forward sync by updatedAt from %s', (engine) => {
  let stack: LiveStack;

  const exec = (sql: string) => runSql(engine, stack.sourceUrl, sql);
  const nowSql = () => (engine === 'postgres' ? 'now()' : 'UTC_TIMESTAMP(6)');

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'sync-cursor',
      engine,
      seed: (url) => (engine === 'postgres' ? seedOrdersPg(url, ROWS) : seedOrdersMysql(url, ROWS)),
      service: { token: TOKEN, trackKeys: false },
      plan: { token: TOKEN, entitiesYaml: ENTITY_YAML },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('Given a writer inserting and updating at 200 changes/s during sync, when the writer stops, then the lag returns to 0 within 10 s and the service equals the legacy row by row', async () => {
    const { session } = stack;
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    const started = await startSync(session, 'orders', 'test');
    expect(started.warnings).toEqual([UPDATED_AT_BLIND_SPOT]);
    // The first pass has no cursor yet: it reads the whole table once.
    await eventually(async () => (await cursorLag(session)).pending === 0, 60_000, 200);

    const writer = await startChangeWriter(engine, stack.sourceUrl, ROWS, 200, 4, { deletes: false });
    await eventually(async () => writer.committed() >= 1_200, 60_000, 100);
    const written = await writer.stop();
    expect(written.deletes).toBe(0);
    expect(written.inserts).toBeGreaterThanOrEqual(480);

    await eventually(async () => (await cursorLag(session)).pending === 0, 10_000, 200);
    const progress = await eventually(async () => {
      const p = await syncProgress(session, 'orders');
      return p?.lag?.pending === 0 && p.changes >= written.inserts ? p : undefined;
    }, 15_000, 250);
    expect(progress).toMatchObject({ state: 'running', deleted: 0, failed: 0 });

    expect(await expectServiceEqualsLegacy(session)).toBe(ROWS + written.inserts);
    const { handle } = await startVerify(session, 'orders', 'test');
    const { report } = await verifyOutcome(session, handle);
    expect(report.report.totals).toMatchObject({ compared: ROWS + written.inserts, persistent: 0, extra: 0 });
    expect(report.report.passed).toBe(true);
  });

  it('Given 50 rows updated in one statement and synced, when a worker with no memory of what it sent passes again, then it re-sends them from the overlap, a second pass sends nothing and the service still equals the legacy', async () => {
    const { session } = stack;
    await exec(`update orders set total_cents = total_cents + 7, updated_at = ${nowSql()} where id between 2001 and 2050`);
    await eventually(async () => (await cursorLag(session)).pending === 0, 10_000, 200);
    await eventually(async () => serviceMatches(session, 2050), 10_000, 200);

    // As a newly started worker: its own memory, empty. Every row of the last statement is within the overlap of the cursor.
    const memory = new Map();
    const first = await cursorSyncChunk(session.resources, memory, { plan: session.loaded.plan.name, entity: 'orders', maxMs: 5_000 }, () => undefined);
    expect(first.changes).toBeGreaterThanOrEqual(50);
    expect(first.failed).toBe(0);
    expect(first.lag.pending).toBe(0);
    const second = await cursorSyncChunk(session.resources, memory, { plan: session.loaded.plan.name, entity: 'orders', maxMs: 5_000 }, () => undefined);
    expect(second.changes).toBe(0);

    const rows = await expectServiceEqualsLegacy(session);
    const { handle } = await startVerify(session, 'orders', 'test');
    const { report } = await verifyOutcome(session, handle);
    expect(report.report.totals).toMatchObject({ compared: rows, persistent: 0, extra: 0 });
  });

  it('Given a transaction that stamps a row, then a later-stamped change is synced before it commits, when it commits, then the overlap finds the row and the service gets it', async () => {
    const { session } = stack;
    // Both stamps in the past, so the pass starts the overlap before the cursor (not before the
    // clock): how long the wait below takes then does not matter.
    const stamp = new Date(Date.now() - 1_000);
    const later = new Date(stamp.getTime() + 500);
    const text = (d: Date) => (engine === 'postgres' ? d.toISOString() : d.toISOString().replace('T', ' ').replace('Z', ''));
    // The slow transaction: its row carries an updatedAt earlier than a change committed (and synced) before it.
    let commit: () => Promise<void>;
    if (engine === 'postgres') {
      const c = new pg.Client({ connectionString: stack.sourceUrl });
      await c.connect();
      await c.query('begin');
      await c.query('update orders set total_cents = 424242, updated_at = $1 where id = 2500', [text(stamp)]);
      commit = async () => void (await c.query('commit').finally(() => c.end()));
    } else {
      const c = await mysql.createConnection({ uri: stack.sourceUrl });
      await c.beginTransaction();
      await c.query('update orders set total_cents = 424242, updated_at = ? where id = 2500', [text(stamp)]);
      commit = async () => void (await c.commit().finally(() => c.end()));
    }
    await exec(`update orders set total_cents = 171717, updated_at = '${text(later)}' where id = 2501`);
    await eventually(async () => (await session.resources.target('orders').read([{ id: 2501 }]))[0]?.total === 171717, 10_000, 200);
    // The cursor is saved right after the service acknowledged the page: it now stands past the slow row's stamp.
    const cursor = await eventually(async () => {
      const c = await savedCursor(await session.resources.stateStore(), session.loaded.plan.name, 'orders');
      return c?.key[0] === 2501 && c;
    }, 10_000, 100);
    expect(cursor.key).toEqual([2501]);

    await commit();
    await eventually(async () => (await session.resources.target('orders').read([{ id: 2500 }]))[0]?.total === 424242, 10_000, 200);
    expect(await serviceMatches(session, 2500)).toBe(true);
  });

  it('Given a row deleted in the legacy while sync runs, when sync has caught up, then nothing claims it synced: no delete is counted, status says hard deletes are not seen and verification reports the row the service still holds', async () => {
    const { session } = stack;
    const before = await syncProgress(session, 'orders');
    await exec('delete from orders where id = 1234');
    await exec(`update orders set status = 'SHIPPED', updated_at = ${nowSql()} where id = 1235`);
    await eventually(async () => (await session.resources.target('orders').read([{ id: 1235 }]))[0]?.status === 'shipped', 10_000, 200);
    await eventually(async () => (await cursorLag(session)).pending === 0, 10_000, 200);

    // The workflow counts a chunk's changes when the chunk returns.
    const progress = await eventually(async () => {
      const p = await syncProgress(session, 'orders');
      return p !== undefined && p.changes > (before?.changes ?? 0) && p;
    }, 15_000, 250);
    expect(progress.deleted).toBe(0);
    expect(await session.resources.target('orders').read([{ id: 1234 }])).toHaveLength(1);

    const snap = await collectStatus(session, statusSources());
    const sync = snap.entities.find((e) => e.entity === 'orders')!.sync!;
    expect(sync).toMatchObject({ state: 'running', capture: 'updatedAt', lag: { pending: 0 } });
    expect(sync.captureInstalled).toBeUndefined();
    expect(viewSync(sync).text).toContain('hard deletes not seen (capture: updatedAt)');

    const { handle } = await startVerify(session, 'orders', 'test');
    const { report } = await verifyOutcome(session, handle);
    expect(report.report.totals).toMatchObject({ extra: 1, persistent: 1 });
    expect(report.report.passed).toBe(false);
  });

  it('Given capture: updatedAt, when the trigger DDL is asked for, then it is refused naming the start command; stopped while a row changes, then the capture report and status say rows wait and name the start command', async () => {
    const { session } = stack;
    expect(() => capturePlan(session, 'orders', 'install')).toThrow('entity "orders" syncs with capture: updatedAt, which installs nothing in the legacy database');
    await expect(installCapture(session, 'orders', 'test')).rejects.toBeInstanceOf(UserError);
    await expect(uninstallCapture(session, 'orders', 'test')).rejects.toBeInstanceOf(UserError);

    expect(await stopSync(session, 'orders', 'test')).toBe(true);
    await exec(`update orders set total_cents = total_cents + 1, updated_at = ${nowSql()} where id = 1500`);
    const report = await captureReport(session, 'orders');
    expect(report).toMatchObject({ capture: 'updatedAt', state: { installed: true, present: [] }, lag: { pending: 1 }, syncRunning: false });

    const sync = (await collectStatus(session, statusSources())).entities.find((e) => e.entity === 'orders')!.sync!;
    expect(sync).toMatchObject({ state: 'stopped', capture: 'updatedAt', lag: { pending: 1 }, next: 'migrate sync --entity orders' });
    expect(viewSync(sync)).toMatchObject({ tone: 'warn', text: expect.stringContaining('changed rows wait: run migrate sync --entity orders') });
  });
});
