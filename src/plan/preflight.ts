/**
 * `migrate plan --check`: the plan against the live systems, reading only. Every source is
 * connected and every entity's table, columns and key examined; every target's read endpoint is
 * called. All problems are collected, each with its fix, before anything is thrown.
 */
import { EnvironmentError, UserError, type MigrateError, type Problem } from '../errors.js';
import { displayUrl } from '../secrets.js';
import type { ColumnInfo, SourceDb, TableInfo } from '../sources/types.js';
import { TargetAuthError, TargetPermanentError } from '../service/errors.js';
import type { TargetClient } from '../service/types.js';
import { redactValue } from './interpolate.js';
import type { LoadedPlan } from './load.js';
import { computedColumns, sourceColumnOf, topologicalOrder } from './meaning.js';
import { formatPath, type Locate, type PlanPath } from './positions.js';
import { isRestTarget, phaseOf, type BatchTarget, type Entity, type Plan, type TargetEndpoints, type TargetServiceConfig } from './schema.js';
import { closest } from './suggest.js';
import { valueOptionsInUrl } from '../sources/urlOptions.js';
import { formatDuration } from './units.js';
import { showUrl } from './describe.js';

/** How preflight reaches the live systems; injected so the collection logic is testable alone. */
export interface PreflightDeps {
  /** Connects (and proves the connection) or throws, as src/sources `openSource`. */
  openSource(url: string, poolSize?: number): Promise<SourceDb>;
  /** A client for one entity's endpoints, as src/service `openTargetClient`. */
  createTarget(options: { service: string; config: TargetServiceConfig; endpoints: TargetEndpoints; keyFields: string[] }): TargetClient;
  /** Longest wait for any one live call; default 15 s. */
  timeoutMs?: number;
}

/** Whether a problem is the environment's (exit 3) or the plan not matching the systems (exit 2). */
export interface PreflightProblem extends Problem {
  kind: 'environment' | 'plan';
}

export interface EntityCheck {
  entity: string;
  source: string;
  table: string;
  /** Absent when the source could not be reached. */
  exists?: boolean;
  estimatedRows?: number;
  /** True when the key is the primary key or a unique index (exactly those columns). */
  keyUnique?: boolean;
  target: string;
  /** Absent when the target was not called (it was already found unreachable). */
  targetReachable?: boolean;
  /** REST targets: what a read-only probe of the write path established (never a written item). */
  writePath?: { proven: string[]; refused: string[]; unchecked: string[] };
}

