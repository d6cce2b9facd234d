/**
 * The write switch of one entity, a child of its cutover: moves writes to the new service (or back
 * to the legacy) without losing an acknowledged write. The steps are src/cutover/writeSwitchSteps.ts;
 * each one's outcome goes to the journal (`migrate_cutover_journal`) before the next starts.
 *
 * The `journal` step is the commit point. A step that fails before it undoes the switch (publishes
 * the writes variant it started from, which lifts the fence) and the result is `undone` with the
 * reason; after it, steps are retried until they complete. A run that finds journal entries of an
 * earlier run of the same switch (the execution was lost) resumes from them the same way: before
 * the commit it undoes, after it completes. Deterministic: all I/O is in activities.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, ParentClosePolicy, defineQuery, patched, executeChild, getExternalWorkflowHandle, proxyActivities, setHandler, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import type { JournalRecord } from '../activities/writeSwitchActivities.js';
import { refusal, preconditionsText, undoDetail, writeSwitchSteps, type WriteSwitchStepDef, type WriteSwitchStepName } from '../cutover/writeSwitchSteps.js';
import { reverseSyncWorkflowId, type WriteSwitchInput, type WriteSwitchResult, type WriteSwitchStep } from './cutoverDefinitions.js';
import { verifyWorkflowId } from './definitions.js';
import type { verifyWorkflow } from './verifyWorkflow.js';
import { stopSyncSignal } from './syncWorkflow.js';
import { KEPT_ALIVE_HEARTBEAT_TIMEOUT } from './activityOptions.js';

// Every switch activity heartbeats while it runs (src/activities/keepAlive.ts): when the worker
// running one dies, Temporal retries it elsewhere after the heartbeat timeout, not start-to-close —
// a worker SIGKILLed inside the fence otherwise held writes fenced for a minute more (lifecycle e2e).

/** Before the commit: a few quick attempts, then the switch undoes rather than keep writes fenced. */
const beforeCommit = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: KEPT_ALIVE_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes: ['PlanMismatchError', 'RoutingMovedError'] },
});
/** The journal, the undo and every step after the commit: retried until done. */
const untilDone = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: KEPT_ALIVE_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['PlanMismatchError'] },
});

/** Where a running switch is, for the cutover and `migrate cutover`. */
export interface WriteSwitchProgress {
  step?: WriteSwitchStepName | 'undo';
  /** What the current step waits for (instances, pending changes). */
  waitingFor: string[];
  steps: WriteSwitchStep[];
}

export const writeSwitchProgressQuery = defineQuery<WriteSwitchProgress>('writeSwitchProgress');

/** The journal's opening entry: not a step (neither the dry run nor the result lists it). */
const OPENING = 'begin';

/** A step that cannot complete; before the commit the switch undoes with this as the reason. */
class StepFailed extends Error {}

