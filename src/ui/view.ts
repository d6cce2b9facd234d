/**
 * The words and numbers every renderer shows, derived once from plain progress snapshots, so Ink,
 * cli-progress, plain lines and docs cannot drift apart. Pure: no I/O, no colour, no clock reads.
 */
import {
  eta,
  fractionDone,
  type CutoverStatus,
  type EntityPhase,
  type EntityStatus,
  type ReverseSyncStatus,
  type RunStatus,
  type StallInfo,
  type SweepProgress,
  type SyncStatus,
  type VerificationSummary,
} from '../progress.js';
import { formatDuration } from '../plan/units.js';
import { secrets } from '../secrets.js';

/** How a piece of text should stand out; each renderer maps it to a colour or to nothing. */
export type Tone = 'normal' | 'active' | 'ok' | 'warn' | 'bad' | 'dim';

export interface ToneText {
  text: string;
  tone: Tone;
}

/** Display form of one backfill or verify sweep. */
export interface SweepView {
  kind: SweepProgress['kind'];
  state: SweepProgress['state'];
  /** In [0, 1]; 1 only when the sweep completed or done reached the total. */
  fraction: number;
  percent: string;
  /** "12,345/~20,000": the total never shows below done, "~" while it is an estimate. */
  counts: string;
  rate?: string;
  /** Present only while running and when the data supports one. */
  eta?: string;
  failures: number;
  mismatches?: number;
  /** Why it is not simply running: paused (with its flag), failed (with its reason), held up (with its cause), or the step after the sweep. */
  status?: ToneText;
  /** "stalled since 12:03:04": no progress lately, so no rate or ETA is shown. */
  stalled?: string;
}

/** Display form of one entity row. */
export interface EntityView {
  entity: string;
  phase: ToneText;
  started: boolean;
  sweep?: SweepView;
  /** "not started", "paused by flag …", "failed: …". */
  status?: ToneText;
  verification?: ToneText;
  /** "sync running · 1,234 applied · 5 pending, oldest 3s", or a warning when capture records and sync does not run. */
  sync?: ToneText;
  /** "reverse sync running · 1,234 written to the legacy · caught up through 07:12:03 · 400 own skipped". */
  reverseSync?: ToneText;
  /** "cutover stage shadow (1/4) · epoch 3 · acks · reads billing shadow, reporting shadow · writes legacy · waiting for: …". */
  cutover?: ToneText;
  /** "run at cutover · waiting for: …" (an entity driven by `migrate run`). */
  run?: ToneText;
  workflowUrl?: string;
  next?: string;
}

// Data from snapshots reaches terminals and CI logs: control characters would let a row or reason
// move the cursor or recolour the screen, and a secret must never be shown.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from a snapshot made safe to print: control characters dropped, secrets masked. */
export function clean(text: string): string {
  return secrets.redact(text.replace(CONTROL, ' '));
}

/** Exact ("12,345,678") below 100 million, then "123M" / "1.2B", so counts fit 60 columns. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const abs = Math.abs(n);
  // Exact while it fits: operators compare counts against their own SELECT count(*).
  if (abs < 100_000_000) return Math.round(n).toLocaleString('en-US');
  if (abs < 1_000_000_000) return `${trim(n / 1_000_000)}M`;
  return `${trim(n / 1_000_000_000)}B`;
}

/** "950", "12.3k", "1.2M": for one-line modes on narrow terminals, where exact counts do not fit. */
export function formatCountShort(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const abs = Math.abs(n);
  if (abs < 10_000) return Math.round(n).toLocaleString('en-US');
  if (abs < 1_000_000) return `${trim(n / 1000)}k`;
  if (abs < 1_000_000_000) return `${trim(n / 1_000_000)}M`;
  return `${trim(n / 1_000_000_000)}B`;
}

function trim(x: number): string {
  return x >= 100 ? Math.round(x).toString() : x.toFixed(1).replace(/\.0$/, '');
}

/** Rows per second: one decimal below 10, whole numbers below 10k, then "12.5k/s". */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec) || perSec < 0) return '?/s';
  if (perSec < 10) return `${perSec.toFixed(1)}/s`;
  if (perSec < 10_000) return `${Math.round(perSec).toLocaleString('en-US')}/s`;
  return `${trim(perSec / 1000)}k/s`;
}

