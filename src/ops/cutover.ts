/**
 * Cutover operations behind `migrate cutover`: start or attach to an entity's cutover workflow,
 * read its progress, approve / pause / resume / abort it through validated updates (each audited
 * as the operator), and the dry run: every step the cutover would still take, with the checks'
 * current answers. Commands render; nothing here prints.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../errors.js';
import { describeRoute, type ReadRoute } from '../flags/routing.js';
import { formatDuration } from '../plan/units.js';
import { cutoverSettings } from '../cutover/settings.js';
import { evaluateGate, unacknowledged, type GateCheck, type GateEvidence } from '../cutover/gates.js';
import { initialRouting, resolveStages, type ResolvedStage, type StageWrites } from '../cutover/stages.js';
import { cutoverWorkflowId, type WriteSwitchInput } from '../workflows/cutoverDefinitions.js';
import {
  abortCutoverUpdate,
  approveCutoverUpdate,
  cutoverProgressQuery,
  endCutoverSignal,
  pauseCutoverUpdate,
  resumeCutoverUpdate,
  type CutoverInput,
  type CutoverProgress,
  type cutoverWorkflow,
} from '../workflows/cutoverWorkflow.js';
import { syncWorkflowId } from '../workflows/syncWorkflow.js';
import { describeIfStarted, queryWhenReady, temporalCall } from './temporalCalls.js';
import type { Session } from './session.js';

export type CutoverHandle = WorkflowHandle<typeof cutoverWorkflow>;

/** The entity's stages; a UserError naming the plan field and the fix when they cannot run. */
export function cutoverStages(session: Session, entity: string): { consumers: string[]; stages: ResolvedStage[] } {
  const phase = cutoverSettings(session.resources, entity);
  const { stages, problems } = resolveStages(phase);
  if (problems.length > 0) {
    const at = session.resources.plan.entities[entity]!.phases.findIndex((p) => 'cutover' in p);
    throw new UserError(`the cutover of ${entity} cannot run: ${problems.map((p) => `entities.${entity}.phases[${at}].cutover.${p.field}: ${p.message}`).join('; ')}`, {
      hint: `${problems.map((p) => p.fix).join('; ')} (in ${session.loaded.file}).`,
    });
  }
  return { consumers: [...phase.consumers], stages };
}

function handleOf(session: Session, entity: string): CutoverHandle {
  return session.temporal.client.workflow.getHandle<typeof cutoverWorkflow>(cutoverWorkflowId(session.loaded.plan.name, entity));
}

export interface CutoverStart {
  handle: CutoverHandle;
  how: 'started' | 'attached';
}

