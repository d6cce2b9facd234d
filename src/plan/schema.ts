/**
 * The plan file's shape, as one zod schema. The JSON Schema in `schema/plan.schema.json` is
 * generated from it (`npm run schema`), so editors and the CLI check the same thing.
 * Values stay strings where they have units (durations, rates); `units.ts` parses them, so the
 * schema has no transforms and exports cleanly.
 */
import { z } from 'zod';
import { REPRESENTATIONS } from '../values/special.js';
import { MAX_FLAG_LENGTH, MAX_IDENTIFIER_LENGTH, MAX_NAME_LENGTH } from './limits.js';
import { DURATION_PATTERN, RATE_PATTERN } from './units.js';
import { castSchema, fieldRuleSchema } from '../compare/ruleSchema.js';

export { castSchema, fieldRuleSchema };

// Lengths first: a name of 10,000 characters is refused as too long, not matched against a pattern.
const name = z
  .string()
  .max(MAX_NAME_LENGTH, `a name of at most ${MAX_NAME_LENGTH} characters`)
  .regex(/^[a-z][a-z0-9_-]*$/, 'a lower-case name: letters, digits, "-" and "_", starting with a letter');
const identifier = z
  .string()
  .min(1)
  .max(MAX_IDENTIFIER_LENGTH, `a SQL identifier of at most ${MAX_IDENTIFIER_LENGTH} characters`)
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'a SQL identifier: letters, digits, "_" and "$", not starting with a digit');
/** A flag in the state store's flag table (its key is 191 characters; see limits.ts). */
const flagName = z
  .string()
  .min(1)
  .max(MAX_FLAG_LENGTH, `a flag name of at most ${MAX_FLAG_LENGTH} characters`)
  .regex(/^[A-Za-z0-9_.-]+$/, 'a flag name: letters, digits, ".", "-" and "_"');
/** Lists whose items are compared with each other; a bound keeps those checks fast. */
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max, `at most ${max} items`);
export const duration = z.string().regex(new RegExp(DURATION_PATTERN), 'a duration such as "500ms", "10s", "30m", "1h" or "7d"');
export const rate = z.string().regex(new RegExp(RATE_PATTERN), 'a rate such as "2000/s", "100/m" or "5000/h"');
const percent = z.number().min(0, 'a percentage from 0 to 100').max(100, 'a percentage from 0 to 100');
const fraction = z.number().min(0, 'a fraction from 0 to 1').max(1, 'a fraction from 0 to 1');
const httpPath = z.string().startsWith('/', 'a path starting with "/"');

