/**
 * What `migrate plan` shows, as data first (the stable `--json` document, docs/plan-file.md) and
 * then as text: each entity in dependency order, its phases, its state and the next command.
 */
import type { CutoverStatus, EntityPhase, EntityStatus, RunStatus, SyncStatus } from '../progress.js';
import { runSteps, type RunStepName } from '../lifecycle/runSteps.js';
import { displayUrl } from '../secrets.js';
import { topologicalOrder } from './meaning.js';
import { invertibility, type NotInvertible } from '../mapping/invert.js';
import { isRestTarget, phaseOf, type BackfillPhase, type CutoverPhase, type Entity, type Plan, type Stage, type SyncPhase, type TargetEndpoints, type VerifyPhase } from './schema.js';

/** Version of the `migrate plan --json` document; bumped only on incompatible changes. */
export const PLAN_DOCUMENT_VERSION = 1;

export interface PhaseDescription {
  kind: 'backfill' | 'sync' | 'verify' | 'cutover';
  /** One line of the phase's key settings. */
  summary: string;
  /** The phase's settings with defaults applied, as validated. */
  settings: BackfillPhase | SyncPhase | VerifyPhase | CutoverPhase;
}

export interface NextStep {
  /** The command to run, e.g. `migrate backfill --entity orders`; absent when the entity is done. */
  command?: string;
  /** Why this step, in a few words. */
  reason: string;
  /** Entities that must get further first; the command waits until they have. */
  waitingFor: string[];
}

export interface EntityDescription {
  name: string;
  /** 1-based position in dependency order. */
  order: number;
  dependsOn: string[];
  state: EntityPhase;
  source: { db: string; schema?: string; table: string; key: string[]; updatedAt?: string; where?: string };
  target: {
    service: string;
    key?: string[];
    write?: { method: string; path: string; batch?: number };
    read?: { method: string; path: string; batch?: number };
    /** A plain REST target: how writes upsert and the requests it uses. */
    rest?: { upsert: string; create: string; update: string; read: string; readMany?: string; list?: string };
  };
  mappedFields: string[];
  phases: PhaseDescription[];
  next: NextStep;
  /**
   * Reverse sync (service → legacy) of an entity whose cutover switches writes: whether its map
   * inverts (entries that cannot, or only lossily) and whether the target has a change feed.
   */
  reverse?: { invertible: boolean; changeFeed: boolean; fields: NotInvertible[] };
  /** Where the entity's forward sync stands, when it has a sync phase and the live state was read. */
  sync?: SyncStatus;
  /** Where the entity's cutover stands, once it started and the live state was read. */
  cutover?: CutoverStatus;
  /** What `migrate run` would do next for this entity (absent when its state is unknown). */
  run?: RunPreview;
}

/** What `migrate run --entity E` would do next, step by step (terraform-style), or where the live run is. */
export interface RunPreview {
  /** The command that starts (or attaches to) the entity's run. */
  command: string;
  /** The live run, when one was started. */
  live?: RunStatus;
  /** done: nothing left to do there; next: what the run does first; then: after it. Absent states: unknown. */
  steps: { name: RunStepName; does: string; state: 'done' | 'next' | 'then' }[];
  /** What the next step waits for first (dependencies), in words. */
  waitingFor: string[];
}

/** The `migrate plan --json` document (stable; see docs/plan-file.md). */
export interface PlanDescription {
  documentVersion: typeof PLAN_DOCUMENT_VERSION;
  plan: { name: string; file?: string; version: 1 };
  sources: { name: string; dialect: 'postgres' | 'mysql'; url: string }[];
  targets: { name: string; baseUrl: string }[];
  entities: EntityDescription[];
}

/** The plan as data, entities in dependency order; `statusByEntity` supplies live states (default: all pending). */
export function describePlan(plan: Plan, statusByEntity: Record<string, EntityStatus> = {}, file?: string): PlanDescription {
  const order = topologicalOrder(plan);
  const stateOf = (name: string): EntityPhase => statusByEntity[name]?.phase ?? 'pending';
  const doc: PlanDescription = {
    documentVersion: PLAN_DOCUMENT_VERSION,
    plan: { name: plan.name, version: plan.version },
    sources: Object.entries(plan.sources).map(([name, s]) => ({ name, dialect: /^(mysql|mariadb):/.test(s.url) ? 'mysql' : 'postgres', url: showUrl(s.url) })),
    targets: Object.entries(plan.targets).map(([name, t]) => ({ name, baseUrl: showUrl(t.baseUrl) })),
    entities: order.map((name, i) => {
      const e = plan.entities[name]!;
      const status = statusByEntity[name];
      return {
        name,
        order: i + 1,
        dependsOn: e.dependsOn,
        state: stateOf(name),
        source: compact({ db: e.source.db, schema: e.source.schema, table: e.source.table, key: e.source.key, updatedAt: e.source.updatedAt, where: e.source.where }),
        target: describeTarget(e.target),
        mappedFields: Object.keys(e.map),
        phases: e.phases.map(describePhase),
        next: nextStep(name, e, status, stateOf),
        ...reverseOf(e),
        ...(status?.sync ? { sync: status.sync } : {}),
        ...(status?.cutover ? { cutover: status.cutover } : {}),
        ...(stateOf(name) === 'unknown' ? {} : { run: runPreview(plan, name, e, status, stateOf) }),
      };
    }),
  };
  if (file !== undefined) doc.plan.file = file;
  return doc;
}

