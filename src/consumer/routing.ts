/**
 * The consumer's view of an entity's routing document (docs/routing.md is the contract): the
 * document is read and evaluated by the pure routing module in src/flags — the same
 * @openfeature/flagd-core evaluation and the same `routingKey` Tracer uses — and this file only
 * adds what a consumer decides on its own: how an evaluation error fails (reads to legacy, writes
 * fenced) and how a fenced write behaves.
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { parseRoutingDocument as parseDocument, RoutingDocumentError, RoutingEvaluator } from '../flags/routingEvaluator.js';
import { writesFlagKey, type ReadVariant, type WriteVariant } from '../flags/routing.js';
import type { RoutingKeyPart } from '../flags/routingKey.js';
import { ConsumerConfigError } from './errors.js';

export { routingKey } from '../flags/routingKey.js';

export type ReadRoute = ReadVariant;
export type WriteRoute = WriteVariant;
/** An entity key: one column's value, or the values of a composite key in key order (safe integers or strings). */
export type EntityKey = RoutingKeyPart | readonly RoutingKeyPart[];

/** How a fenced write behaves: wait for the fence to lift (up to `holdMs`) or fail at once. */
export interface FencePolicy {
  mode: 'hold' | 'reject';
  holdMs: number;
}

/** Default wait of a held write before it is rejected as retryable. */
export const DEFAULT_HOLD_MS = 5000;

export interface RoutingDocument {
  readonly entity: string;
  readonly epoch: number;
  readonly plan: string;
  /** The document as received. */
  readonly text: string;
  /** flagd-core over the document, for the OpenFeature provider (any flag, any type). */
  readonly core: FlagdCore;
  readRoute(key: EntityKey, consumer: string): ReadRoute;
  writeRoute(): WriteRoute;
  fence(): FencePolicy;
}

/** Parses and checks a routing document for `entity`; throws ConsumerConfigError naming the problem. */
export function parseRoutingDocument(text: string, entity: string, where: string): RoutingDocument {
  let evaluator: RoutingEvaluator;
  let raw: { flags: Record<string, { metadata?: Record<string, unknown> }> };
  try {
    const doc = parseDocument(text, where);
    raw = doc as unknown as typeof raw;
    evaluator = new RoutingEvaluator(doc);
  } catch (e) {
    if (e instanceof RoutingDocumentError) throw new ConsumerConfigError(e.message, 'Point `routing` at the URL or file `migrate` publishes this entity\'s routing document to.');
    throw e;
  }
  if (evaluator.entity !== entity) {
    throw new ConsumerConfigError(`${where}: the document routes "${evaluator.entity}", not "${entity}"`, "Use the routing document of this consumer's entity.");
  }
  // Optional, on the writes flag's flagd metadata: `tracerFence` ("hold" | "reject") and `tracerFenceHoldMs`.
  const meta = raw.flags[writesFlagKey(entity)]?.metadata ?? {};
  const fence: FencePolicy = {
    mode: meta.tracerFence === 'hold' ? 'hold' : 'reject',
    holdMs: typeof meta.tracerFenceHoldMs === 'number' && meta.tracerFenceHoldMs >= 0 ? meta.tracerFenceHoldMs : DEFAULT_HOLD_MS,
  };
  const core = new FlagdCore();
  core.setConfigurations(text);
  return {
    entity,
    epoch: evaluator.epoch,
    plan: evaluator.plan,
    text,
    core,
    readRoute(key, consumer) {
      try {
        return evaluator.read(key, consumer);
      } catch (e) {
        // A read the document cannot answer goes to legacy: harmless, legacy is the source of truth until writes switch.
        // (A key routingKey refuses is the caller's bug and is thrown.)
        if (e instanceof RoutingDocumentError) return 'legacy';
        throw e;
      }
    },
    writeRoute() {
      try {
        return evaluator.writes();
      } catch (e) {
        // A write is fenced instead: after the switch, sending it to legacy would split the source of truth.
        if (e instanceof RoutingDocumentError) return 'fenced';
        throw e;
      }
    },
    fence: () => fence,
  };
}
