/**
 * Reverse sync of one entity (service → legacy), long-lived, started by the write switch once
 * writes move to the service (workflow type `reverseSyncWorkflow`, ID `reverseSyncWorkflowId`,
 * input `{ plan, entity, pollMs }`) and stopped by `retire` or a write rollback with the stop
 * signal. Bounded chunk activities apply the service's change feed to the legacy; between them the
 * workflow waits `pollMs` when nothing was applied. Deterministic: all I/O is in activities.
 */
import { condition, continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ReverseChunkResult, ReverseLag } from '../activities/reverseSyncActivities.js';
import { chunkActivity } from './activityOptions.js';
import { wakeSignal } from './definitions.js';
import { stopSyncSignal } from './syncWorkflow.js';

export { reverseSyncWorkflowId } from './cutoverDefinitions.js';

export interface ReverseSyncInput {
  plan: string;
  entity: string;
  /** Milliseconds to wait when the feed had nothing new (default 1 s: the write switch may start it without). */
  pollMs?: number;
  carried?: ReverseSyncTotals;
  /** History length at which the run continues as new (default 4,000); workflow tests set it low. */
  rollAfterEvents?: number;
}

/** The chunks' counts summed over the run (the last chunk's position, refusal and appliedThrough), and when it started. */
export type ReverseSyncTotals = Omit<ReverseChunkResult, 'lag'> & { startedAt: number };

export type ReverseSyncState = 'running' | 'stopped';

/** What `migrate sync`, `status` and the write switch read. */
export interface ReverseSyncProgress extends ReverseSyncTotals {
  state: ReverseSyncState;
  lag?: ReverseLag & { measuredAt: number };
  workflowId: string;
  updatedAt: number;
}

export const reverseSyncProgressQuery = defineQuery<ReverseSyncProgress>('reverseSyncProgress');
/** Stops after the current chunk: the forward sync's stop signal, one name for both directions. */
export { stopSyncSignal };

const { reverseSyncChunk } = proxyActivities<Activities>(chunkActivity(['UserError'], '12s'));

const CHUNK_MS = 5_000;
const DEFAULT_POLL_MS = 1_000;
const HISTORY_EVENTS_BEFORE_ROLL = 4_000;

export async function reverseSyncWorkflow(input: ReverseSyncInput): Promise<ReverseSyncTotals> {
  const { plan, entity } = input;
  const totals: ReverseSyncTotals = input.carried ?? { changes: 0, upserted: 0, deleted: 0, skippedOwn: 0, failed: 0, startedAt: Date.now() };
  let state: ReverseSyncState = 'running';
  let lag: (ReverseLag & { measuredAt: number }) | undefined;
  let woken = false;
  let stopRequested = false;

  setHandler(wakeSignal, () => void (woken = true));
  setHandler(stopSyncSignal, () => void ((stopRequested = true), (woken = true)));
  setHandler(reverseSyncProgressQuery, (): ReverseSyncProgress => ({
    ...totals,
    state,
    ...(lag ? { lag } : {}),
    workflowId: workflowInfo().workflowId,
    updatedAt: Date.now(),
  }));

  const shouldRoll = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.rollAfterEvents ?? HISTORY_EVENTS_BEFORE_ROLL);

  while (!stopRequested) {
    if (shouldRoll()) await continueAsNew<typeof reverseSyncWorkflow>({ ...input, carried: totals });
    woken = false;
    const r = await reverseSyncChunk({ plan, entity, maxMs: CHUNK_MS });
    totals.changes += r.changes;
    totals.upserted += r.upserted;
    totals.deleted += r.deleted;
    totals.skippedOwn += r.skippedOwn;
    totals.failed += r.failed;
    if (r.lastFailure !== undefined) totals.lastFailure = r.lastFailure;
    if (r.position !== undefined) totals.position = r.position;
    if (r.appliedThrough !== undefined) totals.appliedThrough = r.appliedThrough;
    lag = { ...r.lag, measuredAt: Date.now() };
    if (stopRequested) break;
    // Nothing new and nothing left behind: wait for the next poll (or a wake/stop signal).
    if (r.changes === 0 && r.lag.pending === 0) await condition(() => woken, input.pollMs ?? DEFAULT_POLL_MS);
  }
  state = 'stopped';
  return totals;
}
