/**
 * Activities of forward sync (legacy → service). Inputs carry names only; the worker resolves the
 * change log, source, mapping and service from its own plan. The position is saved in the state
 * store only after the service acknowledged the batch and the change rows were consumed, and it
 * never moves backwards.
 */
import { keepAlive } from './keepAlive.js';
import { Context } from '@temporalio/activity';
import { writeBatchOf } from '../plan/schema.js';
import { applyChanges } from '../sync/applyChanges.js';
import { applyCursorPass, type SentMemory } from '../sync/applyCursor.js';
import type { CursorPoint } from '../capture/updatedAtCursor.js';
import { durationMs } from '../plan/units.js';
import { savedCursor, SYNC_CURSOR_RUN_KEY, type SyncLag } from '../sync/lag.js';
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
export type { SyncLag };

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

/** How `migrate sync` shows a cursor: its updatedAt and key. */
export const cursorText = (c: CursorPoint) => `${c.at} ${c.key.join(',')}`;

/**
 * `capture: updatedAt`: passes over the table from the saved cursor (minus the overlap) for up to
 * `maxMs`; the cursor is saved after each acknowledged page. A pass that sent nothing ends the chunk.
 * `sentMemories` is the worker's memory of what it sent (see applyCursor.ts): a new one re-sends the
 * overlap's rows once. Exported so tests can pass as a newly started worker would.
 */
export async function cursorSyncChunk(res: PlanResources, sentMemories: Map<string, SentMemory>, input: SyncChunkInput, heartbeat: () => void): Promise<SyncChunkResult> {
  const settings = syncSettings(res, input.entity);
  const e = res.entity(input.entity);
  const store = await res.stateStore();
  const source = await res.source(e.source.db);
  const mapping = res.mapping(input.entity);
  const cursorDb = res.updatedAtCursor(input.entity);
  const memoryKey = `${input.plan}/${input.entity}`;
  let sent = sentMemories.get(memoryKey);
  if (!sent) sentMemories.set(memoryKey, (sent = new Map()));
  const saved = await store.getCheckpoint(input.plan, input.entity, SYNC_CURSOR_RUN_KEY, 0);
  let cursor = await savedCursor(store, input.plan, input.entity);
  const out: SyncChunkResult = { flagOff: false, changes: 0, upserted: 0, deleted: 0, failed: 0, lag: { pending: 0, oldestSeconds: 0 } };
  const deadline = Date.now() + input.maxMs;
  while (Date.now() < deadline && !out.flagOff) {
    const pass = await applyCursorPass(
      {
        plan: input.plan,
        entity: input.entity,
        scan: (from, limit) => cursorDb.scan(from, limit),
        floor: (at, overlapMs) => cursorDb.floor(at, overlapMs),
        readRows: (keys) => source.readByKeys(e.source, keys),
        keyOfRow: (row) => source.keyOf(e.source, row),
        mapRow: (row) => mapping.map(row),
        target: res.target(input.entity),
        writeBatch: writeBatchOf(e.target),
        acquire: (n) => res.acquire(input.entity, n),
        recordFailures: (f) => store.recordFailures(f),
        sent,
        overlapMs: durationMs(settings.overlap),
        keepGoing: async () => {
          if (Date.now() >= deadline) return false;
          if (!(await (await res.flags()).getFlag(settings.flag))) out.flagOff = true;
          return !out.flagOff;
        },
        saveCursor: async (c, page) => {
          out.changes += page.sent;
          out.failed += page.failed;
          await store.saveCheckpoint(input.plan, input.entity, SYNC_CURSOR_RUN_KEY, 0, {
            cursor: [c.at, ...c.key],
            rowsDone: (saved?.rowsDone ?? 0) + out.changes,
            failures: (saved?.failures ?? 0) + out.failed,
            done: false,
          });
          heartbeat();
        },
      },
      cursor,
      settings.batchSize,
    );
    out.upserted += pass.upserted;
    cursor = pass.cursor;
    if (pass.changes === 0) break;
  }
  if (cursor) out.position = cursorText(cursor);
  out.lag = await cursorDb.lag(cursor);
  return out;
}

export function createSyncActivities(deps: { resources: PlanResources }) {
  const res = deps.resources;
  // What this worker sent per entity (capture: updatedAt), so the overlap does not re-send unchanged rows.
  const sentMemories = new Map<string, SentMemory>();

  async function syncFlagOn(ref: SyncRef): Promise<{ name: string; enabled: boolean }> {
    const { flag } = syncSettings(res, ref.entity);
    const value = await (await res.flags()).getFlag(flag);
    return { name: flag, enabled: value ?? false };
  }

  return {
    /** The sync flag's current value (never set counts as off). */
    // Kept alive: a worker that dies inside this query is noticed by the heartbeat timeout, not start-to-close.
    readSyncFlag: keepAlive(async (ref: SyncRef): Promise<{ name: string; enabled: boolean }> => {
      assertWorkerPlan(res, ref.plan);
      return syncFlagOn(ref);
    }),

    /** Applies batches of captured changes for up to `maxMs`; returns what it did and the lag after. */
    async syncChunk(input: SyncChunkInput): Promise<SyncChunkResult> {
      assertWorkerPlan(res, input.plan);
      const ctx = Context.current();
      const keepAlive = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const settings = syncSettings(res, input.entity);
        if (settings.capture === 'updatedAt') return await cursorSyncChunk(res, sentMemories, input, () => ctx.heartbeat());
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
