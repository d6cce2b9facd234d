/**
 * Verification operations behind `migrate verify`: start a run, read its progress, wait for its
 * report, list and repair persistent mismatches, reprint stored reports. Commands render; nothing
 * here prints.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describeIfStarted, temporalCall } from './temporalCalls.js';
import { UserError } from '../errors.js';
import type { SweepProgress } from '../progress.js';
import type { StoredReport, VerifyEntry } from '../state/types.js';
import { type VerificationReport } from '../verification/verificationReport.js';
import { writesSwitched } from '../flags/writesSwitched.js';
import { progressQuery, verifyWorkflowId } from '../workflows/definitions.js';
import {
  repairWorkflowId,
  verifySweepWorkflowId,
  type RepairWorkflowResult,
  type VerifyInput,
  type VerifyResult,
  type verifyRepairWorkflow,
  type verifyWorkflow,
} from '../workflows/verifyWorkflow.js';
import type { Session } from './session.js';
import { requireEntity } from '../plan/entityRef.js';
import type { LoadedPlan } from '../plan/load.js';
import { failureReason, runningProgress, sweepProgress } from './backfill.js';

export { writesSwitched, type VerificationReport };

export type VerifyHandle = WorkflowHandle<typeof verifyWorkflow>;

export interface VerifyRequest {
  /** Fraction of rows, 0 < sample <= 1. */
  sample?: number;
  /** ISO instant: only rows updated since. */
  since?: string;
}

/** A run id that sorts by start time (UTC, to the second) and is unique enough to start twice a second. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** Checks options against the plan before anything starts; every problem is a UserError with the fix. */
export function checkVerifyRequest(loaded: LoadedPlan, entity: string, req: VerifyRequest): void {
  const e = requireEntity(loaded.plan, loaded.file, entity);
  if (req.sample !== undefined && !(req.sample > 0 && req.sample <= 1)) {
    throw new UserError(`--sample must be a fraction greater than 0 and at most 1, got ${req.sample}`, { hint: 'e.g. --sample 0.1 verifies a random tenth of the rows.' });
  }
  if (req.since !== undefined) {
    if (Number.isNaN(new Date(req.since).getTime())) {
      throw new UserError(`--since is not a time: ${JSON.stringify(req.since)}`, { hint: 'Give an ISO 8601 instant, e.g. --since 2025-01-31T00:00:00Z.' });
    }
    if (!e.source.updatedAt) {
      throw new UserError(`--since needs entities.${entity}.source.updatedAt in ${loaded.file}`, { hint: 'Name the column that records when a row last changed, or verify without --since.' });
    }
  }
}

/** Starts a verification run of the entity; returns its handle and run id. */
export async function startVerify(session: Session, entity: string, actor: string, req: VerifyRequest = {}): Promise<{ handle: VerifyHandle; run: string }> {
  checkVerifyRequest(session.loaded, entity, req);
  const plan = session.loaded.plan.name;
  const run = newRunId();
  const input: VerifyInput = { plan, entity, run, options: { ...(req.sample !== undefined ? { sample: req.sample } : {}), ...(req.since !== undefined ? { since: new Date(req.since).toISOString() } : {}) } };
  // The store is opened before the run starts: an unreachable store refuses the run, rather than
  // leaving a run started with no audit record of who asked for it.
  const store = await session.resources.stateStore();
  const handle = await session.temporal.client.workflow.start<typeof verifyWorkflow>('verifyWorkflow', {
    workflowId: verifyWorkflowId(plan, entity, run),
    taskQueue: session.temporal.settings.taskQueue,
    args: [input],
  });
  await store.appendAudit({ plan, entity, action: 'verify.requested', actor, detail: { run, ...input.options } });
  return { handle, run };
}

/**
 * Progress of a verification run: the sweep child's own progress while it sweeps (a workflow cannot
 * query its child, so the client does), the run's progress afterwards (re-checks, extras, report),
 * with the child's final partitions so they show as completed. No query needs a worker to decide
 * which: a running child means the run is sweeping.
 */
