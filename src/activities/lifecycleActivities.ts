/**
 * Activities of `migrate run` (the lifecycle workflow) and of the cutover's wait for the entities
 * it depends on: the entity's run steps from the worker's plan, turning a phase's flag on and
 * installing capture (audited, as the run's actor), where each phase workflow stands (asked through
 * the worker's own Temporal client), the last verification, and whether the entity was retired.
 * Inputs carry names only.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { phaseOf } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import type { PlanResources } from '../resources/planResources.js';
import { runSteps, type RunStepName } from '../lifecycle/runSteps.js';
import type { VerificationReport } from '../verification/verificationReport.js';
import { backfillWorkflowId } from '../workflows/definitions.js';
import { cutoverWorkflowId } from '../workflows/cutoverDefinitions.js';
import type { CutoverProgress } from '../workflows/cutoverWorkflow.js';
import { assertWorkerPlan } from './failureMapping.js';
import { keepAlive } from './keepAlive.js';
import { wasRetired } from '../state/audit-log.js';

export interface RunRef {
  plan: string;
  entity: string;
}

export interface RunSetup {
  steps: RunStepName[];
  /** The sync phase's `poll`, for the sync workflow the run starts. */
  syncPollMs: number;
  /** Retired already: nothing left to run. */
  retired: boolean;
}

/** A workflow's status as Temporal records it; NONE when it never ran. */
export type WorkflowStatusName = 'NONE' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'CONTINUED_AS_NEW' | 'TIMED_OUT' | 'UNSPECIFIED' | 'UNKNOWN';

export interface VerificationState {
  /** A full verification (no sample, no since) passed, and started after the backfill finished (or there is no backfill). */
  passedAfterBackfill: boolean;
  last?: { run: string; passed: boolean; persistent: number; compared: number; reportId: string; startedAt: string };
}

export interface CutoverState {
  status: WorkflowStatusName;
  /** Its progress: queried while it runs, its result once it closed with one. */
  progress?: CutoverProgress;
}

export interface LifecycleActivityDeps {
  resources: PlanResources;
  /** The Temporal client phase workflows are asked through; default the activity's own. */
  client?: () => Client;
}

