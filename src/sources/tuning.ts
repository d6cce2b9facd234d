/** Sizes shared by both dialects; chosen for memory bounds and cheap statements, not measured to the row. */

/** Up to this many rows a range's estimate is replaced by an exact COUNT over the key index. */
export const EXACT_COUNT_LIMIT = 100_000;

/** Keys per readByKeys statement: well under both engines' parameter limits and packet sizes. */
export const READ_BY_KEYS_CHUNK = 1_000;

export const SAMPLE = {
  /** Sampled keys per partition: enough that quantile error stays a few percent of a partition. */
  perPartition: 200,
  min: 2_000,
  max: 20_000,
  /** Aim a little above the target so a low draw still fills it. */
  oversample: 1.2,
  /** LIMIT on the sample as a multiple of its target size; bounds memory when statistics are wrong. */
  capFactor: 4,
  /**
   * MySQL, single integer key, no `where`: below this share of the key space holding rows, the
   * key-probe sample would need more than 1/share probes per kept row, and the table is scanned
   * instead (`RAND() < p`, which reads every row: 0.8 s per 3M rows here).
   */
  minProbeDensity: 0.25,
  /**
   * Rows kept by key probes per partition: enough to tell a skewed key space (split.ts, isSkewed)
   * and to estimate a quarter of the table within about 6%. A skewed one is then sampled by scan,
   * for its quantiles.
   */
  probesPerPartition: 200,
  /** Key probes per statement (two index dives each). */
  probesPerStatement: 250,
} as const;

/** Target sample size for splitting into `partitions` ranges. */
export function sampleSizeFor(partitions: number): number {
  return Math.min(SAMPLE.max, Math.max(SAMPLE.min, partitions * SAMPLE.perPartition));
}
