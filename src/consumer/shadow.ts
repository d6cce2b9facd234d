/**
 * Shadow reads, Scientist-style: the legacy answer goes back to the caller as soon as it arrives;
 * the new service is read in parallel under a timeout and its answer compared with the entity's
 * comparison rules in the background. A difference is re-checked once (both sides read again)
 * after a short delay, like `migrate verify`'s re-check, before it counts as a mismatch.
 * Nothing the new service does — slowness, errors, odd answers — can reach the caller.
 */
import type { Comparator } from '../compare/rules.js';
import type { TargetItem } from '../service/types.js';
import type { MismatchSample } from './report.js';
import type { ShadowOutcome } from './tally.js';

export type CandidateResult<T> = { kind: 'ok'; value: T; ms: number } | { kind: 'candidateError'; error: unknown; ms: number } | { kind: 'timeout'; ms: number };

/** Starts `next` now with an abort signal; resolves (never rejects) with its value, its error or a timeout. */
export function startCandidate<T>(next: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<CandidateResult<T>> {
  const ac = new AbortController();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ac.abort(new Error(`shadow read timed out after ${timeoutMs} ms`));
      resolve({ kind: 'timeout', ms: performance.now() - t0 });
    }, timeoutMs);
    timer.unref?.();
    let p: Promise<T>;
    try {
      p = Promise.resolve(next(ac.signal));
    } catch (error) {
      p = Promise.reject(error);
    }
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve({ kind: 'ok', value, ms: performance.now() - t0 });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ kind: 'candidateError', error, ms: performance.now() - t0 });
      },
    );
  });
}

export interface ShadowCompare {
  comparator: Comparator;
  /** Turn each side's answer into the target item shape the rules describe (default: as is). */
  normalize: { legacy(value: unknown): TargetItem | null | undefined; next(value: unknown): TargetItem | null | undefined };
}

type Verdict = { kind: 'match' } | { kind: 'different' | 'missing' | 'extra'; fields: string[]; legacy: TargetItem | null | undefined; next: TargetItem | null | undefined };

function nullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function judge(cmp: ShadowCompare, legacyValue: unknown, nextValue: unknown): Verdict {
  const legacy = cmp.normalize.legacy(legacyValue);
  const next = cmp.normalize.next(nextValue);
  if (nullish(legacy)) return nullish(next) ? { kind: 'match' } : { kind: 'extra', fields: ['(extra)'], legacy, next };
  const r = cmp.comparator.compare(legacy, next);
  if (r.status === 'match') return { kind: 'match' };
  if (r.status === 'missing') return { kind: 'missing', fields: ['(missing)'], legacy, next };
  return { kind: 'different', fields: r.fields, legacy, next };
}

function valueAt(item: unknown, path: string): unknown {
  let v = item;
  for (const seg of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** The differing fields' values on each side, sensitive ones already redacted by the comparator. */
function sampleOf(cmp: ShadowCompare, keyText: string, v: Exclude<Verdict, { kind: 'match' }>): MismatchSample {
  const pick = (item: TargetItem | null | undefined): Record<string, unknown> | undefined => {
    if (nullish(item)) return undefined;
    const safe = cmp.comparator.redactItem(item);
    const out: Record<string, unknown> = {};
    for (const f of v.fields) if (!f.startsWith('(')) out[f] = valueAt(safe, f) ?? null;
    return out;
  };
  const sample: MismatchSample = { key: keyText, fields: v.fields };
  const l = pick(v.legacy);
  const n = pick(v.next);
  if (l !== undefined) sample.legacy = l;
  if (n !== undefined) sample.next = n;
  return sample;
}

/**
 * Settles one shadow read: waits for the candidate, compares, re-checks a difference once after
 * `recheckDelayMs` (reading both sides again), and answers the outcome to count.
 */
export async function settleShadow<T>(args: {
  cmp: ShadowCompare;
  keyText: string;
  legacyValue: T;
  candidate: Promise<CandidateResult<T>>;
  recheck: { delayMs: number; legacy(): Promise<T>; next(): Promise<CandidateResult<T>> };
  onCandidateLatency(ms: number): void;
}): Promise<ShadowOutcome> {
  const first = await args.candidate;
  args.onCandidateLatency(first.ms);
  if (first.kind !== 'ok') return { kind: first.kind };
  const verdict = judge(args.cmp, args.legacyValue, first.value);
  if (verdict.kind === 'match') return { kind: 'match', recheckResolved: false };

  await new Promise((r) => setTimeout(r, args.recheck.delayMs));
  let legacyAgain: T;
  try {
    legacyAgain = await args.recheck.legacy();
  } catch {
    // The legacy side failed on the re-check: nothing newer to judge by, so the first verdict stands.
    return { kind: verdict.kind, fields: verdict.fields, sample: sampleOf(args.cmp, args.keyText, verdict) };
  }
  const second = await args.recheck.next();
  args.onCandidateLatency(second.ms);
  if (second.kind !== 'ok') return { kind: second.kind };
  const again = judge(args.cmp, legacyAgain, second.value);
  if (again.kind === 'match') return { kind: 'match', recheckResolved: true };
  return { kind: again.kind, fields: again.fields, sample: sampleOf(args.cmp, args.keyText, again) };
}
