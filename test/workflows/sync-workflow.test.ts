/**
 * The sync workflow on its own: real workflow code on the Temporal dev server, activities mocked,
 * so pauses, polls, stops and continue-as-new are driven by what each mocked chunk reports,
 * without databases or a service.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncChunkInput, SyncChunkResult, SyncRef } from '../../src/activities/syncActivities.js';
import { wakeSignal } from '../../src/workflows/definitions.js';
import { stopSyncSignal, syncProgressQuery, type SyncInput, type SyncProgress, type syncWorkflow } from '../../src/workflows/syncWorkflow.js';
import { eventually } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { recorder, startMockWorker, type MockWorker } from '../support/mock-worker.js';

let mock: MockWorker | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

const idle = (): SyncChunkResult => ({ flagOff: false, changes: 0, upserted: 0, deleted: 0, failed: 0, lag: { pending: 0, oldestSeconds: 0 } });

/** The flag as `flag()` says; each chunk answers `chunk(call)` or, when that gives nothing, finds nothing pending. */
function syncActivities(opts: { flag?: () => boolean; chunk?: (call: number) => SyncChunkResult | undefined } = {}) {
  return {
    readSyncFlag: recorder<SyncRef, { name: string; enabled: boolean }>(() => ({ name: 'orders.sync', enabled: opts.flag?.() ?? true })),
    syncChunk: recorder<SyncChunkInput, SyncChunkResult>((_i, call) => opts.chunk?.(call) ?? idle()),
  };
}

const input = (extra: Partial<SyncInput> = {}): SyncInput => ({ plan: 'p', entity: 'orders', pollMs: 200, ...extra });

async function start(m: MockWorker, label: string, args: SyncInput) {
  return m.client.workflow.start<typeof syncWorkflow>('syncWorkflow', { taskQueue: m.taskQueue, workflowId: m.id(label), args: [args] });
}

