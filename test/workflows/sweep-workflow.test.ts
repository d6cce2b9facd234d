/**
 * The sweep workflow on its own: real workflow code on the Temporal dev server, activities mocked,
 * so pauses, resumes and continue-as-new are driven step by step without databases or a service.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { withFailureMapping } from '../../src/activities/failureMapping.js';
import { TargetPermanentError } from '../../src/service/errors.js';
import type { ChunkInput, ChunkResult, SweepRef } from '../../src/activities/sweepActivities.js';
import type { SweepProgress } from '../../src/progress.js';
import { progressQuery, resumeSignal, wakeSignal, type PartitionState, type SweepInput, type SweepResult } from '../../src/workflows/definitions.js';
import type { sweepWorkflow } from '../../src/workflows/sweepWorkflow.js';
import { eventually } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { recorder, startMockWorker, type MockWorker } from '../support/mock-worker.js';

const ROWS = 60;
const PER_CHUNK = 10;

let mock: MockWorker | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

/** One partition of 60 rows that every chunk advances by 10, from the cursor it is given. */
function sweepActivities(opts: { flag?: () => boolean; chunk?: (input: ChunkInput, call: number) => ChunkResult | undefined } = {}) {
  const planSweep = recorder<SweepRef, PartitionState[]>(() => [
    { index: 0, range: {}, done: 0, total: ROWS, failures: 0, mismatches: 0, completed: false },
  ]);
  const readFlag = recorder<Pick<SweepRef, 'plan' | 'entity' | 'kind'>, { name?: string; enabled: boolean }>(() => ({
    name: 'orders.backfill',
    enabled: opts.flag?.() ?? true,
  }));
  const sweepChunk = recorder<ChunkInput, ChunkResult>((input, call) => {
    const special = opts.chunk?.(input, call);
    if (special) return special;
    const next = Number(input.cursor?.[0] ?? 0) + PER_CHUNK;
    return { cursor: [next], done: next, failures: 0, mismatches: 0, completed: next >= ROWS, flagOff: false };
  });
  const finishSweep = recorder<SweepRef & { startedAt: number; partitions: PartitionState[] }, SweepResult>((input) => ({
    kind: input.kind,
    done: input.partitions.reduce((n, p) => n + p.done, 0),
    failures: 0,
    mismatches: 0,
  }));
  return { planSweep, readFlag, sweepChunk, finishSweep };
}

const input = (extra: Partial<SweepInput> = {}): SweepInput => ({ plan: 'p', entity: 'orders', kind: 'backfill', runKey: 'backfill', ...extra });

async function start(m: MockWorker, label: string, args: SweepInput) {
  return m.client.workflow.start<typeof sweepWorkflow>('sweepWorkflow', { taskQueue: m.taskQueue, workflowId: m.id(label), args: [args] });
}