export function createLifecycleActivities(deps: LifecycleActivityDeps) {
  const res = deps.resources;
  const client = deps.client ?? (() => Context.current().client);

  async function describe(workflowId: string): Promise<{ status: WorkflowStatusName; closedAt?: number }> {
    try {
      const d = await client().workflow.getHandle(workflowId).describe();
      return { status: d.status.name as WorkflowStatusName, ...(d.closeTime ? { closedAt: d.closeTime.getTime() } : {}) };
    } catch (e) {
      if ((e as Error).name === 'WorkflowNotFoundError') return { status: 'NONE' };
      throw e;
    }
  }

  async function cutoverOf(plan: string, entity: string): Promise<CutoverState> {
    const workflowId = cutoverWorkflowId(plan, entity);
    const { status } = await describe(workflowId);
    const handle = client().workflow.getHandle(workflowId);
    if (status === 'RUNNING') {
      try {
        return { status, progress: await handle.query<CutoverProgress>('cutoverProgress') };
      } catch (e) {
        // Started a moment ago and not yet run by a worker: no handler to answer yet.
        if ((e as Error).name === 'QueryNotRegisteredError') return { status };
        throw e;
      }
    }
    if (status === 'COMPLETED') return { status, progress: (await handle.result()) as CutoverProgress };
    return { status };
  }

  const retired = async (plan: string, entity: string): Promise<boolean> => wasRetired(await res.stateStore(), plan, entity);

  return {
    /** The entity's run steps (src/lifecycle/runSteps.ts) from the worker's plan. */
    async runSetup(ref: RunRef): Promise<RunSetup> {
      assertWorkerPlan(res, ref.plan);
      const e = res.entity(ref.entity);
      const sync = phaseOf(e, 'sync');
      return { steps: runSteps(ref.entity, e).map((s) => s.name), syncPollMs: sync ? durationMs(sync.poll) : 1_000, retired: await retired(ref.plan, ref.entity) };
    },

    /** Installs trigger capture unless it is installed (audited); refuses a half-installed one with the fix. */
    async ensureCapture(ref: RunRef & { actor: string }): Promise<{ installed: boolean } | { refused: string; fix: string }> {
      assertWorkerPlan(res, ref.plan);
      const e = res.entity(ref.entity);
      const table = e.source.schema ? `${e.source.schema}.${e.source.table}` : e.source.table;
      const log = res.changeLog(ref.entity);
      const state = await log.state();
      if (state.installed) return { installed: false };
      if (state.partial) return { refused: `change capture on ${table} is half installed (present: ${state.present.join(', ')})`, fix: `migrate sync --entity ${ref.entity} --uninstall` };
      const statements = log.installPlan();
      await log.install();
      await (await res.stateStore()).appendAudit({ plan: ref.plan, entity: ref.entity, action: 'sync.capture.install', actor: ref.actor, reason: 'migrate run', detail: { table, dialect: log.dialect, statements: statements.length } });
      return { installed: true };
    },

    /** Turns the phase's flag on unless it is on (audited as the run's actor). */
    async ensurePhaseFlag(ref: RunRef & { phase: 'backfill' | 'sync'; actor: string }): Promise<{ turnedOn: boolean }> {
      assertWorkerPlan(res, ref.plan);
      const flag = phaseOf(res.entity(ref.entity), ref.phase)?.flag;
      if (!flag) throw new Error(`entity ${ref.entity} has no ${ref.phase} phase`);
      const flags = await res.flags();
      if (await flags.getFlag(flag)) return { turnedOn: false };
      await flags.setFlag(flag, true, { plan: ref.plan, entity: ref.entity, actor: ref.actor, reason: `${ref.phase} started by migrate run` });
      return { turnedOn: true };
    },

    /** Appends an audit entry of a phase the run started. */
    async recordRunEvent(ref: RunRef & { actor: string; action: string; detail?: Record<string, unknown> }): Promise<void> {
      assertWorkerPlan(res, ref.plan);
      await (await res.stateStore()).appendAudit({ plan: ref.plan, entity: ref.entity, action: ref.action, actor: ref.actor, ...(ref.detail ? { detail: ref.detail } : {}) });
    },

    async phaseWorkflowStatus(ref: { workflowId: string }): Promise<{ status: WorkflowStatusName; closedAt?: number }> {
      return describe(ref.workflowId);
    },

    /** Waits up to `maxMs` for a workflow to close, heartbeating; answers its status then. */
    async awaitWorkflowClose(ref: { workflowId: string; maxMs: number }): Promise<{ status: WorkflowStatusName }> {
      const ctx = Context.current();
      const until = Date.now() + ref.maxMs;
      for (;;) {
        const { status } = await describe(ref.workflowId);
        if (status !== 'RUNNING' || Date.now() >= until) return { status };
        ctx.heartbeat();
        await ctx.sleep(Math.min(2_000, Math.max(0, until - Date.now())));
      }
    },

    /** Dependencies whose backfill has not finished, each in words (empty: go ahead). */
    async dependencyBackfillWaits(ref: RunRef): Promise<string[]> {
      assertWorkerPlan(res, ref.plan);
      const waits: string[] = [];
      for (const dep of res.entity(ref.entity).dependsOn) {
        if (!phaseOf(res.entity(dep), 'backfill')) continue;
        const { status } = await describe(backfillWorkflowId(ref.plan, dep));
        if (status !== 'COMPLETED') waits.push(`${dep} to be backfilled first (its backfill is ${status === 'NONE' ? 'not started' : status.toLowerCase()}): \`migrate run --entity ${dep}\``);
      }
      return waits;
    },

    /** The last verification, and whether it lets the run go on. */
    async verificationState(ref: RunRef): Promise<VerificationState> {
      assertWorkerPlan(res, ref.plan);
      const stored = await (await res.stateStore()).latestReport<VerificationReport>(ref.plan, ref.entity);
      if (!stored) return { passedAfterBackfill: false };
      const r = stored.report;
      const last = { run: r.run, passed: r.passed, persistent: r.totals.persistent, compared: r.totals.compared, reportId: stored.id, startedAt: r.startedAt };
      const full = r.options.sample === undefined && r.options.since === undefined;
      let afterBackfill = true;
      if (phaseOf(res.entity(ref.entity), 'backfill')) {
        const b = await describe(backfillWorkflowId(ref.plan, ref.entity));
        afterBackfill = b.status === 'COMPLETED' && b.closedAt !== undefined && new Date(r.startedAt).getTime() >= b.closedAt;
      }
      return { passedAfterBackfill: r.passed && full && afterBackfill, last };
    },

    async cutoverState(ref: RunRef): Promise<CutoverState> {
      assertWorkerPlan(res, ref.plan);
      return cutoverOf(ref.plan, ref.entity);
    },

    async retiredState(ref: RunRef): Promise<{ retired: boolean }> {
      assertWorkerPlan(res, ref.plan);
      return { retired: await retired(ref.plan, ref.entity) };
    },

    /**
     * What keeps the entity's cutover from publishing `stage`: each dependency with a cutover phase
     * must have published a stage of that name (or, when it has none, finished its cutover). A
     * dependency without a cutover phase, or retired, holds nothing up. Empty: go ahead.
     */
    // Kept alive: the cutover schedules it with a 10 s heartbeat timeout (cutoverWorkflow).
    cutoverDependencyWaits: keepAlive(async (ref: RunRef & { stage: string }): Promise<string[]> => {
      assertWorkerPlan(res, ref.plan);
      const waits: string[] = [];
      for (const dep of res.entity(ref.entity).dependsOn) {
        const phase = phaseOf(res.entity(dep), 'cutover');
        if (!phase || (await retired(ref.plan, dep))) continue;
        const { status, progress } = await cutoverOf(ref.plan, dep);
        const named = phase.stages.some((s) => s.name === ref.stage);
        const reached = progress !== undefined && progress.step !== 'aborted' && (named ? progress.stages.some((s) => s.name === ref.stage && s.state !== 'pending') : progress.step === 'complete');
        if (reached) continue;
        const where = status === 'NONE' ? 'has not started its cutover' : progress ? `is at ${progress.step}${progress.stage ? ` of stage ${progress.stage}` : ''}` : `has a cutover workflow that is ${status.toLowerCase()}`;
        waits.push(`${dep} to reach ${named ? `stage ${ref.stage}` : 'the end of its cutover'} first (${dep} ${where}): \`migrate cutover --entity ${dep}\``);
      }
      return waits;
    }),
  };
}
