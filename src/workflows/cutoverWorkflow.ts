/**
 * An entity's cutover, long-lived, one per entity (`cutoverWorkflowId`). Stage by stage: publish
 * the stage's routing as the next epoch → wait until every consumer in scope acknowledges it →
 * bake (counted from the moment the last acknowledgement was seen) → evaluate the gate → approval
 * when asked → next stage. The writes stage runs the write switch as a child workflow.
 *
 * - An inconclusive gate pauses (never passes) saying what is missing; `resume` evaluates it again.
 * - A failed gate in a read stage rolls back to the previous stage's routing by itself, then pauses.
 *   In the writes stage only an integrity signal (persistent mismatches) rolls writes back by
 *   itself; anything else pauses for a person.
 * - Operators drive it with updates whose validators check state and epoch, so a stale approval
 *   is refused: approve {stage, epoch}, pause, resume, abort {to: previous | legacy}.
 * - Writes never move before every consumer's reads are `new` in the routing in force: checked
 *   again here whatever the plan said.
 *
 * Deterministic: all I/O is in activities; the state is carried across continue-as-new.
 */
import { ApplicationFailure, ActivityFailure, ChildWorkflowFailure, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, executeChild, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RoutingInForce } from '../activities/cutoverActivities.js';
import { describeRoute, type ReadRoute } from '../flags/routing.js';
import { evaluateGate, unacknowledged, type GateEvidence, type GateResult } from '../cutover/gates.js';
import { initialRouting, notReadingNew, type ResolvedStage, type StageWrites } from '../cutover/stages.js';
import { keptAliveShortActivity } from './activityOptions.js';
import { writeSwitchWorkflowId, type WriteSwitchInput, type WriteSwitchResult } from './cutoverDefinitions.js';

export interface CutoverInput {
  plan: string;
  entity: string;
  /** Who started it, for the audit entries of routing it publishes. */
  actor: string;
  /** How often evidence is gathered while waiting for acknowledgements (default 10 s). */
  pollMs?: number;
  carried?: CutoverState;
  /** History length at which the run continues as new (default 4,000); workflow tests set it low. */
  rollAfterEvents?: number;
  /** Task queue of the write switch child (default this workflow's); workflow tests run a stub there. */
  writeSwitchTaskQueue?: string;
}

/** Where the cutover is in its current stage. */
export type CutoverStep = 'publish' | 'acks' | 'bake' | 'gate' | 'approval' | 'write-switch' | 'paused' | 'complete' | 'aborted';

export type PausedBy = 'operator' | 'gate' | 'rollback' | 'refused' | 'write-switch' | 'conflict';

export interface CutoverEvent {
  at: number;
  epoch: number;
  /** e.g. `published stage shadow`, `gate passed`, `approved by alice: looks good`. */
  text: string;
}

/** Everything the cutover carries across continue-as-new. */
export interface CutoverState {
  consumers: string[];
  stages: ResolvedStage[];
  /** Routing epoch in force (0 before the first publish). */
  epoch: number;
  /** Index of the stage whose routing is in force; -1 for the routing before the first stage. */
  inForce: number;
  reads: Record<string, ReadRoute>;
  writes: StageWrites;
  step: CutoverStep;
  /** The step a pause returns to on resume. */
  resumeTo?: CutoverStep;
  paused?: { by: PausedBy; reason: string; at: number };
  /** When every consumer in scope was first seen on the epoch: the bake counts from here. */
  ackedAt?: number;
  gate?: { result: GateResult; evidence: GateEvidence };
  /** What it waits for now, in words. */
  waitingFor: string[];
  writeSwitches: number;
  events: CutoverEvent[];
  startedAt: number;
}

/** What `migrate cutover` and `status` show. */
export interface CutoverProgress {
  workflowId: string;
  entity: string;
  step: CutoverStep;
  epoch: number;
  /** Stage in force (undefined before the first). */
  stage?: string;
  /** The stage being worked towards or gated. */
  target?: string;
  stages: { name: string; state: 'done' | 'current' | 'pending' }[];
  /** Read route per consumer in force, and writes. */
  reads: Record<string, string>;
  writes: StageWrites;
  paused?: CutoverState['paused'];
  bake?: { startedAt: number; endsAt: number };
  gate?: CutoverState['gate'];
  waitingFor: string[];
  /** The command an operator runs next (one the CLI accepts). */
  next?: string;
  events: CutoverEvent[];
  updatedAt: number;
}

