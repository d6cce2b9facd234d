/** Shared fixtures of the consumer library's tests: routing documents and rule sets written by hand. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComparisonRuleSet } from '../../../src/compare/ruleSet.js';

/** The brief's example: shadow for reporting and support-ui, {new: 10} for billing, legacy for anyone else. */
export function ordersDocument(epoch: number, opts: { billingNew?: number; writes?: string; fence?: 'hold' | 'reject'; holdMs?: number; reads?: string } = {}): Record<string, unknown> {
  const pct = opts.billingNew ?? 10;
  const writes: Record<string, unknown> = {
    state: 'ENABLED',
    variants: { legacy: 'legacy', dual: 'dual', new: 'new', fenced: 'fenced' },
    defaultVariant: opts.writes ?? 'legacy',
  };
  if (opts.fence !== undefined) writes.metadata = { tracerFence: opts.fence, tracerFenceHoldMs: opts.holdMs ?? 5000 };
  return {
    $schema: 'https://flagd.dev/schema/v0/flags.json',
    metadata: { tracerPlan: 'orders-to-fulfillment', tracerEntity: 'orders', tracerEpoch: epoch },
    flags: {
      'orders.reads': {
        state: 'ENABLED',
        variants: { legacy: 'legacy', shadow: 'shadow', new: 'new' },
        defaultVariant: opts.reads ?? 'legacy',
        ...(opts.reads !== undefined
          ? {}
          : {
              targeting: {
                if: [
                  { in: [{ var: 'consumer' }, ['reporting', 'support-ui']] },
                  'shadow',
                  { '==': [{ var: 'consumer' }, 'billing'] },
                  { fractional: [['legacy', 100 - pct], ['new', pct]] },
                  'legacy',
                ],
              },
            }),
      },
      'orders.writes': writes,
    },
  };
}

/** A temp directory and a writer for the routing document file in it. */
export function routingFile(doc: Record<string, unknown>): { file: string; dir: string; write(doc: Record<string, unknown>): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tracer-consumer-'));
  const file = join(dir, 'orders.routing.json');
  const write = (d: Record<string, unknown>): void => writeFileSync(file, JSON.stringify(d));
  write(doc);
  return { file, dir, write };
}

/** Orders compared like `migrate verify` would with `total` as integer and `email` sensitive. */
export const ORDERS_RULES: ComparisonRuleSet = {
  format: 'tracer-comparison-rules/v1',
  plan: 'orders-to-fulfillment',
  entity: 'orders',
  fields: [{ path: 'id', as: 'integer' }, { path: 'status' }, { path: 'total', as: 'integer' }, { path: 'email', sensitive: true }],
  ignore: ['updatedAt'],
  rules: {},
};

/** A report sink that keeps every report it is sent. */
export function memorySink(): { send(r: unknown): Promise<void>; reports: unknown[] } {
  const reports: unknown[] = [];
  return { reports, send: async (r) => void reports.push(r) };
}

type Counts = Record<string, number>;

/** The sum of every report's counts for one epoch (reports carry deltas): shadow, writes, reads and per-field mismatches. */
export function sumEpoch(reports: readonly { epochs: readonly { epoch: number; reads: Counts; shadow: Counts; writes: Counts; mismatchFields: Counts }[] }[], epoch: number): { reads: Counts; shadow: Counts; writes: Counts; mismatchFields: Counts } {
  const out = { reads: {} as Counts, shadow: {} as Counts, writes: {} as Counts, mismatchFields: {} as Counts };
  const add = (into: Counts, from: Counts): void => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  for (const r of reports) {
    for (const e of r.epochs) {
      if (e.epoch !== epoch) continue;
      add(out.reads, e.reads);
      add(out.shadow, e.shadow);
      add(out.writes, e.writes);
      add(out.mismatchFields, e.mismatchFields);
    }
  }
  return out;
}
