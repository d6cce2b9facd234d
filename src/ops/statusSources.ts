/** The verification parts of `migrate status`: the running verification, the latest report's summary. */
import { summaryOf, type VerificationReport } from '../verification/verificationReport.js';
import { EnvironmentError, MigrateError } from '../errors.js';
import { secrets } from '../secrets.js';
import { verifyWorkflowId } from '../workflows/definitions.js';
import type { Session } from './session.js';
import { phaseOf } from '../plan/schema.js';
import type { CutoverStatus, ReverseSyncStatus, RunStatus, SyncStatus } from '../progress.js';
import { reverseSyncProgress } from './reverseSync.js';
import type { ReverseSyncProgress } from '../workflows/reverseSyncWorkflow.js';
import { syncCommand, type StatusSources } from './status.js';
import { captureReport, syncProgress } from './sync.js';
import { verifyProgress } from './verifyRuns.js';
import { cutoverProgress } from './cutover.js';
import { runProgress } from './run.js';
import { wasRetired } from '../state/audit-log.js';
import type { RunProgress } from '../workflows/lifecycleWorkflow.js';

/** How long a status read may wait for the state store. */
export const STATE_STORE_DEADLINE_MS = 5_000;

/** `fn`, or a rejection saying it gave no answer within `ms`. */
async function withDeadline<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`no answer within ${ms / 1000} s`)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one state-store read with a deadline; failures say it was the state store that did not answer. */
export async function stateStoreCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await withDeadline(fn, STATE_STORE_DEADLINE_MS);
  } catch (e) {
    if (e instanceof MigrateError) throw e;
    throw new EnvironmentError(`the state store is not answering (${secrets.redact((e as Error)?.message ?? String(e))}); the state shown is unknown, not pending`, {
      hint: 'Check that the database of `state.url` in the plan is up and reachable from here.',
    });
  }
}

/** The status form of reverse sync's progress. */
export function reverseSyncStatusOf(p: ReverseSyncProgress): ReverseSyncStatus {
  return {
    state: p.state,
    changes: p.changes,
    skippedOwn: p.skippedOwn,
    failed: p.failed,
    ...(p.lastFailure ? { lastFailure: p.lastFailure } : {}),
    ...(p.position ? { position: `${p.position.updatedAt} ${p.position.key}` } : {}),
    ...(p.appliedThrough !== undefined ? { appliedThrough: new Date(p.appliedThrough).toISOString() } : {}),
    ...(p.lag ? { lag: { pending: p.lag.pending, oldestSeconds: p.lag.oldestSeconds } } : {}),
  };
}

export function statusSources(): StatusSources {
  return {
    async retired(session, entity) {
      // Only an entity with a cutover can be retired (ops/retire.ts refuses the others).
      if (!phaseOf(session.resources.entity(entity), 'cutover')) return false;
      const plan = session.loaded.plan.name;
      return stateStoreCall(async () => wasRetired(await session.resources.stateStore(), plan, entity));
    },
    async verifyProgress(session, entity) {
      const plan = session.loaded.plan.name;
      // The newest run request says which workflow to ask; the audit log is where runs are recorded.
      const audit = await stateStoreCall(async () => (await session.resources.stateStore()).listAudit({ plan, entity, limit: 50 }));
      const run = audit.find((a) => a.action === 'verify.requested')?.detail?.run;
      if (typeof run !== 'string') return undefined;
      const progress = await verifyProgress(session, verifyWorkflowId(plan, entity, run));
      // A finished run is shown through its report, not as a sweep.
      return progress?.state === 'running' || progress?.state === 'paused' || progress?.state === 'failed' ? progress : undefined;
    },
    async syncStatus(session, entity) {
      if (!phaseOf(session.resources.entity(entity), 'sync')) return undefined;
      const progress = await syncProgress(session, entity);
      const sync: SyncStatus = {
        state: progress?.state ?? 'not-started',
        changes: progress?.changes ?? 0,
        failed: progress?.failed ?? 0,
        ...(progress?.reason ? { reason: progress.reason } : {}),
      };
      // The lag as the legacy database counts it now; when it does not answer, the last chunk's.
      try {
        // The legacy database gets the same deadline as the state store: a hung read must not hold up the status.
        const capture = await withDeadline(() => captureReport(session, entity), STATE_STORE_DEADLINE_MS);
        sync.capture = capture.capture;
        // A cursor over updatedAt installs nothing: there is no install to report.
        if (capture.capture === 'triggers') sync.captureInstalled = capture.state.installed;
        if (capture.lag) sync.lag = { pending: capture.lag.pending, oldestSeconds: capture.lag.oldestSeconds };
      } catch (e) {
        // Whatever kept the lag from being read, the rest of the status still stands.
        sync.captureUnreadable = secrets.redact((e as Error)?.message ?? String(e));
        if (progress?.lag) sync.lag = { pending: progress.lag.pending, oldestSeconds: progress.lag.oldestSeconds };
      }
      const next = syncCommand(entity, sync);
      if (next) sync.next = next;
      return sync;
    },
    async cutoverStatus(session, entity) {
      if (!phaseOf(session.resources.entity(entity), 'cutover')) return undefined;
      const p = await cutoverProgress(session, entity);
      if (!p) return undefined;
      const index = p.stages.findIndex((s) => s.name === p.stage);
      const c: CutoverStatus = { step: p.step, stages: p.stages.length, epoch: p.epoch, reads: p.reads, writes: p.writes, waitingFor: p.waitingFor };
      if (p.stage) {
        c.stage = p.stage;
        c.stageNumber = index + 1;
      }
      if (p.gate) c.gate = { verdict: p.gate.result.verdict, missing: p.gate.result.missing };
      if (p.next) c.next = p.next;
      return c;
    },
    async reverseSyncStatus(session, entity) {
      // Only an entity whose cutover can switch writes ever runs one: the others cost no request.
      const cutover = phaseOf(session.resources.entity(entity), 'cutover');
      if (!cutover?.stages.some((s) => s.writes !== undefined && s.writes !== 'legacy')) return undefined;
      const p = await reverseSyncProgress(session, entity);
      return p ? reverseSyncStatusOf(p) : undefined;
    },
    async runStatus(session, entity) {
      const p = await runProgress(session, entity);
      return p ? runStatusOf(p) : undefined;
    },
    async lastVerification(session, entity) {
      const stored = await stateStoreCall(async () => (await session.resources.stateStore()).latestReport<VerificationReport>(session.loaded.plan.name, entity));
      return stored ? summaryOf(stored.id, stored.report) : undefined;
    },
  };
}

/** The status model's form of a run's progress. */
export function runStatusOf(p: RunProgress): RunStatus {
  const r: RunStatus = { step: p.step, state: p.state, done: p.steps.filter((s) => s.state === 'done').map((s) => s.name), waitingFor: p.waitingFor };
  if (p.next !== undefined) r.next = p.next;
  return r;
}
