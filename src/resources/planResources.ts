/**
 * The live pieces one worker (or one CLI command) needs for a plan, opened lazily and once:
 * source pools, the state store, target clients with a rate limiter per service, compiled
 * mappings. Built in the worker's entry point and injected into the activities.
 */
import type { LoadedPlan } from '../plan/load.js';
import type { Entity, Plan } from '../plan/schema.js';
import { UserError } from '../errors.js';
import { openSource } from '../sources/index.js';
import type { SourceDb } from '../sources/types.js';
import type { FlagProvider } from '../flags/types.js';
import { openStateStore } from '../state/index.js';
import type { StateStore } from '../state/types.js';
import { createGate, type Gate } from '../service/gate.js';
import { openTargetClient } from '../service/open.js';
import { createRateLimiter, type RateLimiter } from '../service/rateLimiter.js';
import type { TargetClient } from '../service/types.js';
import { compileMapping, loadTransform, type Mapping, type Transform } from '../mapping/index.js';
import { parseRate } from '../plan/units.js';
import { requireEntity } from '../plan/entityRef.js';
import { openChangeLog, openLegacySql, type ChangeLog } from '../capture/changeLog.js';
import { UpdatedAtCursor } from '../capture/updatedAtCursor.js';
import { invertMapping, type InverseMapping } from '../mapping/invert.js';
import { openLegacyWriter, type LegacyWriter } from '../sync/legacyWriter.js';

export interface PlanResources {
  readonly plan: Plan;
  readonly planFile: string;
  entity(name: string): Entity;
  stateStore(): Promise<StateStore>;
  /** Where flags and routing documents are read and written; every caller goes through it. */
  flags(): Promise<FlagProvider>;
  source(db: string): Promise<SourceDb>;
  target(entity: string): TargetClient;
  mapping(entity: string): Mapping;
  /** The entity's change capture on its legacy table (sync with `capture: triggers`). */
  changeLog(entity: string): ChangeLog;
  /** The entity's table read by its updatedAt column (sync with `capture: updatedAt`); UserError without source.updatedAt. */
  updatedAtCursor(entity: string): UpdatedAtCursor;
  /** The entity's map inverted (reverse sync); UserError naming the entries that cannot be. */
  inverseMapping(entity: string): InverseMapping;
  /** Reverse sync's writer into the entity's legacy table (writes the inverse map's columns, never captured). */
  legacyWriter(entity: string): LegacyWriter;
  /** Waits for `items` tokens of the entity's target service rate limit (no-op without one). */
  acquire(entity: string, items: number): Promise<void>;
  close(): Promise<void>;
}

export interface OpenPlanResourcesOptions {
  /**
   * Import every entity's `transform` module (default true). False for commands that only read
   * state (`status`, `plan`): a TypeScript transform needs tsx loaded first, which costs more than
   * the rest of their start; `mapping()` then refuses an entity with a transform.
   */
  transforms?: boolean;
}

/**
 * The plan's resources with every entity's `transform` module already imported, so `mapping()` can
 * stay synchronous and no caller can forget the import (retry once did, and failed on a transform).
 * Pools open lazily on first use; every pool is shared by all activities of the process.
 */
export async function openPlanResources(loaded: LoadedPlan, options: OpenPlanResourcesOptions = {}): Promise<PlanResources> {
  const { plan, file } = loaded;
  const transforms = new Map<string, Transform>();
  const withTransforms = options.transforms ?? true;
  for (const [name, e] of Object.entries(plan.entities)) {
    if (e.transform && withTransforms) transforms.set(name, await loadTransform(file, e.transform));
  }
  return createPlanResources(loaded, transforms, withTransforms);
}

/** The same promise; when it rejects, `forget` runs so the next caller opens anew rather than get the old failure forever. */
function forgetOnFailure<T>(opening: Promise<T>, forget: () => void): Promise<T> {
  opening.catch(forget);
  return opening;
}

