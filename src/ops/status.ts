/**
 * One frame of the whole plan for `migrate status` and `migrate plan`: each entity's backfill
 * progress (from Temporal), latest verification (from the state store), phase and next command.
 */
import type { CutoverStatus, DashboardSnapshot, EntityPhase, EntityStatus, ReverseSyncStatus, RunStatus, SweepProgress, SyncStatus, VerificationSummary } from '../progress.js';
import { topologicalOrder } from '../plan/meaning.js';
import { workflowUrl } from '../temporal/settings.js';
import { backfillWorkflowId } from '../workflows/definitions.js';
import { backfillProgress } from './backfill.js';
import type { Session } from './session.js';

/** Where an entity stands, from what its sweeps say (DESIGN.md lifecycle). */
export function entityPhase(backfill: SweepProgress | undefined, verify: SweepProgress | undefined, last: VerificationSummary | undefined): EntityPhase {
  if (verify?.state === 'running') return 'verifying';
  if (!backfill) return 'pending';
  if (backfill.state === 'failed') return 'failed';
  if (backfill.state === 'paused') return 'paused';
  if (backfill.state === 'running' || backfill.state === 'not-started') return 'backfilling';
  if (last?.passed && last.at >= (backfill.updatedAt ?? 0) - 1) return 'verified';
  return 'backfilled';
}

/**
 * The command an operator would run next in this phase: always a whole command the CLI accepts
 * (test/unit/ops/hints.test.ts parses each with the real program), never a note beside it.
 */
export function nextCommand(entity: string, phase: EntityPhase, last?: VerificationSummary): string | undefined {
  switch (phase) {
    case 'pending':
      return `migrate backfill --entity ${entity}`;
    case 'backfilling':
      // backfill attaches to the running backfill rather than starting another.
      return `migrate backfill --entity ${entity}`;
    case 'paused':
      return `migrate backfill --entity ${entity} --resume`;
    case 'failed':
      return `migrate backfill --entity ${entity} --restart`;
    case 'backfilled':
      // A verification that found persistent mismatches is followed by a repair, not a re-run.
      return last && !last.passed ? `migrate verify --entity ${entity} --repair` : `migrate verify --entity ${entity}`;
    case 'verifying':
      // Not `migrate verify`: that would start a second verification beside the running one.
      return 'migrate status --watch';
    case 'cut-over':
      // Writes and reads moved: what is left is retiring, shown first as a dry run (it checks every consumer).
      return `migrate retire --entity ${entity} --dry-run`;
    default:
      return undefined;
  }
}

/**
 * The command for a sync that is not running while capture still records changes (they pile up in
 * the change table): resume a paused one, start a stopped or never-started one. Undefined otherwise.
 * Whole commands the CLI accepts (test/unit/cli/hints.test.ts parses them).
 */
export function syncCommand(entity: string, sync: Pick<SyncStatus, 'state' | 'lag'>): string | undefined {
  if (sync.state === 'running' || !sync.lag || sync.lag.pending === 0) return undefined;
  return sync.state === 'paused' ? `migrate sync --entity ${entity} --resume` : `migrate sync --entity ${entity}`;
}

/**
 * The status model's next command once verification passed, for an entity with a cutover phase:
 * the cutover's own (approve, resume, follow), or starting it. Undefined once it is complete or was
 * aborted (the phase's next command applies). Whole commands the CLI accepts (hints.test.ts).
 */
export function cutoverCommand(entity: string, phase: EntityPhase, cutover: Pick<CutoverStatus, 'step' | 'next'> | undefined): string | undefined {
  if (cutover) return cutover.step === 'complete' || cutover.step === 'aborted' ? undefined : cutover.next;
  return phase === 'verified' ? `migrate cutover --entity ${entity}` : undefined;
}

/** Hooks other operations plug in (verification reads its own workflows and reports; sync its workflow and change table). */
export interface StatusSources {
  verifyProgress?(session: Session, entity: string): Promise<SweepProgress | undefined>;
  lastVerification?(session: Session, entity: string): Promise<VerificationSummary | undefined>;
  syncStatus?(session: Session, entity: string): Promise<SyncStatus | undefined>;
  cutoverStatus?(session: Session, entity: string): Promise<CutoverStatus | undefined>;
  reverseSyncStatus?(session: Session, entity: string): Promise<ReverseSyncStatus | undefined>;
  runStatus?(session: Session, entity: string): Promise<RunStatus | undefined>;
  /** Whether `migrate retire` retired the entity (by hand or through its run). */
  retired?(session: Session, entity: string): Promise<boolean>;
}

/**
 * Reads every entity's state (entities in parallel, so one slow answer does not add up); throws an
 * EnvironmentError naming Temporal or the state store when one does not answer (the UI shows
 * reconnecting, a one-shot status shows every entity unknown).
 */
export async function collectStatus(session: Session, sources: StatusSources = {}): Promise<DashboardSnapshot> {
  const { plan } = session.loaded;
  const entities = await Promise.all(
    topologicalOrder(plan).map(async (name): Promise<EntityStatus> => {
      const [backfill, verify, lastVerification, sync, cutover, reverseSync, run, retired] = await Promise.all([
        backfillProgress(session, name),
        sources.verifyProgress?.(session, name),
        sources.lastVerification?.(session, name),
        sources.syncStatus?.(session, name),
        sources.cutoverStatus?.(session, name),
        sources.reverseSyncStatus?.(session, name),
        sources.runStatus?.(session, name),
        sources.retired?.(session, name),
      ]);
      const swept = entityPhase(backfill, verify, lastVerification);
      // Retire is the last word, whether run by hand or by the entity's run; a complete cutover is
      // the entity's phase; a running one shows beside the sweeps' phase.
      const phase: EntityPhase = retired || (run?.state === 'done' && run.done.includes('retire')) ? 'retired' : cutover?.step === 'complete' ? 'cut-over' : swept;
      const hasCutover = plan.entities[name]!.phases.some((p) => 'cutover' in p);
      const next = (hasCutover && swept !== 'verifying' ? cutoverCommand(name, phase, cutover) : undefined) ?? nextCommand(name, phase, lastVerification);
      return {
        entity: name,
        phase,
        dependsOn: plan.entities[name]!.dependsOn,
        backfill,
        verify,
        lastVerification,
        workflowUrl: backfill ? workflowUrl(session.temporal.settings, backfill.workflowId ?? backfillWorkflowId(plan.name, name)) : undefined,
        next,
        ...(sync ? { sync } : {}),
        ...(cutover ? { cutover } : {}),
        ...(reverseSync ? { reverseSync } : {}),
        ...(run ? { run } : {}),
      };
    }),
  );
  return { plan: plan.name, takenAt: Date.now(), connection: 'ok', entities };
}

/** The frame to show when the state could not be read: every entity unknown, saying which system did not answer. */
export function unknownSnapshot(session: Pick<Session, 'loaded'>, because: string): DashboardSnapshot {
  const { plan } = session.loaded;
  return {
    plan: plan.name,
    takenAt: Date.now(),
    connection: 'unreachable',
    message: because,
    entities: topologicalOrder(plan).map((name) => ({ entity: name, phase: 'unknown', dependsOn: plan.entities[name]!.dependsOn, unknownBecause: because })),
  };
}
