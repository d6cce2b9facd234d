/**
 * Forward sync on real PostgreSQL and MariaDB: capture installed before the backfill, a writer
 * inserting, updating and deleting at 200 changes/s while sync runs, then: the change table drains
 * within 10 s of the writer stopping, a full verification is clean, deleted rows are absent in the
 * service and every legacy row is there exactly as mapped. And `migrate status` shows a paused sync's
 * lag as the change table counts it, with the resume command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startLiveStack, type LiveStack } from '../support/harness.js';
import { startChangeWriter } from '../support/changeWriter.js';
import { runSql } from '../support/databases.js';
import { ORDERS_SYNC_ENTITY_YAML, seedOrdersMysql, seedOrdersPg } from '../support/seed.js';
import { startBackfill } from '../../src/ops/backfill.js';
import { captureReport, installCapture, setSyncRunning, startSync, stopSync, syncProgress } from '../../src/ops/sync.js';
import { collectStatus } from '../../src/ops/status.js';
import { statusSources } from '../../src/ops/statusSources.js';
import { viewSync } from '../../src/ui/view.js';
import { startVerify, verifyOutcome } from '../../src/ops/verifyRuns.js';

const ROWS = 3_000;
const TOKEN = 'svc-token-sync';
const ENTITY_YAML = ORDERS_SYNC_ENTITY_YAML({ batch: 200, partitions: 2 });

describe.each(['postgres', 'mysql'] as const)('forward sync from %s', (engine) => {
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({
      label: 'sync',
      engine,
      seed: (url) => (engine === 'postgres' ? seedOrdersPg(url, ROWS) : seedOrdersMysql(url, ROWS)),
      service: { token: TOKEN, trackKeys: false },
      plan: { token: TOKEN, entitiesYaml: ENTITY_YAML },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('Given capture installed before the backfill and a writer at 200 changes/s during sync, when the writer stops, then lag drains within 10 s and verification is clean with deletes applied', async () => {
    const { session } = stack;
    await installCapture(session, 'orders', 'test');
    await (await startBackfill(session, 'orders', 'test')).handle.result();
    const started = await startSync(session, 'orders', 'test');
    expect(started.warnings).toEqual([]);

    const writer = await startChangeWriter(engine, stack.sourceUrl, ROWS, 200);
    // Let it write 1,200 changes (6 s at 200/s; longer on a busy machine, never fewer changes).
    await eventually(async () => writer.committed() >= 1_200, 60_000, 100);
    const written = await writer.stop();
    expect(written.inserts + written.updates + written.deletes).toBeGreaterThanOrEqual(1_200);
    expect(written.deletes).toBeGreaterThan(200);

    const log = session.resources.changeLog('orders');
    await eventually(async () => (await log.lag()).pending === 0, 10_000, 200);
    // The workflow's own view agrees once its next chunk has reported.
    const progress = await eventually(async () => {
      const p = await syncProgress(session, 'orders');
      return p?.lag?.pending === 0 && p.changes >= written.inserts + written.updates + written.deletes ? p : undefined;
    }, 15_000, 250);
    expect(progress.state).toBe('running');
    expect(progress.deleted).toBeGreaterThan(0);

    const { handle } = await startVerify(session, 'orders', 'test');
    const { report } = await verifyOutcome(session, handle);
    expect(report.report.totals).toMatchObject({ persistent: 0 });
    expect(report.report.passed).toBe(true);

    // Deleted rows are gone from the service; every legacy row is there.
    const target = session.resources.target('orders');
    const gone = await target.read(written.deleted.map((id) => ({ id })));
    expect(gone).toEqual([]);
    const source = await session.resources.source('legacy');
    const e = session.resources.entity('orders');
    let legacyCount = 0;
    for (let page = await source.readPage(e.source, {}, 1000); page.rows.length > 0; page = await source.readPage(e.source, { after: page.last }, 1000)) {
      legacyCount += page.rows.length;
      const items = await target.read(page.rows.map((r) => ({ id: Number(r.id) })));
      expect(items.length).toBe(page.rows.length);
    }
    expect(legacyCount).toBe(ROWS + written.inserts - written.deletes);

    expect(await stopSync(session, 'orders', 'test')).toBe(true);
  });

  it('Given a running sync that is paused while the application writes, when migrate status reads the plan, then it shows sync paused with the change table’s lag and the resume command', async () => {
    const { session } = stack;
    // Capture is installed by the test above; on its own (-t) this test installs it.
    if (!(await captureReport(session, 'orders')).state.installed) await installCapture(session, 'orders', 'test');
    await startSync(session, 'orders', 'test');
    await setSyncRunning(session, 'orders', false, 'test', 'status test');
    await eventually(async () => (await syncProgress(session, 'orders'))?.state === 'paused', 20_000, 200);

    // The application updates rows while sync is paused (ids the first test's writer may have deleted are skipped).
    await runSql(engine, stack.sourceUrl, `update orders set total_cents = total_cents + 1 where id <= 100`);
    const lag = await session.resources.changeLog('orders').lag();
    expect(lag.pending).toBeGreaterThan(0);

    const snap = await collectStatus(session, statusSources());
    const sync = snap.entities.find((e) => e.entity === 'orders')!.sync!;
    // Paused and nothing writing: the change table holds still, so status reads what the log says.
    expect(sync).toMatchObject({ state: 'paused', captureInstalled: true, lag: { pending: lag.pending }, next: 'migrate sync --entity orders --resume' });
    expect(sync.lag!.oldestSeconds).toBeGreaterThanOrEqual(lag.oldestSeconds);
    expect(viewSync(sync)).toMatchObject({ tone: 'warn', text: expect.stringContaining(`lag ${lag.pending.toLocaleString('en-US')} pending`) });

    expect(await stopSync(session, 'orders', 'test')).toBe(true);
  });
});