function createPlanResources(loaded: LoadedPlan, transforms: ReadonlyMap<string, Transform>, withTransforms: boolean): PlanResources {
  const { plan, file } = loaded;
  const sources = new Map<string, Promise<SourceDb>>();
  const targets = new Map<string, TargetClient>();
  const limiters = new Map<string, RateLimiter | undefined>();
  const gates = new Map<string, Gate>();
  const mappings = new Map<string, Mapping>();
  /** The URL of the legacy database an entity reads (capture opens its own small pool on it). */
  const sourceUrlOf = (e: Entity): string => {
    const cfg = plan.sources[e.source.db];
    if (!cfg) throw new UserError(`source "${e.source.db}" is not in plan ${plan.name}`);
    return cfg.url;
  };
  const changeLogs = new Map<string, ChangeLog>();
  const cursors = new Map<string, UpdatedAtCursor>();
  const inverses = new Map<string, InverseMapping>();
  const writers = new Map<string, LegacyWriter>();
  let store: Promise<StateStore> | undefined;

  const entity = (name: string): Entity => requireEntity(plan, file, name);

  const limiter = (service: string): RateLimiter | undefined => {
    if (!limiters.has(service)) {
      const rate = plan.targets[service]?.rateLimit;
      const perSecond = rate ? parseRate(rate) : undefined;
      limiters.set(service, perSecond ? createRateLimiter(perSecond) : undefined);
    }
    return limiters.get(service);
  };

  const res: PlanResources = {
    plan,
    planFile: file,
    entity,
    stateStore() {
      // openStateStore migrates the schema (once: a second look was three more queries per command).
      // A failed open is forgotten, so a worker that came up before its database recovers.
      if (!store) {
        const opening = openStateStore(plan.state.url);
        store = forgetOnFailure(opening, () => {
          if (store === opening) store = undefined;
        });
      }
      return store;
    },
    async flags() {
      // Imported here: only commands that read or write flags need the provider (it loads the routing evaluator itself, on first use).
      const { createStateStoreFlagProvider } = await import('../flags/stateStoreProvider.js');
      return createStateStoreFlagProvider(await res.stateStore(), plan.name);
    },
    source(db) {
      let s = sources.get(db);
      if (!s) {
        const cfg = plan.sources[db];
        if (!cfg) throw new UserError(`source "${db}" is not in plan ${plan.name}`);
        const opening = openSource(cfg.url, cfg.poolSize);
        s = forgetOnFailure(opening, () => {
          if (sources.get(db) === opening) sources.delete(db);
        });
        sources.set(db, s);
      }
      return s;
    },
    mapping(name) {
      let m = mappings.get(name);
      if (!m) {
        const e = entity(name);
        // A bug, not a user error: a read-only session has no business mapping rows.
        if (e.transform && !withTransforms) throw new Error(`the mapping of ${name} needs its transform, and these resources were opened without transforms`);
        m = compileMapping(e, { transform: transforms.get(name), name });
        mappings.set(name, m);
      }
      return m;
    },
    changeLog(name) {
      let log = changeLogs.get(name);
      if (!log) {
        const e = entity(name);
        log = openChangeLog(sourceUrlOf(e), e.source);
        changeLogs.set(name, log);
      }
      return log;
    },
    updatedAtCursor(name) {
      let cursor = cursors.get(name);
      if (!cursor) {
        const e = entity(name);
        const updatedAt = e.source.updatedAt;
        if (updatedAt === undefined) {
          throw new UserError(`entity "${name}": capture: updatedAt needs source.updatedAt`, { hint: `Name the last-change column in entities.${name}.source.updatedAt, or use \`capture: triggers\`.` });
        }
        cursor = new UpdatedAtCursor(openLegacySql(sourceUrlOf(e)), { ...e.source, updatedAt });
        cursors.set(name, cursor);
      }
      return cursor;
    },
    inverseMapping(name) {
      let m = inverses.get(name);
      if (!m) {
        const e = entity(name);
        const url = plan.sources[e.source.db]?.url ?? '';
        m = invertMapping(e, { name, planFile: file, dialect: /^(postgres|postgresql):/i.test(url) ? 'postgres' : 'mysql' });
        inverses.set(name, m);
      }
      return m;
    },
    legacyWriter(name) {
      let w = writers.get(name);
      if (!w) {
        const e = entity(name);
        const cfg = plan.sources[e.source.db];
        if (!cfg) throw new UserError(`source "${e.source.db}" is not in plan ${plan.name}`);
        w = openLegacyWriter(cfg.url, e.source, res.inverseMapping(name).columns);
        writers.set(name, w);
      }
      return w;
    },
    target(name) {
      let t = targets.get(name);
      if (!t) {
        const e = entity(name);
        const config = plan.targets[e.target.service];
        if (!config) throw new UserError(`target "${e.target.service}" is not in plan ${plan.name}`);
        // One gate per service: `concurrency` bounds its requests across every partition of the worker.
        let gate = gates.get(e.target.service);
        if (!gate) gates.set(e.target.service, (gate = createGate(config.concurrency)));
        t = openTargetClient({
          service: e.target.service,
          config,
          endpoints: e.target,
          keyFields: res.mapping(name).targetKeyFields,
          gate,
        });
        targets.set(name, t);
      }
      return t;
    },
    async acquire(name, items) {
      await limiter(entity(name).target.service)?.acquire(items);
    },
    async close() {
      const all = [...sources.values()].map(async (s) => (await s).close());
      // A store that never opened has nothing to close (and its error belongs to whoever awaited it).
      if (store) all.push(store.then((s) => s.close()));
      for (const log of changeLogs.values()) all.push(log.close());
      for (const cursor of cursors.values()) all.push(cursor.close());
      for (const w of writers.values()) all.push(w.close());
      await Promise.allSettled(all);
    },
  };
  return res;
}