export interface ApproveArgs {
  stage: string;
  epoch: number;
  actor: string;
  reason?: string;
}
export interface ControlArgs {
  actor: string;
  reason?: string;
}
export interface AbortArgs extends ControlArgs {
  to?: 'previous' | 'legacy';
}

export const cutoverProgressQuery = defineQuery<CutoverProgress>('cutoverProgress');
export const approveCutoverUpdate = defineUpdate<CutoverProgress, [ApproveArgs]>('approveCutover');
export const pauseCutoverUpdate = defineUpdate<CutoverProgress, [ControlArgs]>('pauseCutover');
export const resumeCutoverUpdate = defineUpdate<CutoverProgress, [ControlArgs]>('resumeCutover');
export const abortCutoverUpdate = defineUpdate<CutoverProgress, [AbortArgs]>('abortCutover');
/** Ends a complete cutover (retire sends it once it has retired the legacy). */
export const endCutoverSignal = defineSignal('endCutover');

// Heartbeats (keepAlive): with start-to-close alone, a worker SIGKILLed inside one of these held the cutover for 5 minutes.
const { cutoverSetup, publishCutoverRouting, gatherCutoverEvidence, cutoverDependencyWaits } = proxyActivities<Activities>(keptAliveShortActivity(['RoutingConflictError']));

const POLL_MS = 10_000;
const HISTORY_EVENTS_BEFORE_ROLL = 4_000;
const EVENTS_KEPT = 30;

/** The command that moves the cutover on from `s` (whole commands the CLI accepts; hints.test.ts checks them). */
export function cutoverNextCommand(entity: string, s: Pick<CutoverState, 'step' | 'paused' | 'stages' | 'inForce' | 'epoch'>): string | undefined {
  switch (s.step) {
    case 'approval': {
      const stage = s.stages[s.inForce];
      return stage ? `migrate cutover --entity ${entity} --approve --stage ${stage.name} --epoch ${s.epoch}` : `migrate cutover --entity ${entity}`;
    }
    case 'paused':
      return `migrate cutover --entity ${entity} --resume`;
    case 'complete':
    case 'aborted':
      return undefined;
    default:
      return `migrate cutover --entity ${entity}`;
  }
}