/** Cuts text to `width` columns with an ellipsis; plain strings only (no escape codes). */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width === 1) return '…';
  return chars.slice(0, width - 1).join('') + '…';
}

/** The total to show: what was done once completed, and never less than done while running. */
export function displayTotal(sweep: Pick<SweepProgress, 'done' | 'total' | 'state'>): number {
  return sweep.state === 'completed' ? sweep.done : Math.max(sweep.total, sweep.done);
}

/** Fraction for bars: 100% only when completed or done reached the total, never past it. */
export function sweepFraction(sweep: Pick<SweepProgress, 'done' | 'total' | 'state'>): number {
  if (sweep.state === 'completed') return 1;
  return fractionDone(sweep.done, displayTotal(sweep));
}

/** "62%"; floors so a sweep shows 100% only when it really is complete. */
export function formatPercent(fraction: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  return `${Math.floor(f * 100)}%`;
}

function pausedText(sweep: Pick<SweepProgress, 'flag' | 'reason'>): string {
  const flag = sweep.flag;
  let text = 'paused';
  if (flag && !flag.enabled) text = `paused by flag ${clean(flag.name)} (off)`;
  else if (flag) text = `paused (flag ${clean(flag.name)} is on)`;
  return sweep.reason ? `${text}: ${clean(sweep.reason)}` : text;
}

/**
 * "held up: target … could not be reached … · attempt 4, next try 12:03:09 · Tracer retries by itself; …":
 * what Temporal knows about why a running sweep does not move, and what to do.
 */
export function stallText(stall: StallInfo): string {
  const parts = [`held up: ${clean(stall.message)}`];
  if (stall.since !== undefined && (stall.cause === 'worker-lost' || stall.cause === 'no-worker')) parts[0] += ` since ${clock(stall.since)}`;
  const retry: string[] = [];
  if (stall.attempt !== undefined && stall.attempt > 1) retry.push(`attempt ${stall.attempt}`);
  if (stall.nextRetryAt !== undefined) retry.push(`next try ${clock(stall.nextRetryAt)}`);
  if (stall.activities !== undefined && stall.activities > 1) retry.push(`${stall.activities} chunks alike`);
  if (retry.length > 0) parts.push(retry.join(', '));
  if (stall.fix) parts.push(clean(stall.fix));
  return parts.join(' · ');
}

/** Display form of a sweep; ETA only while running and only when a rate exists (never guessed). */
export function viewSweep(sweep: SweepProgress): SweepView {
  const total = displayTotal(sweep);
  const fraction = sweep.countsUnknown ? 0 : sweepFraction(sweep);
  const estimate = sweep.totalIsEstimate && sweep.state !== 'completed';
  const view: SweepView = {
    kind: sweep.kind,
    state: sweep.state,
    fraction,
    percent: sweep.countsUnknown ? '?%' : formatPercent(fraction),
    counts: sweep.countsUnknown ? '?/?' : `${formatCount(sweep.done)}/${estimate ? '~' : ''}${formatCount(total)}`,
    failures: sweep.failures,
  };
  if (sweep.mismatches !== undefined) view.mismatches = sweep.mismatches;
  const stalled = sweep.state === 'running' && sweep.stalledSince !== undefined;
  if (stalled) view.stalled = `stalled since ${clock(sweep.stalledSince!)}`;
  // A stalled sweep's rate and ETA describe the past: leave them out rather than show them stale.
  if (sweep.state === 'running' && !stalled && sweep.ratePerSec !== undefined) view.rate = formatRate(sweep.ratePerSec);
  if (sweep.state === 'running' && !stalled) {
    const ms = sweep.etaMs ?? eta(sweep.done, total, sweep.ratePerSec);
    if (ms !== undefined && Number.isFinite(ms) && fraction < 1) view.eta = formatDuration(ms);
  }
  if (sweep.state === 'running' && sweep.stall) view.status = { text: stallText(sweep.stall), tone: 'bad' };
  else if (sweep.state === 'running' && sweep.step) view.status = { text: clean(sweep.step), tone: 'active' };
  if (sweep.state === 'paused') view.status = { text: pausedText(sweep), tone: 'warn' };
  if (sweep.state === 'failed') {
    view.status = { text: `failed: ${sweep.reason ? clean(sweep.reason) : 'no reason recorded'}`, tone: 'bad' };
  }
  return view;
}