/** The `reverse` entry: only for an entity whose cutover has a stage that switches writes. */
function reverseOf(e: Entity): { reverse?: EntityDescription['reverse'] } {
  const cutover = phaseOf(e, 'cutover');
  if (!cutover?.stages.some((s) => s.writes !== undefined && s.writes !== 'legacy')) return {};
  const fields = invertibility(e);
  return { reverse: { invertible: !fields.some((f) => f.severity === 'refused'), changeFeed: !isRestTarget(e.target) && e.target.changes !== undefined, fields } };
}

/** The target block of the plan document: the batch protocol's endpoints, or the REST profile's upsert and paths. */
function describeTarget(t: TargetEndpoints) {
  if (isRestTarget(t)) {
    const r = t.rest;
    return compact({
      service: t.service,
      key: t.key,
      rest: compact({ upsert: r.upsert, create: `${r.create.method} ${r.create.path}`, update: `${r.update.method} ${r.update.path}`, read: `GET ${r.read.path}`, readMany: r.readMany ? `GET ${r.readMany.path}?${r.readMany.param}=…` : undefined, list: r.list ? `GET ${r.list.path}` : undefined }),
    });
  }
  return compact({
    service: t.service,
    key: t.key,
    write: compact({ method: t.write.method, path: t.write.path, batch: t.write.batch }),
    read: compact({ method: t.read.method, path: t.read.path, batch: t.read.batch }),
  });
}

function describePhase(phase: Entity['phases'][number]): PhaseDescription {
  if ('backfill' in phase) {
    const b = phase.backfill;
    return { kind: 'backfill', settings: b, summary: `batchSize ${b.batchSize} · partitions ${b.partitions} · flag ${b.flag}` };
  }
  if ('sync' in phase) {
    const y = phase.sync;
    const capture =
      y.capture === 'updatedAt' ? `capture updatedAt (inserts, updates; hard deletes not seen) · overlap ${y.overlap}` : 'capture triggers (inserts, updates, deletes)';
    return { kind: 'sync', settings: y, summary: `${capture} · batchSize ${y.batchSize} · maxLag ${y.maxLag} · flag ${y.flag}` };
  }
  if ('verify' in phase) {
    const v = phase.verify;
    const parts = [`maxMismatchRate ${v.maxMismatchRate}`, `recheckAfter ${v.recheckAfter} ×${v.recheckRounds}`];
    if (v.ignore.length) parts.push(`ignore ${v.ignore.join(', ')}`);
    const rules = Object.keys(v.fields);
    if (rules.length) parts.push(`field rules ${rules.join(', ')}`);
    return { kind: 'verify', settings: v, summary: parts.join(' · ') };
  }
  const c = phase.cutover;
  return {
    kind: 'cutover',
    settings: c,
    summary: `consumers ${c.consumers.join(', ')} · stages ${c.stages.map((s) => s.name).join(' → ')}`,
  };
}

/** `shadow: reads shadow · gate maxMismatchRate 0.001, minSamples 1000, bake 1h`. */
export function describeStage(stage: Stage): string {
  const route = (r: Stage['reads']) => (typeof r === 'object' ? `new ${r.new}%` : r);
  const parts: string[] = [];
  if (stage.reads !== undefined) parts.push(`reads ${route(stage.reads)}`);
  if (stage.writes !== undefined) parts.push(`writes ${route(stage.writes)}`);
  if (stage.consumers) parts.push(`for ${stage.consumers.join(', ')}`);
  const g = stage.gate;
  const gate = [
    g.maxMismatchRate !== undefined ? `maxMismatchRate ${g.maxMismatchRate}` : undefined,
    g.minSamples !== undefined ? `minSamples ${g.minSamples}` : undefined,
    g.bake !== undefined ? `bake ${g.bake}` : undefined,
    g.approval ? 'approval' : undefined,
  ].filter((x) => x !== undefined);
  if (gate.length) parts.push(`gate ${gate.join(', ')}`);
  return `${stage.name}: ${parts.join(' · ')}`;
}