/** What `--check` found; part of the `migrate plan --check --json` document. */
export interface PreflightReport {
  ok: boolean;
  /** Settings that work but would lose precision or are ignored to keep values exact; never fail the check. */
  warnings: Problem[];
  sources: { name: string; url: string; reachable: boolean; dialect?: 'postgres' | 'mysql' }[];
  targets: { name: string; baseUrl: string; reachable: boolean }[];
  entities: EntityCheck[];
  problems: PreflightProblem[];
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Runs every check against the live systems; never throws for what it finds (see `preflightError`). */
export async function runPreflight(loaded: Pick<LoadedPlan, 'plan'> & { locate?: Locate }, deps: PreflightDeps): Promise<PreflightReport> {
  const { plan } = loaded;
  const locate: Locate = loaded.locate ?? (() => 'plan');
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const order = topologicalOrder(plan);
  const report: PreflightReport = {
    ok: true,
    warnings: [],
    sources: [],
    targets: [],
    entities: order.map((name) => {
      const e = plan.entities[name]!;
      return { entity: name, source: e.source.db, table: qualified(e), target: e.target.service };
    }),
    problems: [],
  };
  const checkOf = new Map(report.entities.map((c) => [c.entity, c]));
  const ctx: Ctx = { plan, locate, timeoutMs, report, checkOf };
  await Promise.all([
    ...Object.keys(plan.sources).map((name) => checkSource(ctx, name, order.filter((n) => plan.entities[n]!.source.db === name), deps)),
    ...Object.keys(plan.targets).map((name) => checkTarget(ctx, name, order.filter((n) => plan.entities[n]!.target.service === name), deps)),
  ]);
  // Checks ran concurrently: sort so the same systems give the same report, environment first.
  report.problems.sort((a, b) => (a.kind === b.kind ? compareWhere(a.where, b.where) : a.kind === 'environment' ? -1 : 1));
  report.ok = report.problems.length === 0;
  return report;
}

/** The error `migrate plan --check` throws for a report: EnvironmentError when something could not be reached, else UserError; undefined when all is well. */
export function preflightError(report: PreflightReport): MigrateError | undefined {
  if (report.ok) return undefined;
  const problems: Problem[] = report.problems.map(({ kind: _kind, ...p }) => p);
  const n = problems.length;
  const noun = `${n} problem${n === 1 ? '' : 's'}`;
  if (report.problems.some((p) => p.kind === 'environment')) {
    return new EnvironmentError(`preflight found ${noun}; some systems could not be reached or used`, {
      problems,
      hint: 'fix the connection problems first (they hide what else is wrong), then run `migrate plan --check` again',
    });
  }
  return new UserError(`preflight found ${noun}: the plan does not match the live systems`, {
    problems,
    hint: 'fix the plan or the databases as each problem says, then run `migrate plan --check` again',
  });
}

interface Ctx {
  plan: Plan;
  locate: Locate;
  timeoutMs: number;
  report: PreflightReport;
  checkOf: Map<string, EntityCheck>;
}

function problem(ctx: Ctx, kind: PreflightProblem['kind'], where: string, path: PlanPath | undefined, message: string, hint?: string): void {
  const p: PreflightProblem = { kind, where, message };
  if (path) p.path = formatPath(path);
  if (hint) p.hint = hint;
  ctx.report.problems.push(p);
}

async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnvironmentError(`${what} did not answer within ${formatDuration(ms)}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function compareWhere(a: string, b: string): number {
  const pos = (w: string) => /^(.*):(\d+):(\d+)$/.exec(w);
  const pa = pos(a);
  const pb = pos(b);
  if (pa && pb && pa[1] === pb[1]) return Number(pa[2]) - Number(pb[2]) || Number(pa[3]) - Number(pb[3]);
  return a < b ? -1 : a > b ? 1 : 0;
}

function qualified(e: Entity): string {
  return e.source.schema ? `${e.source.schema}.${e.source.table}` : e.source.table;
}

function errorText(e: unknown): string {
  return redactValue(e instanceof Error ? e.message : String(e));
}

async function checkSource(ctx: Ctx, name: string, entities: string[], deps: PreflightDeps): Promise<void> {
  const config = ctx.plan.sources[name]!;
  const entry: PreflightReport['sources'][number] = { name, url: showUrl(config.url), reachable: false };
  ctx.report.sources.push(entry);
  let db: SourceDb;
  try {
    // One connection is enough to look; the plan's poolSize is for the sweeps.
    db = await within(ctx.timeoutMs, `source "${name}"`, deps.openSource(config.url, 1));
  } catch (e) {
    const hint = (e as MigrateError).hint ?? 'check that the database is running and that the URL is right';
    const message = e instanceof Error && 'exitCode' in e ? errorText(e) : `cannot connect to source "${name}" at ${displayUrl(config.url)}: ${errorText(e)}`;
    problem(ctx, e instanceof UserError ? 'plan' : 'environment', ctx.locate(['sources', name, 'url']), ['sources', name, 'url'], message, hint);
    return;
  }
  entry.reachable = true;
  entry.dialect = db.dialect;
  const ignored = db.dialect === 'mysql' ? valueOptionsInUrl(config.url) : [];
  if (ignored.length > 0) {
    ctx.report.warnings.push({
      where: ctx.locate(['sources', name, 'url']),
      path: formatPath(['sources', name, 'url']),
      message: `source "${name}": the URL sets ${ignored.map((o) => `${o}`).join(', ')}, which would change how values are read (e.g. decimalNumbers sends DECIMAL through a double); Tracer ignores them and reads every value exactly`,
      hint: `remove ${ignored.map((o) => `${o}=…`).join(', ')} from sources.${name}.url`,
    });
  }
  try {
    for (const entity of entities) await checkEntityTable(ctx, db, entity);
  } finally {
    await db.close().catch(() => undefined);
  }
}

async function checkEntityTable(ctx: Ctx, db: SourceDb, name: string): Promise<void> {
  const e = ctx.plan.entities[name]!;
  const check = ctx.checkOf.get(name)!;
  const at: PlanPath = ['entities', name, 'source'];
  const table = qualified(e);
  let info: TableInfo;
  try {
    // Only the table's name: introspection must not run the entity's filter.
    const ref = e.source.schema === undefined ? { table: e.source.table } : { schema: e.source.schema, table: e.source.table };
    info = await within(ctx.timeoutMs, `source "${e.source.db}"`, db.introspect(ref));
  } catch (err) {
    problem(ctx, 'environment', ctx.locate(at), at, `cannot inspect table ${table}: ${errorText(err)}`, 'check that the plan\'s database user may read the catalog and the table');
    return;
  }
  check.exists = info.exists;
  if (!info.exists) {
    problem(ctx, 'plan', ctx.locate([...at, 'table']), [...at, 'table'], `table ${table} does not exist in source "${e.source.db}"`, `fix entities.${name}.source.table${e.source.schema ? ' (and schema)' : ''}, or point sources.${e.source.db}.url at the database that has it`);
    return;
  }
  const columns = new Map(info.columns.map((c) => [c.name, c]));
  const find = (col: string): ColumnInfo | undefined => columns.get(col) ?? (db.dialect === 'mysql' ? info.columns.find((c) => c.name.toLowerCase() === col.toLowerCase()) : undefined);
  const names = info.columns.map((c) => c.name);
  const missing = (path: PlanPath, col: string, role: string) => {
    const near = closest(col, names);
    problem(ctx, 'plan', ctx.locate(path), path, `${role} column "${col}" does not exist in table ${table}`, near ? `did you mean "${near}"? Fix the plan, or add the column to the table` : `columns of ${table}: ${names.join(', ')}`);
  };

  let keyOk = true;
  e.source.key.forEach((col, i) => {
    const c = find(col);
    if (!c) {
      keyOk = false;
      missing([...at, 'key', i], col, 'key');
      return;
    }
    const why = unorderable(c.dataType);
    if (why) {
      keyOk = false;
      problem(ctx, 'plan', ctx.locate([...at, 'key', i]), [...at, 'key', i], `key column "${col}" has type ${c.dataType}, which ${why}`, 'choose a key of integers, strings, UUIDs, dates or timestamps (a surrogate id column works)');
    } else if (c.nullable) {
      keyOk = false;
      problem(ctx, 'plan', ctx.locate([...at, 'key', i]), [...at, 'key', i], `key column "${col}" allows NULL, so rows with NULL keys could be skipped or repeated`, `make it NOT NULL (${notNullSql(db.dialect, table, c)}) or choose another key`);
    }
  });
  if (e.source.key.every((col) => find(col))) {
    const wanted = new Set(e.source.key.map((k) => find(k)!.name));
    const unique = info.uniqueKeys.some((u) => u.length === wanted.size && u.every((c) => wanted.has(c)));
    check.keyUnique = unique;
    if (!unique) {
      keyOk = false;
      const existing = info.uniqueKeys.length ? `unique keys of ${table}: ${info.uniqueKeys.map((u) => `(${u.join(', ')})`).join(', ')}` : `${table} has no primary key or unique index`;
      problem(
        ctx,
        'plan',
        ctx.locate([...at, 'key']),
        [...at, 'key'],
        `key (${e.source.key.join(', ')}) is not unique in ${table}: no primary key or unique index on exactly these columns (${existing})`,
        `use a unique key of the table as source.key, or add one: CREATE UNIQUE INDEX ${e.source.table}_tracer_key ON ${table} (${e.source.key.join(', ')})`,
      );
    }
  }
  if (e.source.updatedAt !== undefined && !find(e.source.updatedAt)) missing([...at, 'updatedAt'], e.source.updatedAt, 'updatedAt');
  // Sync by an updatedAt cursor subtracts its overlap from the column and compares it with the database's clock: it must be a date-time.
  const updatedAtCol = e.source.updatedAt === undefined ? undefined : find(e.source.updatedAt);
  if (updatedAtCol && phaseOf(e, 'sync')?.capture === 'updatedAt' && !/^(timestamp|datetime)/.test(updatedAtCol.dataType)) {
    problem(
      ctx,
      'plan',
      ctx.locate([...at, 'updatedAt']),
      [...at, 'updatedAt'],
      `column "${updatedAtCol.name}" has type ${updatedAtCol.dataType}, but sync with capture: updatedAt needs a date-time column (timestamp, timestamptz, DATETIME, TIMESTAMP)`,
      'name a date-time column that every write sets, or use `capture: triggers`',
    );
  }
  // A column already reported (or checked) as key or updatedAt is not reported again for the map.
  const seen = new Set([...e.source.key, ...(e.source.updatedAt === undefined ? [] : [e.source.updatedAt])]);
  for (const [field, spec] of Object.entries(e.map)) {
    const col = sourceColumnOf(field, spec);
    if (col === undefined) continue;
    const c = find(col);
    const lossy = c === undefined ? undefined : lossyCast(c.dataType, typeof spec === 'string' ? undefined : spec.as);
    if (lossy) {
      ctx.report.warnings.push({
        where: ctx.locate(['entities', name, 'map', field]),
        path: formatPath(['entities', name, 'map', field]),
        message: `entities.${name}.map.${field}: column "${col}" is ${c!.dataType}, and as: number sends it through a double, which loses digits beyond 15–17`,
        hint: `use as: ${lossy} (exact) instead of as: number`,
      });
    }
    if (seen.has(col)) continue;
    seen.add(col);
    if (!c) missing(['entities', name, 'map', field], col, `mapped (${field})`);
  }
  // Columns a computed field's rule reads ({ var: column }) must exist too.
  for (const [field, spec] of Object.entries(e.map)) {
    if (typeof spec === 'string' || spec.compute === undefined) continue;
    for (const col of computedColumns(spec.compute)) {
      if (seen.has(col)) continue;
      seen.add(col);
      if (!find(col)) missing(['entities', name, 'map', field, 'compute'], col, `computed (${field}) reads`);
    }
  }


  check.estimatedRows = info.estimatedRows;
  if (keyOk || e.source.where !== undefined) {
    try {
      // Runs the filter through the planner, which proves it parses and names real columns.
      check.estimatedRows = await within(ctx.timeoutMs, `source "${e.source.db}"`, db.estimateRows(e.source));
    } catch (err) {
      if (e.source.where !== undefined) {
        problem(ctx, 'plan', ctx.locate([...at, 'where']), [...at, 'where'], `the filter does not run on ${table}: ${errorText(err)}`, 'write a SQL boolean expression over the table\'s columns, as in a WHERE clause');
      } else {
        problem(ctx, 'environment', ctx.locate(at), at, `cannot estimate the rows of ${table}: ${errorText(err)}`);
      }
    }
  }
}

/** The exact cast to use instead when `as: number` would round a column of this type, else undefined. */
function lossyCast(dataType: string, cast: string | undefined): string | undefined {
  if (cast !== 'number') return undefined;
  const t = dataType.toLowerCase();
  if (t === 'bigint' || t.startsWith('bigint ')) return 'integer';
  if (t.startsWith('numeric') || t.startsWith('decimal')) return 'decimal';
  return undefined;
}

/** Why a column type cannot be a keyset-paging key, or undefined when it can. */
function unorderable(dataType: string): string | undefined {
  const t = dataType.toLowerCase();
  if (/^(json|jsonb|xml|point|line|lseg|box|path|polygon|circle|geometry|geography|tsvector|tsquery|hstore)\b/.test(t)) return 'has no total order to page by';
  if (/^(tiny|medium|long)?(blob|text)$/.test(t) && !t.startsWith('text')) return 'cannot be compared by an index in full';
  if (/^(real|double precision|float|double|float4|float8)\b/.test(t)) return 'is approximate, so equal-looking keys can skip or repeat rows';
  if (/\[\]$/.test(t)) return 'is an array';
  return undefined;
}

function notNullSql(dialect: SourceDb['dialect'], table: string, c: ColumnInfo): string {
  return dialect === 'postgres' ? `ALTER TABLE ${table} ALTER COLUMN ${c.name} SET NOT NULL` : `ALTER TABLE ${table} MODIFY ${c.name} ${c.dataType} NOT NULL`;
}

/** Target fields of an entity's key: `target.key`, else the mapped names of the source key columns. */
export function targetKeyFields(e: Entity): string[] {
  if (e.target.key) return e.target.key;
  return e.source.key.map((col) => Object.entries(e.map).find(([f, s]) => sourceColumnOf(f, s) === col)?.[0] ?? col);
}

async function checkTarget(ctx: Ctx, name: string, entities: string[], deps: PreflightDeps): Promise<void> {
  const config = ctx.plan.targets[name]!;
  const entry = { name, baseUrl: showUrl(config.baseUrl), reachable: true };
  ctx.report.targets.push(entry);
  for (const entityName of entities) {
    const e = ctx.plan.entities[entityName]!;
    const check = ctx.checkOf.get(entityName)!;
    const rest = isRestTarget(e.target) ? e.target.rest : undefined;
    const readPath: PlanPath = rest ? ['entities', entityName, 'target', 'rest', 'read', 'path'] : ['entities', entityName, 'target', 'read', 'path'];
    const readEndpoint = rest ? `GET ${rest.read.path}` : `${(e.target as BatchTarget).read.method} ${(e.target as BatchTarget).read.path}`;
    try {
      const client = deps.createTarget({ service: name, config, endpoints: e.target, keyFields: targetKeyFields(e) });
      await within(ctx.timeoutMs, `target "${name}"`, client.probe());
      check.targetReachable = true;
      if (client.probeWrite) {
        const w = await within(ctx.timeoutMs, `target "${name}"`, client.probeWrite());
        check.writePath = w;
        for (const endpoint of w.refused) {
          const at: PlanPath = ['entities', entityName, 'target', 'rest'];
          problem(ctx, 'plan', ctx.locate(at), at, `target "${name}" does not allow ${endpoint} (its OPTIONS answer lists the methods it allows)`, `fix entities.${entityName}.target.rest: the create and update methods and paths must be ones the service allows`);
        }
      }
    } catch (err) {
      check.targetReachable = false;
      if (err instanceof TargetPermanentError) {
        // The service answered: the endpoint in the plan is what is wrong.
        problem(ctx, 'plan', ctx.locate(readPath), readPath, `target "${name}" refused the read endpoint ${readEndpoint} (HTTP ${err.status}): ${errorText(err)}`, rest ? `fix entities.${entityName}.target.rest.read.path to the service's single-item GET path with {key}` : `fix entities.${entityName}.target.read to the service's batch-read (or {key} single-read) endpoint`);
        continue;
      }
      entry.reachable = false;
      if (err instanceof TargetAuthError) {
        problem(ctx, 'environment', ctx.locate(['targets', name, 'headers']), ['targets', name, 'headers'], `target "${name}" refused the credentials (HTTP ${err.status})`, `check targets.${name}.headers and the environment variables they use (the token may be wrong or expired)`);
      } else {
        problem(ctx, 'environment', ctx.locate(['targets', name, 'baseUrl']), ['targets', name, 'baseUrl'], `${errorText(err)} (baseUrl ${showUrl(config.baseUrl)})`, `check that the service is running and targets.${name}.baseUrl (from its environment variable) is right`);
      }
      // Every other entity of this service would fail the same way; one problem says it.
      for (const rest of entities.slice(entities.indexOf(entityName) + 1)) ctx.checkOf.get(rest)!.targetReachable = false;
      return;
    }
  }
}

/** The `--check` section of `migrate plan`'s text output (problems themselves go to stderr with the error). */
export function renderPreflightText(report: PreflightReport): string[] {
  const lines = ['', 'Check'];
  for (const s of report.sources) lines.push(`  source ${s.name}: ${s.reachable ? `connected (${s.dialect})` : 'NOT REACHABLE'}`);
  for (const t of report.targets) lines.push(`  target ${t.name}: ${t.reachable ? 'reachable' : 'NOT REACHABLE'}`);
  for (const e of report.entities) {
    const table = e.exists === undefined ? 'not checked' : !e.exists ? 'table missing' : `~${e.estimatedRows ?? '?'} rows, key ${e.keyUnique ? 'unique' : 'NOT unique'}`;
    const target = e.targetReachable === undefined ? 'not checked' : e.targetReachable ? 'read endpoint ok' : 'read endpoint failed';
    lines.push(`  ${e.entity}: ${e.source}.${e.table} ${table}; ${e.target} ${target}`);
    if (e.writePath) {
      if (e.writePath.proven.length) lines.push(`    write path allowed, nothing written: ${e.writePath.proven.join(', ')}`);
      for (const u of e.writePath.unchecked) lines.push(`    not checked: ${u}`);
    }
  }
  for (const w of report.warnings) lines.push(`  warning: ${w.message}${w.hint ? ` (${w.hint})` : ''}`);
  const n = report.problems.length;
  lines.push(n === 0 ? 'All checks passed.' : `${n} problem${n === 1 ? '' : 's'} found (listed on stderr).`);
  return lines;
}
