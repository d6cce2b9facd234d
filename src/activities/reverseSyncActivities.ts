/**
 * Activities of reverse sync (service → legacy), which runs after writes moved to the service. A
 * chunk reads the service's change feed from its persisted (updatedAt, key) position minus a safety
 * overlap, writes each item's current state into the legacy table through the inverted map (deletes
 * as deletes) in one transaction the capture triggers skip, and only then saves the new position.
 * States Tracer itself wrote into the service (`origin: sync`: the backfill, forward sync, repair)
 * came from the legacy and are never written back. Inputs carry names only.
 */
import { Context } from '@temporalio/activity';
import { UserError } from '../errors.js';
import { MappingError } from '../mapping/errors.js';
import { isRestTarget } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import { ORIGIN_VALUE } from '../service/exchange.js';
import { keySegment } from '../service/keyPath.js';
import type { ServiceChange } from '../service/types.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';
import type { PlanResources } from '../resources/planResources.js';
import { assertWorkerPlan } from './failureMapping.js';
import type { SyncRef } from './syncActivities.js';
import { REVERSE_SYNC_RUN_KEY, feedTime, fromMs } from '../sync/reverseFeed.js';

export { REVERSE_SYNC_RUN_KEY, feedTime, fromMs };

/** Where reverse sync stands in the service's change feed. */
export interface ReversePosition {
  /** The feed's updatedAt of the last change applied (normalised, microseconds, UTC). */
  updatedAt: string;
  /** That change's key, as its path segment (the feed's tie-break). */
  key: string;
}

export interface ReverseLag {
  /** Changes waiting that this chunk saw but did not apply (a lower bound; 0 when the feed was drained). */
  pending: number;
  /** Age of the oldest of them, by the worker's clock; 0 when none. */
  oldestSeconds: number;
}

export interface ReverseChunkInput extends SyncRef {
  maxMs: number;
}

export interface ReverseChunkResult {
  /** Feed entries applied to the legacy (each key's latest state once per batch). */
  changes: number;
  upserted: number;
  deleted: number;
  /** States Tracer wrote into the service itself, skipped (never echoed back). */
  skippedOwn: number;
  /** Items that could not be written back (no inverse for a value, or the legacy refused the row). */
  failed: number;
  /** The last refusal, for status: key and reason. */
  lastFailure?: string;
  position?: ReversePosition;
  /**
   * Epoch ms up to which every service change is in the legacy: set when the chunk read the feed to
   * its end; the read's start minus the overlap (covering clock skew and late commits).
   */
  appliedThrough?: number;
  lag: ReverseLag;
}

const HEARTBEAT_EVERY_MS = 3_000;
const FEED_START = fromMs(0);

const positionOf = (cursor: readonly (string | number)[] | undefined): { position?: ReversePosition; appliedThrough?: number } => {
  if (!cursor || typeof cursor[0] !== 'string' || typeof cursor[1] !== 'string') return {};
  return { position: { updatedAt: cursor[0], key: cursor[1] }, ...(typeof cursor[2] === 'number' ? { appliedThrough: cursor[2] } : {}) };
};

