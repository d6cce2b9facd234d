/**
 * Progress as data: what workflows answer to queries and what every renderer draws.
 * Plain JSON-safe types and pure arithmetic; nothing here does I/O.
 */

export type SweepState = 'not-started' | 'running' | 'paused' | 'completed' | 'failed';
export type SweepKind = 'backfill' | 'verify';

export interface PartitionProgress {
  index: number;
  done: number;
  /** Estimated rows in the partition; firmed up to `done` when the partition completes. */
  total: number;
  state: SweepState;
}

/** A sample of cumulative rows done at a time, for windowed rates. */
export interface RateSample {
  at: number;
  done: number;
}

export interface SweepProgress {
  kind: SweepKind;
  state: SweepState;
  /** Why it is paused or failed, in words an operator can act on. */
  reason?: string;
  done: number;
  total: number;
  /** True while `total` is an estimate. */
  totalIsEstimate: boolean;
  /** Rows per second over the recent window; absent until there is enough data. */
  ratePerSec?: number;
  /** Milliseconds to completion; absent until there is enough data. */
  etaMs?: number;
  failures: number;
  /** Verification only: rows that differ so far (before re-checks). */
  mismatches?: number;
  partitions: PartitionProgress[];
  flag?: { name: string; enabled: boolean };
  startedAt?: number;
  updatedAt: number;
  workflowId?: string;
  /** When `done` last grew (epoch ms), as the workflow saw it; what "stalled since" is measured from. */
  lastProgressAt?: number;
  /**
   * Set by the reader, not the workflow: a running sweep whose count has not grown for
   * `STALL_AFTER_MS`. Its rate and ETA are dropped then, because they describe the past.
   */
  stalledSince?: number;
  /** Why it is not progressing, from Temporal's record of its pending work (see `StallInfo`). */
  stall?: StallInfo;
  /** A running verification past its sweep: what it does now (re-checks, extras, report). */
  step?: string;
  /** No worker answered and no count was seen yet: `done`/`total` are placeholders, shown as `?`. */
  countsUnknown?: boolean;
}

/** What kind of trouble holds a sweep up: picks the words and the fix, never the retry behaviour. */
export type StallCause = 'source' | 'target' | 'state-store' | 'worker-lost' | 'no-worker' | 'other';

/**
 * Why a running sweep is not progressing, read from Temporal's own record: the last failure of a
 * pending activity (redacted), its attempt and next retry, a worker that stopped heartbeating, or a
 * task queue nobody polls. Absent while all goes well; it clears when the work recovers.
 */
export interface StallInfo {
  cause: StallCause;
  /** What happened, in words an operator can act on (already redacted by the worker). */
  message: string;
  /** What to do about it, or that Tracer retries by itself. */
  fix?: string;
  /** Attempt number of the failing activity (2 = first retry). */
  attempt?: number;
  /** When Temporal tries it again (epoch ms). */
  nextRetryAt?: number;
  /** Since when the trouble is known (epoch ms): last heartbeat, first failure. */
  since?: number;
  /** How many activities of the sweep are held up the same way. */
  activities?: number;
}

/** A running sweep whose count has not grown for this long is shown as stalled, without rate or ETA. */
export const STALL_AFTER_MS = 15_000;

/** Marks a running sweep stalled (and drops its stale rate and ETA) when it has not progressed lately. */
export function markStalled(p: SweepProgress, now: number): SweepProgress {
  if (p.state !== 'running' || p.lastProgressAt === undefined || now - p.lastProgressAt < STALL_AFTER_MS) return p;
  const { ratePerSec: _rate, etaMs: _eta, ...rest } = p;
  return { ...rest, stalledSince: p.lastProgressAt };
}

export const RATE_WINDOW_MS = 30_000;
const MIN_SAMPLE_SPAN_MS = 3_000;

/** Keeps samples inside the window (plus the one just before it, so the window is covered). */
export function pushSample(samples: readonly RateSample[], sample: RateSample, windowMs = RATE_WINDOW_MS): RateSample[] {
  const next = [...samples, sample];
  const from = sample.at - windowMs;
  let firstInside = next.findIndex((s) => s.at >= from);
  if (firstInside > 0) firstInside -= 1;
  return next.slice(Math.max(0, firstInside));
}

/** Rows/s over the samples, or undefined when they span too little time to trust. */
export function windowRate(samples: readonly RateSample[]): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const span = last.at - first.at;
  if (span < MIN_SAMPLE_SPAN_MS) return undefined;
  return Math.max(0, ((last.done - first.done) * 1000) / span);
}

/** ETA in ms; never negative, undefined without a rate; zero once done reaches total. */
export function eta(done: number, total: number, ratePerSec: number | undefined): number | undefined {
  // An empty total is not "done": the estimate is simply not in yet.
  if (total <= 0) return undefined;
  if (done >= total) return 0;
  if (!ratePerSec || ratePerSec <= 0) return undefined;
  return ((total - done) / ratePerSec) * 1000;
}

/** Fraction done in [0, 1]: never past 100% even when the estimate was low. */
export function fractionDone(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 1 : 0;
  return Math.min(1, done / total);
}

