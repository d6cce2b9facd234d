/**
 * A cutover stage's gate: from the evidence gathered at the stage's epoch, pass, fail or
 * inconclusive, with exactly what is missing. Pure and deterministic (the cutover workflow imports
 * it); the activities gather the evidence (src/activities/cutoverActivities.ts).
 *
 * Checks, per stage:
 * - **acks**: every consumer in scope has at least one live instance and every live instance applies
 *   the stage's epoch (an instance silent for longer than `instanceTimeoutMs` counts as gone);
 * - **mismatch** (when the gate sets `maxMismatchRate` or `minSamples`), per consumer in scope:
 *   for a consumer that shadows in this stage, its shadow comparisons at the epoch (`match +
 *   mismatch`; errors and timeouts are no comparison) must number at least `minSamples`, and the
 *   Wilson score upper bound of the mismatch rate at z = 1.96 (95 % two-sided, 97.5 % one-sided
 *   confidence) must be at most `maxMismatchRate`; with `maxMismatchRate: 0` no mismatch at all is
 *   allowed (no bound reaches 0). The rate is clearly over (fail) when the Wilson *lower* bound is
 *   above it, or when every sample asked for is in and the observed rate is above it; otherwise too
 *   few samples is inconclusive. A consumer that reads `new` (or a percent) in this stage makes no
 *   comparisons: `minSamples` counts its reads served by the new service at the epoch;
 * - **verification**: the entity's last verification passed and finished within `verificationMaxAgeMs`;
 *   persistent mismatches fail (an integrity signal), none or too old is inconclusive;
 * - **lag**: the forward sync runs and its oldest unsent change is at most `maxLagMs` old.
 */
import type { ReadRoute } from '../flags/routing.js';
import type { ResolvedStage } from './stages.js';

/** z of the Wilson score interval: 95 % two-sided. */
export const WILSON_Z = 1.96;
/** A verification older than this no longer counts as fresh (24 h). */
export const VERIFICATION_MAX_AGE_MS = 24 * 3_600_000;
/** An instance that has not reported for this long no longer holds up the acknowledgement (2 min). */
export const INSTANCE_TIMEOUT_MS = 120_000;

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** What one consumer instance last acknowledged. */
export interface InstanceAck {
  instance: string;
  epoch: number | null;
  /** ms since the epoch of its last report. */
  updatedAt: number;
  inFlightWrites: number;
  routingStale: boolean;
}

/** What one consumer reported at the stage's epoch, summed over its instances. */
export interface ConsumerEvidence {
  instances: InstanceAck[];
  /** Shadow outcomes at the epoch. */
  shadow: { match: number; mismatch: number; candidateError: number; timeout: number };
  /** Reads the new service answered at the epoch. */
  readsNew: number;
}

/** The evidence of one stage at one moment, as the activities gather it (plain data). */
export interface GateEvidence {
  epoch: number;
  /** When gathered (ms since the epoch). */
  at: number;
  consumers: Record<string, ConsumerEvidence>;
  /** The last verification; null when none ran; absent when the entity has no verify phase. */
  verification?: { reportId: string; finishedAt: number; passed: boolean; persistent: number; compared: number } | null;
  /** The forward sync; absent when the entity has no sync phase. */
  sync?: { running: boolean; pending: number; oldestSeconds: number; maxLagMs: number };
}

export type CheckKind = 'acks' | 'mismatch' | 'verification' | 'lag';

export interface GateCheck {
  check: CheckKind;
  consumer?: string;
  verdict: Verdict;
  /** What was seen, in one line. */
  detail: string;
  /** When not passing: exactly what is missing or wrong, e.g. `412 more samples from billing`. */
  missing?: string;
  /** A failure that says the data is wrong (not merely late): the writes stage rolls back by itself only on these. */
  integrity?: boolean;
}

export interface GateResult {
  verdict: Verdict;
  checks: GateCheck[];
  /** The `missing` text of every check that did not pass, in check order. */
  missing: string[];
  /** True when a failing check is an integrity signal. */
  integrity: boolean;
}

export interface GateOptions {
  verificationMaxAgeMs?: number;
  instanceTimeoutMs?: number;
  z?: number;
}

/** Wilson score interval of `k` successes out of `n` at `z`; [0, 1] when n is 0. */
export function wilsonInterval(k: number, n: number, z = WILSON_Z): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, (centre - half) / denom), upper: Math.min(1, (centre + half) / denom) };
}