export function createReverseSyncActivities(deps: { resources: PlanResources }) {
  const res = deps.resources;
  // Per entity: key segment → feed time of the state applied, for changes inside the overlap
  // window, so re-reading the window does not write them again. Lost with the worker: a new one
  // re-applies the window once, which the legacy upsert turns into no-ops.
  const recent = new Map<string, Map<string, string>>();

  function feedSettings(entity: string): { limit: number; overlapMs: number } {
    const e = res.entity(entity);
    if (isRestTarget(e.target) || !e.target.changes) {
      throw new UserError(`entity "${entity}" has no change feed, so reverse sync cannot read the service's changes`, {
        hint: `Add \`changes: { path: /v1/${entity}:changes }\` to entities.${entity}.target in ${res.planFile} (docs/target-protocol.md, "Change feed").`,
      });
    }
    return { limit: e.target.changes.limit, overlapMs: durationMs(e.target.changes.overlap) };
  }

  async function readPosition(plan: string, entity: string) {
    const store = await res.stateStore();
    const saved = await store.getCheckpoint(plan, entity, REVERSE_SYNC_RUN_KEY, 0);
    return { store, saved, ...positionOf(saved?.cursor) };
  }

  return {
    /** Applies the service's changes for up to `maxMs`; returns what it did, the position and the lag. */
    async reverseSyncChunk(input: ReverseChunkInput): Promise<ReverseChunkResult> {
      assertWorkerPlan(res, input.plan);
      const ctx = Context.current();
      const keepAlive = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const { limit, overlapMs } = feedSettings(input.entity);
        const target = res.target(input.entity);
        const keyFields = res.mapping(input.entity).targetKeyFields;
        const segment = (c: ServiceChange) => keySegment(c.key, keyFields);
        const { store, saved, position: start, appliedThrough: savedThrough } = await readPosition(input.plan, input.entity);
        let seen = recent.get(input.entity);
        if (!seen) recent.set(input.entity, (seen = new Map()));

        const out: ReverseChunkResult = { changes: 0, upserted: 0, deleted: 0, skippedOwn: 0, failed: 0, lag: { pending: 0, oldestSeconds: 0 } };
        let position = start;
        let appliedThrough = savedThrough;
        const deadline = Date.now() + input.maxMs;
        // One pass: from the position minus the overlap to the end of the feed (or the deadline).
        const passStartedAt = Date.now();
        let since = position ? fromMs(Date.parse(position.updatedAt) - overlapMs) : FEED_START;
        let afterKey: string | undefined;
        let drained = false;
        while (!drained && Date.now() < deadline) {
          const page = await target.changes!(since, afterKey, limit);
          const fresh = page.filter((c) => seen.get(segment(c)) !== feedTime(c.updatedAt));
          if (fresh.length > 0) {
            const applied = await applyPage(fresh);
            out.changes += applied.changes;
            out.upserted += applied.upserted;
            out.deleted += applied.deleted;
            out.skippedOwn += applied.skippedOwn;
            out.failed += applied.failed;
            if (applied.lastFailure) out.lastFailure = applied.lastFailure;
            for (const c of fresh) seen.set(segment(c), feedTime(c.updatedAt));
          }
          const last = page[page.length - 1];
          if (last) {
            const p = { updatedAt: feedTime(last.updatedAt), key: segment(last) };
            if (!position || p.updatedAt > position.updatedAt || (p.updatedAt === position.updatedAt && p.key > position.key)) position = p;
            since = last.updatedAt;
            afterKey = p.key;
          }
          if (page.length < limit) {
            drained = true;
            appliedThrough = Math.max(appliedThrough ?? 0, passStartedAt - overlapMs);
          }
          // Saved only now, after the legacy committed this page: a crash re-reads it, never skips it.
          if (fresh.length > 0 || drained) {
            await store.saveCheckpoint(input.plan, input.entity, REVERSE_SYNC_RUN_KEY, 0, {
              cursor: position ? [position.updatedAt, position.key, ...(appliedThrough !== undefined ? [appliedThrough] : [])] : undefined,
              rowsDone: (saved?.rowsDone ?? 0) + out.changes,
              failures: (saved?.failures ?? 0) + out.failed,
              done: false,
            });
          }
          ctx.heartbeat();
        }
        // Forget what fell out of the overlap window: re-reads never reach it again.
        if (position) {
          const floor = fromMs(Date.parse(position.updatedAt) - overlapMs);
          for (const [k, at] of seen) if (at < floor) seen.delete(k);
        }
        if (!drained) {
          // Stopped by the deadline: what waits is at least the next page.
          const next = (await target.changes!(since, afterKey, limit)).filter((c) => c.origin !== ORIGIN_VALUE);
          out.lag = { pending: next.length, oldestSeconds: next[0] ? Math.max(0, (Date.now() - Date.parse(next[0].updatedAt)) / 1000) : 0 };
        }
        if (position) out.position = position;
        if (appliedThrough !== undefined) out.appliedThrough = appliedThrough;
        return out;
      } finally {
        clearInterval(keepAlive);
      }

      async function applyPage(page: ServiceChange[]) {
        const r = { changes: 0, upserted: 0, deleted: 0, skippedOwn: 0, failed: 0, lastFailure: undefined as string | undefined };
        const inverse = res.inverseMapping(input.entity);
        const writer = res.legacyWriter(input.entity);
        const keyFields = res.mapping(input.entity).targetKeyFields;
        // A key changed twice in one page: its latest state (the feed is in time order) is the one to write.
        const latest = new Map<string, ServiceChange>();
        for (const c of page) latest.set(keySegment(c.key, keyFields), c);
        const upserts: { row: SourceRow; key: string }[] = [];
        const deletes: { key: KeyTuple; seg: string }[] = [];
        for (const [seg, c] of latest) {
          if (c.origin === ORIGIN_VALUE) {
            r.skippedOwn += 1;
            continue;
          }
          try {
            if (c.deleted) deletes.push({ key: inverse.keyOf(c.key), seg });
            else upserts.push({ row: inverse.toRow(c.item!), key: seg });
          } catch (e) {
            if (!(e instanceof MappingError)) throw e;
            r.failed += 1;
            r.lastFailure = `${seg}: ${e.message}`;
          }
        }
        if (upserts.length + deletes.length === 0) return r;
        try {
          const done = await writer.apply({ upserts: upserts.map((u) => u.row), deletes: deletes.map((d) => d.key) });
          r.changes += upserts.length + deletes.length;
          r.upserted += done.upserted;
          r.deleted += done.deleted;
        } catch {
          // One row the legacy refuses (a constraint, a type) must not block the others: row by row.
          for (const u of upserts) await one({ upserts: [u.row], deletes: [] }, u.key);
          for (const d of deletes) await one({ upserts: [], deletes: [d.key] }, d.seg);
        }
        return r;

        async function one(batch: Parameters<typeof writer.apply>[0], seg: string) {
          try {
            const done = await writer.apply(batch);
            r.changes += 1;
            r.upserted += done.upserted;
            r.deleted += done.deleted;
          } catch (e) {
            r.failed += 1;
            r.lastFailure = `${seg}: the legacy refused the row: ${(e as Error).message.slice(0, 300)}`;
          }
        }
      }
    },

    /**
     * Whether every service change up to `until` (epoch ms) is in the legacy, from the persisted
     * position: what the write switch waits for before it moves writes back (or calls the reverse
     * path ready).
     */
    async reverseSyncAppliedThrough(input: SyncRef & { until?: number }): Promise<{ appliedThrough?: number; caughtUp: boolean; position?: ReversePosition }> {
      assertWorkerPlan(res, input.plan);
      const { position, appliedThrough } = await readPosition(input.plan, input.entity);
      return {
        ...(position ? { position } : {}),
        ...(appliedThrough !== undefined ? { appliedThrough } : {}),
        caughtUp: input.until !== undefined && appliedThrough !== undefined && appliedThrough >= input.until,
      };
    },
  };
}
