/**
 * Activities of the write switch (src/workflows/writeSwitchWorkflow.ts). Inputs carry names only;
 * the worker resolves the state store, flag provider, change log and reverse path from its plan.
 * Every activity is safe to run twice: publishing answers the epoch already published when it is
 * the one asked for, and the journal stores each `seq` once.
 */
import { UserError } from '../errors.js';
import { buildRoutingDocument, type ReadRoute, type WriteVariant } from '../flags/routing.js';
import { ackState, checkPortsOf, preconditionChecks, writeSwitchTiming, writesAt } from '../cutover/writeSwitchChecks.js';
import type { ReversePath } from '../cutover/reversePath.js';
import { createReversePath } from '../sync/reversePath.js';
import type { CheckAnswer, WriteSwitchTiming } from '../cutover/writeSwitchSteps.js';
import type { PlanResources } from '../resources/planResources.js';
import type { JournalEntry } from '../state/types.js';
import type { VerificationReport } from '../verification/verificationReport.js';
import type { WriteSwitchInput } from '../workflows/cutoverDefinitions.js';
import { syncLag } from '../sync/lag.js';
import { syncSettings } from '../sync/settings.js';
import { assertWorkerPlan } from './failureMapping.js';
import { keptAlive } from './keepAlive.js';

/** The catch-up position of a `capture: updatedAt` sync: past every row changed before the fence. */
const UPDATED_AT_CURSOR = 'updatedAt-cursor';

/** Who the write switch acts as in the audit log and routing history. */
export const WRITE_SWITCH_ACTOR = 'migrate-worker (write switch)';

export interface WriteSwitchRef {
  plan: string;
  entity: string;
}

/** One journal entry as it crosses into the workflow (times as milliseconds). */
export type JournalRecord = Omit<JournalEntry, 'switchId' | 'at'> & { at: number };

export interface PublishInput extends WriteSwitchRef {
  /** The epoch to publish: exactly one more than the epoch in force. */
  epoch: number;
  reads: Readonly<Record<string, ReadRoute>>;
  otherReads?: ReadRoute;
  writes: WriteVariant;
  /** With `writes: 'fenced'`: how long consumers hold a write. */
  holdMs?: number;
  switchId: string;
  step: string;
}

export interface AckCheck {
  done: boolean;
  waitingFor: string[];
  ignored: string[];
}

export interface WriteSwitchActivityDeps {
  resources: PlanResources;
  /** Reverse sync's side of the switch; default: reverse sync's own (src/sync/reversePath.ts). */
  reversePath?: ReversePath;
  now?: () => number;
}

/** A routing another publisher moved under the switch: the switch must not publish over it (the workflow does not retry this type). */
export class RoutingMovedError extends UserError {}