const PHASE_TONE: Record<EntityPhase, Tone> = {
  unknown: 'warn',
  pending: 'dim',
  backfilling: 'active',
  backfilled: 'ok',
  verifying: 'active',
  verified: 'ok',
  paused: 'warn',
  failed: 'bad',
  'cut-over': 'ok',
  retired: 'dim',
};

/** The sweep a row is about: the one the phase names, else the most recently updated one. */
export function activeSweep(status: EntityStatus): SweepProgress | undefined {
  const { backfill, verify, phase } = status;
  if (phase === 'verifying' || phase === 'verified') return verify ?? backfill;
  if (phase === 'backfilling' || phase === 'backfilled') return backfill ?? verify;
  if (backfill && verify) return verify.updatedAt >= backfill.updatedAt ? verify : backfill;
  return backfill ?? verify;
}

/** "✓ clean" or "✗ N persistent mismatches", with transient re-checks counted separately. */
export function viewVerification(v: VerificationSummary): ToneText {
  const transient = v.transient > 0 ? ` · ${formatCount(v.transient)} transient` : '';
  const compared = ` of ${formatCount(v.compared)}`;
  if (v.persistent > 0) {
    const noun = v.persistent === 1 ? 'mismatch' : 'mismatches';
    return { text: `✗ ${formatCount(v.persistent)} persistent ${noun}${compared}${transient}`, tone: 'bad' };
  }
  if (!v.passed) return { text: `✗ did not pass${compared}${transient}`, tone: 'bad' };
  return { text: `✓ clean${compared}${transient}`, tone: 'ok' };
}

/**
 * One line for forward sync: state, changes applied, lag (pending changes and the oldest one's age).
 * Warns when sync is not running while capture still records changes, naming the command to run.
 */
export function viewSync(sync: SyncStatus): ToneText {
  const state = sync.state === 'not-started' ? 'not started' : sync.state;
  const parts = [sync.reason ? `sync ${state}: ${clean(sync.reason)}` : `sync ${state}`];
  parts.push(`${formatCount(sync.changes)} applied`);
  if (sync.failed > 0) parts.push(`${formatCount(sync.failed)} failed`);
  if (sync.captureInstalled === false) parts.push('capture not installed');
  if (sync.lag) {
    parts.push(sync.lag.pending === 0 ? 'caught up' : `lag ${formatCount(sync.lag.pending)} pending, oldest ${formatDuration(sync.lag.oldestSeconds * 1000)}`);
  }
  if (sync.capture === 'updatedAt') parts.push('hard deletes not seen (capture: updatedAt)');
  if (sync.captureUnreadable) parts.push(`lag not read now (${clean(sync.captureUnreadable)})${sync.lag ? ', shown as of the last batch' : ''}`);
  const piling = sync.state !== 'running' && (sync.lag?.pending ?? 0) > 0;
  const waiting = sync.capture === 'updatedAt' ? 'changed rows wait' : 'capture still records changes';
  if (piling) parts.push(`${waiting}${sync.next ? `: run ${clean(sync.next)}` : ''}`);
  const tone: Tone = piling || sync.state === 'paused' ? 'warn' : sync.state === 'running' ? 'active' : 'dim';
  return { text: parts.join(' · '), tone };
}

/** One line for reverse sync: state, what reached the legacy, how far, and the last refusal. */
export function viewReverseSync(r: ReverseSyncStatus): ToneText {
  const parts = [`reverse sync ${r.state}`, `${formatCount(r.changes)} written to the legacy`];
  if (r.lag) parts.push(r.lag.pending === 0 ? 'caught up' : `lag ${formatCount(r.lag.pending)}+ waiting, oldest ${formatDuration(r.lag.oldestSeconds * 1000)}`);
  if (r.appliedThrough) parts.push(`applied through ${clean(r.appliedThrough)}`);
  if (r.position) parts.push(`position ${clean(r.position)}`);
  if (r.skippedOwn > 0) parts.push(`${formatCount(r.skippedOwn)} of Tracer's own skipped`);
  if (r.failed > 0) parts.push(`${formatCount(r.failed)} refused${r.lastFailure ? ` (last: ${clean(r.lastFailure)})` : ''}`);
  const tone: Tone = r.failed > 0 ? 'warn' : r.state === 'running' ? 'active' : 'dim';
  return { text: parts.join(' · '), tone };
}

