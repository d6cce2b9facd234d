/**
 * Forward sync of one entity (legacy → service), long-lived: bounded chunk activities apply the
 * captured changes; between them the workflow waits `poll` when nothing is pending, pauses while the
 * sync flag is off, and stops on the `stop` signal (retire). Deterministic: all I/O is in activities.
 */
import { condition, continueAsNew, defineQuery, defineSignal, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SyncLag } from '../activities/syncActivities.js';
import { chunkActivity, keptAliveShortActivity } from './activityOptions.js';
import { wakeSignal } from './definitions.js';

export interface SyncInput {
  plan: string;
  entity: string;
  /** Milliseconds to wait when no change is pending (the plan's `poll`). */
  pollMs: number;
  carried?: SyncTotals;
  /** History length at which the run continues as new (default 4,000); workflow tests set it low to roll early. */
  rollAfterEvents?: number;
}

export interface SyncTotals {
  changes: number;
  upserted: number;
  deleted: number;
  failed: number;
  position?: string;
  startedAt: number;
}

export type SyncState = 'running' | 'paused' | 'stopped';

/** What `migrate sync` and `status` show. */
export interface SyncProgress extends SyncTotals {
  state: SyncState;
  reason?: string;
  flag?: { name: string; enabled: boolean };
  lag?: SyncLag & { measuredAt: number };
  workflowId: string;
  updatedAt: number;
}

/** Workflow ID of an entity's sync: one per entity, starting twice attaches. */
export function syncWorkflowId(plan: string, entity: string): string {
  return `migrate/${plan}/${entity}/sync`;
}

export const syncProgressQuery = defineQuery<SyncProgress>('syncProgress');
/** Finish after the current chunk (retire, or an operator stopping sync for good). */
export const stopSyncSignal = defineSignal('stopSync');

// Heartbeats (keepAlive): with start-to-close alone, a worker SIGKILLed inside this query stalled forward sync for 5 minutes (lifecycle e2e, MariaDB).
const { readSyncFlag } = proxyActivities<Activities>(keptAliveShortActivity());
// syncChunk heartbeats every 3 s on a timer, so a dead worker is noticed after 12 s.
const { syncChunk } = proxyActivities<Activities>(chunkActivity([], '12s'));

const CHUNK_MS = 5_000;
const FLAG_POLL_MS = 3_000;
const HISTORY_EVENTS_BEFORE_ROLL = 4_000;

export async function syncWorkflow(input: SyncInput): Promise<SyncTotals> {
  const { plan, entity } = input;
  const totals: SyncTotals = input.carried ?? { changes: 0, upserted: 0, deleted: 0, failed: 0, startedAt: Date.now() };
  let state: SyncState = 'running';
  let reason: string | undefined;
  let flag: { name: string; enabled: boolean } | undefined;
  let lag: (SyncLag & { measuredAt: number }) | undefined;
  let woken = false;
  let stopRequested = false;

  setHandler(wakeSignal, () => void (woken = true));
  setHandler(stopSyncSignal, () => void ((stopRequested = true), (woken = true)));
  setHandler(syncProgressQuery, (): SyncProgress => ({
    ...totals,
    state,
    ...(reason !== undefined ? { reason } : {}),
    ...(flag ? { flag } : {}),
    ...(lag ? { lag } : {}),
    workflowId: workflowInfo().workflowId,
    updatedAt: Date.now(),
  }));

  const shouldRoll = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.rollAfterEvents ?? HISTORY_EVENTS_BEFORE_ROLL);

  while (!stopRequested) {
    if (shouldRoll()) await continueAsNew<typeof syncWorkflow>({ ...input, carried: totals });
    // A wake means "look again". Cleared before this look starts, a wake that arrives while the flag
    // is read or a chunk runs is kept and ends the wait below at once; cleared only before waiting
    // (older runs, kept replaying by the patch), it was lost and cost up to one poll.
    const keepWakes = patched('sync-wake-during-chunk-kept');
    if (keepWakes) woken = false;
    flag = await readSyncFlag({ plan, entity });
    if (!flag.enabled) {
      state = 'paused';
      reason = `flag ${flag.name} is off — turn it on with \`migrate sync --entity ${entity} --resume\``;
      if (!keepWakes) woken = false;
      await condition(() => woken, FLAG_POLL_MS);
      continue;
    }
    state = 'running';
    reason = undefined;
    const r = await syncChunk({ plan, entity, maxMs: CHUNK_MS });
    totals.changes += r.changes;
    totals.upserted += r.upserted;
    totals.deleted += r.deleted;
    totals.failed += r.failed;
    if (r.position !== undefined) totals.position = r.position;
    lag = { ...r.lag, measuredAt: Date.now() };
    if (r.flagOff) continue;
    // Nothing applied: wait for the next poll (or a wake/stop signal) before looking again. A stop
    // that arrived during the chunk must not wait a whole poll (the patch keeps older runs replaying).
    if (stopRequested && patched('sync-stop-during-chunk-skips-poll')) continue;
    if (r.changes === 0) {
      if (!keepWakes) woken = false;
      await condition(() => woken, input.pollMs);
    }
  }
  state = 'stopped';
  return totals;
}
