/**
 * Evaluates a routing document with `@openfeature/flagd-core`, the engine flagd and its in-process
 * providers use, so Tracer, the consumer library and any OpenFeature app bucket every key the same
 * way. Also reads a document from JSON text (a file, an HTTP answer, the state store) and refuses
 * one that flagd or the routing contract would not accept.
 */
import type { Logger } from '@openfeature/core';
import { FlagdCore, MemoryStorage } from '@openfeature/flagd-core';
import { z } from 'zod';
import { readsFlagKey, READ_VARIANTS, type ReadVariant, type RoutingDocument, writesFlagKey, WRITE_VARIANTS, type WriteVariant } from './routing.js';
import { routingKey, type RoutingKeyPart } from './routingKey.js';

/** A document that is not valid JSON, not valid flagd, or not a routing document; says which. */
export class RoutingDocumentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RoutingDocumentError';
  }
}

// flagd-core logs targeting problems at debug level; they surface here as evaluation errors instead.
const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };

const variantMap = (names: readonly string[]) =>
  z.record(z.string(), z.string()).refine((v) => names.every((n) => v[n] === n), { message: `must map each of ${names.join(', ')} to itself` });

const envelope = z.object({
  metadata: z.object({
    tracerPlan: z.string().min(1),
    tracerEntity: z.string().min(1),
    tracerEpoch: z.number().int().min(1),
  }),
  flags: z.record(z.string(), z.object({ variants: z.record(z.string(), z.unknown()), defaultVariant: z.string() }).passthrough()),
});

/**
 * Parses and checks a routing document: valid JSON, valid against flagd's flags schema (flagd-core's
 * strict validation), carrying `tracerPlan`/`tracerEntity`/`tracerEpoch` metadata and both routing
 * flags with their variants. `from` names where it came from, for the error.
 */
export function parseRoutingDocument(text: string, from: string): RoutingDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RoutingDocumentError(`${from} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const shape = envelope.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    throw new RoutingDocumentError(`${from} is not a routing document: ${issue.path.join('.') || '(document)'}: ${issue.message}`);
  }
  const entity = shape.data.metadata.tracerEntity;
  for (const [key, names] of [
    [readsFlagKey(entity), READ_VARIANTS],
    [writesFlagKey(entity), WRITE_VARIANTS],
  ] as const) {
    const flag = shape.data.flags[key];
    if (!flag) throw new RoutingDocumentError(`${from} is not a routing document: flags.${key} is missing`);
    const v = variantMap(names).safeParse(flag.variants);
    if (!v.success) throw new RoutingDocumentError(`${from} is not a routing document: flags.${key}.variants ${v.error.issues[0]!.message}`);
  }
  // Building the evaluator runs flagd's own validation, so a document accepted here is one flagd accepts.
  flagdCoreFor(text, from);
  return json as RoutingDocument;
}

function flagdCoreFor(text: string, from: string): FlagdCore {
  const storage = new MemoryStorage(quiet);
  try {
    storage.setConfigurations(text, true);
  } catch (e) {
    const cause = (e as Error).cause instanceof Error ? `: ${((e as Error).cause as Error).message}` : '';
    throw new RoutingDocumentError(`${from} is not valid flagd: ${(e as Error).message}${cause}`, { cause: e });
  }
  return new FlagdCore(storage, quiet);
}

/** Answers routing questions for one document with flagd-core. */
export class RoutingEvaluator {
  readonly plan: string;
  readonly entity: string;
  readonly epoch: number;
  readonly #core: FlagdCore;
  readonly #reads: string;
  readonly #writes: string;

  constructor(doc: RoutingDocument) {
    this.plan = doc.metadata.tracerPlan;
    this.entity = doc.metadata.tracerEntity;
    this.epoch = doc.metadata.tracerEpoch;
    this.#core = flagdCoreFor(JSON.stringify(doc), `routing document of ${this.entity} (epoch ${this.epoch})`);
    this.#reads = readsFlagKey(this.entity);
    this.#writes = writesFlagKey(this.entity);
  }

  /** Where `consumer` reads the entity with this key. */
  read(key: RoutingKeyPart | readonly RoutingKeyPart[], consumer: string): ReadVariant {
    const r = this.#core.resolveStringEvaluation(this.#reads, 'legacy', { targetingKey: routingKey(key), consumer });
    return this.#checked(this.#reads, r, READ_VARIANTS);
  }

  /** Which side accepts writes. */
  writes(): WriteVariant {
    const r = this.#core.resolveStringEvaluation(this.#writes, 'legacy', {});
    return this.#checked(this.#writes, r, WRITE_VARIANTS);
  }

  #checked<V extends string>(flag: string, r: { value?: unknown; reason?: string; errorMessage?: string }, allowed: readonly V[]): V {
    // An error must not quietly become the default: the caller decides what failing closed means.
    if (r.reason === 'ERROR') throw new RoutingDocumentError(`evaluating ${flag} (epoch ${this.epoch}) failed: ${r.errorMessage ?? 'unknown error'}`);
    if (typeof r.value !== 'string' || !(allowed as readonly string[]).includes(r.value)) {
      throw new RoutingDocumentError(`${flag} (epoch ${this.epoch}) answered ${JSON.stringify(r.value)}, which is not one of ${allowed.join(', ')}`);
    }
    return r.value as V;
  }
}
