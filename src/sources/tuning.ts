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
} as const;

/** Target sample size for splitting into `partitions` ranges. */
export function sampleSizeFor(partitions: number): number {
  return Math.min(SAMPLE.max, Math.max(SAMPLE.min, partitions * SAMPLE.perPartition));
}
