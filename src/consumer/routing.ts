/**
 * Evaluating an entity's routing document (see the brief's routing contract): flagd JSON with
 * `<entity>.reads` and `<entity>.writes` string flags and `metadata.tracerEpoch`. Evaluation is
 * done by @openfeature/flagd-core itself so the library and flagd can never disagree.
 *
 * TODO(routing): replace with the pure routing module in src/flags once it lands.
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { ConsumerConfigError } from './errors.js';

export type ReadRoute = 'legacy' | 'shadow' | 'new';
export type WriteRoute = 'legacy' | 'dual' | 'new' | 'fenced';
/** An entity key: one value, or the values of a composite key in key order. */
export type EntityKey = string | number | bigint | readonly (string | number | bigint)[];

const READS: readonly string[] = ['legacy', 'shadow', 'new'];
const WRITES: readonly string[] = ['legacy', 'dual', 'new', 'fenced'];

/** How a fenced write behaves: wait for the fence to lift (up to `holdMs`) or fail at once. */
export interface FencePolicy {
  mode: 'hold' | 'reject';
  holdMs: number;
}

/** The `targetingKey` of an entity key: the value as text; a composite key's parts joined by U+001F. */
export function routingKey(key: EntityKey): string {
  if (Array.isArray(key)) return (key as readonly (string | number | bigint)[]).map(String).join('\u001f');
  return String(key as string | number | bigint);
}

export interface RoutingDocument {
  readonly entity: string;
  readonly epoch: number;
  readonly plan: string | undefined;
  /** The document as received, for the OpenFeature provider. */
  readonly text: string;
  readonly core: FlagdCore;
  readRoute(key: EntityKey, consumer: string): ReadRoute;
  writeRoute(key: EntityKey, consumer: string): WriteRoute;
  fence(): FencePolicy;
}

/** Parses and checks a routing document for `entity`; throws ConsumerConfigError naming the problem. */
export function parseRoutingDocument(text: string, entity: string, where: string): RoutingDocument {
  let json: { metadata?: Record<string, unknown>; flags?: Record<string, { metadata?: Record<string, unknown> }> };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (e) {
    throw new ConsumerConfigError(`${where}: the routing document is not JSON (${(e as Error).message})`, 'Point `routing` at the URL or file `migrate` publishes the document to.');
  }
  const meta = json.metadata ?? {};
  const epoch = meta.tracerEpoch;
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) {
    throw new ConsumerConfigError(`${where}: metadata.tracerEpoch must be a whole number, got ${JSON.stringify(epoch)}`);
  }
  if (meta.tracerEntity !== undefined && meta.tracerEntity !== entity) {
    throw new ConsumerConfigError(`${where}: the document routes "${String(meta.tracerEntity)}", not "${entity}"`, 'Use the routing document of this consumer\'s entity.');
  }
  const core = new FlagdCore();
  try {
    core.setConfigurations(text);
  } catch (e) {
    throw new ConsumerConfigError(`${where}: not a valid flagd document: ${(e as Error).message}`);
  }
  const readsFlag = `${entity}.reads`;
  const writesFlag = `${entity}.writes`;
  for (const f of [readsFlag, writesFlag]) {
    if (core.getFlag(f) === undefined) throw new ConsumerConfigError(`${where}: flags.${f} is missing`);
  }
  const fenceMeta = json.flags?.[writesFlag]?.metadata ?? {};
  const fence: FencePolicy = {
    mode: fenceMeta.tracerFence === 'hold' ? 'hold' : 'reject',
    holdMs: typeof fenceMeta.tracerFenceHoldMs === 'number' ? fenceMeta.tracerFenceHoldMs : 5000,
  };
  const evaluate = (flag: string, allowed: readonly string[], key: EntityKey, consumer: string, fallback: string): string => {
    const r = core.resolveStringEvaluation(flag, fallback, { targetingKey: routingKey(key), consumer });
    return r.errorCode === undefined && allowed.includes(r.value) ? r.value : fallback;
  };
  return {
    entity,
    epoch,
    plan: typeof meta.tracerPlan === 'string' ? meta.tracerPlan : undefined,
    text,
    core,
    // A read that cannot be evaluated goes to legacy (harmless); a write is fenced instead, because
    // after the write switch sending it to legacy would split the source of truth.
    readRoute: (key, consumer) => evaluate(readsFlag, READS, key, consumer, 'legacy') as ReadRoute,
    writeRoute: (key, consumer) => evaluate(writesFlag, WRITES, key, consumer, 'fenced') as WriteRoute,
    fence: () => fence,
  };
}