/** How far along the lifecycle a state is, for "has the dependency got far enough". */
const RANK: Record<EntityPhase, number> = { unknown: 0, pending: 0, backfilling: 1, paused: 1, failed: 1, backfilled: 2, verifying: 3, verified: 4, 'cut-over': 5, retired: 6 };

function nextStep(name: string, e: Entity, status: EntityStatus | undefined, stateOf: (n: string) => EntityPhase): NextStep {
  const has = (k: string) => e.phases.some((p) => k in p);
  const after = (phase: 'backfill' | 'verify' | 'cutover' | 'retire'): { command?: string; reason: string } => {
    // A missing phase is skipped: an entity with only verify goes straight to verification.
    const order = ['backfill', 'verify', 'cutover', 'retire'] as const;
    for (const p of order.slice(order.indexOf(phase))) {
      if (p === 'retire' || has(p)) return stepTo(p);
    }
    return stepTo('retire');
  };
  // Retire needs a cutover that moved the writes (it refuses an entity without one), so an entity
  // whose plan has no cutover ends where its last phase left it.
  const stepTo = (p: 'backfill' | 'verify' | 'cutover' | 'retire'): { command?: string; reason: string } =>
    p === 'backfill' || p === 'verify'
      ? { command: `migrate ${p} --entity ${name}`, reason: `ready to ${p}` }
      : p === 'cutover'
        ? { command: `migrate cutover --entity ${name}`, reason: 'ready to cut over' }
        : has('cutover')
          ? { command: `migrate retire --entity ${name}`, reason: 'cut over: ready to retire' }
          : { reason: 'nothing more to run: the plan gives this entity no cutover phase, so its writes stay on the legacy and there is nothing to retire' };
  const state = status?.phase ?? 'pending';
  let step: { command?: string; reason: string };
  switch (state) {
    case 'unknown':
      // No command: whatever we would suggest may be wrong, and the reason says what to fix first.
      step = { reason: `state unknown: ${status?.unknownBecause ?? 'the live state could not be read'}` };
      break;
    case 'pending':
      step = after('backfill');
      break;
    case 'backfilling':
      // backfill attaches to the running backfill and follows it.
      step = { command: `migrate backfill --entity ${name}`, reason: 'backfill running' };
      break;
    case 'verifying':
      // Not `migrate verify`: that would start a second verification beside the running one.
      step = { command: 'migrate status --watch', reason: 'verification running' };
      break;
    case 'paused': {
      const reason = status?.backfill?.reason ?? status?.verify?.reason;
      // Only a backfill has a flag to turn back on; a verification paused by the service's 401/403
      // shows its reason in status.
      step = status?.verify?.state === 'paused'
        ? { command: 'migrate status', reason: reason ? `verification paused: ${reason}` : 'verification paused' }
        : { command: `migrate backfill --entity ${name} --resume`, reason: reason ? `paused: ${reason}` : 'backfill paused' };
      break;
    }
    case 'failed':
      step = { command: 'migrate status', reason: 'failed; see why before retrying' };
      break;
    case 'backfilled':
      step = after('verify');
      break;
    case 'verified':
      step = after('cutover');
      break;
    case 'cut-over':
      step = after('retire');
      break;
    case 'retired':
      step = { reason: 'done' };
      break;
  }
  if (status?.next) step = { ...step, command: status.next };
  // A backfill copies rows that point at their dependencies' rows, so those go first.
  const waitingFor = state === 'pending' ? e.dependsOn.filter((d) => RANK[stateOf(d)] < RANK.backfilled) : [];
  const out: NextStep = { reason: step.reason, waitingFor };
  if (step.command !== undefined) out.command = step.command;
  return out;
}

/**
 * What `migrate run` would do for the entity: each run step (src/lifecycle/runSteps.ts) marked done
 * from the live state — or from the live run, when one runs — the first other one next.
 */
function runPreview(plan: Plan, name: string, e: Entity, status: EntityStatus | undefined, stateOf: (n: string) => EntityPhase): RunPreview {
  const state = stateOf(name);
  const live = status?.run;
  const doneNow: Record<RunStepName, boolean> = {
    capture: status?.sync?.captureInstalled === true,
    backfill: RANK[state] >= RANK.backfilled,
    sync: status?.sync?.state === 'running',
    verify: RANK[state] >= RANK.verified,
    cutover: status?.cutover?.step === 'complete' || RANK[state] >= RANK['cut-over'],
    retire: state === 'retired',
  };
  let nextSeen = false;
  const steps = runSteps(name, e, plan.entities).map((s) => {
    const done = live ? live.done.includes(s.name) : doneNow[s.name];
    const st: 'done' | 'next' | 'then' = done ? 'done' : nextSeen ? 'then' : 'next';
    if (st === 'next') nextSeen = true;
    return { name: s.name, does: s.does, state: st };
  });
  const next = steps.find((s) => s.state === 'next')?.name;
  const waitingFor = live
    ? [...live.waitingFor]
    : next === 'backfill' || (next === 'capture' && steps.some((s) => s.name === 'backfill'))
      ? e.dependsOn.filter((d) => RANK[stateOf(d)] < RANK.backfilled).map((d) => `${d} to be backfilled`)
      : [];
  return { command: `migrate run --entity ${name}`, ...(live ? { live } : {}), steps, waitingFor };
}

