/**
 * Why a sweep is not progressing, from pending-activity records shaped like what Temporal's
 * `describe()` returns (enum values as numbers, timestamps as seconds/nanos).
 */
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_SILENCE_MS, classifyFailure, stallOf } from '../../../src/ops/stall.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const SCHEDULED = 1;
const STARTED = 2;

const targetDown = {
  message: 'target "fulfillment" could not be reached for a write of 100 items: connect ECONNREFUSED 127.0.0.1:4567',
  applicationFailureInfo: { type: 'TargetRetryableError', nonRetryable: false },
};

describe('stallOf', () => {
  it('given chunks that start, heartbeat and have no failure, when read, then nothing is held up', () => {
    const healthy = [{ activityId: '1', activityType: { name: 'sweepChunk' }, state: STARTED, attempt: 1, lastStartedTime: ts(NOW - 4_000), lastHeartbeatTime: ts(NOW - 1_000), lastWorkerIdentity: 'w1' }];
    expect(stallOf(healthy as never, NOW)).toBeUndefined();
  });

  it('given a chunk waiting for its 4th attempt after the target refused connections, when read, then the failure, attempt and next try are given, with the fix', () => {
    const pending = [{ activityId: '1', activityType: { name: 'sweepChunk' }, state: SCHEDULED, attempt: 4, lastFailure: targetDown, nextAttemptScheduleTime: ts(NOW + 4_000), lastAttemptCompleteTime: ts(NOW - 1_000) }];
    expect(stallOf(pending as never, NOW)).toEqual({
      cause: 'target',
      message: 'target "fulfillment" could not be reached for a write of 100 items: connect ECONNREFUSED 127.0.0.1:4567',
      fix: 'Tracer retries by itself; check that the service is up and healthy.',
      attempt: 4,
      nextRetryAt: NOW + 4_000,
      since: NOW - 1_000,
    });
  });

  it('given a chunk whose worker last heartbeated longer ago than two beats, when read, then the worker is named as lost since that beat', () => {
    const last = NOW - HEARTBEAT_SILENCE_MS - 500;
    const pending = [{ activityId: '1', activityType: { name: 'sweepChunk' }, state: STARTED, attempt: 1, lastStartedTime: ts(NOW - 20_000), lastHeartbeatTime: ts(last), lastWorkerIdentity: 'host-a:123' }];
    const stall = stallOf(pending as never, NOW);
    expect(stall).toMatchObject({ cause: 'worker-lost', message: 'worker host-a:123 stopped heartbeating (crashed, killed or stuck)', since: last });
  });

  it('given a short bookkeeping activity that never heartbeats, when it runs for a while, then silence is not taken for a lost worker', () => {
    const pending = [{ activityId: '1', activityType: { name: 'finishSweep' }, state: STARTED, attempt: 1, lastStartedTime: ts(NOW - 30_000), lastWorkerIdentity: 'w1' }];
    expect(stallOf(pending as never, NOW)).toBeUndefined();
  });

  it('given three chunks failing alike and one failing worse, when read, then the one with most attempts is shown and the alike ones are counted', () => {
    const chunk = (attempt: number) => ({ activityId: String(attempt), activityType: { name: 'sweepChunk' }, state: SCHEDULED, attempt, lastFailure: targetDown });
    expect(stallOf([chunk(2), chunk(7), chunk(3)] as never, NOW)).toMatchObject({ cause: 'target', attempt: 7, activities: 3 });
  });
});

describe('classifyFailure', () => {
  it('given a heartbeat timeout, when classified, then it is a lost worker and says Temporal hands the work on', () => {
    expect(classifyFailure({ message: 'activity Heartbeat timeout', timeoutFailureInfo: { timeoutType: 4 } }, 'sweepChunk')).toMatchObject({
      cause: 'worker-lost',
      message: 'the worker running sweepChunk stopped heartbeating (crashed, killed or stuck)',
    });
  });

  it('given a source read failure wrapped by Temporal, when classified, then the innermost words name the source', () => {
    const failure = { message: 'Activity task failed', cause: { message: 'source "legacy" could not be read: connect ECONNREFUSED 127.0.0.1:6543', applicationFailureInfo: { type: 'SourceUnavailableError' } } };
    expect(classifyFailure(failure, 'sweepChunk')).toEqual({
      cause: 'source',
      message: 'source "legacy" could not be read: connect ECONNREFUSED 127.0.0.1:6543',
      fix: 'Tracer retries by itself; check that the legacy database is up and reachable from the worker.',
    });
  });

  it('given an untyped error, when classified, then it is shown as it is, with where to look', () => {
    expect(classifyFailure({ message: 'boom', applicationFailureInfo: { type: 'Error' } }, 'sweepChunk')).toEqual({ cause: 'other', message: 'boom', fix: 'Tracer retries by itself; the worker log has the details.' });
  });
});
