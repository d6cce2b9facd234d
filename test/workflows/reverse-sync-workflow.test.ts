/**
 * The reverse sync workflow on its own: real workflow code on the Temporal dev server, the chunk
 * activity mocked, so polling, totals, the applied-through time, stop and continue-as-new follow
 * from what each mocked chunk reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReverseChunkInput, ReverseChunkResult } from '../../src/activities/reverseSyncActivities.js';
import { reverseSyncWorkflowId } from '../../src/workflows/cutoverDefinitions.js';
import { reverseSyncProgressQuery, stopSyncSignal, type ReverseSyncInput, type reverseSyncWorkflow } from '../../src/workflows/reverseSyncWorkflow.js';
import { eventually } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { recorder, startMockWorker, type MockWorker } from '../support/mock-worker.js';

let mock: MockWorker | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

const idle = (): ReverseChunkResult => ({ changes: 0, upserted: 0, deleted: 0, skippedOwn: 0, failed: 0, lag: { pending: 0, oldestSeconds: 0 } });
const input = (extra: Partial<ReverseSyncInput> = {}): ReverseSyncInput => ({ plan: 'p', entity: 'orders', pollMs: 200, ...extra });

function chunks(answer: (call: number) => ReverseChunkResult | undefined) {
  return { reverseSyncChunk: recorder<ReverseChunkInput, ReverseChunkResult>((_i, call) => answer(call) ?? idle()) };
}

async function start(m: MockWorker, label: string, args: ReverseSyncInput) {
  // Started the way the write switch starts it: by type name, with { plan, entity, pollMs }.
  return m.client.workflow.start<typeof reverseSyncWorkflow>('reverseSyncWorkflow', { taskQueue: m.taskQueue, workflowId: m.id(label), args: [args] });
}

describe('reverse sync workflow with mocked activities', () => {
  it('Given chunks that apply service changes, when progress is queried, then it sums them and reports the last position, applied-through time and lag; the stop signal ends it with those totals', async () => {
    const acts = chunks((call) =>
      call === 1
        ? { changes: 5, upserted: 4, deleted: 1, skippedOwn: 2, failed: 1, lastFailure: '7: field "status": value "lost" is not one of …', position: { updatedAt: '2026-12-03T07:00:01.000000Z', key: '9' }, appliedThrough: 1_000, lag: { pending: 0, oldestSeconds: 0 } }
        : call === 2
          ? { changes: 3, upserted: 3, deleted: 0, skippedOwn: 0, failed: 0, position: { updatedAt: '2026-12-03T07:00:02.000000Z', key: '3' }, appliedThrough: 2_000, lag: { pending: 0, oldestSeconds: 0 } }
          : undefined,
    );
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'totals', input());

    const p = await eventually(async () => {
      const q = await handle.query(reverseSyncProgressQuery);
      return q.changes === 8 && q;
    }, 20_000);
    expect(p).toMatchObject({
      state: 'running',
      changes: 8,
      upserted: 7,
      deleted: 1,
      skippedOwn: 2,
      failed: 1,
      lastFailure: '7: field "status": value "lost" is not one of …',
      position: { updatedAt: '2026-12-03T07:00:02.000000Z', key: '3' },
      appliedThrough: 2_000,
      lag: { pending: 0, oldestSeconds: 0 },
    });
    expect(acts.reverseSyncChunk.calls[0]).toEqual({ plan: 'p', entity: 'orders', maxMs: 5_000 });

    await handle.signal(stopSyncSignal);
    expect(await handle.result()).toMatchObject({ changes: 8, upserted: 7, deleted: 1, skippedOwn: 2, failed: 1, appliedThrough: 2_000 });
    await recordHistory(handle, 'reverse-sync-stop');
  });

  it('Given nothing new in the feed, when a chunk applies nothing, then the workflow waits the poll interval before it looks again', async () => {
    const acts = chunks(() => undefined);
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'poll', input({ pollMs: 1_500 }));
    await eventually(async () => acts.reverseSyncChunk.calls.length >= 3, 20_000);
    await handle.signal(stopSyncSignal);
    await handle.result();
    const history = await handle.fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes).map((e) => e.timerStartedEventAttributes!.startToFireTimeout);
    expect(timers.length).toBeGreaterThanOrEqual(2);
    for (const t of timers) expect(Number(t!.seconds ?? 0) * 1000 + Math.round((t!.nanos ?? 0) / 1e6)).toBe(1_500);
  });

  it('Given a chunk stopped by its deadline with changes left, when it returns, then the next chunk starts at once (no poll wait)', async () => {
    const acts = chunks((call) => (call === 1 ? { ...idle(), changes: 0, lag: { pending: 500, oldestSeconds: 3 } } : undefined));
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'behind', input({ pollMs: 600_000 }));
    await eventually(async () => acts.reverseSyncChunk.calls.length >= 2, 20_000);
    await handle.signal(stopSyncSignal);
    await handle.result();
    const history = await handle.fetchHistory();
    const timersBeforeSecondChunk = (history.events ?? []).findIndex((e) => e.timerStartedEventAttributes);
    const secondChunk = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes)[1];
    expect(secondChunk).toBeDefined();
    // The only timer (if any) comes after the second chunk was scheduled.
    if (timersBeforeSecondChunk >= 0) expect(Number(history.events![timersBeforeSecondChunk]!.eventId)).toBeGreaterThan(Number(secondChunk!.eventId));
  });

  it('Given a history limit the run reaches, when it continues as new, then totals, position and the applied-through time carry over', async () => {
    let n = 0;
    const acts = chunks(() => {
      n += 1;
      return { changes: 1, upserted: 1, deleted: 0, skippedOwn: 0, failed: 0, position: { updatedAt: `2026-12-03T07:00:${String(n).padStart(2, '0')}.000000Z`, key: String(n) }, appliedThrough: n * 1000, lag: { pending: 0, oldestSeconds: 0 } };
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'roll', input({ rollAfterEvents: 20 }));
    const first = await handle.describe();
    await eventually(async () => (await mock!.client.workflow.getHandle(handle.workflowId).describe()).runId !== first.runId, 30_000);
    const after = mock.client.workflow.getHandle<typeof reverseSyncWorkflow>(handle.workflowId);
    const p = await eventually(async () => {
      const q = await after.query(reverseSyncProgressQuery);
      return q.changes > 5 && q;
    }, 20_000);
    expect(p.changes).toBe(p.upserted);
    expect(p.appliedThrough).toBe(p.changes * 1000);
    expect(p.position).toEqual({ updatedAt: `2026-12-03T07:00:${String(p.changes).padStart(2, '0')}.000000Z`, key: String(p.changes) });
    await after.signal(stopSyncSignal);
    await after.result();
  });

  it('Given the shared contract, when the ID is built, then it is the entity\'s one reverse sync', () => {
    expect(reverseSyncWorkflowId('p', 'orders')).toBe('migrate/p/orders/reverse-sync');
  });
});