/**
 * The fewest comparisons, at the observed rate `k/n` (0 when none), after which the Wilson upper
 * bound is at most `max`; undefined when no number of samples gets there (the rate itself is at or above `max`).
 */
export function samplesForBound(k: number, n: number, max: number, z = WILSON_Z): number | undefined {
  const p = n > 0 ? k / n : 0;
  if (max <= 0 || p >= max) return undefined;
  const ok = (m: number) => wilsonInterval(p * m, m, z).upper <= max;
  let hi = Math.max(1, n);
  while (!ok(hi)) {
    hi *= 2;
    if (hi > 1e12) return undefined;
  }
  let lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const pct = (x: number) => `${(x * 100).toFixed(x * 100 < 0.1 && x > 0 ? 3 : 2)}%`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function ackCheck(consumer: string, ev: ConsumerEvidence | undefined, epoch: number, at: number, timeoutMs: number): GateCheck {
  const live = (ev?.instances ?? []).filter((i) => at - i.updatedAt <= timeoutMs);
  const behind = live.filter((i) => i.epoch === null || i.epoch < epoch);
  if (live.length === 0) {
    const gone = (ev?.instances ?? []).length;
    return { check: 'acks', consumer, verdict: 'inconclusive', detail: gone ? `${plural(gone, 'instance')}, none reported in the last ${Math.round(timeoutMs / 1000)}s` : 'no instance has reported', missing: `no acknowledgement of epoch ${epoch} from ${consumer}` };
  }
  if (behind.length > 0) {
    const names = behind.map((i) => `${i.instance} on ${i.epoch === null ? 'no epoch' : `epoch ${i.epoch}`}`).join(', ');
    return { check: 'acks', consumer, verdict: 'inconclusive', detail: `${live.length - behind.length} of ${plural(live.length, 'instance')} on epoch ${epoch}`, missing: `no acknowledgement of epoch ${epoch} from ${consumer} (${names})` };
  }
  return { check: 'acks', consumer, verdict: 'pass', detail: `${plural(live.length, 'instance')} on epoch ${epoch}` };
}

function mismatchCheck(consumer: string, route: ReadRoute, ev: ConsumerEvidence | undefined, gate: ResolvedStage['gate'], z: number): GateCheck {
  const min = gate.minSamples ?? 1;
  const max = gate.maxMismatchRate;
  if (route !== 'shadow') {
    const n = ev?.readsNew ?? 0;
    if (n >= min) return { check: 'mismatch', consumer, verdict: 'pass', detail: `${n} reads served by new (no comparisons on this route)` };
    return { check: 'mismatch', consumer, verdict: 'inconclusive', detail: `${n} reads served by new`, missing: `${min - n} more reads from ${consumer} on new` };
  }
  const s = ev?.shadow ?? { match: 0, mismatch: 0, candidateError: 0, timeout: 0 };
  const n = s.match + s.mismatch;
  const k = s.mismatch;
  const extra = s.candidateError + s.timeout > 0 ? `; ${s.candidateError} errors, ${s.timeout} timeouts not counted` : '';
  if (max === undefined) {
    if (n >= min) return { check: 'mismatch', consumer, verdict: 'pass', detail: `${n} comparisons, ${k} mismatches${extra}` };
    return { check: 'mismatch', consumer, verdict: 'inconclusive', detail: `${n} comparisons${extra}`, missing: `${min - n} more samples from ${consumer}` };
  }
  const { lower, upper } = wilsonInterval(k, n, z);
  const seen = `${k} of ${n} compared differ (${n ? pct(k / n) : '—'}, upper bound ${pct(upper)} at z ${z}; limit ${pct(max)})${extra}`;
  if (max === 0) {
    if (k > 0) return { check: 'mismatch', consumer, verdict: 'fail', detail: seen, missing: `${consumer}: ${plural(k, 'mismatch', 'mismatches')} where the gate allows none`, integrity: true };
    if (n >= min) return { check: 'mismatch', consumer, verdict: 'pass', detail: seen };
    return { check: 'mismatch', consumer, verdict: 'inconclusive', detail: seen, missing: `${min - n} more samples from ${consumer}` };
  }
  if (n > 0 && (lower > max || (n >= min && k / n > max))) {
    return { check: 'mismatch', consumer, verdict: 'fail', detail: seen, missing: `${consumer}: mismatch rate ${pct(k / n)} is above ${pct(max)}`, integrity: true };
  }
  if (n >= min && upper <= max) return { check: 'mismatch', consumer, verdict: 'pass', detail: seen };
  const forBound = samplesForBound(k, n, max, z) ?? n;
  const need = Math.max(min, forBound) - n;
  return { check: 'mismatch', consumer, verdict: 'inconclusive', detail: seen, missing: `${Math.max(1, need)} more samples from ${consumer}` };
}

function verificationCheck(entity: string, v: GateEvidence['verification'], at: number, maxAgeMs: number): GateCheck | undefined {
  if (v === undefined) return undefined;
  if (v === null) return { check: 'verification', verdict: 'inconclusive', detail: 'no verification has run', missing: `a verification of ${entity}: run \`migrate verify --entity ${entity}\`` };
  const ageMs = Math.max(0, at - v.finishedAt);
  const age = ageMs >= 3_600_000 ? `${Math.floor(ageMs / 3_600_000)}h old` : `${Math.floor(ageMs / 60_000)}m old`;
  const detail = `report ${v.reportId}: ${v.compared} compared, ${v.persistent} persistent mismatches, ${age}`;
  if (!v.passed) return { check: 'verification', verdict: 'fail', detail, missing: `the last verification of ${entity} found ${plural(v.persistent, 'persistent mismatch', 'persistent mismatches')}: repair with \`migrate verify --entity ${entity} --repair\``, integrity: true };
  if (ageMs > maxAgeMs) return { check: 'verification', verdict: 'inconclusive', detail, missing: `a fresh verification of ${entity} (the last is ${age}, limit ${Math.round(maxAgeMs / 3_600_000)}h): run \`migrate verify --entity ${entity}\`` };
  return { check: 'verification', verdict: 'pass', detail };
}

function lagCheck(entity: string, s: GateEvidence['sync']): GateCheck | undefined {
  if (s === undefined) return undefined;
  const limit = `${s.maxLagMs / 1000}s`;
  if (!s.running) return { check: 'lag', verdict: 'inconclusive', detail: `sync not running, ${s.pending} changes wait`, missing: `a running forward sync of ${entity}: start it with \`migrate sync --entity ${entity}\`` };
  const detail = `${s.pending} changes pending, oldest ${s.oldestSeconds.toFixed(1)}s (limit ${limit})`;
  if (s.pending > 0 && s.oldestSeconds * 1000 > s.maxLagMs) return { check: 'lag', verdict: 'inconclusive', detail, missing: `forward sync of ${entity} to catch up: oldest unsent change ${s.oldestSeconds.toFixed(1)}s old, limit ${limit}` };
  return { check: 'lag', verdict: 'pass', detail };
}

/** The gate of `stage` on `evidence`: every check, and the verdict (any fail fails; else any inconclusive; else pass). */
export function evaluateGate(entity: string, stage: ResolvedStage, evidence: GateEvidence, opts: GateOptions = {}): GateResult {
  const z = opts.z ?? WILSON_Z;
  const checks: GateCheck[] = [];
  for (const c of stage.scope) checks.push(ackCheck(c, evidence.consumers[c], evidence.epoch, evidence.at, opts.instanceTimeoutMs ?? INSTANCE_TIMEOUT_MS));
  if (stage.gate.maxMismatchRate !== undefined || stage.gate.minSamples !== undefined) {
    for (const c of stage.scope) checks.push(mismatchCheck(c, stage.reads[c] ?? 'legacy', evidence.consumers[c], stage.gate, z));
  }
  const v = verificationCheck(entity, evidence.verification, evidence.at, opts.verificationMaxAgeMs ?? VERIFICATION_MAX_AGE_MS);
  if (v) checks.push(v);
  const l = lagCheck(entity, evidence.sync);
  if (l) checks.push(l);
  const verdict: Verdict = checks.some((c) => c.verdict === 'fail') ? 'fail' : checks.some((c) => c.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  const missing = checks.filter((c) => c.verdict !== 'pass' && c.missing !== undefined).map((c) => c.missing!);
  return { verdict, checks, missing, integrity: checks.some((c) => c.verdict === 'fail' && c.integrity === true) };
}

/** Consumers in scope that have not acknowledged `epoch` (what the cutover waits for before baking). */
export function unacknowledged(stage: ResolvedStage, evidence: Pick<GateEvidence, 'epoch' | 'at' | 'consumers'>, opts: GateOptions = {}): GateCheck[] {
  return stage.scope.map((c) => ackCheck(c, evidence.consumers[c], evidence.epoch, evidence.at, opts.instanceTimeoutMs ?? INSTANCE_TIMEOUT_MS)).filter((c) => c.verdict !== 'pass');
}
