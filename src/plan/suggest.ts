/** "Did you mean …?" for typos in plan keys, names and enum values. */

/** Edit distance (insert, delete, substitute, swap of neighbours) between two strings. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      // A swap of two neighbours ("batchSzie") is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const MAX_TYPO_LENGTH = 128;

/** The candidate closest to `input`, when it is close enough to be a plausible typo; else undefined. */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  // No name is that long, so it is no typo of one; and the distance would cost length × length.
  if (input.length > MAX_TYPO_LENGTH) return undefined;
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - input.length) > bestDistance || c.length > MAX_TYPO_LENGTH) continue;
    // Case slips ("BatchSize") count as no distance at all.
    const dist = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined) return undefined;
  // Allow roughly one typo per four characters, so "id" never suggests "db" but "batchSze" finds "batchSize".
  const allowed = Math.max(1, Math.floor(Math.max(input.length, best.length) / 4));
  return bestDistance <= allowed ? best : undefined;
}

/** `did you mean "x"?` or undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const c = closest(input, candidates);
  return c === undefined ? undefined : `did you mean "${c}"?`;
}
