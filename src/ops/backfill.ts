/**
 * Backfill operations behind `migrate backfill`: start-or-attach, pause and resume (through the
 * entity's flag, audited), and reading progress. Commands render; nothing here prints.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { secrets } from '../secrets.js';
import { stallOf } from './stall.js';
import { taskQueuePollers } from './workers.js';
import { describeIfStarted, isTemporalUnreachable, temporalCall, temporalUnreachableError } from './temporalCalls.js';
import { UserError } from '../errors.js';
import { phaseOf } from '../plan/schema.js';
import { requireEntity } from '../plan/entityRef.js';
import type { LoadedPlan } from '../plan/load.js';
import { markStalled, type StallInfo, type SweepProgress } from '../progress.js';
import { backfillWorkflowId, progressQuery, resumeSignal, wakeSignal, type SweepInput } from '../workflows/definitions.js';
import type { sweepWorkflow } from '../workflows/sweepWorkflow.js';
import type { Session } from './session.js';

export type BackfillHandle = WorkflowHandle<typeof sweepWorkflow>;

/**
 * The entity's backfill flag, or a UserError when the plan has no such entity or it has no backfill
 * phase. Pure: a command calls it before its session starts a server or a worker.
 */
export function checkBackfillRequest(loaded: LoadedPlan, entity: string): string {
  const flag = phaseOf(requireEntity(loaded.plan, loaded.file, entity), 'backfill')?.flag;
  if (!flag) {
    throw new UserError(`entity "${entity}" has no backfill phase in ${loaded.file}`, {
      hint: `Add \`- backfill: { flag: ${entity}.backfill }\` to entities.${entity}.phases.`,
    });
  }
  return flag;
}

