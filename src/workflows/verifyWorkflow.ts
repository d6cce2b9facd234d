/**
 * One verification run: the partitioned sweep as a child workflow (compare visitor), a catch-up of
 * rows written during it, re-check rounds on workflow timers, extras through the service's list
 * endpoint, then the stored report. Repair is its own workflow, started only after an operator saw
 * the report and confirmed. Deterministic: all I/O is in activities; this file imports only their types.
 */
import { ApplicationFailure, ActivityFailure, defineQuery, executeChild, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { chunkActivity, shortActivity } from './activityOptions.js';
import type { VerificationSummary, SweepProgress } from '../progress.js';
import { progressQuery, verifyWorkflowId, type SweepResult, type VerifyRunOptions } from './definitions.js';
import { sweepWorkflow } from './sweepWorkflow.js';

const { verifySettings, verifyReport, settlePending } = proxyActivities<Activities>(shortActivity());

// Chunked scans, like the sweep's chunks.
const { catchUpChunk, recheckChunk, extrasChunk, repairChunk } = proxyActivities<Activities>(chunkActivity(['RepairRefused', 'TargetUnsupportedError']));

const CHUNK_MS = 10_000;

/** Phases of a verification run, in order. */
export type VerifyPhaseName = 'sweep' | 'catch-up' | 'recheck' | 'extras' | 'report' | 'repair' | 'completed';

export interface VerifyInput {
  plan: string;
  entity: string;
  /** Sortable run id (time-based), part of the workflow ID. */
  run: string;
  options: Pick<VerifyRunOptions, 'sample' | 'since'>;
}

export interface VerifyResult {
  reportId: string;
  summary: VerificationSummary;
  compared: number;
}

/** What the run is doing now; during the sweep, the sweep's own progress is the child's query. */
export interface VerifyStatus {
  phase: VerifyPhaseName;
  run: string;
  /** Workflow ID of the sweep child. */
  sweepWorkflowId: string;
  compared: number;
  /** Rows that differed during the sweep (before re-checks). */
  mismatches: number;
  round: number;
  rounds: number;
  /** Re-check results of the latest round. */
  resolved: number;
  stillDifferent: number;
  extras: number;
  reportId?: string;
  startedAt: number;
}

export const verifyStatusQuery = defineQuery<VerifyStatus>('verifyStatus');

/** The sweep child of a verification run. */
export function verifySweepWorkflowId(verifyId: string): string {
  return `${verifyId}/sweep`;
}

export async function verifyWorkflow(input: VerifyInput): Promise<VerifyResult> {
  const { plan, entity, run } = input;
  const runKey = `verify/${run}`;
  const startedAt = Date.now();
  const sweepId = verifySweepWorkflowId(workflowInfo().workflowId);
  const ref = { plan, entity, runKey, run, options: input.options };
  const status: VerifyStatus = { phase: 'sweep', run, sweepWorkflowId: sweepId, compared: 0, mismatches: 0, round: 0, rounds: 0, resolved: 0, stillDifferent: 0, extras: 0, startedAt };

  setHandler(verifyStatusQuery, () => status);
  // The dashboard's query: after the sweep, the run is still verifying (re-checks, extras, report).
  setHandler(progressQuery, (): SweepProgress => ({
    kind: 'verify',
    state: status.phase === 'completed' ? 'completed' : 'running',
    step: stepWords(status),
    done: status.compared,
    total: status.compared,
    totalIsEstimate: status.phase === 'sweep',
    failures: 0,
    mismatches: status.mismatches,
    partitions: [],
    startedAt,
    updatedAt: Date.now(),
    workflowId: workflowInfo().workflowId,
  }));

  const settings = await verifySettings({ plan, entity });
  status.rounds = settings.rounds;

  const sweep: SweepResult = await executeChild(sweepWorkflow, {
    workflowId: sweepId,
    args: [{ plan, entity, kind: 'verify', runKey, verify: { ...input.options, startedAt, run } }],
  });
  const sweepEndedAt = Date.now();
  status.compared = sweep.done;
  status.mismatches = sweep.mismatches;

  // Rows written after the sweep passed them: compared now, queued when they differ.
  status.phase = 'catch-up';
  let mark = Date.now();
  let found = await scan((cursor) => catchUpChunk({ ...ref, since: startedAt, maxMs: CHUNK_MS, ...(cursor ? { cursor } : {}) }));

  let pending = sweep.mismatches + found > 0;
  let rounds = 0;
  for (let round = 1; round <= settings.rounds && pending; round++) {
    status.phase = 'recheck';
    status.round = round;
    rounds = round;
    await sleep(settings.recheckAfterMs);
    const last = round === settings.rounds;
    let after: string | undefined;
    let still = 0;
    let resolved = 0;
    for (;;) {
      const r = await recheckChunk({ ...ref, last, maxMs: CHUNK_MS, ...(after !== undefined ? { after } : {}) });
      still += r.stillDifferent;
      resolved += r.resolved;
      if (r.done) break;
      after = r.after;
    }
    status.resolved = resolved;
    status.stillDifferent = still;
    if (last) break;
    const since = mark;
    mark = Date.now();
    found = await scan((cursor) => catchUpChunk({ ...ref, since, maxMs: CHUNK_MS, ...(cursor ? { cursor } : {}) }));
    pending = still + found > 0;
  }
  // Nothing was re-checked (recheckRounds: 0) or the last round ended early: what is queued counts as found.
  if (settings.rounds === 0) await settlePending(ref);

  // A listing covers the whole service, so sampled or time-bounded runs do not look for extras.
  let extrasChecked = false;
  let extrasNote: string | undefined;
  if (!settings.hasList) extrasNote = 'the target has no list endpoint (target.list in the plan)';
  else if (input.options.sample !== undefined && input.options.sample < 1) extrasNote = 'not looked for in a sampled run';
  else if (input.options.since !== undefined) extrasNote = 'not looked for in a --since run';
  else {
    status.phase = 'extras';
    let cursor: string | undefined;
    for (;;) {
      const r = await extrasChunk({ ...ref, maxMs: CHUNK_MS, ...(cursor !== undefined ? { cursor } : {}) });
      status.extras += r.found;
      if (r.done) break;
      cursor = r.cursor;
    }
    extrasChecked = true;
  }

  status.phase = 'report';
  const { reportId, summary } = await verifyReport({
    ...ref,
    workflowId: workflowInfo().workflowId,
    startedAt,
    sweepEndedAt,
    compared: sweep.done,
    rounds,
    extrasChecked,
    ...(extrasNote ? { extrasNote } : {}),
  });
  status.reportId = reportId;
  status.phase = 'completed';
  return { reportId, summary, compared: sweep.done };
}

/** What a running verification does after its sweep, in an operator's words (shown instead of a bare 100%). */
function stepWords(s: VerifyStatus): string | undefined {
  switch (s.phase) {
    case 'catch-up':
      return 'comparing rows written during the sweep';
    case 'recheck':
      return `re-checking rows that differed (round ${s.round} of ${s.rounds}, after the plan's recheckAfter wait)`;
    case 'extras':
      return `looking for rows only the service has (${s.extras} found so far)`;
    case 'report':
      return 'writing the report';
    default:
      return undefined;
  }
}

type Cursor = readonly (string | number)[];

async function scan(chunk: (cursor: Cursor | undefined) => Promise<{ cursor?: Cursor; done: boolean; found: number }>): Promise<number> {
  let cursor: Cursor | undefined;
  let found = 0;
  for (;;) {
    const r = await chunk(cursor);
    found += r.found;
    if (r.done) return found;
    cursor = r.cursor;
  }
}

export interface RepairInput {
  plan: string;
  entity: string;
  run: string;
  /** The report the operator saw and confirmed. */
  reportId: string;
  /** Who confirmed, for the audit log. */
  actor: string;
  options: Pick<VerifyRunOptions, 'sample' | 'since'>;
  /** Copied from the verification, so the new report's rates use the same denominator. */
  compared: number;
  startedAt: number;
}

export interface RepairWorkflowResult extends VerifyResult {
  repaired: number;
  stillDifferent: number;
  failures: number;
  goneFromSource: number;
  /** Items the legacy lacks, deleted from the service. */
  deleted: number;
}

/** Workflow ID of the repair that follows a verification run. */
export function repairWorkflowId(plan: string, entity: string, run: string): string {
  return `${verifyWorkflowId(plan, entity, run)}/repair`;
}

/** Re-pushes a run's persistent mismatches and re-verifies them; writes a new report that says what it repaired. */
export async function verifyRepairWorkflow(input: RepairInput): Promise<RepairWorkflowResult> {
  const ref = { plan: input.plan, entity: input.entity, runKey: `verify/${input.run}`, run: input.run, options: input.options };
  const totals = { repaired: 0, stillDifferent: 0, failures: 0, goneFromSource: 0, deleted: 0 };
  let after: string | undefined;
  try {
    for (;;) {
      const r = await repairChunk({ ...ref, actor: input.actor, maxMs: CHUNK_MS, ...(after !== undefined ? { after } : {}) });
      totals.repaired += r.repaired;
      totals.stillDifferent += r.stillDifferent;
      totals.failures += r.failures;
      totals.goneFromSource += r.goneFromSource;
      totals.deleted += r.deleted;
      if (r.done) break;
      after = r.after;
    }
  } catch (err) {
    const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    if (failure?.type === 'RepairRefused') throw ApplicationFailure.create({ type: 'RepairRefused', nonRetryable: true, message: failure.message });
    throw err;
  }
  const now = Date.now();
  const { reportId, summary } = await verifyReport({
    ...ref,
    workflowId: workflowInfo().workflowId,
    startedAt: input.startedAt,
    sweepEndedAt: now,
    compared: input.compared,
    rounds: 0,
    // Extras are the verification's entries, deleted ones now `repaired`; the listing is not run again.
    extrasChecked: true,
    repairOf: input.reportId,
  });
  return { reportId, summary, compared: input.compared, ...totals };
}