/** Sums partitions into totals; a completed partition's total is its done count. */
export function totals(partitions: readonly PartitionProgress[]): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const p of partitions) {
    done += p.done;
    total += p.state === 'completed' ? p.done : Math.max(p.total, p.done);
  }
  return { done, total };
}

/** Lifecycle phase of one entity (DESIGN.md). */
export type EntityPhase =
  | 'unknown'
  | 'pending'
  | 'backfilling'
  | 'backfilled'
  | 'verifying'
  | 'verified'
  | 'paused'
  | 'failed'
  | 'cut-over'
  | 'retired';

/** Summary of the latest stored verification report. */
export interface VerificationSummary {
  reportId: string;
  at: number;
  compared: number;
  matched: number;
  missing: number;
  different: number;
  extra: number;
  /** Differences that resolved on re-check (writes in flight). */
  transient: number;
  /** Rows that still differ after every re-check. */
  persistent: number;
  persistentRate: number;
  threshold: number;
  passed: boolean;
}

export interface EntityStatus {
  entity: string;
  phase: EntityPhase;
  dependsOn: string[];
  backfill?: SweepProgress;
  verify?: SweepProgress;
  lastVerification?: VerificationSummary;
  /** Link to the entity's current workflow in Temporal's web UI, when known. */
  workflowUrl?: string;
  /** What the operator would run next, e.g. `migrate backfill --entity orders`. */
  next?: string;
  /** Phase `unknown`: which system did not answer, so the state could not be read. */
  unknownBecause?: string;
  /** Forward sync, for an entity whose plan has a sync phase. */
  sync?: SyncStatus;
  /** The cutover, once it started. */
  cutover?: CutoverStatus;
  /** Reverse sync (service → legacy), once the write switch started it. */
  reverseSync?: ReverseSyncStatus;
  /** The entity's `migrate run`, once one started. */
  run?: RunStatus;
}

/** Where an entity's `migrate run` stands, as `migrate status`, the dashboard and `migrate plan` show it. */
export interface RunStatus {
  /** The run step it is at (capture, backfill, sync, verify, cutover, retire), `done`, or `ended` (the run workflow closed early). */
  step: string;
  state: 'working' | 'waiting' | 'paused' | 'done';
  /** Steps already done, in order. */
  done: string[];
  waitingFor: string[];
  /** The command that moves it on, when a person must act. */
  next?: string;
}

/** Where an entity's reverse sync stands, as `migrate status` and `migrate sync` show it. */
export interface ReverseSyncStatus {
  state: 'running' | 'stopped';
  /** Service changes written into the legacy; `skippedOwn`: states Tracer wrote itself, never written back. */
  changes: number;
  skippedOwn: number;
  failed: number;
  lastFailure?: string;
  /** The feed position applied: the last change's updatedAt and key. */
  position?: string;
  /** Every service change up to this time (ISO 8601) is in the legacy. */
  appliedThrough?: string;
  /** Changes seen waiting (0 when the last chunk reached the end of the feed) and the age of the oldest. */
  lag?: { pending: number; oldestSeconds: number };
}

/** Where an entity's cutover stands, as `migrate status`, the dashboard and `migrate plan` show it. */
export interface CutoverStatus {
  /** publish | acks | bake | gate | approval | write-switch | paused | complete | aborted. */
  step: string;
  /** Stage in force, and its place (1-based) among `stages`. */
  stage?: string;
  stageNumber?: number;
  stages: number;
  epoch: number;
  /** Read route per consumer in force (`shadow`, `new 10%`, …) and where writes go. */
  reads: Record<string, string>;
  writes: string;
  /** The last gate's verdict and what it found missing. */
  gate?: { verdict: 'pass' | 'fail' | 'inconclusive'; missing: string[] };
  waitingFor: string[];
  /** The command that moves it on. */
  next?: string;
}

/** Where an entity's forward sync stands, as `migrate status` and `migrate plan` show it. */
export interface SyncStatus {
  state: 'running' | 'paused' | 'stopped' | 'not-started';
  /** Changes applied since sync started (carried over continue-as-new). */
  changes: number;
  failed: number;
  /** Why it is paused or how it ended. */
  reason?: string;
  /** Changes captured and not yet applied, by the legacy database's clock; absent when capture is not installed or could not be read. */
  lag?: { pending: number; oldestSeconds: number };
  captureInstalled?: boolean;
  /** How changes are found: a change table (triggers) or a cursor over source.updatedAt, which does not see hard deletes. */
  capture?: 'triggers' | 'updatedAt';
  /** The legacy database did not answer the lag read (then `lag` is the last chunk's, if any). */
  captureUnreadable?: string;
  /** Sync is not running while capture holds changes: the command that starts or resumes it. */
  next?: string;
}

/** One frame of `migrate status`: plain data, no Temporal or database objects. */
export interface DashboardSnapshot {
  plan: string;
  takenAt: number;
  /**
   * `reconnecting` while Temporal or the state store does not answer and the last data is kept;
   * `unreachable` when there is no data to keep (every entity is `unknown`, `message` says which system).
   */
  connection: 'ok' | 'reconnecting' | 'unreachable';
  message?: string;
  entities: EntityStatus[];
}