describe('sync workflow with mocked activities', () => {
  it('Given the worker dies inside the flag read (no answer, no heartbeat), when sync goes on, then the read is retried after the heartbeat timeout, not the 5-minute start-to-close, and changes are applied', async () => {
    const acts = syncActivities({ chunk: (call) => (call === 1 ? { flagOff: false, changes: 2, upserted: 2, deleted: 0, failed: 0, position: '2', lag: { pending: 0, oldestSeconds: 0 } } : undefined) });
    let reads = 0;
    let release!: () => void;
    const dead = new Promise<never>((_res, rej) => (release = () => rej(new Error('test over'))));
    const read = acts.readSyncFlag;
    mock = await startMockWorker({ ...acts, readSyncFlag: (ref: SyncRef) => (++reads === 1 ? dead : read(ref)) });
    const handle = await start(mock, 'dead-flag-read', input());

    const applied = await eventually(async () => {
      const p = await handle.query(syncProgressQuery);
      return p.changes === 2 && p;
    }, 30_000);
    expect(applied.upserted).toBe(2);
    const events = (await handle.fetchHistory()).events ?? [];
    const started = events.find((e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.attempt) === 2)?.activityTaskStartedEventAttributes;
    expect(String(started?.lastFailure?.timeoutFailureInfo?.timeoutType)).toMatch(/HEARTBEAT|4/);
    await handle.signal(stopSyncSignal);
    release(); // the dead attempt ends, so the worker can shut down
  }, 40_000);

  it('Given the sync flag off, when sync starts, then it is paused naming the flag and the resume command and applies nothing; when the flag turns on and it is woken, then it applies changes', async () => {
    let on = false;
    const acts = syncActivities({
      flag: () => on,
      chunk: (call) => (call === 1 ? { flagOff: false, changes: 3, upserted: 2, deleted: 1, failed: 0, position: '3', lag: { pending: 0, oldestSeconds: 0 } } : undefined),
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'pause', input({ pollMs: 60_000 }));

    const paused = await eventually(async () => {
      const p: SyncProgress = await handle.query(syncProgressQuery);
      return p.state === 'paused' && p;
    }, 20_000);
    expect(paused.reason).toBe('flag orders.sync is off — turn it on with `migrate sync --entity orders --resume`');
    expect(paused.flag).toEqual({ name: 'orders.sync', enabled: false });
    expect(acts.syncChunk.calls).toEqual([]);

    on = true;
    await handle.signal(wakeSignal);
    const running = await eventually(async () => {
      const p = await handle.query(syncProgressQuery);
      return p.changes === 3 && p;
    }, 20_000);
    expect(running).toMatchObject({ state: 'running', upserted: 2, deleted: 1, position: '3' });
    expect(running.reason).toBeUndefined();

    await handle.signal(stopSyncSignal);
    expect(await handle.result()).toMatchObject({ changes: 3, upserted: 2, deleted: 1, failed: 0, position: '3' });
    await recordHistory(handle, 'sync-flag-pause');
  });

  it('Given nothing pending, when a chunk applies nothing, then the workflow waits the poll interval before it looks again', async () => {
    const acts = syncActivities();
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'poll', input({ pollMs: 1_500 }));

    await eventually(async () => acts.syncChunk.calls.length >= 3, 20_000);
    await handle.signal(stopSyncSignal);
    await handle.result();
    // Each look after the first follows a timer of the poll interval that fired, not a busy loop.
    const history = await handle.fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes).map((e) => e.timerStartedEventAttributes!.startToFireTimeout);
    expect(timers.length).toBeGreaterThanOrEqual(2);
    for (const t of timers) expect(Number(t!.seconds ?? 0) * 1000 + Math.round((t!.nanos ?? 0) / 1e6)).toBe(1_500);
    const fired = (history.events ?? []).filter((e) => e.timerFiredEventAttributes).length;
    expect(acts.syncChunk.calls.length).toBeLessThanOrEqual(fired + 1);
  });

  it('Given changes keep coming, when a chunk applies some, then the workflow takes the next chunk without waiting', async () => {
    const acts = syncActivities({ chunk: (call) => (call <= 3 ? { flagOff: false, changes: 10, upserted: 10, deleted: 0, failed: 0, position: String(call * 10), lag: { pending: 30 - call * 10, oldestSeconds: 1 } } : undefined) });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'busy', input({ pollMs: 60_000 }));

    await eventually(async () => acts.syncChunk.calls.length >= 4, 20_000);
    await handle.signal(stopSyncSignal);
    expect(await handle.result()).toMatchObject({ changes: 30, upserted: 30, position: '30' });
    const history = await handle.fetchHistory();
    // Only the idle chunk (the fourth) is followed by a wait.
    expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
  });

  it('Given a running sync waiting for changes, when the stop signal arrives, then it finishes at once with its totals and state stopped', async () => {
    const acts = syncActivities({
      chunk: (call) => (call === 1 ? { flagOff: false, changes: 5, upserted: 4, deleted: 0, failed: 1, position: '42', lag: { pending: 0, oldestSeconds: 0 } } : undefined),
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'stop', input({ pollMs: 600_000 }));

    await eventually(async () => acts.syncChunk.calls.length >= 2, 20_000);
    await handle.signal(stopSyncSignal);
    // Waiting ten minutes for the next poll would time the test out: the signal ends the wait.
    const totals = await handle.result();
    expect(totals).toMatchObject({ changes: 5, upserted: 4, deleted: 0, failed: 1, position: '42' });
    expect(totals.startedAt).toBeGreaterThan(0);
    expect(acts.syncChunk.calls).toHaveLength(2);
  });

  it('Given a wake signal that arrives while a chunk runs, when that chunk finds nothing, then the workflow looks again at once instead of waiting the poll', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding = false;
    // The first chunk applies a change, so the second follows at once; it is held until the test has
    // delivered the wake, so the signal lands during it; it then finds nothing.
    const chunk = recorder<SyncChunkInput, SyncChunkResult>(async (_i, call) => {
      if (call === 1) return { ...idle(), changes: 1, upserted: 1, position: '1' };
      if (call === 2) {
        holding = true;
        await held;
      }
      return idle();
    });
    mock = await startMockWorker({ ...syncActivities(), syncChunk: chunk });
    const handle = await start(mock, 'wake-during-chunk', input({ pollMs: 600_000 }));

    await eventually(async () => holding, 20_000);
    await handle.signal(wakeSignal);
    release();
    // Dropping the wake would leave the workflow in a ten-minute poll: the third look would never come.
    await eventually(async () => chunk.calls.length >= 3, 20_000);
    await handle.signal(stopSyncSignal);
    await handle.result();
    expect(chunk.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('Given a chunk that leaves changes pending, when the query asks, then it reports that chunk’s position and lag', async () => {
    // The second chunk is held until the test has asked, so the first chunk's report is the latest.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const acts = {
      readSyncFlag: recorder<SyncRef, { name: string; enabled: boolean }>(() => ({ name: 'orders.sync', enabled: true })),
      syncChunk: recorder<SyncChunkInput, SyncChunkResult>(async (_i, call) => {
        if (call === 1) return { flagOff: false, changes: 100, upserted: 100, deleted: 0, failed: 0, position: '100', lag: { pending: 250, oldestSeconds: 7 } };
        await held;
        return idle();
      }),
    };
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'lag', input({ pollMs: 600_000 }));

    const p = await eventually(async () => {
      const q = await handle.query(syncProgressQuery);
      return q.position === '100' && q;
    }, 20_000);
    expect(p.lag).toMatchObject({ pending: 250, oldestSeconds: 7 });
    expect(p.lag!.measuredAt).toBeGreaterThan(0);
    expect(p.workflowId).toBe(handle.workflowId);
    // Stopped while the held chunk runs: the stop must not wait out the ten-minute poll after it.
    await handle.signal(stopSyncSignal);
    release();
    await handle.result();
  });

  it('Given a chunk that finds the flag turned off, when the workflow goes on, then it reads the flag again and pauses instead of waiting a poll', async () => {
    let on = true;
    const acts = syncActivities({
      flag: () => on,
      chunk: (call) => {
        if (call === 1) {
          on = false;
          return { flagOff: true, changes: 2, upserted: 2, deleted: 0, failed: 0, position: '2', lag: { pending: 8, oldestSeconds: 3 } };
        }
        return undefined;
      },
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'flagoff', input({ pollMs: 600_000 }));

    const p = await eventually(async () => {
      const q = await handle.query(syncProgressQuery);
      return q.state === 'paused' && q;
    }, 20_000);
    expect(p).toMatchObject({ changes: 2, position: '2', lag: { pending: 8, oldestSeconds: 3 } });
    expect(acts.syncChunk.calls).toHaveLength(1);
    await handle.signal(stopSyncSignal);
    expect((await handle.result()).changes).toBe(2);
  });

  it('Given a history limit the sync reaches, when it continues as new, then totals, position and start time carry over', async () => {
    const acts = syncActivities({
      chunk: (call) => (call <= 8 ? { flagOff: false, changes: 1, upserted: 1, deleted: 0, failed: 0, position: String(call), lag: { pending: 8 - call, oldestSeconds: 0 } } : undefined),
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'roll', input({ pollMs: 200, rollAfterEvents: 20 }));
    const latest = mock.client.workflow.getHandle(handle.workflowId);

    await eventually(async () => (await latest.describe()).runId !== handle.firstExecutionRunId && acts.syncChunk.calls.length > 8, 30_000);
    await latest.signal(stopSyncSignal);
    const totals = await latest.result();
    expect(totals).toMatchObject({ changes: 8, upserted: 8, deleted: 0, failed: 0, position: '8' });
    const described = await latest.describe();
    // Carried from the first run: a start time taken afresh would be after the last run began.
    expect(totals.startedAt).toBeLessThan(described.startTime.getTime());
    await recordHistory(mock.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'sync-continue-as-new');
  });
});
