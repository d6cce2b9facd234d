/**
 * Operations behind `migrate run`: start or attach to each entity's lifecycle workflow (one per
 * entity, `runWorkflowId`), wake a run a person has acted for, and read where each run stands.
 * Commands render; nothing here prints.
 */
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { requireEntity } from '../plan/entityRef.js';
import { topologicalOrder } from '../plan/meaning.js';
import type { LoadedPlan } from '../plan/load.js';
import { wakeSignal } from '../workflows/definitions.js';
import { runProgressQuery, runWorkflowId, type RunInput, type RunProgress, type lifecycleWorkflow } from '../workflows/lifecycleWorkflow.js';
import { describeIfStarted, queryWhenReady, temporalCall } from './temporalCalls.js';
import { failureReason } from './backfill.js';
import type { Session } from './session.js';

export type RunHandle = WorkflowHandle<typeof lifecycleWorkflow>;

/** The entities a run covers, in dependency order: one (checked against the plan), or all. */
export function runEntities(loaded: LoadedPlan, entity?: string): string[] {
  if (entity !== undefined) {
    requireEntity(loaded.plan, loaded.file, entity);
    return [entity];
  }
  return topologicalOrder(loaded.plan);
}

export interface RunStart {
  entity: string;
  handle: RunHandle;
  /** started: a new run; attached: one was running (and was woken, so a step waiting for a person is tried again); completed: it had finished (retired). */
  how: 'started' | 'attached' | 'completed';
}

/** Starts the entity's run or attaches to (and wakes) the running one; a start is audited. */
export async function startRun(session: Session, entity: string, actor: string, opts: { pollMs?: number } = {}): Promise<RunStart> {
  const { plan } = session.loaded;
  const client = session.temporal.client;
  const workflowId = runWorkflowId(plan.name, entity);
  const handle = client.workflow.getHandle<typeof lifecycleWorkflow>(workflowId);
  const described = await describeIfStarted(session, handle);
  if (described?.status.name === 'RUNNING') {
    await temporalCall(session, () => handle.signal(wakeSignal));
    return { entity, handle, how: 'attached' };
  }
  if (described?.status.name === 'COMPLETED') return { entity, handle, how: 'completed' };
  const input: RunInput = { plan: plan.name, entity, actor, ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) };
  try {
    await client.workflow.start<typeof lifecycleWorkflow>('lifecycleWorkflow', {
      workflowId,
      taskQueue: session.temporal.settings.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return { entity, handle, how: 'attached' };
    throw e;
  }
  await (await session.resources.stateStore()).appendAudit({ plan: plan.name, entity, action: 'run.start', actor });
  return { entity, handle, how: 'started' };
}

/** Where the entity's run stands; undefined when no run was ever started. A closed one answers from its result or says why it ended. */
export async function runProgress(session: Session, entity: string): Promise<RunProgress | undefined> {
  const handle = session.temporal.client.workflow.getHandle<typeof lifecycleWorkflow>(runWorkflowId(session.loaded.plan.name, entity));
  const d = await describeIfStarted(session, handle);
  if (!d) return undefined;
  const status = d.status.name;
  if (status === 'RUNNING') {
    return queryWhenReady(session, () => handle.query(runProgressQuery));
  }
  if (status === 'COMPLETED') return temporalCall(session, () => handle.result());
  const why = await failureReason(session, handle, status);
  return {
    workflowId: handle.workflowId,
    entity,
    step: 'ended',
    state: 'paused',
    steps: [],
    waitingFor: [`the run ended without finishing (${why}): start it again with \`migrate run --entity ${entity}\``],
    next: `migrate run --entity ${entity}`,
    needsPerson: true,
    events: [],
    updatedAt: d.closeTime?.getTime() ?? Date.now(),
  };
}