/** Starts the entity's cutover or attaches to the running one (refused first when its stages cannot run); a start is audited. */
export async function startCutover(session: Session, entity: string, actor: string, opts: { pollMs?: number } = {}): Promise<CutoverStart> {
  cutoverStages(session, entity);
  const { plan } = session.loaded;
  const handle = handleOf(session, entity);
  const described = await describeIfStarted(session, handle);
  if (described?.status.name === 'RUNNING') return { handle, how: 'attached' };
  const input: CutoverInput = { plan: plan.name, entity, actor, ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) };
  try {
    const started = await session.temporal.client.workflow.start<typeof cutoverWorkflow>('cutoverWorkflow', {
      workflowId: handle.workflowId,
      taskQueue: session.temporal.settings.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    await (await session.resources.stateStore()).appendAudit({ plan: plan.name, entity, action: 'cutover.start', actor });
    return { handle: session.temporal.client.workflow.getHandle<typeof cutoverWorkflow>(started.workflowId), how: 'started' };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return { handle, how: 'attached' };
    throw e;
  }
}

/** The cutover's progress; undefined when it never started. A finished one answers from its result. */
export async function cutoverProgress(session: Session, entity: string): Promise<CutoverProgress | undefined> {
  const handle = handleOf(session, entity);
  const d = await describeIfStarted(session, handle);
  if (!d) return undefined;
  const status = d.status.name;
  if (status === 'RUNNING') {
    return queryWhenReady(session, () => handle.query(cutoverProgressQuery));
  }
  if (status === 'COMPLETED') return temporalCall(session, () => handle.result());
  return {
    workflowId: handle.workflowId,
    entity,
    step: 'paused',
    epoch: 0,
    stages: [],
    reads: {},
    writes: 'legacy',
    paused: { by: 'refused', reason: `the cutover workflow ${status.toLowerCase()}`, at: d.closeTime?.getTime() ?? Date.now() },
    waitingFor: [`the cutover workflow ${status.toLowerCase()}: start it again with \`migrate cutover --entity ${entity}\``],
    next: `migrate cutover --entity ${entity}`,
    events: [],
    updatedAt: Date.now(),
  };
}

/** True while the entity's cutover workflow runs (a complete one waits, still running, until retire ends it). */
export async function cutoverRunning(session: Session, entity: string): Promise<boolean> {
  return (await describeIfStarted(session, handleOf(session, entity)))?.status.name === 'RUNNING';
}

/**
 * Ends a complete cutover (retire, once the legacy is retired): the workflow returns its progress
 * and closes, so nothing of the entity's migration stays open in Temporal. Waits for it to close
 * (at most `waitMs`); false when it did not.
 */
export async function endCutover(session: Session, entity: string, waitMs = 30_000): Promise<boolean> {
  const handle = handleOf(session, entity);
  await temporalCall(session, () => handle.signal(endCutoverSignal));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const d = await describeIfStarted(session, handle);
    if (d?.status.name !== 'RUNNING') return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function running(session: Session, entity: string): Promise<CutoverHandle> {
  const handle = handleOf(session, entity);
  const d = await describeIfStarted(session, handle);
  if (d?.status.name !== 'RUNNING') throw new UserError(`no cutover of ${entity} is running`, { hint: `Start it with \`migrate cutover --entity ${entity}\` (see every step first with --dry-run).` });
  return handle;
}

/** Runs an update; the workflow's refusal (a validator's words) becomes a UserError with where the cutover is. */
async function update(session: Session, entity: string, run: (h: CutoverHandle) => Promise<CutoverProgress>): Promise<CutoverProgress> {
  const handle = await running(session, entity);
  try {
    return await run(handle);
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) {
      throw new UserError(`refused: ${e.cause?.message ?? e.message}`, { hint: `See where it is with \`migrate cutover --entity ${entity}\`.` });
    }
    throw e;
  }
}

export interface ApproveRequest {
  /** The stage approved; default the one waiting now. */
  stage?: string;
  /** The epoch approved; default the one in force now. */
  epoch?: number;
  actor: string;
  reason?: string;
}

/** Approves the stage waiting for it; a stage or epoch that is not the one waiting is refused by the workflow. Audited. */
export async function approveCutover(session: Session, entity: string, req: ApproveRequest): Promise<CutoverProgress> {
  let { stage, epoch } = req;
  if (stage === undefined || epoch === undefined) {
    const now = await cutoverProgress(session, entity);
    stage ??= now?.stage;
    epoch ??= now?.epoch;
  }
  if (stage === undefined || epoch === undefined) throw new UserError(`no cutover of ${entity} is waiting for an approval`, { hint: `See where it is with \`migrate cutover --entity ${entity}\`.` });
  const args = { stage, epoch, actor: req.actor, ...(req.reason ? { reason: req.reason } : {}) };
  const p = await update(session, entity, (h) => h.executeUpdate(approveCutoverUpdate, { args: [args] }));
  await audit(session, entity, 'cutover.approve', req.actor, req.reason, { stage, epoch });
  return actedOn(session, entity, p, 'approval', (q) => q.step !== 'approval' || q.stage !== stage || q.epoch !== epoch);
}

export async function pauseCutover(session: Session, entity: string, actor: string, reason?: string): Promise<CutoverProgress> {
  const p = await update(session, entity, (h) => h.executeUpdate(pauseCutoverUpdate, { args: [{ actor, ...(reason ? { reason } : {}) }] }));
  await audit(session, entity, 'cutover.pause', actor, reason, { stage: p.stage ?? null, epoch: p.epoch });
  return actedOn(session, entity, p, 'pause', (q) => q.step === 'paused' || q.step === 'complete' || q.step === 'aborted');
}

export async function resumeCutover(session: Session, entity: string, actor: string, reason?: string): Promise<CutoverProgress> {
  const p = await update(session, entity, (h) => h.executeUpdate(resumeCutoverUpdate, { args: [{ actor, ...(reason ? { reason } : {}) }] }));
  await audit(session, entity, 'cutover.resume', actor, reason, { stage: p.stage ?? null, epoch: p.epoch });
  return actedOn(session, entity, p, 'resume', (q) => q.step !== 'paused');
}

/** Rolls back one stage (`previous`) or everything (`legacy`, which ends the cutover). Audited. */
export async function abortCutover(session: Session, entity: string, to: 'previous' | 'legacy', actor: string, reason?: string): Promise<CutoverProgress> {
  const p = await update(session, entity, (h) => h.executeUpdate(abortCutoverUpdate, { args: [{ actor, to, ...(reason ? { reason } : {}) }] }));
  await audit(session, entity, 'cutover.abort', actor, reason, { to, stage: p.stage ?? null, epoch: p.epoch });
  return actedOn(session, entity, p, 'abort', (q) => q.step === 'aborted' || q.epoch !== p.epoch);
}

const ACT_WAIT_MS = 3_000;

/**
 * An update answers with the progress its handler saw, before the workflow's loop acted on the
 * request, so an approval's answer still said "waiting for approval" and printed an approve command
 * the workflow would now refuse. Reads the progress again until the request shows (at most
 * ACT_WAIT_MS); when it does not yet, says the request is recorded instead of repeating the old step.
 */
async function actedOn(session: Session, entity: string, answered: CutoverProgress, request: string, acted: (p: CutoverProgress) => boolean): Promise<CutoverProgress> {
  const deadline = Date.now() + ACT_WAIT_MS;
  let p = answered;
  while (!acted(p) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    p = (await cutoverProgress(session, entity)) ?? p;
  }
  if (acted(p)) return p;
  return { ...p, waitingFor: [`the cutover to act on the ${request} (recorded; the workflow takes it at its next step)`], next: `migrate cutover --entity ${entity}` };
}

async function audit(session: Session, entity: string, action: string, actor: string, reason: string | undefined, detail: Record<string, unknown>): Promise<void> {
  await (await session.resources.stateStore()).appendAudit({ plan: session.loaded.plan.name, entity, action, actor, reason, detail });
}

/** One step of the dry run: what the cutover would do, and what the check would answer now. */
export interface CutoverDryRunStep {
  stage: string;
  step: 'publish' | 'write-switch' | 'acks' | 'bake' | 'gate' | 'approval';
  detail: string;
  /** The check's answer now, when the step checks something. */
  now?: string;
}

export interface CutoverDryRun {
  entity: string;
  /** Epoch in force (0 before the first publish). */
  epoch: number;
  /** Stage whose routing is in force, when it matches one. */
  inForce?: string;
  steps: CutoverDryRunStep[];
}

const readsText = (reads: Readonly<Record<string, ReadRoute>>) =>
  Object.keys(reads)
    .map((c) => `${c} ${describeRoute(reads[c]!)}`)
    .join(', ');

const checkText = (c: GateCheck) => `${c.consumer ? `${c.consumer} ` : ''}${c.check}: ${c.verdict}, ${c.detail}${c.verdict !== 'pass' && c.missing ? ` — ${c.missing}` : ''}`;

/**
 * Every step the cutover would still take from where it is, changing nothing: each stage's
 * publish (or write switch, with its own steps), the acknowledgements it waits for (who applies
 * what now), the bake, the gate's checks as they would answer on today's evidence, the approval.
 */
export async function planCutover(session: Session, entity: string): Promise<CutoverDryRun> {
  const { consumers, stages } = cutoverStages(session, entity);
  const plan = session.loaded.plan.name;
  // Imported here: the activities and the write switch's checks (flagd-core among them) are for the
  // dry run, and `migrate status` loads this file for cutoverProgress.
  const { createCutoverActivities } = await import('../activities/cutoverActivities.js');
  const { planWriteSwitch } = await import('./writeSwitchDryRun.js');
  const acts = createCutoverActivities({ resources: session.resources, syncRunning: async () => (await describeIfStarted(session, session.temporal.client.workflow.getHandle(syncWorkflowId(plan, entity))))?.status.name === 'RUNNING' });
  const progress = await cutoverProgress(session, entity);
  const setup = await acts.cutoverSetup({ plan, entity });
  let epoch = progress?.epoch ?? setup.inForce?.epoch ?? 0;
  const from = stages.findIndex((s) => s.name === progress?.stage);
  let reads: Record<string, ReadRoute> = from >= 0 ? stages[from]!.reads : initialRouting(consumers).reads;
  let writes: StageWrites = from >= 0 ? stages[from]!.writes : 'legacy';
  const evidence: GateEvidence = await acts.gatherCutoverEvidence({ plan, entity, epoch, consumers });
  const steps: CutoverDryRunStep[] = [];
  // A stage published and not yet through its gate: its remaining steps come first.
  const current = from >= 0 && progress && !['publish', 'complete', 'aborted'].includes(progress.step) ? stages[from] : undefined;
  if (current) {
    gateSteps(steps, entity, current, evidence, epoch, true);
  }
  for (const stage of stages.slice(from + 1)) {
    if (stage.writes !== writes) {
      const input: WriteSwitchInput = { plan, entity, to: stage.writes, reads: { ...reads }, otherReads: 'legacy', epoch };
      // The write switch's own dry run: its steps with the preconditions' answers today.
      for (const s of await planWriteSwitch(session.resources, input)) steps.push({ stage: stage.name, step: 'write-switch', detail: `${s.step}: ${s.detail}` });
      epoch += 2;
      writes = stage.writes;
    } else {
      epoch += 1;
      steps.push({ stage: stage.name, step: 'publish', detail: `publish epoch ${epoch}: reads ${readsText(stage.reads)}; writes ${stage.writes}` });
    }
    reads = stage.reads;
    gateSteps(steps, entity, stage, evidence, epoch, false);
  }
  const out: CutoverDryRun = { entity, epoch: progress?.epoch ?? setup.inForce?.epoch ?? 0, steps };
  if (from >= 0) out.inForce = stages[from]!.name;
  return out;
}

function gateSteps(steps: CutoverDryRunStep[], entity: string, stage: ResolvedStage, evidence: GateEvidence, epoch: number, published: boolean): void {
  const behind = unacknowledged(stage, { ...evidence, epoch });
  steps.push({
    stage: stage.name,
    step: 'acks',
    detail: `wait until ${stage.scope.join(', ')} acknowledge epoch ${epoch}`,
    now: behind.length === 0 ? 'all acknowledged' : behind.map((c) => c.missing!).join('; '),
  });
  steps.push({ stage: stage.name, step: 'bake', detail: stage.gate.bakeMs > 0 ? `bake ${formatDuration(stage.gate.bakeMs)} from the last acknowledgement` : 'no bake' });
  const gate = evaluateGate(entity, stage, evidence);
  const checks = gate.checks.filter((c) => c.check !== 'acks');
  steps.push({
    stage: stage.name,
    step: 'gate',
    detail: checks.length === 0 ? 'the acknowledgements alone' : `${checks.map((c) => c.check).filter((c, i, a) => a.indexOf(c) === i).join(', ')}${published ? '' : ` (answers on today's evidence at epoch ${evidence.epoch})`}`,
    ...(checks.length ? { now: checks.map(checkText).join('; ') } : {}),
  });
  if (stage.gate.approval) steps.push({ stage: stage.name, step: 'approval', detail: `a person approves: \`migrate cutover --entity ${entity} --approve --stage ${stage.name} --epoch ${epoch}\`` });
}