export async function writeSwitchWorkflow(input: WriteSwitchInput): Promise<WriteSwitchResult> {
  const { plan, entity } = input;
  const ref = { plan, entity };
  const switchId = workflowInfo().workflowId;
  const progress: WriteSwitchProgress = { waitingFor: [], steps: [] };
  setHandler(writeSwitchProgressQuery, () => progress);

  const timing = await untilDone.writeSwitchSettings(ref);
  const defs = writeSwitchSteps(input, timing);
  const journal: JournalRecord[] = await untilDone.readWriteSwitchJournal({ ...ref, switchId });
  let seq = journal.reduce((n, e) => Math.max(n, e.seq), 0);
  for (const e of journal) if (e.step !== OPENING) progress.steps.push({ step: e.step, detail: e.detail, outcome: e.outcome, at: e.at });
  let epoch = journal.reduce((n, e) => Math.max(n, e.epoch ?? 0), input.epoch);

  const record = async (step: WriteSwitchStep['step'], outcome: NonNullable<WriteSwitchStep['outcome']>, detail: string, extra: { epoch?: number; data?: Record<string, unknown> } = {}) => {
    seq += 1;
    const at = Date.now();
    await untilDone.recordWriteSwitchStep({ ...ref, switchId, seq, step, outcome, detail, ...extra });
    if (step !== OPENING) progress.steps.push({ step, detail, outcome, at });
  };
  const result = (outcome: WriteSwitchResult['outcome'], reason?: string): WriteSwitchResult => ({ outcome, epoch, ...(reason !== undefined ? { reason } : {}), steps: progress.steps });

  const done = (step: string) => journal.some((e) => e.step === step && e.outcome === 'done');
  const committed = done('journal');

  /** Lifts the fence by publishing the writes variant the switch started from; stops a reverse sync this switch started. */
  const undo = async (reason: string): Promise<WriteSwitchResult> => {
    progress.step = 'undo';
    progress.waitingFor = [];
    const u = await untilDone.undoWriteSwitch({ plan, entity, epoch: input.epoch, reads: input.reads, ...(input.otherReads !== undefined ? { otherReads: input.otherReads } : {}), switchId });
    if (u.published) {
      epoch = u.epoch;
      await record('undo', 'done', undoDetail(u.epoch, u.writes!), { epoch: u.epoch });
    } else {
      epoch = Math.max(u.epoch, input.epoch);
      await record('undo', 'skipped', `nothing to undo: routing in force is epoch ${u.epoch}, no fence of this switch`, { epoch: u.epoch });
    }
    // Reverse sync may have started once verify-changed was done (its own entry can be lost with the execution).
    if (input.to === 'new' && progress.steps.some((s) => (s.step === 'verify-changed' || s.step === 'reverse-sync') && s.outcome === 'done')) {
      await stopReverseSync();
      await record('stop-reverse-sync', 'done', 'stop reverse sync (started by this switch, which did not commit)');
    }
    return result('undone', reason);
  };

  // A switch that already ended (this workflow ID ran to its end before): answer the same again.
  const last = journal[journal.length - 1];
  const ended = journal.find((e) => e.step === 'undo' || (e.step === 'preconditions' && e.outcome === 'failed'));
  if (ended) return result('undone', `this switch already ended: ${ended.detail}`);
  if (committed && defs.filter((d) => d.afterCommit).every((d) => done(d.step))) return result('switched');

  if (journal.length > 0 && !committed) {
    return undo(`an earlier run of this switch stopped after ${last!.step === OPENING ? 'it began' : `step ${last!.step}`}, before the commit; the switch was undone`);
  }

  // Journalled before anything acts, so a later run of this ID knows an earlier one began (its first step's own entry can be lost).
  if (journal.length === 0) await record(OPENING, 'done', `write switch of ${entity} to ${input.to}, from routing epoch ${input.epoch}`, { epoch: input.epoch });

  for (const def of defs) {
    if (committed && !def.afterCommit) continue; // resuming after the commit: only the steps after it
    if (done(def.step)) continue;
    progress.step = def.step;
    progress.waitingFor = [];
    try {
      const r = await runStep(def);
      await record(def.step, 'done', r.detail ?? def.detail, r);
    } catch (e) {
      if (def.afterCommit) throw e; // unreachable in practice: steps after the commit retry until done
      const why = reasonOf(e);
      await record(def.step, 'failed', e instanceof RefusedError ? e.detail : `${def.detail} — ${why}`);
      if (e instanceof RefusedError) return result('undone', why);
      return undo(`step ${def.step} failed: ${why}`);
    }
  }
  progress.step = undefined;
  progress.waitingFor = [];
  return result('switched');

  async function runStep(def: WriteSwitchStepDef): Promise<{ detail?: string; epoch?: number; data?: Record<string, unknown> }> {
    switch (def.step) {
      case 'preconditions': {
        const checks = await beforeCommit.checkWriteSwitchPreconditions(input);
        const text = preconditionsText(def.detail, checks);
        const refused = refusal(checks);
        if (refused) throw new RefusedError(refused, text);
        return { detail: text };
      }
      case 'fence': {
        const p = await beforeCommit.publishWriteSwitchRouting({ ...publishBase(), epoch: input.epoch + 1, writes: 'fenced', holdMs: timing.holdMs, step: 'fence' });
        epoch = p.epoch;
        return { epoch: p.epoch, data: { from: p.previous } };
      }
      case 'drain':
        return waitForAcks(input.epoch + 1, true);
      case 'catch-up': {
        const { position } = await beforeCommit.captureForwardPosition(ref);
        if (position === undefined) return { data: { position: null, pending: 0 } };
        await waitUntil(timing.catchUpTimeoutMs, async () => {
          const r = await beforeCommit.forwardPendingUpTo({ ...ref, position });
          return r.pending === 0 ? true : [r.waitingFor ?? `forward sync: ${r.pending} changes up to position ${position} not applied`];
        });
        return { data: { position } };
      }
      case 'verify-changed':
        return verifyChanged();
      case 'reverse-sync':
        return startReverseSync();
      case 'journal':
        return { epoch };
      case 'switch': {
        const p = await untilDone.publishWriteSwitchRouting({ ...publishBase(), epoch: input.epoch + 2, writes: input.to, step: 'switch' });
        epoch = p.epoch;
        return { epoch: p.epoch };
      }
      case 'unfence': {
        // After the commit nothing is undone: consumers that have not applied the switch epoch yet are named, not waited for forever.
        try {
          return await waitForAcks(input.epoch + 2, false);
        } catch (e) {
          if (!(e instanceof StepFailed)) throw e;
          return { epoch: input.epoch + 2, data: { notAcknowledged: progress.waitingFor } };
        }
      }
      case 'reverse-catch-up': {
        const { position } = await beforeCommit.captureReversePosition(ref);
        if (position === undefined) return { data: { position: null, pending: 0 } };
        await waitUntil(timing.catchUpTimeoutMs, async () => {
          const r = await beforeCommit.reversePendingUpTo({ ...ref, position });
          return r.pending === 0 ? true : [r.waitingFor ?? `reverse sync: ${r.pending} service changes up to position ${position} not applied`];
        });
        return { data: { position } };
      }
      case 'stop-reverse-sync':
        await stopReverseSync();
        return {};
    }
  }

  function publishBase() {
    return { plan, entity, reads: input.reads, ...(input.otherReads !== undefined ? { otherReads: input.otherReads } : {}), switchId };
  }

  async function waitForAcks(ackEpoch: number, idle: boolean) {
    let ignored: string[] = [];
    await waitUntil(timing.drainTimeoutMs, async () => {
      const a = await beforeCommit.checkWriteSwitchAcks({ ...ref, epoch: ackEpoch, idle });
      ignored = a.ignored;
      return a.done ? true : a.waitingFor;
    });
    return { epoch: ackEpoch, ...(ignored.length > 0 ? { data: { ignoredSilent: ignored } } : {}) };
  }

  /** Looks every `pollMs` until `check` answers true; after `timeoutMs` fails naming what it still waited for. */
  async function waitUntil(timeoutMs: number, check: () => Promise<true | string[]>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await check();
      if (r === true) {
        progress.waitingFor = [];
        return;
      }
      progress.waitingFor = r;
      if (Date.now() >= deadline) throw new StepFailed(`still waiting after ${Math.round(timeoutMs / 1000)} s for ${r.join(', ')}`);
      await sleep(timing.pollMs);
    }
  }

  async function verifyChanged() {
    const last = await beforeCommit.lastVerificationStart(ref);
    const since = last.hasUpdatedAt ? last.since : undefined;
    const n = switchId.slice(switchId.lastIndexOf('/') + 1);
    const run = `${new Date(Date.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-write-switch-${n}`;
    const verified = await executeChild<typeof verifyWorkflow>('verifyWorkflow', {
      workflowId: verifyWorkflowId(plan, entity, run),
      args: [{ plan, entity, run, options: since !== undefined ? { since } : {} }],
    });
    const s = verified.summary;
    if (!s.passed) throw new StepFailed(`verification ${run} found ${s.persistent} persistent differences of ${s.compared} rows (report ${verified.reportId})`);
    return { data: { run, reportId: verified.reportId, compared: s.compared, since: since ?? null } };
  }

  async function startReverseSync() {
    const workflowId = reverseSyncWorkflowId(plan, entity);
    try {
      await startChild('reverseSyncWorkflow', { workflowId, parentClosePolicy: ParentClosePolicy.ABANDON, args: [{ plan, entity, pollMs: timing.reversePollMs ?? 1_000 }] });
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    }
    return { data: { workflowId } };
  }

  async function stopReverseSync() {
    const reverse = getExternalWorkflowHandle(reverseSyncWorkflowId(plan, entity));
    // Reverse sync finishes its chunk on the stop signal (one name for both directions); switches recorded before it was built cancelled it.
    const stop = patched('write-switch-stops-reverse-sync-by-signal') ? reverse.signal(stopSyncSignal) : reverse.cancel();
    await stop.catch(() => undefined); // already ended, or never started
  }
}

/** Preconditions that refuse: nothing was published, so nothing is undone. `detail` is the step as journalled. */
class RefusedError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

function reasonOf(e: unknown): string {
  if (e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) {
    const cause = e.cause;
    return cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
