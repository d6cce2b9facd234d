/**
 * Timeouts and retry policies shared by every workflow. Chunk activities run for seconds and
 * heartbeat every page: the heartbeat timeout notices a dead worker well before start-to-close
 * would. Their retries are unbounded — a flaky service must never fail a sweep, only slow it;
 * permanent conditions surface as non-retryable failure types instead.
 */
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Heartbeat period of chunk activities (on a timer); the sweep's heartbeat timeout is a few of these,
 * and `migrate status` calls a worker lost after two missed beats.
 */
export const HEARTBEAT_EVERY_MS = 3_000;

/**
 * Heartbeat timeout of activities that heartbeat on a timer while they run (src/activities/keepAlive.ts,
 * every 2 s): a worker that dies inside one is noticed after this, not after start-to-close.
 */
export const KEPT_ALIVE_HEARTBEAT_TIMEOUT = '10 seconds';

/** Failure types no retry can mend, whatever the activity. */
export const PERMANENT_FAILURES = ['TargetAuthError', 'PlanMismatchError'];

/** Short bookkeeping activities: planning, flags, reports. */
export function shortActivity(extraPermanent: string[] = []): ActivityOptions {
  return {
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['PlanMismatchError', ...extraPermanent] },
  };
}

/** A short activity that heartbeats while it runs (keepAlive): retried after a dead worker's heartbeat timeout. */
export function keptAliveShortActivity(extraPermanent: string[] = []): ActivityOptions {
  return { ...shortActivity(extraPermanent), heartbeatTimeout: KEPT_ALIVE_HEARTBEAT_TIMEOUT };
}

/**
 * Chunks of a sweep or scan: bounded time, heartbeats, unbounded retries. `heartbeatTimeout` may be
 * short only for activities that heartbeat on a timer (the sweep's chunks do, every 3 s).
 */
export function chunkActivity(extraPermanent: string[] = [], heartbeatTimeout: ActivityOptions['heartbeatTimeout'] = '30s'): ActivityOptions {
  return {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '20s', nonRetryableErrorTypes: [...PERMANENT_FAILURES, ...extraPermanent] },
  };
}
