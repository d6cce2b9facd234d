/**
 * Pure key-space splitting: turn boundaries (from min/max arithmetic or from a sorted sample) into
 * contiguous, non-overlapping ranges whose union is the whole key space, open at both ends so rows
 * inserted below the old minimum or above the old maximum still belong to a partition.
 */
import type { KeyPart, KeyRange, KeyTuple } from './types.js';

/** Ranges `(-inf, b1], (b1, b2], …, (b_last, +inf)` from strictly increasing boundaries. */
export function rangesFromBoundaries(boundaries: readonly KeyTuple[]): KeyRange[] {
  if (boundaries.length === 0) return [{}];
  const ranges: KeyRange[] = [{ upTo: boundaries[0]! }];
  for (let i = 1; i < boundaries.length; i++) ranges.push({ after: boundaries[i - 1]!, upTo: boundaries[i]! });
  ranges.push({ after: boundaries[boundaries.length - 1]! });
  return ranges;
}

function toBigInt(v: KeyPart): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer key value: ${v}`);
    return BigInt(v);
  }
  return BigInt(v);
}

/** A bigint as a KeyPart: a number when a double holds it exactly, else its decimal string. */
export function fromBigInt(v: bigint): KeyPart {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/**
 * n-1 evenly spaced integer boundaries between min and max (fewer when the span is smaller than n),
 * in bigint arithmetic so 64-bit keys split exactly.
 */
export function evenIntegerBoundaries(min: KeyPart, max: KeyPart, n: number): KeyTuple[] {
  const lo = toBigInt(min);
  const hi = toBigInt(max);
  const out: KeyTuple[] = [];
  if (n <= 1 || hi <= lo) return out;
  const span = hi - lo;
  let previous: bigint | undefined;
  for (let i = 1; i < n; i++) {
    const b = lo + (span * BigInt(i)) / BigInt(n);
    // The last range must keep max; equal neighbours would make an empty, overlapping range.
    if (b >= hi || b === previous) continue;
    out.push([fromBigInt(b)]);
    previous = b;
  }
  return out;
}

/**
 * n-1 boundaries at the sample's quantiles. `sorted` must be in the database's key order (sorted by
 * SQL, so collations apply) and hold distinct keys, which a sample of a unique key does.
 */
export function quantileBoundaries(sorted: readonly KeyTuple[], n: number): KeyTuple[] {
  const out: KeyTuple[] = [];
  if (n <= 1 || sorted.length === 0) return out;
  let previous = -1;
  for (let i = 1; i < n; i++) {
    const idx = Math.floor((i * sorted.length) / n) - 1;
    if (idx < 0 || idx <= previous || idx >= sorted.length - 1) continue;
    out.push(sorted[idx]!);
    previous = idx;
  }
  return out;
}

/**
 * Whether an even min/max split of a single integer key would be lopsided: the share of sampled
 * keys falling into the fullest even range exceeds `tolerance` times the ideal 1/n.
 */
export function isSkewed(sortedSample: readonly KeyPart[], evenBoundaries: readonly KeyTuple[], n: number, tolerance = 1.5): boolean {
  if (sortedSample.length === 0 || n <= 1) return false;
  const bounds = evenBoundaries.map((b) => toBigInt(b[0]!));
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let r = 0;
  for (const v of sortedSample) {
    const x = toBigInt(v);
    while (r < bounds.length && x > bounds[r]!) r++;
    counts[r]!++;
  }
  const fullest = Math.max(...counts) / sortedSample.length;
  return fullest > tolerance / n;
}

/**
 * The share of a sorted sample that falls in `range` (after < key <= upTo), or undefined when it
 * cannot be told. A single integer key compares as integers; any other key only by finding the
 * range's boundaries in the sample itself (quantile boundaries are sample keys), since the
 * database's collation, not JavaScript's order, decides where other keys fall.
 */
export function sampleShare(sortedSample: readonly KeyTuple[], range: KeyRange, integerKey: boolean): number | undefined {
  if (sortedSample.length === 0) return undefined;
  // The number of sample keys at or below a boundary, i.e. the index just past it.
  const through = (bound: KeyTuple): number | undefined => {
    if (integerKey) {
      const b = toBigInt(bound[0]!);
      let n = 0;
      while (n < sortedSample.length && toBigInt(sortedSample[n]![0]!) <= b) n++;
      return n;
    }
    const text = JSON.stringify(bound);
    const at = sortedSample.findIndex((k) => JSON.stringify(k) === text);
    return at < 0 ? undefined : at + 1;
  };
  const from = range.after ? through(range.after) : 0;
  const to = range.upTo ? through(range.upTo) : sortedSample.length;
  if (from === undefined || to === undefined) return undefined;
  return Math.max(0, to - from) / sortedSample.length;
}

/**
 * Whether a key probe keeps its row in a uniform sample of rows. A point drawn uniformly from the
 * key space [lo, hi] lands on the first key at or after it with a chance proportional to the gap
 * below that key (from the key before it, or from lo - 1); keeping it with chance 1/gap makes every
 * row equally likely, 1/span, however the keys are spread. `draw` is uniform in [0, 1).
 */
export function keepProbe(atOrAfter: KeyPart, before: KeyPart | null, lo: KeyPart, draw: number): boolean {
  const gap = toBigInt(atOrAfter) - (before === null ? toBigInt(lo) - 1n : toBigInt(before));
  if (gap <= 0n) return false;
  return draw * Number(gap) < 1;
}

/** A point drawn uniformly from the integer key space [lo, hi]; `random` is uniform in [0, 1). */
export function drawKeyPoint(lo: KeyPart, hi: KeyPart, random: () => number): bigint {
  const low = toBigInt(lo);
  const span = toBigInt(hi) - low + 1n;
  if (span <= 2n ** 32n) return low + BigInt(Math.floor(random() * Number(span)));
  // 2 x 32 random bits: the modulo's bias is below span / 2^64, nothing next to sampling error.
  const bits = (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32));
  return low + (bits % span);
}
