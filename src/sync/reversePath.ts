/**
 * Reverse sync's side of the write switch (the ReversePath port of src/cutover/reversePath.ts),
 * over the same pieces reverse sync uses: the inverted map, the service's change feed and the
 * position reverse sync saves. Positions are epoch milliseconds by the worker's clock, as text:
 * `head` is "now" (taken once writes are fenced and drained, so nothing newer can come), and
 * reverse sync has applied everything up to T once its `appliedThrough` reaches T (`behind` is then undefined).
 */
import type { ReversePath } from '../cutover/reversePath.js';
import { REVERSE_SYNC_RUN_KEY, feedTime, fromMs } from './reverseFeed.js';
import { MigrateError } from '../errors.js';
import { isRestTarget } from '../plan/schema.js';
import type { PlanResources } from '../resources/planResources.js';
import { ORIGIN_VALUE } from '../service/exchange.js';

export function createReversePath(res: PlanResources, now: () => number = Date.now): ReversePath {
  return {
    async ready(_plan, entity) {
      const e = res.entity(entity);
      if (isRestTarget(e.target) || !e.target.changes) {
        return { ok: false, detail: `the target of ${entity} declares no change feed (target.changes), so reverse sync cannot read the service's changes` };
      }
      try {
        res.inverseMapping(entity);
      } catch (err) {
        if (err instanceof MigrateError) return { ok: false, detail: err.message };
        throw err;
      }
      // The feed answers (route, credentials) — one entry at most.
      await res.target(entity).changes!(fromMs(now()), undefined, 1);
      return { ok: true, detail: `the map of ${entity} inverts and the service's change feed answers` };
    },

    async head() {
      return String(now());
    },

    async behind(plan, entity, position) {
      const until = Number(position);
      const store = await res.stateStore();
      const saved = await store.getCheckpoint(plan, entity, REVERSE_SYNC_RUN_KEY, 0);
      const cursor = saved?.cursor;
      const appliedThrough = typeof cursor?.[2] === 'number' ? cursor[2] : undefined;
      if (appliedThrough !== undefined && appliedThrough >= until) return undefined;
      // Not yet certain: say what the feed holds after the saved position up to `until`.
      const e = res.entity(entity);
      const limit = !isRestTarget(e.target) && e.target.changes ? e.target.changes.limit : 500;
      const since = typeof cursor?.[0] === 'string' ? cursor[0] : fromMs(0);
      const afterKey = typeof cursor?.[1] === 'string' ? cursor[1] : undefined;
      const page = await res.target(entity).changes!(since, afterKey, limit);
      const limitTime = fromMs(until);
      const waiting = page.filter((c) => c.origin !== ORIGIN_VALUE && feedTime(c.updatedAt) <= limitTime).length;
      const through = appliedThrough === undefined ? 'nothing yet' : new Date(appliedThrough).toISOString();
      return `reverse sync has applied the service's changes through ${through}, not yet through ${new Date(until).toISOString()}${waiting > 0 ? ` (${waiting}${waiting === limit ? '+' : ''} changes waiting)` : ' (waiting out the overlap for late commits)'}`;
    },
  };
}
