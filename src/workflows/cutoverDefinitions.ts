/**
 * Names shared by the cutover, the write switch and reverse sync, and by the clients that drive
 * them: workflow IDs and the inputs/results that cross between these workflows. Definitions only,
 * so workflows, activities and commands can all import it.
 */
import type { ReadRoute, WriteVariant } from '../flags/routing.js';

/** Workflow ID of an entity's cutover: one per entity; starting twice attaches. */
export function cutoverWorkflowId(plan: string, entity: string): string {
  return `migrate/${plan}/${entity}/cutover`;
}

/** Workflow ID of the `n`th write switch (forward or back) of an entity's cutover, a child of it. */
export function writeSwitchWorkflowId(plan: string, entity: string, n: number): string {
  return `migrate/${plan}/${entity}/write-switch/${n}`;
}

/** Workflow ID of an entity's reverse sync (service → legacy): one per entity. */
export function reverseSyncWorkflowId(plan: string, entity: string): string {
  return `migrate/${plan}/${entity}/reverse-sync`;
}

/**
 * What the cutover asks of a write switch: move writes of `entity` to `to`, keeping every read
 * route as it is in force at `epoch` (the routing epoch in force when the switch starts).
 */
export interface WriteSwitchInput {
  plan: string;
  entity: string;
  /** `new`: legacy → service (starts reverse sync). `legacy`: the rollback, service → legacy. */
  to: Extract<WriteVariant, 'new' | 'legacy'>;
  /** Read routes per consumer in force, kept unchanged by the fence and switch documents. */
  reads: Readonly<Record<string, ReadRoute>>;
  otherReads?: ReadRoute;
  /** The routing epoch in force when the switch starts; the fence publishes epoch + 1. */
  epoch: number;
}

/** One step of a write switch as journalled and as `--dry-run` prints it. */
export interface WriteSwitchStep {
  /** Stable step name, e.g. `preconditions`, `fence`, `drain`, `catch-up`, `verify-changed`, `reverse-sync`, `journal`, `switch`, `unfence`. */
  step: string;
  /** What the step does (dry run) or did (journal), in one line. */
  detail: string;
  /** done | undone | skipped | failed; absent in a dry run. */
  outcome?: 'done' | 'undone' | 'skipped' | 'failed';
  at?: number;
}

/** How a write switch ended. `switched`: writes now go to `to`. `undone`: nothing changed, writes stay where they were, `reason` says why. */
export interface WriteSwitchResult {
  outcome: 'switched' | 'undone';
  /** The routing epoch in force at the end. */
  epoch: number;
  reason?: string;
  steps: WriteSwitchStep[];
}