function backfillFlag(session: Session, entity: string): string {
  return checkBackfillRequest(session.loaded, entity);
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
  const flags = await session.resources.flags();
  let flagTurnedOn = false;
  if (!(await flags.getFlag(flag))) {
    await flags.setFlag(flag, true, { plan: plan.name, entity, actor, reason: 'backfill started' });
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
  const flags = await session.resources.flags();
  await flags.setFlag(flag, run, { plan: session.loaded.plan.name, entity, actor, reason: reason ?? (run ? 'resume requested' : 'pause requested') });
  const handle = session.temporal.client.workflow.getHandle(backfillWorkflowId(session.loaded.plan.name, entity));
  try {
    await handle.signal(run ? resumeSignal : wakeSignal);
  } catch (e) {
    // No running backfill: the flag alone is the state; the next start honours it.
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
}

/** How long a progress query may wait for a worker before status answers from Temporal's record alone. */
export const QUERY_DEADLINE_MS = 3_000;

// The last progress each workflow answered in this process: a watcher keeps its counts on screen
// while no worker can answer, instead of dropping to nothing.
const lastAnswered = new Map<string, SweepProgress>();

/** The innermost message of a failure chain (WorkflowFailedError → ActivityFailure → the activity's own words). */
export function rootMessage(e: unknown): string {
  let cur = e as (Error & { cause?: unknown }) | undefined;
  let msg = cur?.message ?? String(e);
  for (let i = 0; cur && i < 8; i++) {
    if (cur.message) msg = cur.message;
    cur = cur.cause as typeof cur;
  }
  return msg;
}

/**
 * A running workflow's progress: its own answer when a worker answers within QUERY_DEADLINE_MS,
 * else what Temporal's record says (the last counts seen, and that no worker answers), plus why it
 * is not progressing from its pending activities.
 */
export async function runningProgress(
  session: Session,
  workflowId: string,
  described: Pick<WorkflowExecutionDescription, 'raw'>,
  query: () => Promise<SweepProgress>,
): Promise<SweepProgress> {
  const now = Date.now();
  const { connection, settings } = session.temporal;
  // Whichever answer is not awaited is cancelled on the way out: a call left in flight when the
  // session closes is retried by the client on a shut channel, which throws outside any caller.
  const done = new AbortController();
  // Asked side by side: when nobody polls the queue, no query can be answered, so do not wait for it.
  const pollersAsked = connection
    .withAbortSignal(done.signal, () => temporalCall(session, async () => (await taskQueuePollers(session.temporal.client, settings.namespace, settings.taskQueue, 'workflow')).length))
    .catch(() => undefined);
  const asked = connection.withAbortSignal(done.signal, () => connection.withDeadline(now + QUERY_DEADLINE_MS, query));
  asked.catch(() => undefined);
  let progress: SweepProgress;
  try {
    progress = await Promise.race([asked, pollersAsked.then((n) => (n === 0 ? Promise.reject(new Error('no workflow poller')) : asked))]);
    lastAnswered.set(workflowId, progress);
  } catch (e) {
    if (isTemporalUnreachable(e) && !/deadline/i.test(rootMessage(e))) throw temporalUnreachableError(settings.address, e);
    const pollers = await pollersAsked;
    // Nobody polls: that is the news. Otherwise what the pending chunks say is more precise than "no answer".
    const stall: StallInfo =
      pollers === 0
        ? { cause: 'no-worker', message: `no worker polls task queue "${settings.taskQueue}": the work waits in Temporal`, fix: `Start one with \`migrate worker --plan ${session.loaded.file}\`.` }
        : (stallOf(described.raw.pendingActivities, Date.now()) ?? { cause: 'worker-lost', message: `no worker answered within ${QUERY_DEADLINE_MS / 1000} s (${secrets.redact(rootMessage(e))})`, fix: 'A worker may have crashed or be restarting; check the worker log.' });
    const last = lastAnswered.get(workflowId);
    const kind = workflowId.includes('/verify/') ? 'verify' : 'backfill';
    return last
      ? { ...last, ratePerSec: undefined, etaMs: undefined, stall, stalledSince: last.lastProgressAt ?? last.updatedAt }
      : { kind, state: 'running', done: 0, total: 0, totalIsEstimate: true, failures: 0, partitions: [], updatedAt: now, workflowId, stall, countsUnknown: true };
  } finally {
    done.abort();
  }
  const stall = progress.state === 'running' ? stallOf(described.raw.pendingActivities, Date.now()) : undefined;
  return markStalled(stall ? { ...progress, stall } : progress, Date.now());
}

/**
 * Progress of a sweep workflow, or undefined when it was never started. Closed workflows are
 * answered from their result, so no worker is needed to see a finished or failed one; a running one
 * whose worker does not answer is answered from Temporal's record (see runningProgress).
 */
export async function sweepProgress(session: Session, workflowId: string): Promise<SweepProgress | undefined> {
  const handle = session.temporal.client.workflow.getHandle<typeof sweepWorkflow>(workflowId);
  const d = await describeIfStarted(session, handle);
  if (!d) return undefined;
  const status = d.status.name;
  const closedAt = d.closeTime?.getTime() ?? Date.now();
  if (status === 'RUNNING') return runningProgress(session, workflowId, d, () => handle.query(progressQuery));
  const kind = workflowId.includes('/verify/') ? 'verify' : 'backfill';
  if (status === 'COMPLETED') {
    const r = await temporalCall(session, () => handle.result());
    // Every partition is complete when the sweep is: the final frame must not show one still running.
    const partitions = (r.partitions ?? []).map((p) => ({ index: p.index, done: p.done, total: p.done, state: 'completed' as const }));
    return { kind, state: 'completed', done: r.done, total: r.done, totalIsEstimate: false, failures: r.failures, mismatches: kind === 'verify' ? r.mismatches : undefined, partitions, updatedAt: closedAt, workflowId };
  }
  return { kind, state: 'failed', reason: await failureReason(session, handle, status), done: 0, total: 0, totalIsEstimate: true, failures: 0, partitions: [], updatedAt: closedAt, workflowId };
}

/** Why a closed workflow did not complete: its failure's own words (redacted by the worker), or its status. */
export async function failureReason(session: Session, handle: WorkflowHandle, status: string): Promise<string> {
  try {
    await temporalCall(session, () => handle.result());
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError) && !isTemporalUnreachable(e)) return secrets.redact(rootMessage(e));
  }
  return `workflow ${status.toLowerCase()}`;
}

/** The entity's backfill progress (see sweepProgress). */
export function backfillProgress(session: Session, entity: string): Promise<SweepProgress | undefined> {
  return sweepProgress(session, backfillWorkflowId(session.loaded.plan.name, entity));
}
