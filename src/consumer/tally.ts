/**
 * Outcome counts of one consumer instance, per routing epoch, since the last report. `drain()`
 * hands them over and starts afresh, so every outcome is in exactly one report.
 */
import { LATENCY_BUCKETS_MS, type EpochCounts, type LatencyStats, type MismatchSample } from './report.js';

export type ShadowOutcome =
  | { kind: 'match'; recheckResolved: boolean }
  | { kind: 'different' | 'missing' | 'extra'; fields: string[]; sample: MismatchSample }
  | { kind: 'candidateError' | 'timeout' };

type WriteCounter = keyof EpochCounts['writes'];

function emptyLatency(): LatencyStats {
  return { count: 0, sumMs: 0, maxMs: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
}

function emptyCounts(epoch: number): EpochCounts {
  return {
    epoch,
    reads: { legacy: 0, shadow: 0, new: 0 },
    shadow: { match: 0, mismatch: 0, missing: 0, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 },
    mismatchFields: {},
    writes: { legacy: 0, dual: 0, new: 0, fencedHeld: 0, fencedRejected: 0, secondWriteFailed: 0, replayed: 0, exhausted: 0 },
    latencyMs: { legacy: emptyLatency(), next: emptyLatency() },
    samples: [],
  };
}

function observe(l: LatencyStats, ms: number): void {
  l.count++;
  l.sumMs += ms;
  if (ms > l.maxMs) l.maxMs = ms;
  let i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  if (i < 0) i = LATENCY_BUCKETS_MS.length;
  l.buckets[i]!++;
}

export class Tally {
  private byEpoch = new Map<number, EpochCounts>();

  constructor(private readonly sampleLimit: number) {}

  private at(epoch: number): EpochCounts {
    let c = this.byEpoch.get(epoch);
    if (c === undefined) this.byEpoch.set(epoch, (c = emptyCounts(epoch)));
    return c;
  }

  read(epoch: number, route: 'legacy' | 'shadow' | 'new'): void {
    this.at(epoch).reads[route]++;
  }

  latency(epoch: number, side: 'legacy' | 'next', ms: number): void {
    observe(this.at(epoch).latencyMs[side], ms);
  }

  shadow(epoch: number, outcome: ShadowOutcome): void {
    const c = this.at(epoch);
    switch (outcome.kind) {
      case 'match':
        c.shadow.match++;
        if (outcome.recheckResolved) c.shadow.resolvedOnRecheck++;
        return;
      case 'candidateError':
      case 'timeout':
        c.shadow[outcome.kind]++;
        return;
      default:
        c.shadow.mismatch++;
        if (outcome.kind !== 'different') c.shadow[outcome.kind]++;
        for (const f of outcome.fields) c.mismatchFields[f] = (c.mismatchFields[f] ?? 0) + 1;
        if (c.samples.length < this.sampleLimit) c.samples.push(outcome.sample);
    }
  }

  write(epoch: number, counter: WriteCounter, n = 1): void {
    this.at(epoch).writes[counter] += n;
  }

  /** The counts since the last drain, oldest epoch first; the tally is empty afterwards. */
  drain(): EpochCounts[] {
    const out = [...this.byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
    this.byEpoch = new Map();
    return out;
  }
}
