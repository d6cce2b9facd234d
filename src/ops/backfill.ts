/**
 * Backfill operations behind `migrate backfill`: start-or-attach, pause and resume (through the
 * entity's flag, audited), and reading progress. Commands render; nothing here prints.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../errors.js';
import { phaseOf } from '../plan/schema.js';
import type { SweepProgress } from '../progress.js';
import { backfillWorkflowId, progressQuery, resumeSignal, wakeSignal, type SweepInput } from '../workflows/definitions.js';
import type { sweepWorkflow } from '../workflows/sweep.js';
import type { Session } from './session.js';

export type BackfillHandle = WorkflowHandle<typeof sweepWorkflow>;

function backfillFlag(session: Session, entity: string): string {
  const flag = phaseOf(session.resources.entity(entity), 'backfill')?.flag;
  if (!flag) {
    throw new UserError(`entity "${entity}" has no backfill phase in ${session.loaded.file}`, {
      hint: `Add \`- backfill: { flag: ${entity}.backfill }\` to entities.${entity}.phases.`,
    });
  }
  return flag;
}

export interface StartOutcome {
  handle: BackfillHandle;
  /** started: a new run; attached: one was running; completed: it had already finished. */
  how: 'started' | 'attached' | 'completed';
  flagTurnedOn: boolean;
}

/**
 * Starts the entity's backfill, or attaches to the running one (the workflow ID makes a second
 * copy impossible). Turns the flag on (audited) unless it is already on. A finished backfill is
 * reported, not re-run, unless `restart` is set.
 */
export async function startBackfill(session: Session, entity: string, actor: string, restart = false): Promise<StartOutcome> {
  const flag = backfillFlag(session, entity);
  const { plan } = session.loaded;
  const client = session.temporal.client;
  const workflowId = backfillWorkflowId(plan.name, entity);
  const existing = client.workflow.getHandle<typeof sweepWorkflow>(workflowId);
  let prior: string | undefined;
  try {
    prior = (await existing.describe()).status.name;
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
  if (prior === 'COMPLETED' && !restart) return { handle: existing, how: 'completed', flagTurnedOn: false };

  const store = await session.resources.stateStore();
  const current = await store.getFlag(flag);
  let flagTurnedOn = false;
  if (!current?.enabled) {
    await store.setFlag(plan.name, flag, true, actor, 'backfill started', entity);
    flagTurnedOn = true;
  }
  if (prior === 'RUNNING') {
    if (flagTurnedOn) await existing.signal(wakeSignal);
    return { handle: existing, how: 'attached', flagTurnedOn };
  }
  const input: SweepInput = { plan: plan.name, entity, kind: 'backfill', runKey: 'backfill' };
  try {
    const handle = await client.workflow.start<typeof sweepWorkflow>('sweepWorkflow', {
      workflowId,
      taskQueue: session.temporal.settings.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    await store.appendAudit({ plan: plan.name, entity, action: 'backfill.requested', actor, detail: { restart } });
    return { handle, how: 'started', flagTurnedOn };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return { handle: existing, how: 'attached', flagTurnedOn };
    throw e;
  }
}

/** Pauses (flag off) or resumes (flag on, and clears an auth pause); audited; wakes the workflow. */
export async function setBackfillRunning(session: Session, entity: string, run: boolean, actor: string, reason?: string): Promise<void> {
  const flag = backfillFlag(session, entity);
  const store = await session.resources.stateStore();
  await store.setFlag(session.loaded.plan.name, flag, run, actor, reason ?? (run ? 'resume requested' : 'pause requested'), entity);
  const handle = session.temporal.client.workflow.getHandle(backfillWorkflowId(session.loaded.plan.name, entity));
  try {
    await handle.signal(run ? resumeSignal : wakeSignal);
  } catch (e) {
    // No running backfill: the flag alone is the state; the next start honours it.
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
}

/**
 * Progress of a sweep workflow, or undefined when it was never started. Closed workflows are
 * answered from their result, so no worker is needed to see a finished or failed one.
 */
export async function sweepProgress(session: Session, workflowId: string): Promise<SweepProgress | undefined> {
  const handle = session.temporal.client.workflow.getHandle<typeof sweepWorkflow>(workflowId);
  let status: string;
  let closedAt = Date.now();
  try {
    const d = await handle.describe();
    status = d.status.name;
    closedAt = d.closeTime?.getTime() ?? closedAt;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
  if (status === 'RUNNING') return await handle.query(progressQuery);
  const kind = workflowId.includes('/verify/') ? 'verify' : 'backfill';
  if (status === 'COMPLETED') {
    const r = await handle.result();
    return { kind, state: 'completed', done: r.done, total: r.done, totalIsEstimate: false, failures: r.failures, mismatches: kind === 'verify' ? r.mismatches : undefined, partitions: [], updatedAt: closedAt, workflowId };
  }
  let reason = `workflow ${status.toLowerCase()}`;
  try {
    await handle.result();
  } catch (e) {
    reason = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
  }
  return { kind, state: 'failed', reason, done: 0, total: 0, totalIsEstimate: true, failures: 0, partitions: [], updatedAt: closedAt, workflowId };
}

/** The entity's backfill progress (see sweepProgress). */
export function backfillProgress(session: Session, entity: string): Promise<SweepProgress | undefined> {
  return sweepProgress(session, backfillWorkflowId(session.loaded.plan.name, entity));
}
