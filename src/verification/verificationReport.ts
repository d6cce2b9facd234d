/**
 * What a verification run concludes, as stored in the state store and shown by `migrate verify`,
 * `status` and the dashboard: the report document and its summary. Plain data, no I/O: the
 * activities write it, operations and commands read it.
 */
import type { VerificationSummary } from '../progress.js';
import type { KeyTuple } from '../sources/types.js';
import type { TargetItem } from '../service/types.js';

/** The stored report of one verification run. Sensitive values never reach it (samples are redacted). */
export interface VerificationReport {
  version: 1;
  plan: string;
  entity: string;
  run: string;
  workflowId?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Rows compared per second over the whole run, re-checks included. */
  rowsPerSec: number;
  /** Rows compared per second during the sweep alone. */
  sweepRowsPerSec: number;
  options: { sample?: number; since?: string };
  totals: {
    compared: number;
    matched: number;
    /** Persistent: still missing in the service after every re-check. */
    missing: number;
    /** Persistent: still different after every re-check. */
    different: number;
    extra: number;
    /** Differed during the sweep, matched on re-check (writes in flight). */
    transient: number;
    persistent: number;
    /** Repaired by `--repair` (re-pushed and matched on re-verification). */
    repaired: number;
  };
  persistentRate: number;
  threshold: number;
  passed: boolean;
  /** Persistent mismatches per field path. */
  fields: Record<string, number>;
  samples: ReportSample[];
  extras: { checked: boolean; note?: string };
  rechecks: { rounds: number; after: string };
  /** Set on the report written after a repair: the report it followed. */
  repairOf?: string;
}

export interface ReportSample {
  class: 'missing' | 'different' | 'extra';
  key: KeyTuple;
  fields: string[];
  /** The mapped source row, sensitive fields redacted. */
  expected?: TargetItem;
  /** The service's item, sensitive fields redacted. */
  actual?: TargetItem;
}

/** The dashboard's summary of a stored report. */
export function summaryOf(reportId: string, r: VerificationReport): VerificationSummary {
  return {
    reportId,
    at: new Date(r.finishedAt).getTime(),
    compared: r.totals.compared,
    matched: r.totals.matched,
    missing: r.totals.missing,
    different: r.totals.different,
    extra: r.totals.extra,
    transient: r.totals.transient,
    persistent: r.totals.persistent,
    persistentRate: r.persistentRate,
    threshold: r.threshold,
    passed: r.passed,
  };
}