export async function verifyProgress(session: Session, workflowId: string): Promise<SweepProgress | undefined> {
  const handle = session.temporal.client.workflow.getHandle<typeof verifyWorkflow>(workflowId);
  const d = await describeIfStarted(session, handle);
  if (!d) return undefined;
  const status = d.status.name;
  const child = status === 'RUNNING' || status === 'COMPLETED' ? await sweepProgress(session, verifySweepWorkflowId(workflowId)) : undefined;
  if (status === 'RUNNING') {
    if (child && child.state !== 'completed') return { ...child, workflowId };
    const run = await runningProgress(session, workflowId, d, () => handle.query(progressQuery));
    return child ? { ...run, partitions: child.partitions } : run;
  }
  const closedAt = d.closeTime?.getTime() ?? Date.now();
  if (status === 'COMPLETED') {
    const r = await temporalCall(session, () => handle.result());
    return { kind: 'verify', state: 'completed', done: r.compared, total: r.compared, totalIsEstimate: false, failures: 0, mismatches: r.summary.persistent, partitions: child?.partitions ?? [], updatedAt: closedAt, workflowId };
  }
  return { kind: 'verify', state: 'failed', reason: await failureReason(session, handle, status), done: 0, total: 0, totalIsEstimate: true, failures: 0, partitions: [], updatedAt: closedAt, workflowId };
}

/** The stored report of a finished run. */
export async function verifyOutcome(session: Session, handle: VerifyHandle): Promise<{ result: VerifyResult; report: StoredReport<VerificationReport> }> {
  const result = await handle.result();
  return { result, report: await loadReport(session, result.reportId) };
}

/** A stored report by id; a UserError naming the fix when there is none. */
export async function loadReport(session: Session, id: string): Promise<StoredReport<VerificationReport>> {
  const store = await session.resources.stateStore();
  const r = await store.getReport<VerificationReport>(id);
  if (!r) throw new UserError(`no verification report with id ${JSON.stringify(id)} in the state store`, { hint: 'Report ids are printed by `migrate verify` and listed in `migrate audit` (verify.complete).' });
  return r;
}

/**
 * Persistent entries of a run that a repair acts on: missing and different rows (re-pushed) and,
 * unless the plan lets the service keep items of its own, extras (deleted from the service).
 */
export async function repairCandidates(session: Session, entity: string, run: string, limit = 10_000): Promise<VerifyEntry[]> {
  const store = await session.resources.stateStore();
  const e = session.resources.entity(entity);
  const deletesExtras = e.target.ownItems !== true && session.resources.target(entity).remove !== undefined;
  const out: VerifyEntry[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listVerifyEntries(session.loaded.plan.name, entity, `verify/${run}`, { state: 'persistent', limit: 1000, ...(after !== undefined ? { after } : {}) });
    for (const x of page.entries) if ((x.class !== 'extra' || deletesExtras) && out.length < limit) out.push(x);
    if (page.next === undefined || out.length >= limit) return out;
    after = page.next;
  }
}

/** Refuses repair (UserError) once writes have switched to the new service. */
export async function assertRepairAllowed(session: Session, entity: string): Promise<void> {
  const switched = await writesSwitched(await session.resources.flags(), session.loaded.plan.name, entity);
  if (switched) {
    throw new UserError(`repair of ${entity} is refused: writes have switched to the new service (${switched.because}), so the legacy is no longer the source of truth`, {
      hint: 'After the write cutover the legacy is kept in step from the new service; fix differences there, or roll the write stage back first.',
    });
  }
}

/** Runs the repair of a finished run and waits for it; returns the repair's result and its new report. */
export async function runRepair(
  session: Session,
  entity: string,
  actor: string,
  verified: { run: string; reportId: string; report: VerificationReport },
): Promise<{ result: RepairWorkflowResult; report: StoredReport<VerificationReport> }> {
  await assertRepairAllowed(session, entity);
  const plan = session.loaded.plan.name;
  const handle = await session.temporal.client.workflow.start<typeof verifyRepairWorkflow>('verifyRepairWorkflow', {
    workflowId: repairWorkflowId(plan, entity, verified.run),
    taskQueue: session.temporal.settings.taskQueue,
    args: [
      {
        plan,
        entity,
        run: verified.run,
        reportId: verified.reportId,
        actor,
        options: verified.report.options,
        compared: verified.report.totals.compared,
        startedAt: new Date(verified.report.startedAt).getTime(),
      },
    ],
  });
  const result = await handle.result();
  return { result, report: await loadReport(session, result.reportId) };
}
