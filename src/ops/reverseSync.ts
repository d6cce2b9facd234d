/**
 * Reverse sync (service → legacy) as operations: start or attach (the write switch starts it as
 * its child; this is the same start for tests and repairs), read its progress, stop it (retire, a
 * write rollback), audited. Nothing here prints.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../errors.js';
import { durationMs } from '../plan/units.js';
import { syncSettings } from '../sync/settings.js';
import { reverseSyncWorkflowId } from '../workflows/cutoverDefinitions.js';
import { reverseSyncProgressQuery, stopSyncSignal, type ReverseSyncInput, type ReverseSyncProgress, type reverseSyncWorkflow } from '../workflows/reverseSyncWorkflow.js';
import type { Session } from './session.js';

export type ReverseSyncHandle = WorkflowHandle<typeof reverseSyncWorkflow>;

const handleOf = (session: Session, entity: string): ReverseSyncHandle =>
  session.temporal.client.workflow.getHandle<typeof reverseSyncWorkflow>(reverseSyncWorkflowId(session.loaded.plan.name, entity));

/** The workflow's status name (RUNNING, COMPLETED, …), or undefined when it never ran. */
async function statusOf(session: Session, entity: string): Promise<string | undefined> {
  try {
    return (await handleOf(session, entity).describe()).status.name;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}

/**
 * Starts the entity's reverse sync, or attaches to the running one. Refuses (UserError) a map that
 * cannot be inverted or a target without a change feed before anything starts. Audited when started.
 */
export async function startReverseSync(session: Session, entity: string, actor: string): Promise<{ handle: ReverseSyncHandle; how: 'started' | 'attached' }> {
  session.resources.inverseMapping(entity);
  const e = session.resources.entity(entity);
  if (!session.resources.target(entity).changes) {
    throw new UserError(`entity "${entity}" has no change feed, so reverse sync cannot read the service's changes`, {
      hint: `Add \`changes: { path: /v1/${entity}:changes }\` to entities.${entity}.target in ${session.resources.planFile} (docs/target-protocol.md, "Change feed").`,
    });
  }
  const { plan } = session.loaded;
  const existing = handleOf(session, entity);
  if ((await statusOf(session, entity)) === 'RUNNING') return { handle: existing, how: 'attached' };
  // The forward sync's poll when the entity has one; else once a second.
  let pollMs = 1_000;
  try {
    pollMs = durationMs(syncSettings(session.resources, entity).poll);
  } catch {
    // no sync phase: keep the default
  }
  const input: ReverseSyncInput = { plan: plan.name, entity, pollMs };
  try {
    const handle = await session.temporal.client.workflow.start<typeof reverseSyncWorkflow>('reverseSyncWorkflow', {
      workflowId: reverseSyncWorkflowId(plan.name, entity),
      taskQueue: session.temporal.settings.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    const store = await session.resources.stateStore();
    await store.appendAudit({ plan: plan.name, entity, action: 'sync.reverse.start', actor, detail: { table: e.source.table } });
    return { handle, how: 'started' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: existing, how: 'attached' };
    throw err;
  }
}

/** Ends reverse sync after its current chunk; audited. False when it was not running. */
export async function stopReverseSync(session: Session, entity: string, actor: string, reason?: string): Promise<boolean> {
  if ((await statusOf(session, entity)) !== 'RUNNING') return false;
  const handle = handleOf(session, entity);
  await handle.signal(stopSyncSignal);
  const store = await session.resources.stateStore();
  await store.appendAudit({ plan: session.loaded.plan.name, entity, action: 'sync.reverse.stop', actor, reason });
  await handle.result();
  return true;
}

/** Reverse sync's progress; undefined when it never ran. A stopped one answers from its result. */
export async function reverseSyncProgress(session: Session, entity: string): Promise<ReverseSyncProgress | undefined> {
  const status = await statusOf(session, entity);
  if (status === undefined) return undefined;
  const handle = handleOf(session, entity);
  const workflowId = handle.workflowId;
  if (status === 'RUNNING') return handle.query(reverseSyncProgressQuery);
  if (status === 'COMPLETED') return { ...(await handle.result()), state: 'stopped', workflowId, updatedAt: Date.now() };
  // The write switch ends a reverse sync it started by cancelling it when it undoes: a stop, not a failure.
  const stopped = { changes: 0, upserted: 0, deleted: 0, skippedOwn: 0, failed: 0, startedAt: 0, state: 'stopped' as const, workflowId, updatedAt: Date.now() };
  return status === 'CANCELLED' ? stopped : { ...stopped, lastFailure: `workflow ${status.toLowerCase()}` };
}