export async function cutoverWorkflow(input: CutoverInput): Promise<CutoverProgress> {
  const { plan, entity } = input;
  const pollMs = input.pollMs ?? POLL_MS;
  // Until the stages are read, the state is an empty one: queries and updates get answers from the first moment.
  let s: CutoverState = input.carried ?? fresh([], [], undefined);

  let approved = false;
  let pauseAsked: ControlArgs | undefined;
  let resumeAsked: ControlArgs | undefined;
  let abortAsked: AbortArgs | undefined;
  let ended = false;
  const interrupted = () => approved || pauseAsked !== undefined || resumeAsked !== undefined || abortAsked !== undefined || ended;

  const note = (text: string) => {
    s.events.push({ at: Date.now(), epoch: s.epoch, text });
    if (s.events.length > EVENTS_KEPT) s.events.splice(0, s.events.length - EVENTS_KEPT);
  };
  const progress = (): CutoverProgress => {
    const target = s.step === 'publish' ? s.stages[s.inForce + 1] : s.stages[s.inForce];
    const stage = s.stages[s.inForce];
    const out: CutoverProgress = {
      workflowId: workflowInfo().workflowId,
      entity,
      step: s.step,
      epoch: s.epoch,
      stages: s.stages.map((x, i) => ({ name: x.name, state: i < s.inForce || (i === s.inForce && (s.step === 'complete' || s.step === 'publish')) ? 'done' : i === s.inForce ? 'current' : 'pending' })),
      reads: Object.fromEntries(Object.entries(s.reads).map(([c, r]) => [c, describeRoute(r)])),
      writes: s.writes,
      waitingFor: [...s.waitingFor],
      events: [...s.events],
      updatedAt: Date.now(),
    };
    if (stage) out.stage = stage.name;
    if (target) out.target = target.name;
    if (s.paused) out.paused = s.paused;
    if (s.gate) out.gate = s.gate;
    if (s.ackedAt !== undefined && stage && (s.step === 'bake' || s.step === 'gate')) out.bake = { startedAt: s.ackedAt, endsAt: s.ackedAt + stage.gate.bakeMs };
    const next = cutoverNextCommand(entity, s);
    if (next) out.next = next;
    return out;
  };
  const busy = () => s.step === 'write-switch';
  const over = () => s.step === 'complete' || s.step === 'aborted';

  setHandler(cutoverProgressQuery, progress);
  setHandler(
    approveCutoverUpdate,
    (a) => {
      approved = true;
      note(`approved stage ${a.stage} at epoch ${a.epoch} by ${a.actor}${a.reason ? `: ${a.reason}` : ''}`);
      return progress();
    },
    {
      validator: (a) => {
        const stage = s.stages[s.inForce];
        if (s.step !== 'approval' || !stage) throw new Error(`the cutover of ${entity} is not waiting for an approval (it is at ${describeStep(s)})`);
        if (a.stage !== stage.name || a.epoch !== s.epoch) throw new Error(`stale approval: it names stage ${a.stage} at epoch ${a.epoch}, the cutover waits for stage ${stage.name} at epoch ${s.epoch}`);
      },
    },
  );
  setHandler(
    pauseCutoverUpdate,
    (a) => {
      pauseAsked = a;
      return progress();
    },
    {
      validator: (_a) => {
        if (s.step === 'paused') throw new Error(`the cutover of ${entity} is already paused (${s.paused?.reason ?? ''})`);
        if (over()) throw new Error(`the cutover of ${entity} is ${s.step}`);
        if (busy()) throw new Error(`the cutover of ${entity} is switching writes; pause once the write switch is done`);
      },
    },
  );
  setHandler(
    resumeCutoverUpdate,
    (a) => {
      resumeAsked = a;
      return progress();
    },
    {
      validator: (_a) => {
        if (s.step !== 'paused') throw new Error(`the cutover of ${entity} is not paused (it is at ${describeStep(s)})`);
      },
    },
  );
  setHandler(
    abortCutoverUpdate,
    (a) => {
      abortAsked = a;
      return progress();
    },
    {
      validator: (a) => {
        if (s.step === 'aborted') throw new Error(`the cutover of ${entity} was aborted already`);
        if (busy()) throw new Error(`the cutover of ${entity} is switching writes; abort once the write switch is done (it undoes itself if it cannot finish)`);
        if ((a.to ?? 'previous') === 'previous' && s.inForce < 0) throw new Error(`the cutover of ${entity} has no stage in force to roll back from; use --to legacy to end it`);
      },
    },
  );
  setHandler(endCutoverSignal, () => void (ended = true));

  if (!input.carried) {
    const setup = await cutoverSetup({ plan, entity });
    if (setup.problems.length > 0) {
      throw ApplicationFailure.create({ type: 'CutoverPlanError', nonRetryable: true, message: `the cutover of ${entity} cannot run: ${setup.problems.map((p) => `${p.field}: ${p.message} (${p.fix})`).join('; ')}` });
    }
    s = fresh(setup.consumers, setup.stages, setup.inForce);
  }

  const shouldRoll = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.rollAfterEvents ?? HISTORY_EVENTS_BEFORE_ROLL);
  const wait = async (ms: number) => {
    if (ms > 0) await condition(interrupted, ms);
  };
  const pause = (by: PausedBy, reason: string, resumeTo: CutoverStep) => {
    s.step = 'paused';
    s.paused = { by, reason, at: Date.now() };
    s.resumeTo = resumeTo;
    s.waitingFor = [reason];
    note(`paused: ${reason}`);
  };

  /** Puts `reads`/`writes` in force as the next epoch, moving writes through the write switch. Answers false (and pauses) when it could not. */
  const route = async (reads: Record<string, ReadRoute>, writes: StageWrites, reason: string, resumeTo: CutoverStep): Promise<boolean> => {
    if (writes !== s.writes) {
      if (writes === 'new' && notReadingNew(s.reads).length > 0) {
        pause('refused', `writes cannot switch while ${notReadingNew(s.reads).join(', ')} ${notReadingNew(s.reads).length === 1 ? 'does' : 'do'} not read from new`, resumeTo);
        return false;
      }
      const before = s.step;
      s.step = 'write-switch';
      s.waitingFor = [`write switch to ${writes}`];
      s.writeSwitches += 1;
      const switchInput: WriteSwitchInput = { plan, entity, to: writes, reads: { ...s.reads }, otherReads: 'legacy', epoch: s.epoch };
      let result: WriteSwitchResult;
      try {
        result = await executeChild<(i: WriteSwitchInput) => Promise<WriteSwitchResult>>('writeSwitchWorkflow', {
          workflowId: writeSwitchWorkflowId(plan, entity, s.writeSwitches),
          args: [switchInput],
          ...(input.writeSwitchTaskQueue ? { taskQueue: input.writeSwitchTaskQueue } : {}),
        });
      } catch (e) {
        if (!(e instanceof ChildWorkflowFailure)) throw e;
        s.step = before;
        pause('write-switch', `the write switch to ${writes} failed: ${e.cause?.message ?? e.message}`, resumeTo);
        return false;
      }
      s.epoch = Math.max(s.epoch, result.epoch);
      s.step = before;
      if (result.outcome !== 'switched') {
        pause('write-switch', `the write switch to ${writes} was undone${result.reason ? `: ${result.reason}` : ''}; writes stay ${s.writes}`, resumeTo);
        return false;
      }
      s.writes = writes;
      note(`writes switched to ${writes} (epoch ${s.epoch})`);
      if (sameRoutes(reads, s.reads)) return true;
    }
    try {
      const p = await publishCutoverRouting({ plan, entity, epoch: s.epoch + 1, reads, writes: s.writes, actor: input.actor, reason });
      s.epoch = p.epoch;
    } catch (e) {
      if (e instanceof ActivityFailure && e.cause instanceof ApplicationFailure && e.cause.type === 'RoutingConflictError') {
        pause('conflict', e.cause.message, resumeTo);
        return false;
      }
      throw e;
    }
    s.reads = { ...reads };
    note(reason);
    return true;
  };

  /** Back to the routing of the stage before the one in force, then paused. */
  const rollBack = async (why: string): Promise<void> => {
    const prev = s.inForce - 1;
    const to = prev >= 0 ? s.stages[prev]! : { name: 'before the first stage', ...initialRouting(s.consumers) };
    const ok = await route(to.reads, to.writes, `rolled back to ${prev >= 0 ? `stage ${to.name}` : 'legacy'}: ${why}`, 'publish');
    if (!ok) return;
    s.inForce = prev;
    s.gate = undefined;
    s.ackedAt = undefined;
    pause('rollback', `${why}; rolled back to ${prev >= 0 ? `stage ${to.name}` : 'the routing before the first stage'} (epoch ${s.epoch})`, 'publish');
  };

  for (;;) {
    // An approval only counts in the approval step it was given in.
    if (approved && s.step !== 'approval') approved = false;
    // Roll only with no request pending: requests live in this run's memory, not in the carried state.
    if (!interrupted() && shouldRoll()) await continueAsNew<typeof cutoverWorkflow>({ ...input, carried: s });

    if (abortAsked) {
      const a = abortAsked;
      abortAsked = undefined;
      const who = `${a.actor}${a.reason ? `: ${a.reason}` : ''}`;
      if ((a.to ?? 'previous') === 'legacy') {
        const start = initialRouting(s.consumers);
        if (s.writes === 'new' && !(await route(s.reads, 'legacy', `writes back to legacy (abort by ${who})`, s.step))) continue;
        if (!(await route(start.reads, 'legacy', `aborted by ${who}: every consumer back on legacy`, s.step))) continue;
        s.inForce = -1;
        s.step = 'aborted';
        s.paused = undefined;
        s.waitingFor = [];
        s.gate = undefined;
        note(`aborted by ${who}`);
        return progress();
      }
      await rollBack(`abort by ${who}`);
      continue;
    }
    if (pauseAsked) {
      const a = pauseAsked;
      pauseAsked = undefined;
      if (s.step !== 'paused' && !over()) pause('operator', `paused by ${a.actor}${a.reason ? `: ${a.reason}` : ''}`, s.step);
      continue;
    }
    if (resumeAsked) {
      const a = resumeAsked;
      resumeAsked = undefined;
      if (s.step === 'paused') {
        note(`resumed by ${a.actor}${a.reason ? `: ${a.reason}` : ''}`);
        s.step = s.resumeTo ?? 'publish';
        s.paused = undefined;
        s.resumeTo = undefined;
        s.waitingFor = [];
      }
      continue;
    }
    if (ended && s.step === 'complete') return progress();
    ended = false;

    switch (s.step) {
      case 'publish': {
        const next = s.stages[s.inForce + 1];
        if (!next) {
          s.step = 'complete';
          continue;
        }
        // dependsOn: a stage is published only once every dependency reached it (the patch keeps
        // runs recorded before this rule replaying).
        if (patched('cutover-stage-waits-for-dependencies')) {
          const held = await cutoverDependencyWaits({ plan, entity, stage: next.name });
          if (held.length > 0) {
            s.waitingFor = held;
            await wait(pollMs);
            continue;
          }
        }
        s.gate = undefined;
        s.ackedAt = undefined;
        if (await route(next.reads, next.writes, `stage ${next.name} published`, 'publish')) {
          s.inForce = next.index;
          s.step = 'acks';
        }
        continue;
      }
      case 'acks': {
        const stage = s.stages[s.inForce]!;
        const evidence = await gatherCutoverEvidence({ plan, entity, epoch: s.epoch, consumers: stage.scope });
        const behind = unacknowledged(stage, evidence);
        if (behind.length === 0) {
          s.ackedAt = Date.now();
          s.step = 'bake';
          s.waitingFor = [];
          note(`every consumer in scope applies epoch ${s.epoch}`);
          continue;
        }
        s.waitingFor = behind.map((c) => c.missing!);
        await wait(pollMs);
        continue;
      }
      case 'bake': {
        const stage = s.stages[s.inForce]!;
        const left = s.ackedAt! + stage.gate.bakeMs - Date.now();
        if (left > 0) {
          s.waitingFor = [`bake of stage ${stage.name} until ${new Date(s.ackedAt! + stage.gate.bakeMs).toISOString()}`];
          await wait(left);
          continue;
        }
        s.step = 'gate';
        continue;
      }
      case 'gate': {
        const stage = s.stages[s.inForce]!;
        const evidence = await gatherCutoverEvidence({ plan, entity, epoch: s.epoch, consumers: stage.scope });
        const result = evaluateGate(entity, stage, evidence);
        s.gate = { result, evidence };
        if (result.verdict === 'pass') {
          note(`gate of stage ${stage.name} passed`);
          if (stage.gate.approval) {
            s.step = 'approval';
            approved = false;
            s.waitingFor = [`approval of stage ${stage.name} at epoch ${s.epoch}`];
          } else {
            s.step = 'publish';
            s.waitingFor = [];
          }
          continue;
        }
        const missing = result.missing.join('; ');
        if (result.verdict === 'inconclusive') {
          pause('gate', `gate of stage ${stage.name} is inconclusive: ${missing}`, 'gate');
          continue;
        }
        if (stage.switchesWrites && !result.integrity) {
          pause('gate', `gate of stage ${stage.name} failed: ${missing}; writes stay on new until a person decides (resume to evaluate again, or abort to roll writes back)`, 'gate');
          continue;
        }
        await rollBack(`gate of stage ${stage.name} failed: ${missing}`);
        continue;
      }
      case 'approval': {
        if (approved) {
          approved = false;
          s.step = 'publish';
          s.waitingFor = [];
          continue;
        }
        await condition(interrupted);
        continue;
      }
      case 'paused':
      case 'complete':
        s.waitingFor = s.step === 'complete' ? [] : s.waitingFor;
        await condition(interrupted);
        continue;
      default:
        // write-switch and aborted are never the step at the top of the loop.
        throw ApplicationFailure.create({ type: 'CutoverStateError', nonRetryable: true, message: `cutover of ${entity} in unexpected step ${s.step}` });
    }
  }
}

