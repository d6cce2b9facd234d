/**
 * Why a running sweep is not progressing, read from Temporal's own record of it: each pending
 * activity's last failure, attempt and next retry, and the time of its last heartbeat. Pure: the
 * caller passes what `describe()` returned and the time.
 */
import type { temporal } from '@temporalio/proto';
import type { StallCause, StallInfo } from '../progress.js';
import { HEARTBEAT_EVERY_MS } from '../workflows/activityOptions.js';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
type Failure = temporal.api.failure.v1.IFailure;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

/** Chunks heartbeat on a timer: two missed beats (and a second of slack) mean the worker is gone or stuck. */
export const HEARTBEAT_SILENCE_MS = 2 * HEARTBEAT_EVERY_MS + 1_000;
/** Activity types that heartbeat on a timer, so silence means something. */
const TIMER_HEARTBEATS = new Set(['sweepChunk']);
// Proto enum values (temporal.api.enums.v1): PENDING_ACTIVITY_STATE_STARTED, TIMEOUT_TYPE_*.
const STATE_STARTED = 2;
const TIMEOUT_HEARTBEAT = 4;
const TIMEOUT_START_TO_CLOSE = 1;

export function timestampMs(t: Timestamp): number | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** The innermost failure's message: Temporal wraps the activity's own words in ActivityFailure etc. */
function deepest(f: Failure): Failure {
  let cur = f;
  while (cur.cause) cur = cur.cause;
  return cur;
}

/** What kind of trouble a failure is, and what the operator can do about it. */
export function classifyFailure(failure: Failure, activity: string): { cause: StallCause; message: string; fix?: string } {
  const root = deepest(failure);
  const message = (root.message || failure.message || 'no message').trim();
  const timeout = root.timeoutFailureInfo ?? failure.timeoutFailureInfo;
  if (timeout) {
    if (timeout.timeoutType === TIMEOUT_HEARTBEAT) {
      return { cause: 'worker-lost', message: `the worker running ${activity} stopped heartbeating (crashed, killed or stuck)`, fix: 'Temporal hands the work to another worker; make sure one runs (`migrate worker --plan <file>`).' };
    }
    if (timeout.timeoutType === TIMEOUT_START_TO_CLOSE) return { cause: 'other', message: `${activity} ran past its time limit`, fix: 'Tracer retries it; if it keeps happening, look at the worker log.' };
    return { cause: 'other', message: `${activity} timed out (${message})` };
  }
  const type = root.applicationFailureInfo?.type ?? '';
  if (type === 'TargetRetryableError') return { cause: 'target', message, fix: 'Tracer retries by itself; check that the service is up and healthy.' };
  if (type === 'TargetAuthError' || type === 'TargetPermanentError' || type === 'TargetUnsupportedError') return { cause: 'target', message };
  if (type === 'SourceUnavailableError') return { cause: 'source', message, fix: 'Tracer retries by itself; check that the legacy database is up and reachable from the worker.' };
  if (type === 'StateStoreUnavailableError') return { cause: 'state-store', message, fix: 'Tracer retries by itself; check that the state store database is up.' };
  return { cause: 'other', message, fix: 'Tracer retries by itself; the worker log has the details.' };
}

/**
 * The stall of one workflow's pending activities, or undefined when none is held up. The worst
 * (most attempts) wins; `activities` counts how many share the trouble.
 */
export function stallOf(pending: readonly PendingActivity[] | null | undefined, now: number): StallInfo | undefined {
  const found: { info: StallInfo; weight: number }[] = [];
  for (const a of pending ?? []) {
    const activity = a.activityType?.name ?? 'activity';
    const attempt = a.attempt ?? 1;
    const started = a.state === STATE_STARTED;
    const beat = timestampMs(a.lastHeartbeatTime) ?? timestampMs(a.lastStartedTime);
    const silentFor = started && beat !== undefined ? now - beat : 0;
    if (started && TIMER_HEARTBEATS.has(activity) && silentFor >= HEARTBEAT_SILENCE_MS) {
      const who = a.lastWorkerIdentity ? `worker ${a.lastWorkerIdentity}` : 'the worker';
      found.push({
        weight: 1_000_000 + silentFor,
        info: {
          cause: 'worker-lost',
          message: `${who} stopped heartbeating (crashed, killed or stuck)`,
          fix: 'Temporal hands the work to another worker after the heartbeat timeout; make sure one runs (`migrate worker --plan <file>`).',
          since: beat,
          attempt,
        },
      });
      continue;
    }
    if (!a.lastFailure) continue;
    const c = classifyFailure(a.lastFailure, activity);
    const info: StallInfo = { ...c, attempt };
    // While the retry waits, Temporal records when it runs; once started the attempt itself is news.
    const next = timestampMs(a.nextAttemptScheduleTime);
    if (!started && next !== undefined) info.nextRetryAt = next;
    const lastEnded = timestampMs(a.lastAttemptCompleteTime);
    if (lastEnded !== undefined) info.since = lastEnded;
    found.push({ weight: attempt, info });
  }
  if (found.length === 0) return undefined;
  found.sort((x, y) => y.weight - x.weight);
  const worst = found[0]!.info;
  const same = found.filter((f) => f.info.cause === worst.cause).length;
  return same > 1 ? { ...worst, activities: same } : worst;
}
