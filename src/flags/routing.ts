/**
 * Routing documents: per entity, one flagd flag-definition file saying where each consumer reads
 * (`legacy`, `shadow`, `new`, or a percent of keys on `new`) and where writes go. Pure: builds and
 * reads documents, no I/O, no imports from the CLI, Temporal or the state store, so the consumer
 * library and apps' own flagd setups share exactly this shape (docs/routing.md is the contract).
 */

export const FLAGD_SCHEMA = 'https://flagd.dev/schema/v0/flags.json';

export const READ_VARIANTS = ['legacy', 'shadow', 'new'] as const;
export type ReadVariant = (typeof READ_VARIANTS)[number];
export const WRITE_VARIANTS = ['legacy', 'dual', 'new', 'fenced'] as const;
export type WriteVariant = (typeof WRITE_VARIANTS)[number];

/** Where one consumer reads: a side for every key, or `percent` of keys (bucketed by key) on `new`, the rest on legacy. */
export type ReadRoute = ReadVariant | { new: number };

/** What a routing document says, in the plan's words. */
export interface RoutingStage {
  plan: string;
  entity: string;
  /** Increases by one on every published change; consumers acknowledge the epoch they apply. */
  epoch: number;
  /** Route per named consumer; consumers not named here follow `otherReads`. */
  reads: Readonly<Record<string, ReadRoute>>;
  /** Route of every consumer not named in `reads` (default `legacy`). */
  otherReads?: ReadRoute;
  writes: WriteVariant;
  /**
   * With `writes: 'fenced'`: consumers hold a write for up to `holdMs` waiting for the fence to
   * lift instead of rejecting it at once (the writes flag's metadata `tracerFence: 'hold'`,
   * `tracerFenceHoldMs`, docs/routing.md). Absent: a fenced write is rejected as retryable.
   */
  fenceHold?: { holdMs: number };
}

/** A JsonLogic expression as flagd evaluates it. */
export type Targeting = unknown;

export interface RoutingFlag<V extends string> {
  state: 'ENABLED';
  variants: Record<V, V>;
  defaultVariant: V;
  targeting?: Targeting;
  /** flagd flag metadata; the writes flag carries `tracerFence`/`tracerFenceHoldMs` while a write switch holds writes. */
  metadata?: Record<string, string | number | boolean>;
}

export interface RoutingDocument {
  $schema: typeof FLAGD_SCHEMA;
  metadata: { tracerPlan: string; tracerEntity: string; tracerEpoch: number };
  /** Exactly two flags: `<entity>.reads` and `<entity>.writes`. */
  flags: Record<string, RoutingFlag<string>>;
}

/** The flag consumers evaluate for each read, with `targetingKey` and `consumer` in the context. */
export function readsFlagKey(entity: string): string {
  return `${entity}.reads`;
}

/** The flag saying which side accepts writes; the same for every consumer and key. */
export function writesFlagKey(entity: string): string {
  return `${entity}.writes`;
}

/** A stage that cannot become a routing document; `field` names what to fix. */
export class RoutingStageError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'RoutingStageError';
  }
}

/**
 * The routing document for a stage. Consumers with the same route share one condition, groups in
 * the order of their first consumer by name, so the same stage always gives the same bytes.
 */
export function buildRoutingDocument(stage: RoutingStage): RoutingDocument {
  checkStage(stage);
  const other = stage.otherReads ?? 'legacy';
  const otherText = routeText(other);
  const groups = new Map<string, { route: ReadRoute; consumers: string[] }>();
  for (const consumer of Object.keys(stage.reads).sort(byCodePoint)) {
    const route = stage.reads[consumer]!;
    const text = routeText(route);
    if (text === otherText) continue;
    const group = groups.get(text) ?? { route, consumers: [] };
    group.consumers.push(consumer);
    groups.set(text, group);
  }

  const reads: RoutingFlag<ReadVariant> = {
    state: 'ENABLED',
    variants: { legacy: 'legacy', shadow: 'shadow', new: 'new' },
    defaultVariant: typeof other === 'string' ? other : 'legacy',
  };
  const branches: Targeting[] = [];
  for (const { route, consumers } of groups.values()) {
    const who = consumers.length === 1 ? { '==': [{ var: 'consumer' }, consumers[0]] } : { in: [{ var: 'consumer' }, consumers] };
    branches.push(who, routeExpression(route));
  }
  if (branches.length > 0) reads.targeting = { if: [...branches, routeExpression(other)] };
  else if (typeof other !== 'string') reads.targeting = routeExpression(other);

  const writes: RoutingFlag<WriteVariant> = {
    state: 'ENABLED',
    variants: { legacy: 'legacy', dual: 'dual', new: 'new', fenced: 'fenced' },
    defaultVariant: stage.writes,
  };
  if (stage.fenceHold) writes.metadata = { tracerFence: 'hold', tracerFenceHoldMs: stage.fenceHold.holdMs };
  return {
    $schema: FLAGD_SCHEMA,
    metadata: { tracerPlan: stage.plan, tracerEntity: stage.entity, tracerEpoch: stage.epoch },
    flags: { [readsFlagKey(stage.entity)]: reads, [writesFlagKey(stage.entity)]: writes },
  };
}

