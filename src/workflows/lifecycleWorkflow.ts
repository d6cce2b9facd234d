/**
 * `migrate run`: one long-lived workflow per entity (`runWorkflowId`) that walks the entity's
 * phases in lifecycle order — capture → backfill → sync → verify → cutover → retire (see
 * src/lifecycle/runSteps.ts) — starting each phase's own workflow as a child under the same
 * workflow ID its command uses, so a phase run by hand and a phase run by `run` are the same
 * workflow: the run skips what finished, follows what runs, and starts only what never ran.
 *
 * - Children are abandoned on close: sync must outlive the step that started it, and a run that
 *   continues as new must not take a backfill down with it.
 * - It never decides for a person: the cutover's approvals and inconclusive gates stop the cutover
 *   itself (the run shows what it waits for and the command that moves it); a verification that
 *   does not pass, a failed phase workflow and the retire step wait for a person.
 * - A backfill waits until the entities in `dependsOn` are backfilled; each cutover stage waits
 *   until they reached that stage (enforced by the cutover workflow itself, so by hand too).
 *
 * Deterministic: all I/O is in activities.
 */
import {
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { runCommands, type RunStepName } from '../lifecycle/runSteps.js';
import { shortActivity } from './activityOptions.js';
import { backfillWorkflowId, verifyWorkflowId, wakeSignal, type SweepInput } from './definitions.js';
import { cutoverWorkflowId } from './cutoverDefinitions.js';
import { syncWorkflowId, type SyncInput } from './syncWorkflow.js';
import type { VerifyInput } from './verifyWorkflow.js';
import type { CutoverInput } from './cutoverWorkflow.js';

export interface RunInput {
  plan: string;
  entity: string;
  /** Who started the run: the actor of the flags it turns on and the phases it starts (audited). */
  actor: string;
  /** How often it looks again while it waits (default 5 s). */
  pollMs?: number;
  carried?: RunState;
  /** History length at which the run continues as new (default 4,000); workflow tests set it low. */
  rollAfterEvents?: number;
  /** Task queue of the phase workflows (default this workflow's); workflow tests run stand-ins there. */
  phaseTaskQueue?: string;
}

export type RunStepState = 'pending' | 'current' | 'done';

export interface RunEvent {
  at: number;
  text: string;
}

/** Everything the run carries across continue-as-new. */
export interface RunState {
  steps: { name: RunStepName; state: RunStepState; note?: string }[];
  index: number;
  /** Set when a person must act before the run goes on; a `wake` (sent by `migrate run`) retries the step. */
  paused?: { reason: string; at: number };
  waitingFor: string[];
  next?: string;
  /** The phase workflow the step waits on, for its progress. */
  following?: string;
  /** What it waits for needs a person (an approval, a repair, a decision), not just time or another run. */
  person?: boolean;
  syncPollMs: number;
  /** The verification run this run started and that did not pass: not started again until woken. */
  verifyNotPassed?: string;
  events: RunEvent[];
  startedAt: number;
}

/** What `migrate run`, `plan` and `status` show of an entity's run. */
export interface RunProgress {
  workflowId: string;
  entity: string;
  /** The step it is at, `done`, or `ended` (the run workflow closed without finishing: failed or terminated). */
  step: RunStepName | 'done' | 'ended';
  state: 'working' | 'waiting' | 'paused' | 'done';
  steps: RunState['steps'];
  waitingFor: string[];
  /** The command that moves it on (one the CLI accepts), or follows what it waits for. */
  next?: string;
  /** True when only a person can move it on (`next` says how); false while it waits for time or another run. */
  needsPerson: boolean;
  paused?: RunState['paused'];
  /** The phase workflow the step waits on (its progress is that workflow's). */
  following?: string;
  events: RunEvent[];
  updatedAt: number;
}

/** Workflow ID of an entity's run: one per entity; `migrate run` twice attaches. */
export function runWorkflowId(plan: string, entity: string): string {
  return `migrate/${plan}/${entity}/run`;
}

export const runProgressQuery = defineQuery<RunProgress>('runProgress');

const {
  runSetup,
  ensureCapture,
  ensurePhaseFlag,
  phaseWorkflowStatus,
  dependencyBackfillWaits,
  verificationState,
  cutoverState,
  retiredState,
  recordRunEvent,
} = proxyActivities<Activities>(shortActivity());
// Waits on a phase workflow somebody else started, for up to a minute a call, heartbeating.
const { awaitWorkflowClose } = proxyActivities<Activities>({ ...shortActivity(), heartbeatTimeout: '30s' });

const POLL_MS = 5_000;
const WATCH_MS = 60_000;
const HISTORY_EVENTS_BEFORE_ROLL = 4_000;
const EVENTS_KEPT = 30;

type StepOutcome = 'done' | 'again' | 'wait' | 'paused';

export async function lifecycleWorkflow(input: RunInput): Promise<RunProgress> {
  const { plan, entity, actor } = input;
  const pollMs = input.pollMs ?? POLL_MS;
  let s: RunState = input.carried ?? { steps: [], index: 0, waitingFor: [], syncPollMs: 1_000, events: [], startedAt: Date.now() };
  let woken = false;

  const note = (text: string) => {
    s.events.push({ at: Date.now(), text });
    if (s.events.length > EVENTS_KEPT) s.events.splice(0, s.events.length - EVENTS_KEPT);
  };
  const progress = (): RunProgress => {
    const step = s.steps[s.index]?.name ?? 'done';
    const state = step === 'done' ? 'done' : s.paused ? 'paused' : s.waitingFor.length > 0 ? 'waiting' : 'working';
    const needsPerson = step !== 'done' && (s.paused !== undefined || s.person === true);
    const out: RunProgress = { workflowId: workflowInfo().workflowId, entity, step, state, steps: s.steps.map((x) => ({ ...x })), waitingFor: [...s.waitingFor], needsPerson, events: [...s.events], updatedAt: Date.now() };
    if (s.next !== undefined) out.next = s.next;
    if (s.paused) out.paused = s.paused;
    if (s.following !== undefined && step !== 'done') out.following = s.following;
    return out;
  };
  setHandler(runProgressQuery, progress);
  setHandler(wakeSignal, () => void (woken = true));

  const ref = { plan, entity };
  const waiting = (what: string[], next?: string, person = false): StepOutcome => {
    s.waitingFor = what;
    s.next = next;
    s.person = person;
    return 'wait';
  };
  const pause = (reason: string, next: string): StepOutcome => {
    s.person = false;
    s.paused = { reason, at: Date.now() };
    s.waitingFor = [reason];
    s.next = next;
    note(`paused: ${reason}`);
    return 'paused';
  };
  const child = { parentClosePolicy: 'ABANDON', workflowIdReusePolicy: 'ALLOW_DUPLICATE', ...(input.phaseTaskQueue ? { taskQueue: input.phaseTaskQueue } : {}) } as const;
  const commands = runCommands(entity);
  const again = commands.again;

  /** Waits for a phase workflow started elsewhere (by hand, or before a continue-as-new): `again` while it runs. */
  const follow = async (workflowId: string, what: string, command: string): Promise<StepOutcome> => {
    s.waitingFor = [`${what} running (${workflowId})`];
    s.next = command;
    s.person = false;
    s.following = workflowId;
    await awaitWorkflowClose({ workflowId, maxMs: WATCH_MS });
    return 'again';
  };

  const steps: Record<RunStepName, () => Promise<StepOutcome>> = {
    async capture() {
      const r = await ensureCapture({ ...ref, actor });
      if ('refused' in r) return pause(r.refused, r.fix);
      note(r.installed ? 'change capture installed' : 'change capture was installed already');
      return 'done';
    },

    async backfill() {
      const workflowId = backfillWorkflowId(plan, entity);
      const st = await phaseWorkflowStatus({ workflowId });
      if (st.status === 'COMPLETED') return 'done';
      if (st.status === 'RUNNING') return follow(workflowId, 'backfill', commands.followBackfill);
      const deps = await dependencyBackfillWaits(ref);
      if (deps.length > 0) return waiting(deps);
      await ensurePhaseFlag({ ...ref, phase: 'backfill', actor });
      const args: SweepInput = { plan, entity, kind: 'backfill', runKey: 'backfill' };
      try {
        const h = await startChild('sweepWorkflow', { ...child, workflowId, args: [args] });
        await recordRunEvent({ ...ref, actor, action: 'backfill.requested', detail: { by: 'migrate run' } });
        note('backfill started');
        s.waitingFor = [`backfill running (${workflowId})`];
        s.next = commands.followBackfill;
        s.person = false;
        s.following = workflowId;
        await h.result();
        note('backfill finished');
        return 'done';
      } catch (e) {
        if (e instanceof WorkflowExecutionAlreadyStartedError) return 'again';
        if (e instanceof ChildWorkflowFailure) return pause(`the backfill failed: ${e.cause?.message ?? e.message}; see \`migrate status\`, then run it again`, again);
        throw e;
      }
    },

    async sync() {
      const workflowId = syncWorkflowId(plan, entity);
      const st = await phaseWorkflowStatus({ workflowId });
      if (st.status === 'RUNNING') {
        note('forward sync was running already');
        return 'done';
      }
      await ensurePhaseFlag({ ...ref, phase: 'sync', actor });
      const args: SyncInput = { plan, entity, pollMs: s.syncPollMs };
      try {
        await startChild('syncWorkflow', { ...child, workflowId, args: [args] });
        await recordRunEvent({ ...ref, actor, action: 'sync.start', detail: { by: 'migrate run' } });
        note('forward sync started');
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
      return 'done';
    },

    async verify() {
      const v = await verificationState(ref);
      if (v.passedAfterBackfill) {
        note(`verification ${v.last!.run} passed`);
        return 'done';
      }
      if (s.verifyNotPassed !== undefined) {
        // Wait for a person: a passing verification run by hand, or `migrate run` again to verify anew.
        return waiting([`verification ${s.verifyNotPassed} did not pass${v.last ? ` (${v.last.persistent} persistent mismatches of ${v.last.compared})` : ''}; repair, then verify again (or run \`${again}\` to have the run verify)`], commands.repair, true);
      }
      const run = `${new Date(Date.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${uuid4().slice(0, 6)}`;
      const workflowId = verifyWorkflowId(plan, entity, run);
      const args: VerifyInput = { plan, entity, run, options: {} };
      s.waitingFor = [`verification ${run} running`];
      s.next = commands.followVerify;
      s.person = false;
      s.following = workflowId;
      try {
        const h = await startChild('verifyWorkflow', { ...child, workflowId, args: [args] });
        await recordRunEvent({ ...ref, actor, action: 'verify.requested', detail: { run, by: 'migrate run' } });
        note(`verification ${run} started`);
        await h.result();
      } catch (e) {
        if (e instanceof ChildWorkflowFailure) return pause(`verification ${run} failed: ${e.cause?.message ?? e.message}`, again);
        throw e;
      }
      const after = await verificationState(ref);
      if (after.passedAfterBackfill) {
        note(`verification ${run} passed`);
        return 'done';
      }
      s.verifyNotPassed = run;
      note(`verification ${run} did not pass`);
      return 'again';
    },

    async cutover() {
      const c = await cutoverState(ref);
      if (c.status === 'NONE') {
        const args: CutoverInput = { plan, entity, actor };
        try {
          await startChild('cutoverWorkflow', { ...child, workflowId: cutoverWorkflowId(plan, entity), args: [args] });
          await recordRunEvent({ ...ref, actor, action: 'cutover.start', detail: { by: 'migrate run' } });
          note('cutover started');
        } catch (e) {
          if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        }
        return 'again';
      }
      const p = c.progress;
      if (p?.step === 'complete') {
        note(`cutover complete at epoch ${p.epoch}`);
        return 'done';
      }
      if (c.status !== 'RUNNING') {
        const why = p?.step === 'aborted' ? 'the cutover was aborted' : `the cutover workflow ${c.status.toLowerCase()}`;
        return waiting([`${why}: start it again with \`migrate cutover --entity ${entity}\``], commands.cutover, true);
      }
      const where = p ? `cutover at ${p.step}${p.stage ? ` of stage ${p.stage}` : ''}, epoch ${p.epoch}` : 'cutover starting';
      const person = p !== undefined && (p.step === 'approval' || p.step === 'paused');
      s.following = cutoverWorkflowId(plan, entity);
      return waiting(p && p.waitingFor.length > 0 ? p.waitingFor.map((w) => `${where}: ${w}`) : [where], p?.next ?? commands.cutover, person);
    },

    async retire() {
      const r = await retiredState(ref);
      if (r.retired) {
        note('retired');
        return 'done';
      }
      return waiting([`approval to retire ${entity}: \`migrate retire --entity ${entity}\` shows its steps and asks`], commands.retire, true);
    },
  };

  if (!input.carried) {
    const setup = await runSetup(ref);
    s.steps = setup.steps.map((x) => ({ name: x, state: setup.retired ? 'done' : 'pending' }));
    s.index = setup.retired ? s.steps.length : 0;
    s.syncPollMs = setup.syncPollMs;
    note(setup.retired ? 'already retired' : `run started by ${actor}`);
  }

  const shouldRoll = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.rollAfterEvents ?? HISTORY_EVENTS_BEFORE_ROLL);
  while (s.index < s.steps.length) {
    if (!woken && shouldRoll()) await continueAsNew<typeof lifecycleWorkflow>({ ...input, carried: s });
    if (woken) {
      // `migrate run` again: a person acted, so a paused step is tried again and a verification that did not pass is run anew.
      woken = false;
      if (s.paused) note('woken: trying again');
      s.paused = undefined;
      s.verifyNotPassed = undefined;
    }
    const step = s.steps[s.index]!;
    step.state = 'current';
    const outcome = s.paused ? 'paused' : await steps[step.name]();
    if (outcome === 'done') {
      step.state = 'done';
      s.index += 1;
      s.waitingFor = [];
      s.next = undefined;
      s.person = false;
      s.following = undefined;
      continue;
    }
    if (outcome === 'paused') await condition(() => woken);
    else if (outcome === 'wait') await condition(() => woken, pollMs);
  }
  s.waitingFor = [];
  s.next = undefined;
  return progress();
}