/** One line for the cutover: stage, epoch, step, routing per consumer, the gate's verdict and what it waits for. */
export function viewCutover(c: CutoverStatus): ToneText {
  const parts = [c.stage ? `cutover stage ${clean(c.stage)} (${c.stageNumber}/${c.stages})` : 'cutover before the first stage', `epoch ${c.epoch}`, clean(c.step)];
  const reads = Object.entries(c.reads).map(([k, r]) => `${clean(k)} ${clean(r)}`);
  if (reads.length) parts.push(`reads ${reads.join(', ')}`);
  parts.push(`writes ${clean(c.writes)}`);
  if (c.gate) parts.push(`gate ${c.gate.verdict}`);
  if (c.waitingFor.length) parts.push(`waiting for: ${c.waitingFor.map(clean).join('; ')}`);
  const tone: Tone = c.step === 'paused' || c.gate?.verdict === 'fail' ? 'warn' : c.step === 'complete' ? 'ok' : c.step === 'aborted' ? 'dim' : 'active';
  return { text: parts.join(' · '), tone };
}

/** One line for an entity's `migrate run`: the step it is at, and what it waits for. */
export function viewRun(r: RunStatus): ToneText {
  if (r.state === 'done') return { text: 'run done', tone: 'ok' };
  const parts = [r.step === 'ended' ? 'run ended' : `run at ${clean(r.step)}${r.state === 'paused' ? ' (paused)' : ''}`];
  if (r.waitingFor.length) parts.push(`waiting for: ${r.waitingFor.map(clean).join('; ')}`);
  return { text: parts.join(' · '), tone: r.state === 'paused' || r.step === 'ended' ? 'warn' : r.state === 'waiting' ? 'normal' : 'active' };
}

/** Display form of one entity: phase, its active sweep, why it waits or stopped, what to run next. */
export function viewEntity(status: EntityStatus): EntityView {
  const sweep = activeSweep(status);
  const started = !!sweep && sweep.state !== 'not-started';
  const view: EntityView = {
    entity: clean(status.entity),
    phase: { text: status.phase, tone: PHASE_TONE[status.phase] ?? 'normal' },
    started,
  };
  if (sweep && started) view.sweep = viewSweep(sweep);
  if (status.phase === 'unknown') {
    view.status = { text: `state unknown: ${clean(status.unknownBecause ?? 'the live state could not be read')}`, tone: 'warn' };
  } else if (!started && status.phase === 'pending') {
    const waits = status.dependsOn.length > 0 ? ` · after ${status.dependsOn.map(clean).join(', ')}` : '';
    view.status = { text: `not started${waits}`, tone: 'dim' };
  } else if (!started && (status.phase === 'backfilling' || status.phase === 'verifying')) {
    // The workflow exists but has not reported a page yet: say so rather than show an empty bar.
    view.status = { text: 'starting…', tone: 'dim' };
  } else if (view.sweep?.status) {
    view.status = view.sweep.status;
  } else if (status.phase === 'paused') {
    view.status = { text: sweep ? pausedText(sweep) : 'paused', tone: 'warn' };
  } else if (status.phase === 'failed') {
    view.status = { text: `failed: ${sweep?.reason ? clean(sweep.reason) : 'no reason recorded'}`, tone: 'bad' };
  }
  if (status.lastVerification) view.verification = viewVerification(status.lastVerification);
  if (status.sync) view.sync = viewSync(status.sync);
  if (status.cutover) view.cutover = viewCutover(status.cutover);
  if (status.reverseSync) view.reverseSync = viewReverseSync(status.reverseSync);
  if (status.run) view.run = viewRun(status.run);
  if (status.workflowUrl) view.workflowUrl = clean(status.workflowUrl);
  if (status.next) view.next = clean(status.next);
  return view;
}

/** "12:03:04" in local time: the clock an operator compares with. */
export function clock(at: number): string {
  const d = new Date(at);
  const pad = (n: number) => n.toString().padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Whether colour is wanted: an explicit choice wins, else NO_COLOR (any non-empty value) turns it off. */
export function colorEnabled(explicit: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (explicit !== undefined) return explicit;
  return !env['NO_COLOR'];
}
