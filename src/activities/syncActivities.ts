/**
 * Activities of forward sync (legacy → service). Inputs carry names only; the worker resolves the
 * change log, source, mapping and service from its own plan. The position is saved in the state
 * store only after the service acknowledged the batch and the change rows were consumed, and it
 * never moves backwards.
 */
import { Context } from '@temporalio/activity';
import { writeBatchOf } from '../plan/schema.js';
import { applyChanges } from '../sync/applyChanges.js';
import { targetKeyFromSourceKey } from '../sync/targetKeys.js';
import type { PlanResources } from '../resources/planResources.js';
import { assertWorkerPlan } from './failureMapping.js';
import { syncSettings } from '../sync/settings.js';

export interface SyncRef {
  plan: string;
  entity: string;
}

export interface SyncChunkInput extends SyncRef {
  /** Stop taking new batches after this long. */
  maxMs: number;
}

/** Lag as measured by the legacy database's clock right after the chunk. */
export interface SyncLag {
  pending: number;
  oldestSeconds: number;
}

export interface SyncChunkResult {
  flagOff: boolean;
  changes: number;
  upserted: number;
  deleted: number;
  failed: number;
  /** Highest position applied so far (persisted); absent before the first change. */
  position?: string;
  lag: SyncLag;
}

/** Checkpoint namespace of an entity's sync in the state store. */
export const SYNC_RUN_KEY = 'sync';
const HEARTBEAT_EVERY_MS = 3_000;

// Defined beside the sync operations, which `migrate status` loads without the activities.
export { syncSettings };

const maxPosition = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : BigInt(a) >= BigInt(b) ? a : b;

export function createSyncActivities(deps: { resources: PlanResources }) {
  const res = deps.resources;

  async function syncFlagOn(ref: SyncRef): Promise<{ name: string; enabled: boolean }> {
    const { flag } = syncSettings(res, ref.entity);
    const value = await (await res.flags()).getFlag(flag);
    return { name: flag, enabled: value ?? false };
  }

  return {
    /** The sync flag's current value (never set counts as off). */
    async readSyncFlag(ref: SyncRef): Promise<{ name: string; enabled: boolean }> {
      assertWorkerPlan(res, ref.plan);
      return syncFlagOn(ref);
    },

    /** Applies batches of captured changes for up to `maxMs`; returns what it did and the lag after. */
    async syncChunk(input: SyncChunkInput): Promise<SyncChunkResult> {
      assertWorkerPlan(res, input.plan);
      const ctx = Context.current();
      const keepAlive = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const settings = syncSettings(res, input.entity);
        const e = res.entity(input.entity);
        const store = await res.stateStore();
        const source = await res.source(e.source.db);
        const mapping = res.mapping(input.entity);
        const log = res.changeLog(input.entity);
        let targetKeyOf: ((key: readonly (string | number)[]) => Record<string, unknown>) | undefined;
        const out: SyncChunkResult = { flagOff: false, changes: 0, upserted: 0, deleted: 0, failed: 0, lag: { pending: 0, oldestSeconds: 0 } };
        const saved = await store.getCheckpoint(input.plan, input.entity, SYNC_RUN_KEY, 0);
        let position = saved?.cursor?.[0] !== undefined ? String(saved.cursor[0]) : undefined;
        const deadline = Date.now() + input.maxMs;
        while (Date.now() < deadline) {
          if (!(await syncFlagOn(input)).enabled) {
            out.flagOff = true;
            break;
          }
          const batch = await applyChanges(
            {
              plan: input.plan,
              entity: input.entity,
              changes: log,
              readRows: (keys) => source.readByKeys(e.source, keys),
              keyOfRow: (row) => source.keyOf(e.source, row),
              mapRow: (row) => mapping.map(row),
              targetKeyOf: (key) => (targetKeyOf ??= targetKeyFromSourceKey(input.entity, e, mapping))(key),
              target: res.target(input.entity),
              writeBatch: writeBatchOf(e.target),
              acquire: (n) => res.acquire(input.entity, n),
              recordFailures: (f) => store.recordFailures(f),
            },
            settings.batchSize,
          );
          if (batch.changes === 0) break;
          out.changes += batch.changes;
          out.upserted += batch.upserted;
          out.deleted += batch.deleted;
          out.failed += batch.failed;
          position = maxPosition(position, batch.lastPosition);
          await store.saveCheckpoint(input.plan, input.entity, SYNC_RUN_KEY, 0, {
            cursor: position === undefined ? undefined : [position],
            rowsDone: (saved?.rowsDone ?? 0) + out.changes,
            failures: (saved?.failures ?? 0) + out.failed,
            done: false,
          });
          ctx.heartbeat();
        }
        out.position = position;
        out.lag = await log.lag();
        return out;
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}
