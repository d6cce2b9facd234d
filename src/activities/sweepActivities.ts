/**
 * Activities of the partitioned sweep. Each one resolves everything from the worker's own plan
 * resources; inputs carry names only, so no connection string or token enters workflow history.
 */
import { Context } from '@temporalio/activity';
import type { KeyRange, KeyTuple } from '../sources/types.js';
import type { Checkpoint } from '../state/types.js';
import { HEARTBEAT_EVERY_MS } from '../workflows/activityOptions.js';
import type { PartitionState, SweepResult, VerifyRunOptions } from '../workflows/definitions.js';
import type { SweepKind } from '../progress.js';
import { phaseOf } from '../plan/schema.js';
import { entityCopyVisitor } from './rePush.js';
import { durationMs } from '../plan/units.js';
import { runChunk, type Visitor } from '../sweep/engine.js';
import { sampleByKey } from '../sweep/compare.js';
import { TargetRetryableError } from '../service/errors.js';
import type { PlanResources } from '../resources/planResources.js';
import { assertWorkerPlan } from './failureMapping.js';

export interface SweepRef {
  plan: string;
  entity: string;
  kind: SweepKind;
  runKey: string;
  verify?: VerifyRunOptions;
}

export interface ChunkInput extends SweepRef {
  partition: number;
  range: KeyRange;
  cursor?: KeyTuple;
  maxMs: number;
}

export interface ChunkResult {
  cursor?: KeyTuple;
  done: number;
  failures: number;
  mismatches: number;
  completed: boolean;
  flagOff: boolean;
  /**
   * Set when the service failed transiently after this chunk had made progress: the chunk hands its
   * progress back instead of failing, and the workflow waits this long before the next chunk.
   */
  retryAfterMs?: number;
}

/** At most one heartbeat per this many ms from the page loop (the timer beats regardless). */
const PAGE_BEAT_MS = 1_000;

/** Pause after a transient failure that followed progress (Temporal's initial retry interval). */
const RETRY_PAUSE_MS = 500;

export { HEARTBEAT_EVERY_MS } from '../workflows/activityOptions.js';

/** Who the worker acts as in the audit log. */
const WORKER_ACTOR = 'migrate-worker';

/** Builds the visitor of a sweep kind; verification plugs its compare visitor in here. */
export type VisitorFactory = (res: PlanResources, ref: SweepRef) => Promise<Visitor>;

export interface SweepActivityDeps {
  resources: PlanResources;
  compareVisitor?: VisitorFactory;
}

