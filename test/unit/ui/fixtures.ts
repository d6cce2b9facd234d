/**
 * Snapshots shaped like what the workflows report during a real orders-to-fulfillment migration:
 * one entity per state the dashboard must draw.
 */
import type {
  DashboardSnapshot,
  EntityStatus,
  PartitionProgress,
  SweepProgress,
  VerificationSummary,
} from '../../../src/progress.js';

export const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const STARTED = NOW - 20 * 60_000;
const TEMPORAL_UI = 'http://localhost:8233/namespaces/default/workflows';

function partitions(done: number[], total: number[], state: PartitionProgress['state'][]): PartitionProgress[] {
  return done.map((d, index) => ({ index, done: d, total: total[index]!, state: state[index]! }));
}

export function backfill(overrides: Partial<SweepProgress> = {}): SweepProgress {
  return {
    kind: 'backfill',
    state: 'running',
    done: 1_241_500,
    total: 2_000_000,
    totalIsEstimate: true,
    ratePerSec: 1840,
    etaMs: 412_000,
    failures: 0,
    partitions: partitions(
      [500_000, 412_000, 329_500, 0],
      [500_000, 500_000, 500_000, 500_000],
      ['completed', 'running', 'running', 'not-started'],
    ),
    flag: { name: 'orders.backfill', enabled: true },
    startedAt: STARTED,
    updatedAt: NOW - 800,
    workflowId: 'backfill-orders',
    ...overrides,
  };
}

export const cleanVerification: VerificationSummary = {
  reportId: 'vr-customers-7',
  at: NOW - 5 * 60_000,
  compared: 48_210,
  matched: 48_210,
  missing: 0,
  different: 0,
  extra: 0,
  transient: 3,
  persistent: 0,
  persistentRate: 0,
  threshold: 0.0001,
  passed: true,
};

export const mismatchVerification: VerificationSummary = {
  reportId: 'vr-invoices-2',
  at: NOW - 2 * 60_000,
  compared: 310_000,
  matched: 309_951,
  missing: 12,
  different: 37,
  extra: 0,
  transient: 8,
  persistent: 41,
  persistentRate: 41 / 310_000,
  threshold: 0.0001,
  passed: false,
};

/** Entity has a plan entry but no workflow yet. */
export const notStarted: EntityStatus = {
  entity: 'refunds',
  phase: 'pending',
  dependsOn: ['orders'],
  next: 'migrate backfill --entity refunds',
};

/** Backfill running with enough samples for a rate and an ETA. */
export const running: EntityStatus = {
  entity: 'orders',
  phase: 'backfilling',
  dependsOn: ['customers'],
  backfill: backfill(),
  workflowUrl: `${TEMPORAL_UI}/backfill-orders`,
  next: 'migrate backfill --entity orders',
};

/** Backfill just started: the rate window spans too little time to trust, so no rate and no ETA. */
export const runningNoEta: EntityStatus = {
  entity: 'line_items',
  phase: 'backfilling',
  dependsOn: ['orders'],
  backfill: backfill({
    done: 1_500,
    total: 9_800_000,
    startedAt: NOW - 2_000,
    partitions: partitions([1_500, 0], [4_900_000, 4_900_000], ['running', 'running']),
    flag: { name: 'line_items.backfill', enabled: true },
    workflowId: 'backfill-line_items',
  }),
};
delete runningNoEta.backfill!.ratePerSec;
delete runningNoEta.backfill!.etaMs;

/** Paused because an operator turned the backfill flag off. */
export const pausedByFlag: EntityStatus = {
  entity: 'payments',
  phase: 'paused',
  dependsOn: ['orders'],
  backfill: backfill({
    state: 'paused',
    reason: 'flag turned off by alice@example.com: payments API latency alert',
    done: 88_000,
    total: 400_000,
    flag: { name: 'payments.backfill', enabled: false },
    workflowId: 'backfill-payments',
  }),
  workflowUrl: `${TEMPORAL_UI}/backfill-payments`,
  next: 'migrate backfill --entity payments --resume',
};
delete pausedByFlag.backfill!.ratePerSec;
delete pausedByFlag.backfill!.etaMs;

/** Failed on a permanent API error. */
export const failed: EntityStatus = {
  entity: 'shipments',
  phase: 'failed',
  dependsOn: ['orders'],
  backfill: backfill({
    state: 'failed',
    reason: 'target rejected batch 412 with 422: field "carrier" is required',
    done: 61_000,
    total: 150_000,
    failures: 500,
    flag: { name: 'shipments.backfill', enabled: true },
    workflowId: 'backfill-shipments',
  }),
  next: 'migrate failures --entity shipments',
};
delete failed.backfill!.ratePerSec;
delete failed.backfill!.etaMs;

/** Completed although the estimate was low: done exceeds the estimated total. */
export const completedOverEstimate: EntityStatus = {
  entity: 'customers',
  phase: 'verified',
  dependsOn: [],
  backfill: backfill({
    state: 'completed',
    done: 48_210,
    total: 45_000,
    totalIsEstimate: false,
    partitions: partitions([24_000, 24_210], [22_500, 22_500], ['completed', 'completed']),
    flag: { name: 'customers.backfill', enabled: true },
    workflowId: 'backfill-customers',
  }),
  lastVerification: cleanVerification,
};
delete completedOverEstimate.backfill!.ratePerSec;
delete completedOverEstimate.backfill!.etaMs;

/** Backfilled, and the last verification found rows that still differ after re-checks. */
export const verifiedWithMismatches: EntityStatus = {
  entity: 'invoices',
  phase: 'backfilled',
  dependsOn: ['customers'],
  backfill: backfill({
    state: 'completed',
    done: 310_000,
    total: 300_000,
    totalIsEstimate: false,
    partitions: partitions([310_000], [300_000], ['completed']),
    workflowId: 'backfill-invoices',
  }),
  lastVerification: mismatchVerification,
  next: 'migrate verify --entity invoices --repair',
};
delete verifiedWithMismatches.backfill!.ratePerSec;
delete verifiedWithMismatches.backfill!.etaMs;

export function snapshot(entities: EntityStatus[], overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return { plan: 'orders-to-fulfillment', takenAt: NOW, connection: 'ok', entities, ...overrides };
}

/** Every state at once, as `migrate status` would see a busy plan. */
export const fullSnapshot: DashboardSnapshot = snapshot([
  completedOverEstimate,
  running,
  runningNoEta,
  pausedByFlag,
  failed,
  verifiedWithMismatches,
  notStarted,
]);