describe('sweep workflow with mocked activities', () => {
  it('Given the backfill flag off, when the sweep starts, then it pauses naming the flag and copies nothing; when the flag turns on and it is woken, then it copies every row', async () => {
    let on = false;
    const acts = sweepActivities({ flag: () => on });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'pause', input());

    const paused = await eventually(async () => {
      const p: SweepProgress = await handle.query(progressQuery);
      return p.state === 'paused' && p;
    }, 20_000);
    expect(paused.reason).toContain('orders.backfill');
    expect(paused.flag).toEqual({ name: 'orders.backfill', enabled: false });
    expect(acts.sweepChunk.calls).toEqual([]);

    on = true;
    await handle.signal(wakeSignal);
    expect(await handle.result()).toEqual({ kind: 'backfill', done: ROWS, failures: 0, mismatches: 0, partitions: [{ index: 0, done: ROWS }] });
    expect(acts.sweepChunk.calls.map((c) => c.cursor)).toEqual([undefined, [10], [20], [30], [40], [50]]);
    await recordHistory(handle, 'sweep-flag-pause');
  });

  it('Given a chunk that finds the flag turned off, when the sweep pauses and is resumed, then it continues from that chunk’s cursor', async () => {
    let on = true;
    const acts = sweepActivities({
      flag: () => on,
      chunk: (_input, call) => {
        if (call !== 2) return undefined;
        on = false;
        return { cursor: [20], done: 20, failures: 0, mismatches: 0, completed: false, flagOff: true };
      },
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'flagoff', input());
    await eventually(async () => (await handle.query(progressQuery)).state === 'paused', 20_000);
    expect((await handle.query(progressQuery)).done).toBe(20);

    on = true;
    await handle.signal(wakeSignal);
    expect((await handle.result()).done).toBe(ROWS);
    expect(acts.sweepChunk.calls.map((c) => c.cursor)).toEqual([undefined, [10], [20], [30], [40], [50]]);
  });

  it('Given the service refuses the credentials, when a chunk fails with TargetAuthError, then the sweep pauses with that reason instead of failing, and resumes on the resume signal', async () => {
    const acts = sweepActivities({
      chunk: (_input, call) => {
        if (call === 2) throw ApplicationFailure.nonRetryable('target "fulfillment" refused the credentials (HTTP 401)', 'TargetAuthError');
        return undefined;
      },
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'auth', input());

    const paused = await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.state === 'paused' && p;
    }, 20_000);
    expect(paused.reason).toBe('target "fulfillment" refused the credentials (HTTP 401)');
    expect(paused.done).toBe(10);
    // Non-retryable: the failed chunk ran once, and nothing runs while paused.
    expect(acts.sweepChunk.calls.length).toBe(2);

    await handle.signal(resumeSignal);
    expect((await handle.result()).done).toBe(ROWS);
    // The failed chunk is sent again from the same cursor.
    expect(acts.sweepChunk.calls.map((c) => c.cursor)).toEqual([undefined, [10], [10], [20], [30], [40], [50]]);
    await recordHistory(handle, 'sweep-auth-pause');
  });

  it('Given a history limit the sweep reaches, when it continues as new, then cursor, counts and start time carry over and the key space is planned once', async () => {
    const acts = sweepActivities();
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'roll', input({ rollAfterEvents: 25 }));
    const result = await handle.result();

    expect(result.done).toBe(ROWS);
    expect(acts.planSweep.calls.length).toBe(1);
    expect(acts.sweepChunk.calls.map((c) => c.cursor)).toEqual([undefined, [10], [20], [30], [40], [50]]);
    const latest = await mock.client.workflow.getHandle(handle.workflowId).describe();
    expect(latest.runId).not.toBe(handle.firstExecutionRunId);
    expect(acts.finishSweep.calls).toHaveLength(1);
    const startedAt = acts.finishSweep.calls[0]!.startedAt;
    // Carried from the first run: a start time taken afresh would be after the last run began.
    expect(startedAt).toBeLessThan(latest.startTime.getTime());
    await recordHistory(mock.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'sweep-continue-as-new');
  });

  it('Given a sweep paused by an auth failure, when it continues as new while paused, then the next run is still paused with the same reason and resumes', async () => {
    const acts = sweepActivities({
      chunk: (_input, call) => {
        if (call === 1) throw ApplicationFailure.nonRetryable('target "fulfillment" refused the credentials (HTTP 403)', 'TargetAuthError');
        return undefined;
      },
    });
    mock = await startMockWorker(acts);
    const handle = await start(mock, 'rollpaused', input({ rollAfterEvents: 20 }));
    const latest = mock.client.workflow.getHandle(handle.workflowId);

    // The paused loop looks at the history length every 3 s; past the limit it rolls.
    await eventually(async () => (await latest.describe()).runId !== handle.firstExecutionRunId, 30_000);
    const p = await eventually(async () => {
      const q = await latest.query(progressQuery);
      return q.state === 'paused' && q;
    }, 20_000);
    expect(p.reason).toBe('target "fulfillment" refused the credentials (HTTP 403)');
    expect(acts.sweepChunk.calls.length).toBe(1);

    await latest.signal(resumeSignal);
    expect((await latest.result()).done).toBe(ROWS);
    expect(acts.planSweep.calls.length).toBe(1);
  });

  it('Given the service refuses the write request itself (HTTP 404 on the endpoint), when a chunk fails, then the sweep fails after one attempt and says why instead of retrying forever', async () => {
    const acts = sweepActivities();
    const failing = withFailureMapping({
      sweepChunk: async (chunk: ChunkInput): Promise<ChunkResult> => {
        acts.sweepChunk.calls.push(chunk);
        throw new TargetPermanentError('fulfillment', 404, 'target "fulfillment" refused POST /v1/orders:batchUpsert with HTTP 404');
      },
    });
    mock = await startMockWorker({ ...acts, ...failing });
    const handle = await start(mock, 'permanent', input());

    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const failure = (activity as ActivityFailure).cause as ApplicationFailure;
    expect(failure.type).toBe('TargetPermanentError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('refused POST /v1/orders:batchUpsert with HTTP 404');
    expect(failure.message).toContain('Check targets.fulfillment');
    expect(acts.sweepChunk.calls).toHaveLength(1);
  });
});