export function createSweepActivities(deps: SweepActivityDeps) {
  const res = deps.resources;

  const checkPlan = (plan: string) => assertWorkerPlan(res, plan);

  const sweepSettings = (ref: SweepRef) => {
    const e = res.entity(ref.entity);
    const backfill = phaseOf(e, 'backfill');
    const verify = phaseOf(e, 'verify');
    const batchSize = (ref.kind === 'verify' ? verify?.batchSize : undefined) ?? backfill?.batchSize ?? 500;
    const partitions = (ref.kind === 'verify' ? verify?.partitions : undefined) ?? backfill?.partitions ?? 4;
    return { e, backfill, verify, batchSize, partitions };
  };

  /** The flag a sweep checks before every page: the backfill phase's, none for verification. */
  const flagOf = (ref: Pick<SweepRef, 'entity' | 'kind'>): string | undefined => (ref.kind === 'backfill' ? phaseOf(res.entity(ref.entity), 'backfill')?.flag : undefined);

  async function readFlag(ref: Pick<SweepRef, 'plan' | 'entity' | 'kind'>): Promise<{ name?: string; enabled: boolean }> {
    checkPlan(ref.plan);
    const flag = flagOf(ref);
    if (!flag) return { enabled: true };
    const value = await (await res.flags()).getFlag(flag);
    return { name: flag, enabled: value ?? false };
  }

  return {
    readFlag,

    /** Splits the key space and starts the sweep's checkpoints afresh. */
    async planSweep(ref: SweepRef): Promise<PartitionState[]> {
      checkPlan(ref.plan);
      const { e, partitions } = sweepSettings(ref);
      const store = await res.stateStore();
      const source = await res.source(e.source.db);
      await store.clearCheckpoints(ref.plan, ref.entity, ref.runKey);
      const ranges = await source.splitKeySpace(e.source, partitions);
      const estimates = await Promise.all(ranges.map((r) => source.estimateRows(e.source, r)));
      await store.appendAudit({ plan: ref.plan, entity: ref.entity, action: `${ref.kind}.start`, actor: WORKER_ACTOR, detail: { runKey: ref.runKey, partitions: ranges.length } });
      return ranges.map((range, index) => ({ index, range, done: 0, total: estimates[index] ?? 0, failures: 0, mismatches: 0, completed: false }));
    },

    /** Sweeps one partition for up to `maxMs`, checkpointing after every page. */
    async sweepChunk(input: ChunkInput): Promise<ChunkResult> {
      checkPlan(input.plan);
      const ctx = Context.current();
      let progressed: Checkpoint | undefined;
      // Heartbeat on a timer, not only per page: the heartbeat timeout then measures whether this
      // worker is alive, not whether one page was fast, so it can be short and a crashed worker's
      // chunk is re-dispatched quickly without ever racing a slow but live one.
      let lastBeat = 0;
      const keepAlive = setInterval(() => ctx.heartbeat(progressed ? { cursor: progressed.cursor, done: progressed.rowsDone } : undefined), HEARTBEAT_EVERY_MS);
      try {
        const { e, batchSize } = sweepSettings(input);
        const store = await res.stateStore();
        const source = await res.source(e.source.db);
        const saved = await store.getCheckpoint(input.plan, input.entity, input.runKey, input.partition);
        const start: Checkpoint = saved ?? { cursor: input.cursor, rowsDone: 0, failures: 0, mismatches: 0, done: false };
        let visitor: Visitor;
        if (input.kind === 'backfill') {
          visitor = entityCopyVisitor(res, input.plan, input.entity, source, { recordFailures: (f) => store.recordFailures(f) });
        } else {
          if (!deps.compareVisitor) throw new Error('this worker has no verification visitor');
          visitor = await deps.compareVisitor(res, input);
        }
        const out = await runChunk({
          source,
          sourceConfig: e.source,
          range: input.range,
          batchSize,
          start,
          deadline: Date.now() + input.maxMs,
          visitor,
          // The backfill's flag is read with each checkpoint: one state-store round trip per page, not two.
          saveCheckpoint: async (cp, checkFlag) => {
            const flag = checkFlag ? flagOf(input) : undefined;
            const enabled = flag === undefined ? undefined : await store.saveCheckpointReadFlag(input.plan, input.entity, input.runKey, input.partition, cp, flag);
            if (flag === undefined) await store.saveCheckpoint(input.plan, input.entity, input.runKey, input.partition, cp);
            progressed = cp;
            return enabled;
          },
          isEnabled: input.kind === 'backfill' ? async () => (await readFlag(input)).enabled : undefined,
          // The timer above beats every HEARTBEAT_EVERY_MS; a beat per page as well (each one crosses
          // into Temporal's native core) is kept to one a second, which is plenty for liveness.
          onPage: (cp) => {
            const now = Date.now();
            if (now - lastBeat < PAGE_BEAT_MS) return;
            lastBeat = now;
            ctx.heartbeat({ cursor: cp.cursor, done: cp.rowsDone });
          },
          readOptions: input.verify?.since ? { updatedSince: new Date(input.verify.since) } : undefined,
          // Seeded by the run, so a retried chunk and the run's re-checks cover the same rows.
          sample:
            input.kind === 'verify' && input.verify?.sample !== undefined && input.verify.sample < 1
              ? sampleByKey(input.verify.sample, input.verify.run ?? input.runKey, (row) => source.keyOf(e.source, row))
              : undefined,
        });
        return {
          cursor: out.cursor,
          done: out.rowsDone,
          failures: out.failures,
          mismatches: out.mismatches ?? 0,
          completed: out.done,
          flagOff: out.flagOff,
        };
      } catch (e) {
        // Temporal's backoff grows with the attempt number, and one activity is one attempt series:
        // failing a chunk that had progressed would make a service failing every few requests slow
        // the copy to one page per maximum interval. Progress resets the series instead; a failure
        // with no progress since the last one still backs off exponentially.
        if (e instanceof TargetRetryableError && progressed) {
          return {
            cursor: progressed.cursor,
            done: progressed.rowsDone,
            failures: progressed.failures,
            mismatches: progressed.mismatches ?? 0,
            completed: progressed.done,
            flagOff: false,
            retryAfterMs: Math.max(e.retryAfterMs ?? 0, RETRY_PAUSE_MS),
          };
        }
        throw e;
      } finally {
        clearInterval(keepAlive);
      }
    },

    /** Closes a sweep: audit and failure-log retention for a backfill; counts for a verification. */
    async finishSweep(ref: SweepRef & { startedAt: number; partitions: PartitionState[] }): Promise<SweepResult> {
      checkPlan(ref.plan);
      const { e } = sweepSettings(ref);
      const store = await res.stateStore();
      const done = ref.partitions.reduce((n, p) => n + p.done, 0);
      const failures = ref.partitions.reduce((n, p) => n + p.failures, 0);
      // A verification's rechecks and report are the verify workflow's next steps, not the sweep's.
      if (ref.kind === 'verify') return { kind: 'verify', done, failures, mismatches: ref.partitions.reduce((n, p) => n + p.mismatches, 0) };
      const purged = await store.purgeFailures(ref.plan, ref.entity, new Date(Date.now() - durationMs(e.failures.retention)));
      await store.appendAudit({ plan: ref.plan, entity: ref.entity, action: 'backfill.complete', actor: WORKER_ACTOR, detail: { rows: done, failures, purgedFailures: purged } });
      return { kind: 'backfill', done, failures, mismatches: 0 };
    },
  };
}
