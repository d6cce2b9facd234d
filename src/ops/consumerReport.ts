/**
 * What consumers have reported for an entity: each instance's acknowledgement and, per consumer
 * and epoch, the sum of every report's counts (reports carry deltas, each stored once).
 */
import type { EpochCounts } from '../consumer/report.js';
import type { ConsumerAck, ConsumerReportStore } from '../state/types.js';

/** Summed counts of one consumer at one epoch (latency buckets and samples left out; samples are listed apart). */
export interface ConsumerEpochTotals {
  consumer: string;
  epoch: number;
  reads: EpochCounts['reads'];
  shadow: EpochCounts['shadow'];
  mismatchFields: Record<string, number>;
  writes: EpochCounts['writes'];
  latencyMs: { legacy: { count: number; meanMs: number | null; maxMs: number }; next: { count: number; meanMs: number | null; maxMs: number } };
  samples: EpochCounts['samples'];
  /** Instances that contributed. */
  instances: number;
}

export interface ConsumerReportSummary {
  acks: ConsumerAck[];
  totals: ConsumerEpochTotals[];
}

function addInto<T extends Record<string, number>>(into: T, from: T): void {
  for (const [k, v] of Object.entries(from)) (into as Record<string, number>)[k] = ((into as Record<string, number>)[k] ?? 0) + v;
}

export async function consumerReportSummary(store: ConsumerReportStore, plan: string, entity: string, sampleLimit = 20): Promise<ConsumerReportSummary> {
  const [acks, reports] = await Promise.all([store.listConsumerAcks(plan, entity), store.listConsumerReports(plan, entity)]);
  const byKey = new Map<string, { t: ConsumerEpochTotals; sums: { legacy: number; next: number }; instances: Set<string> }>();
  for (const r of reports) {
    for (const e of r.epochs as EpochCounts[]) {
      const key = `${r.consumer}\u0000${e.epoch}`;
      let acc = byKey.get(key);
      if (acc === undefined) {
        acc = {
          t: {
            consumer: r.consumer,
            epoch: e.epoch,
            reads: { legacy: 0, shadow: 0, new: 0 },
            shadow: { match: 0, mismatch: 0, missing: 0, extra: 0, candidateError: 0, timeout: 0, resolvedOnRecheck: 0 },
            mismatchFields: {},
            writes: { legacy: 0, dual: 0, new: 0, fencedHeld: 0, fencedRejected: 0, secondWriteFailed: 0, replayed: 0, exhausted: 0 },
            latencyMs: { legacy: { count: 0, meanMs: null, maxMs: 0 }, next: { count: 0, meanMs: null, maxMs: 0 } },
            samples: [],
            instances: 0,
          },
          sums: { legacy: 0, next: 0 },
          instances: new Set(),
        };
        byKey.set(key, acc);
      }
      const t = acc.t;
      acc.instances.add(r.instance);
      addInto(t.reads, e.reads);
      addInto(t.shadow, e.shadow);
      addInto(t.mismatchFields, e.mismatchFields);
      addInto(t.writes, e.writes);
      for (const side of ['legacy', 'next'] as const) {
        t.latencyMs[side].count += e.latencyMs[side].count;
        t.latencyMs[side].maxMs = Math.max(t.latencyMs[side].maxMs, e.latencyMs[side].maxMs);
        acc.sums[side] += e.latencyMs[side].sumMs;
      }
      for (const s of e.samples) if (t.samples.length < sampleLimit) t.samples.push(s);
    }
  }
  const totals = [...byKey.values()].map(({ t, sums, instances }) => {
    for (const side of ['legacy', 'next'] as const) t.latencyMs[side].meanMs = t.latencyMs[side].count === 0 ? null : sums[side] / t.latencyMs[side].count;
    t.instances = instances.size;
    return t;
  });
  totals.sort((a, b) => (a.consumer < b.consumer ? -1 : a.consumer > b.consumer ? 1 : a.epoch - b.epoch));
  return { acks, totals };
}