/**
 * The stage a document built by `buildRoutingDocument` says, or undefined when its targeting has
 * another shape (a hand-edited file): callers then show the raw targeting instead of guessing.
 */
export function stageOf(doc: RoutingDocument): RoutingStage | undefined {
  const { tracerPlan: plan, tracerEntity: entity, tracerEpoch: epoch } = doc.metadata;
  const readsFlag = doc.flags[readsFlagKey(entity)];
  const writesFlag = doc.flags[writesFlagKey(entity)];
  if (!readsFlag || !writesFlag || !isWriteVariant(writesFlag.defaultVariant) || writesFlag.targeting !== undefined) return undefined;
  const writes = writesFlag.defaultVariant;
  const fence = fenceHoldOf(writesFlag);
  const withFence = <S extends RoutingStage>(s: S | undefined): S | undefined => (s && fence ? { ...s, fenceHold: fence } : s);
  const t = readsFlag.targeting;
  if (t === undefined) return withFence(isReadVariant(readsFlag.defaultVariant) ? { plan, entity, epoch, reads: {}, otherReads: readsFlag.defaultVariant, writes } : undefined);
  const single = routeOf(t);
  if (single !== undefined) return withFence(typeof single === 'string' ? undefined : { plan, entity, epoch, reads: {}, otherReads: single, writes });
  if (!isObject(t) || !Array.isArray(t.if) || t.if.length % 2 !== 1) return undefined;
  const args = t.if as unknown[];
  const reads: Record<string, ReadRoute> = {};
  for (let i = 0; i + 1 < args.length; i += 2) {
    const consumers = consumersOf(args[i]);
    const route = routeOf(args[i + 1]);
    if (!consumers || route === undefined) return undefined;
    for (const c of consumers) reads[c] = route;
  }
  const otherReads = routeOf(args[args.length - 1]);
  return withFence(otherReads === undefined ? undefined : { plan, entity, epoch, reads, otherReads, writes });
}

/** The fence hold a writes flag's metadata asks for (the consumer library reads the same fields, src/consumer/routing.ts). */
function fenceHoldOf(flag: RoutingFlag<string>): { holdMs: number } | undefined {
  const m = flag.metadata;
  if (m?.tracerFence !== 'hold') return undefined;
  return { holdMs: typeof m.tracerFenceHoldMs === 'number' && m.tracerFenceHoldMs >= 0 ? m.tracerFenceHoldMs : 5000 };
}

/**
 * The same document with keys in the order `buildRoutingDocument` writes them. A store may hand
 * JSON back with keys reordered (PostgreSQL's jsonb does); meaning is unchanged, but exported
 * files should read and diff the same whatever stored them.
 */
export function tidyRoutingDocument(doc: RoutingDocument): RoutingDocument {
  const entity = doc.metadata.tracerEntity;
  const first = [readsFlagKey(entity), writesFlagKey(entity)];
  const flagNames = [...first.filter((k) => k in doc.flags), ...Object.keys(doc.flags).filter((k) => !first.includes(k)).sort(byCodePoint)];
  const flags: Record<string, RoutingFlag<string>> = {};
  for (const name of flagNames) {
    const f = doc.flags[name]!;
    const order = name === first[0] ? READ_VARIANTS : name === first[1] ? WRITE_VARIANTS : [];
    const variants = ordered(f.variants, order) as Record<string, string>;
    flags[name] = ordered({ ...f, variants }, ['state', 'variants', 'defaultVariant', 'targeting', 'metadata']) as unknown as RoutingFlag<string>;
  }
  const { tracerPlan, tracerEntity, tracerEpoch, ...moreMeta } = doc.metadata;
  return { ...ordered(doc as unknown as Record<string, unknown>, ['$schema', 'metadata', 'flags']), metadata: { tracerPlan, tracerEntity, tracerEpoch, ...moreMeta }, flags } as RoutingDocument;
}