export function createWriteSwitchActivities(deps: WriteSwitchActivityDeps) {
  const res = deps.resources;
  const now = deps.now ?? Date.now;
  const reversePath = deps.reversePath ?? createReversePath(res, now);

  const ports = (plan: string, entity: string) => checkPortsOf(res, plan, entity, { reversePath, now });

  // Kept alive: the switch's heartbeat timeout notices a dead worker in seconds, while writes may be fenced.
  return keptAlive({
    /** The switch's timing from the plan (maxLag) and the defaults. */
    async writeSwitchSettings(ref: WriteSwitchRef): Promise<WriteSwitchTiming> {
      assertWorkerPlan(res, ref.plan);
      return writeSwitchTiming(res.entity(ref.entity));
    },

    /** Every journal entry of this switch so far, in order (empty for a switch that never ran). */
    async readWriteSwitchJournal(ref: WriteSwitchRef & { switchId: string }): Promise<JournalRecord[]> {
      assertWorkerPlan(res, ref.plan);
      const entries = await (await res.stateStore()).listJournal(ref.plan, ref.entity, ref.switchId);
      return entries.map(({ switchId: _s, at, ...e }) => ({ ...e, at: at.getTime() }));
    },

    /** Records one step's outcome (and audits it); recording the same `seq` again stores nothing. */
    async recordWriteSwitchStep(input: WriteSwitchRef & Omit<JournalRecord, 'at'> & { switchId: string }): Promise<void> {
      assertWorkerPlan(res, input.plan);
      const { plan, entity, ...entry } = input;
      await (await res.stateStore()).appendJournal(plan, entity, entry, WRITE_SWITCH_ACTOR);
    },

    /** The forward switch's preconditions with their current answers. */
    async checkWriteSwitchPreconditions(input: WriteSwitchInput): Promise<CheckAnswer[]> {
      assertWorkerPlan(res, input.plan);
      return preconditionChecks(await ports(input.plan, input.entity), input, writeSwitchTiming(res.entity(input.entity)));
    },

    /**
     * Publishes `epoch` with `writes` and the input's reads through the flag provider. Already in
     * force (a retry after the publish went through) answers as done; any other epoch in force
     * means someone else moved the routing, and the switch stops.
     */
    async publishWriteSwitchRouting(input: PublishInput): Promise<{ epoch: number; previous: WriteVariant }> {
      assertWorkerPlan(res, input.plan);
      const flags = await res.flags();
      const inForce = await writesAt(flags, input.plan, input.entity);
      if (inForce?.epoch === input.epoch && inForce.writes === input.writes) {
        const before = await writesAt(flags, input.plan, input.entity, input.epoch - 1);
        return { epoch: input.epoch, previous: before?.writes ?? 'legacy' };
      }
      if ((inForce?.epoch ?? 0) !== input.epoch - 1) {
        throw new RoutingMovedError(`routing of ${input.entity} is at epoch ${inForce?.epoch ?? 'none'}; the write switch expected ${input.epoch - 1} and publishes nothing over another publisher's change`, {
          hint: `See who published it with \`migrate flags show ${input.entity}\` and \`migrate audit --entity ${input.entity}\`.`,
        });
      }
      const document = buildRoutingDocument({
        plan: input.plan,
        entity: input.entity,
        epoch: input.epoch,
        reads: input.reads,
        ...(input.otherReads !== undefined ? { otherReads: input.otherReads } : {}),
        writes: input.writes,
        ...(input.writes === 'fenced' && input.holdMs !== undefined ? { fenceHold: { holdMs: input.holdMs } } : {}),
      });
      await flags.publishRouting(document, { plan: input.plan, entity: input.entity, actor: WRITE_SWITCH_ACTOR, reason: `write switch ${input.switchId}: ${input.step}` });
      return { epoch: input.epoch, previous: inForce!.writes };
    },

    /**
     * Undoes a switch that stopped before its commit: while the routing in force is a fence this
     * switch published (after `epoch`), publishes the next epoch with the writes variant in force
     * at `epoch`. Nothing to undo when the fence was never published or is already lifted.
     */
    async undoWriteSwitch(input: WriteSwitchRef & { epoch: number; reads: Readonly<Record<string, ReadRoute>>; otherReads?: ReadRoute; switchId: string }): Promise<{ epoch: number; published: boolean; writes?: WriteVariant }> {
      assertWorkerPlan(res, input.plan);
      const flags = await res.flags();
      const inForce = await writesAt(flags, input.plan, input.entity);
      if (!inForce || inForce.epoch <= input.epoch || inForce.writes !== 'fenced') return { epoch: inForce?.epoch ?? input.epoch, published: false };
      const before = await writesAt(flags, input.plan, input.entity, input.epoch);
      const writes = before?.writes ?? 'legacy';
      const epoch = inForce.epoch + 1;
      const document = buildRoutingDocument({
        plan: input.plan,
        entity: input.entity,
        epoch,
        reads: input.reads,
        ...(input.otherReads !== undefined ? { otherReads: input.otherReads } : {}),
        writes,
      });
      await flags.publishRouting(document, { plan: input.plan, entity: input.entity, actor: WRITE_SWITCH_ACTOR, reason: `write switch ${input.switchId}: undo` });
      return { epoch, published: true, writes };
    },

    /** Whether every live consumer instance acknowledged `epoch` (with `idle`: and has no write in flight). */
    async checkWriteSwitchAcks(input: WriteSwitchRef & { epoch: number; idle: boolean }): Promise<AckCheck> {
      assertWorkerPlan(res, input.plan);
      return ackState(await ports(input.plan, input.entity), input.plan, input.entity, input.epoch, input.idle);
    },

    /**
     * Where forward sync must get to, taken once writes are drained: the change log's newest
     * position (trigger capture), or, with `capture: updatedAt`, past every row changed so far
     * (no row changes behind the fence, so none past the cursor means reached). Undefined: nothing to wait for.
     */
    async captureForwardPosition(ref: WriteSwitchRef): Promise<{ position?: string }> {
      assertWorkerPlan(res, ref.plan);
      if (syncSettings(res, ref.entity).capture === 'updatedAt') {
        const lag = await syncLag(res, ref.plan, ref.entity);
        return lag && lag.pending > 0 ? { position: UPDATED_AT_CURSOR } : {};
      }
      const position = await res.changeLog(ref.entity).head();
      return position === undefined ? {} : { position };
    },

    /** How many changes up to `position` forward sync has not applied yet, and in words when some. */
    async forwardPendingUpTo(input: WriteSwitchRef & { position: string }): Promise<{ pending: number; waitingFor?: string }> {
      assertWorkerPlan(res, input.plan);
      if (input.position === UPDATED_AT_CURSOR) {
        const pending = (await syncLag(res, input.plan, input.entity))?.pending ?? 0;
        return pending === 0 ? { pending } : { pending, waitingFor: `forward sync: ${pending} rows changed after its updatedAt cursor` };
      }
      const pending = await res.changeLog(input.entity).pendingUpTo(input.position);
      return pending === 0 ? { pending } : { pending, waitingFor: `forward sync: ${pending} changes up to position ${input.position} not applied` };
    },

    /** The service's newest change position, taken once writes are drained (the rollback). */
    async captureReversePosition(ref: WriteSwitchRef): Promise<{ position?: string }> {
      assertWorkerPlan(res, ref.plan);
      const position = await reversePath.head(ref.plan, ref.entity);
      return position === undefined ? {} : { position };
    },

    /** Whether reverse sync has applied every service change up to `position` (`pending` 0), else what it still lacks. */
    async reversePendingUpTo(input: WriteSwitchRef & { position: string }): Promise<{ pending: number; waitingFor?: string }> {
      assertWorkerPlan(res, input.plan);
      const behind = await reversePath.behind(input.plan, input.entity, input.position);
      return behind === undefined ? { pending: 0 } : { pending: 1, waitingFor: `reverse sync: ${behind}` };
    },

    /** When the last verification started (verify-changed compares the rows changed since), and whether the source can say. */
    async lastVerificationStart(ref: WriteSwitchRef): Promise<{ since?: string; hasUpdatedAt: boolean }> {
      assertWorkerPlan(res, ref.plan);
      const last = await (await res.stateStore()).latestReport<VerificationReport>(ref.plan, ref.entity);
      const hasUpdatedAt = res.entity(ref.entity).source.updatedAt !== undefined;
      return { hasUpdatedAt, ...(last ? { since: last.report.startedAt } : {}) };
    },
  });
}
