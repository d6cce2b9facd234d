/**
 * The report a consumer instance sends to the orchestrator: its acknowledgement (the epoch it
 * applies and its in-flight writes) and outcome counts since its previous report, per epoch.
 * Counts are deltas numbered by `seq`, so the orchestrator sums them and drops a repeated `seq`:
 * a report re-sent after a lost answer never counts twice. The schema is shared by the library
 * (which builds reports) and `migrate`'s ingest endpoint (which validates them).
 */
import { z } from 'zod';

export const REPORT_FORMAT = 'tracer-consumer-report/v1';

/** Upper bounds (ms) of the latency buckets; a last bucket counts everything slower. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] as const;

const count = z.number().int().min(0);
const name = z.string().min(1).max(200);

const latencySchema = z.strictObject({
  count,
  sumMs: z.number().min(0),
  maxMs: z.number().min(0),
  /** One count per LATENCY_BUCKETS_MS bound, plus one for slower. */
  buckets: z.array(count).length(LATENCY_BUCKETS_MS.length + 1),
});

const sampleSchema = z.strictObject({
  key: z.string().max(1000),
  /** Paths that differed after the re-check (or `(missing)` / `(extra)`). */
  fields: z.array(z.string().max(500)).max(100),
  /** The differing fields' values on each side; sensitive ones read '[redacted]'. */
  legacy: z.record(z.string(), z.unknown()).optional(),
  next: z.record(z.string(), z.unknown()).optional(),
});

export const epochCountsSchema = z.strictObject({
  epoch: count,
  reads: z.strictObject({ legacy: count, shadow: count, new: count }),
  shadow: z.strictObject({
    match: count,
    /** Still different after the re-check: `different` + `missing` + `extra`. */
    mismatch: count,
    missing: count,
    extra: count,
    candidateError: count,
    timeout: count,
    /** Differed at first, matched on the re-check (counted in `match`). */
    resolvedOnRecheck: count,
  }),
  mismatchFields: z.record(z.string(), count),
  writes: z.strictObject({
    legacy: count,
    dual: count,
    new: count,
    fencedHeld: count,
    fencedRejected: count,
    /** Dual writes whose second (new service) write failed and went to the failure log. */
    secondWriteFailed: count,
    /** Failure-log entries written to the new service by a later retry or replay. */
    replayed: count,
    /** Entries that reached the retry limit and wait for an explicit replay. */
    exhausted: count,
  }),
  latencyMs: z.strictObject({ legacy: latencySchema, next: latencySchema }),
  samples: z.array(sampleSchema).max(100),
});

export const consumerReportSchema = z.strictObject({
  format: z.literal(REPORT_FORMAT),
  plan: name.optional(),
  entity: name,
  consumer: name,
  /** One running process of the consumer (host:pid:random by default). */
  instance: name,
  seq: count,
  at: z.iso.datetime(),
  ack: z.strictObject({
    /** The routing epoch applied; null before the first document arrived. */
    epoch: count.nullable(),
    inFlightWrites: count,
    /** Writes waiting in the failure log. */
    failureLogDepth: count,
    /** The routing source could not be read at the last poll (the last good document still serves). */
    routingStale: z.boolean(),
  }),
  epochs: z.array(epochCountsSchema).max(1000),
});

export type ConsumerReport = z.infer<typeof consumerReportSchema>;
export type EpochCounts = z.infer<typeof epochCountsSchema>;
export type LatencyStats = EpochCounts['latencyMs']['legacy'];
export type MismatchSample = EpochCounts['samples'][number];