function fresh(consumers: string[], stages: ResolvedStage[], now: RoutingInForce | undefined): CutoverState {
  const start = initialRouting(consumers);
  const s: CutoverState = { consumers, stages, epoch: now?.epoch ?? 0, inForce: -1, reads: start.reads, writes: 'legacy', step: 'publish', waitingFor: [], writeSwitches: 0, events: [], startedAt: Date.now() };
  if (!now) return s;
  // A cutover started again over routing it published before picks up at the stage whose routing is in force.
  const writes: StageWrites = now.writes === 'new' ? 'new' : 'legacy';
  const reads = Object.fromEntries(consumers.map((c) => [c, now.reads[c] ?? now.otherReads ?? 'legacy']));
  s.reads = reads;
  s.writes = writes;
  for (let i = stages.length - 1; i >= 0; i--) {
    if (stages[i]!.writes === writes && sameRoutes(stages[i]!.reads, reads)) {
      s.inForce = i;
      s.step = 'acks';
      break;
    }
  }
  return s;
}

function sameRoutes(a: Readonly<Record<string, ReadRoute>>, b: Readonly<Record<string, ReadRoute>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (describeRoute(a[k] ?? 'legacy') !== describeRoute(b[k] ?? 'legacy')) return false;
  return true;
}

function describeStep(s: CutoverState): string {
  const stage = s.stages[s.inForce]?.name;
  return `${s.step}${stage ? ` of stage ${stage}` : ''}, epoch ${s.epoch}`;
}