function ordered(obj: Record<string, unknown>, first: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of first) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj).sort(byCodePoint)) if (!(k in out)) out[k] = obj[k];
  return out;
}

/** `legacy`, `shadow`, `new` or `new 10%`, for listings. */
export function describeRoute(route: ReadRoute): string {
  return typeof route === 'string' ? route : `new ${route.new}%`;
}

function checkStage(stage: RoutingStage): void {
  if (!stage.plan) throw new RoutingStageError('plan', 'must be a non-empty name');
  if (!stage.entity) throw new RoutingStageError('entity', 'must be a non-empty name');
  if (!Number.isSafeInteger(stage.epoch) || stage.epoch < 1) throw new RoutingStageError('epoch', `must be a whole number from 1, got ${stage.epoch}`);
  if (!isWriteVariant(stage.writes)) throw new RoutingStageError('writes', `must be one of ${WRITE_VARIANTS.join(', ')}, got ${JSON.stringify(stage.writes)}`);
  for (const [consumer, route] of Object.entries(stage.reads)) {
    if (!consumer) throw new RoutingStageError('reads', 'a consumer name must not be empty');
    checkRoute(`reads.${consumer}`, route);
  }
  if (stage.otherReads !== undefined) checkRoute('otherReads', stage.otherReads);
}

function checkRoute(field: string, route: ReadRoute): void {
  if (typeof route === 'string') {
    if (!isReadVariant(route)) throw new RoutingStageError(field, `must be one of ${READ_VARIANTS.join(', ')} or { new: <percent> }, got ${JSON.stringify(route)}`);
    return;
  }
  const keys = isObject(route) ? Object.keys(route) : [];
  if (keys.length !== 1 || keys[0] !== 'new') throw new RoutingStageError(field, `must be one of ${READ_VARIANTS.join(', ')} or { new: <percent> }, got ${JSON.stringify(route)}`);
  // flagd's fractional weights are integers; whole percents keep the bucket boundaries the same for every language.
  if (!Number.isInteger(route.new) || route.new < 0 || route.new > 100) throw new RoutingStageError(`${field}.new`, `must be a whole percent from 0 to 100, got ${route.new}`);
}

/**
 * `legacy` first and `new` last with weights summing to 100: a key's bucket depends only on the
 * flag key and the key, so raising the percent only moves keys from legacy to new, never back.
 */
function routeExpression(route: ReadRoute): Targeting {
  if (typeof route === 'string') return route;
  return { fractional: [['legacy', 100 - route.new], ['new', route.new]] };
}

function routeText(route: ReadRoute): string {
  return typeof route === 'string' ? route : `new:${route.new}`;
}

function routeOf(expr: unknown): ReadRoute | undefined {
  if (typeof expr === 'string') return isReadVariant(expr) ? expr : undefined;
  if (!isObject(expr) || Object.keys(expr).length !== 1 || !Array.isArray(expr.fractional)) return undefined;
  const f = expr.fractional as unknown[];
  if (f.length !== 2) return undefined;
  const [a, b] = f as [unknown, unknown];
  if (!Array.isArray(a) || !Array.isArray(b) || a[0] !== 'legacy' || b[0] !== 'new') return undefined;
  const [l, n] = [a[1], b[1]];
  if (typeof l !== 'number' || typeof n !== 'number' || l + n !== 100 || !Number.isInteger(n)) return undefined;
  return { new: n };
}

function consumersOf(cond: unknown): string[] | undefined {
  if (!isObject(cond) || Object.keys(cond).length !== 1) return undefined;
  const isConsumerVar = (v: unknown) => isObject(v) && v.var === 'consumer';
  if (Array.isArray(cond['=='])) {
    const [v, name] = cond['=='] as unknown[];
    return isConsumerVar(v) && typeof name === 'string' ? [name] : undefined;
  }
  if (Array.isArray(cond.in)) {
    const [v, names] = cond.in as unknown[];
    return isConsumerVar(v) && Array.isArray(names) && names.every((n) => typeof n === 'string') ? (names as string[]) : undefined;
  }
  return undefined;
}

function isReadVariant(v: unknown): v is ReadVariant {
  return typeof v === 'string' && (READ_VARIANTS as readonly string[]).includes(v);
}

function isWriteVariant(v: unknown): v is WriteVariant {
  return typeof v === 'string' && (WRITE_VARIANTS as readonly string[]).includes(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