/** The text `migrate plan` prints: a header, then one block per entity in dependency order. */
/**
 * `syncLine` words an entity's live sync state; the caller passes the status view's (src/ui), so
 * `migrate plan` and `migrate status` say it alike.
 */
export function renderPlanText(doc: PlanDescription, opts: { syncLine?: (sync: SyncStatus) => string; cutoverLine?: (cutover: CutoverStatus) => string } = {}): string[] {
  const lines: string[] = [];
  lines.push(`Plan ${doc.plan.name}${doc.plan.file ? ` (${doc.plan.file})` : ''}`);
  for (const s of doc.sources) lines.push(`  source ${s.name}: ${s.dialect} ${s.url}`);
  for (const t of doc.targets) lines.push(`  target ${t.name}: ${t.baseUrl}`);
  for (const e of doc.entities) {
    lines.push('');
    const deps = e.dependsOn.length ? `  (after ${e.dependsOn.join(', ')})` : '';
    lines.push(`${e.order}. ${e.name}  ${e.state}${deps}`);
    const table = e.source.schema ? `${e.source.schema}.${e.source.table}` : e.source.table;
    const write = e.target.rest ? `${e.target.rest.upsert} ${e.target.rest.update} | ${e.target.rest.create}` : `${e.target.write!.method} ${e.target.write!.path}`;
    lines.push(`   from   ${e.source.db}.${table} key (${e.source.key.join(', ')}) → ${e.target.service} ${write}`);
    for (const p of e.phases) {
      lines.push(`   ${p.kind.padEnd(8)} ${p.summary}`);
      if (p.kind === 'cutover') for (const s of (p.settings as CutoverPhase).stages) lines.push(`            ${describeStage(s)}`);
    }
    if (e.reverse) {
      const feed = e.reverse.changeFeed ? 'change feed' : 'no change feed (add target.changes; docs/target-protocol.md)';
      lines.push(`   reverse  ${e.reverse.invertible ? 'map inverts' : 'map does not invert'} · ${feed}`);
      for (const f of e.reverse.fields) lines.push(`            ${f.severity} ${f.field === 'transform' ? 'transform' : `map.${f.field}`}: ${f.reason}`);
    }
    if (e.sync && opts.syncLine) lines.push(`   now    ${opts.syncLine(e.sync)}`);
    if (e.cutover && opts.cutoverLine) lines.push(`   now    ${opts.cutoverLine(e.cutover)}`);
    const wait = e.next.waitingFor.length ? `   (once ${e.next.waitingFor.join(', ')} ${e.next.waitingFor.length === 1 ? 'is' : 'are'} backfilled)` : '';
    const none = e.state === 'unknown' ? e.next.reason : `nothing: ${e.next.reason}`;
    lines.push(`   next   ${e.next.command ?? none}${wait}`);
    if (e.run) lines.push(...runPreviewLines(e.run));
  }
  return lines;
}

/** The `run` block of `migrate plan`: the live run's place, or what `migrate run` would do, step by step. */
export function runPreviewLines(r: RunPreview): string[] {
  const lines: string[] = [];
  if (r.live) {
    const where = r.live.state === 'done' ? 'done' : r.live.step === 'ended' ? 'ended' : `at ${r.live.step}${r.live.state === 'paused' ? ' (paused)' : ''}`;
    lines.push(`   run    running: ${where}${r.live.next ? ` · next: ${r.live.next}` : ''}`);
  } else if (r.steps.every((s) => s.state === 'done')) {
    lines.push(`   run    nothing left for \`${r.command}\` to do`);
  } else {
    lines.push(`   run    \`${r.command}\` would:`);
  }
  if (!r.live || r.live.state !== 'done') {
    for (const s of r.steps) lines.push(`            ${s.state.padEnd(5)} ${s.name.padEnd(9)}${s.state === 'done' ? '' : ` ${s.does}`}`.trimEnd());
  }
  for (const w of r.waitingFor) lines.push(`            waits for ${w}`);
  return lines;
}

/** A URL without credentials, written as the plan wrote it otherwise (no added trailing slash). */
export function showUrl(url: string): string {
  const shown = displayUrl(url);
  return shown.endsWith('/') && !url.endsWith('/') ? shown.slice(0, -1) : shown;
}

function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