export const stateSchema = z.strictObject({
  url: z.string().regex(/^(postgres|postgresql|mysql|mariadb):\/\//, 'a postgres:// or mysql:// URL'),
});

export const temporalSchema = z.strictObject({
  address: z.string().optional(),
  namespace: z.string().optional(),
  taskQueue: z.string().min(1).max(200, 'a task queue name of at most 200 characters').default('migrate'),
  /** Temporal web UI base, for links; defaults to the dev server's UI when it is local. */
  uiUrl: z.string().optional(),
});

export const sourceDbSchema = z.strictObject({
  url: z.string().regex(/^(postgres|postgresql|mysql|mariadb):\/\//, 'a postgres:// or mysql:// URL'),
  /** Connections per worker for this source. */
  poolSize: z.number().int().min(1).max(100).default(8),
});

export const targetServiceSchema = z.strictObject({
  baseUrl: z.string().regex(/^https?:\/\//, 'an http:// or https:// URL'),
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name: letters, digits and !#$%&\'*+.^_`|~-'),
      // A line break in a value would end the header (or inject another); fetch refuses it at the first request.
      z.string().regex(/^[^\r\n\0]*$/, 'a header value on one line (no line breaks)'),
    )
    .default({}),
  timeout: duration.default('10s'),
  rateLimit: rate.optional(),
  /** Requests in flight at once per worker, across partitions. */
  concurrency: z.number().int().min(1).max(256).default(8),
});

export const sourceSchema = z.strictObject({
  db: name,
  schema: identifier.optional(),
  table: identifier,
  key: list(identifier, 32).min(1, 'at least one key column'),
  updatedAt: identifier.optional(),
  /** A SQL boolean expression over the table's columns, ANDed into every read. */
  where: z.string().min(1).optional(),
});

const method = z.enum(['GET', 'POST', 'PUT', 'PATCH']);

const targetKey = list(z.string().min(1), 32).min(1).optional();
/** Where something is in a JSON answer: a dotted path (`data.items`); empty for the whole body. */
const bodyPath = z.string().regex(/^$|^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted path into the JSON answer, such as "data" or "meta.next" ("" for the whole body)');
const httpStatus = z.number().int().min(100).max(599);

/** Tracer's own batch protocol (docs/target-protocol.md): `:batchUpsert`, POST `:batchGet`, `{items, nextCursor}` lists. */
export const batchTargetSchema = z.strictObject({
  service: name,
  /** Target fields that identify an item; defaults to the mapped names of the source key. */
  key: targetKey,
  write: z.strictObject({
    method: method.default('POST'),
    path: httpPath,
    /** Items per request; omit for a service with only single-item writes (path takes `{key}`). */
    batch: z.number().int().min(1).max(10_000).optional(),
  }),
  read: z.strictObject({
    method: method.default('POST'),
    path: httpPath,
    batch: z.number().int().min(1).max(10_000).optional(),
  }),
  /** Cursor-paged listing of every item; lets verification find items the legacy lacks. */
  list: z.strictObject({ path: httpPath }).optional(),
  /** The service may hold items of its own that the legacy never had: verification does not count them. */
  ownItems: z.boolean().optional(),
  /**
   * The service's changes in (updatedAt, key) order, deletes included as tombstones:
   * `GET {path}?updatedSince=…&afterKey=…&limit=…`. Reverse sync (service → legacy) reads it.
   */
  changes: z
    .strictObject({
      path: httpPath,
      /** Changes per request. */
      limit: z.number().int().min(1).max(10_000).default(500),
      /** How far behind its position reverse sync reads again, for clock skew and changes that commit late. */
      overlap: duration.default('5s'),
    })
    .optional(),
  /** Removes items; sync sends the legacy's deletes here (batch: `{keys}` body; single: `{key}` in the path, DELETE). */
  delete: z
    .strictObject({
      method: z.enum(['POST', 'DELETE']).default('POST'),
      path: httpPath,
      batch: z.number().int().min(1).max(10_000).optional(),
    })
    .optional(),
});

/**
 * A plain REST service (docs/target-protocol.md, "REST targets"): writes are upserts built from its
 * create and update verbs, reads are GETs. Paths take `{key}`.
 */
export const restProfileSchema = z.strictObject({
  create: z.strictObject({ method: z.enum(['POST', 'PUT']).default('POST'), path: httpPath }),
  update: z.strictObject({ method: z.enum(['PUT', 'PATCH']).default('PUT'), path: httpPath.includes('{key}', 'a path with {key}, such as "/film/{key}"') }),
  /** Defaults to update.path. */
  delete: z.strictObject({ path: httpPath.includes('{key}', 'a path with {key}, such as "/film/{key}"') }).optional(),
  /** Single read; 404 means missing. */
  read: z.strictObject({
    path: httpPath.includes('{key}', 'a path with {key}, such as "/film/{key}"'),
    /** Where the item is in the answer. */
    item: bodyPath.default(''),
  }),
  /** Multi read: `GET {path}?{param}=k1&{param}=k2…`, as many keys as fit in `maxUrlLength`. Needs a one-field key. */
  readMany: z
    .strictObject({
      path: httpPath,
      param: z.string().min(1),
      items: bodyPath.default(''),
      maxUrlLength: z.number().int().min(256).max(65_536).default(2000),
    })
    .optional(),
  /** Listing every item, paged by page number (`pageParam`) or by cursor (`cursorParam` + `nextCursor`). */
  list: z
    .strictObject({
      path: httpPath,
      limitParam: z.string().min(1).default('limit'),
      pageParam: z.string().min(1).optional(),
      firstPage: z.number().int().min(0).default(1),
      cursorParam: z.string().min(1).optional(),
      items: bodyPath.default(''),
      nextCursor: bodyPath.optional(),
    })
    .optional(),
  /** `update-first`: update, and create on 404. `create-first`: create, and update when it already exists. */
  upsert: z.enum(['update-first', 'create-first']).default('update-first'),
  /** How the service says a create found the item already there. */
  exists: z
    .strictObject({
      status: z.array(httpStatus).min(1).default([409]),
      /** A regular expression the answer's body must match (required to read a 5xx as "exists"). */
      bodyPattern: z.string().min(1).optional(),
    })
    .default({ status: [409] }),
});

export const restTargetSchema = z.strictObject({
  service: name,
  key: targetKey,
  rest: restProfileSchema,
  ownItems: z.boolean().optional(),
});

export const targetEndpointSchema = z.union([batchTargetSchema, restTargetSchema]);

export const mapFieldSchema = z.union([
  z.string().min(1),
  z.strictObject({
    from: z.string().min(1).optional(),
    as: castSchema.optional(),
    values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    const: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    /** A JsonLogic rule over the row's columns (src/mapping/compute.ts), instead of `from`: joined key parts, split SET columns… */
    compute: z.unknown().optional(),
    /** Compared in verification but never printed, logged or stored in reports. */
    sensitive: z.boolean().optional(),
    /** How values without a faithful JSON form are sent; a class not listed refuses the row. See docs/mapping-and-comparison.md. */
    represent: z
      .strictObject({
        nan: z.enum(REPRESENTATIONS.nan).optional(),
        infinity: z.enum(REPRESENTATIONS.infinity).optional(),
        negativeZero: z.enum(REPRESENTATIONS.negativeZero).optional(),
        infiniteDate: z.enum(REPRESENTATIONS.infiniteDate).optional(),
        bcDate: z.enum(REPRESENTATIONS.bcDate).optional(),
        duplicateKeys: z.enum(REPRESENTATIONS.duplicateKeys).optional(),
        jsonNull: z.enum(REPRESENTATIONS.jsonNull).optional(),
      })
      .optional(),
  }),
]);

export const backfillPhaseSchema = z.strictObject({
  batchSize: z.number().int().min(1).max(10_000).default(500),
  partitions: z.number().int().min(1).max(256).default(4),
  flag: flagName,
});

export const verifyPhaseSchema = z.strictObject({
  ignore: z.array(z.string().min(1)).default([]),
  fields: z.record(z.string(), fieldRuleSchema).default({}),
  recheckAfter: duration.default('30s'),
  recheckRounds: z.number().int().min(0).max(20).default(3),
  maxMismatchRate: fraction.default(0),
  sampleRows: z.number().int().min(0).max(1000).default(20),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  partitions: z.number().int().min(1).max(256).optional(),
});

export const syncPhaseSchema = z.strictObject({
  /**
   * triggers: a change table filled by triggers in the legacy database (sees inserts, updates and deletes).
   * updatedAt: a persisted (updatedAt, key) cursor over `source.updatedAt`, for databases where triggers
   * are not allowed; installs nothing, and cannot see hard deletes.
   */
  capture: z.enum(['triggers', 'updatedAt']).default('triggers'),
  /**
   * capture: updatedAt only. How far behind its cursor each pass looks again, for rows whose updatedAt
   * was stamped earlier than they became visible: writers' clock skew and transactions that commit
   * after a later one was read. Rows seen again unchanged are not re-sent by the same worker.
   */
  overlap: duration.default('5s'),
  /** Changes applied per batch. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /** How long to wait when no change is pending before looking again. */
  poll: duration.default('1s'),
  /** The lag (age of the oldest unsent change) the cutover's write switch waits for. */
  maxLag: duration.default('30s'),
  flag: flagName,
});

const routing = z.union([z.enum(['legacy', 'shadow', 'new']), z.strictObject({ new: percent })]);

export const gateSchema = z.strictObject({
  maxMismatchRate: fraction.optional(),
  minSamples: z.number().int().min(0).optional(),
  bake: duration.optional(),
  approval: z.boolean().optional(),
});

export const stageSchema = z.strictObject({
  name,
  reads: routing.optional(),
  writes: routing.optional(),
  consumers: list(name, 1000).min(1).optional(),
  gate: gateSchema.default({}),
});

/** The write switch's timing (docs/write-switch.md); each field has its default when the block is absent. */
export const writeSwitchSettingsSchema = z.strictObject({
  /** How long consumers hold a fenced write waiting for the switch before rejecting it as retryable. */
  hold: duration.default('5s'),
  /** How long the drain (and the wait for the switch epoch's acknowledgements) may take. */
  drainTimeout: duration.default('60s'),
  /** How long forward sync (or reverse sync, on the way back) may take to reach the fence position. */
  catchUpTimeout: duration.default('2m'),
});

export const cutoverPhaseSchema = z.strictObject({
  consumers: list(name, 1000).min(1, 'at least one consumer'),
  stages: list(stageSchema, 100).min(1, 'at least one stage'),
  writeSwitch: writeSwitchSettingsSchema.optional(),
});

export const phaseSchema = z.union([
  z.strictObject({ backfill: backfillPhaseSchema }),
  z.strictObject({ sync: syncPhaseSchema }),
  z.strictObject({ verify: verifyPhaseSchema }),
  z.strictObject({ cutover: cutoverPhaseSchema }),
]);

export const entitySchema = z.strictObject({
  dependsOn: list(name, 1000).default([]),
  source: sourceSchema,
  target: targetEndpointSchema,
  map: z.record(z.string().min(1), mapFieldSchema).refine((m) => Object.keys(m).length > 0, 'at least one mapped field'),
  /** A module (path relative to the plan) whose default export transforms a mapped item. */
  transform: z.string().min(1).optional(),
  failures: z.strictObject({ retention: duration.default('30d') }).default({ retention: '30d' }),
  phases: list(phaseSchema, 10).min(1, 'at least one phase'),
});

export const planSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  name,
  state: stateSchema,
  temporal: temporalSchema.default({ taskQueue: 'migrate' }),
  sources: z.record(name, sourceDbSchema).refine((m) => Object.keys(m).length > 0, 'at least one source'),
  targets: z.record(name, targetServiceSchema).refine((m) => Object.keys(m).length > 0, 'at least one target'),
  entities: z.record(name, entitySchema).refine((m) => Object.keys(m).length > 0, 'at least one entity'),
});

/** A validated plan, defaults applied. */
export type Plan = z.output<typeof planSchema>;
export type Entity = z.output<typeof entitySchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type SourceDbConfig = z.output<typeof sourceDbSchema>;
export type TargetServiceConfig = z.output<typeof targetServiceSchema>;
export type TargetEndpoints = z.output<typeof targetEndpointSchema>;
export type BatchTarget = z.output<typeof batchTargetSchema>;
export type RestTarget = z.output<typeof restTargetSchema>;
export type RestProfile = z.output<typeof restProfileSchema>;
export type MapField = z.output<typeof mapFieldSchema>;
export type Cast = z.output<typeof castSchema>;
export type BackfillPhase = z.output<typeof backfillPhaseSchema>;
export type VerifyPhase = z.output<typeof verifyPhaseSchema>;
export type SyncPhase = z.output<typeof syncPhaseSchema>;
export type CutoverPhase = z.output<typeof cutoverPhaseSchema>;
export type FieldRule = z.output<typeof fieldRuleSchema>;
export type Phase = z.output<typeof phaseSchema>;
export type Stage = z.output<typeof stageSchema>;

export { phaseOf } from './phases.js';

/** True for a plain REST target (`target.rest`), false for Tracer's batch protocol. */
export function isRestTarget(t: TargetEndpoints): t is RestTarget {
  return 'rest' in t;
}

/** Items per write request: the batch protocol's `write.batch`; undefined for one item per request. */
export function writeBatchOf(t: TargetEndpoints): number | undefined {
  return isRestTarget(t) ? undefined : t.write.batch;
}

/** Whether verification can list the service's items to find ones the legacy lacks. */
export function hasListEndpoint(t: TargetEndpoints): boolean {
  return isRestTarget(t) ? t.rest.list !== undefined : t.list !== undefined;
}
