/**
 * Where feature flags live. The built-in provider keeps them in the state store; the interface is
 * deliberately the subset an OpenFeature provider can serve, so a team's own flag system
 * (flagd, LaunchDarkly, Unleash, … through OpenFeature) can replace it without touching callers.
 *
 * Plugging an OpenFeature provider in (see docs/state-store.md):
 *   - `getFlag(name)` → `client.getBooleanDetails(name, false)`; answer `undefined` when the details
 *     carry `errorCode: 'FLAG_NOT_FOUND'`, so "never set" stays distinct from "off".
 *   - `setFlag` → OpenFeature has no write API: call the flag system's admin API, or throw a
 *     UserError naming where the flag is managed; either way append the audit entry to the state store.
 *   - `listFlags` → the flag system's listing, or only the plan's flags evaluated one by one.
 *   - routing documents are flagd files: serve them from wherever the flag system keeps files
 *     (`getRouting`/`listRouting`), and publish by writing the next epoch there (`publishRouting`),
 *     again with the audit entry in the state store.
 */
import type { FlagValue } from '../state/types.js';
import type { RoutingDocument } from './routing.js';

export type { FlagValue } from '../state/types.js';

/** Who changes a flag and why; recorded in the audit log with the change. */
export interface FlagChangeContext {
  plan: string;
  entity?: string;
  actor: string;
  reason?: string;
}

/** One published epoch of an entity's routing document. */
export interface PublishedRouting {
  plan: string;
  entity: string;
  epoch: number;
  document: RoutingDocument;
  publishedAt: Date;
  publishedBy: string;
}

/**
 * A source of boolean feature flags and of per-entity routing documents. Flags are scoped by plan:
 * a provider serves the flags of one plan (the built-in one is made for a plan), so two plans in
 * one flag system never share a flag of the same name.
 */
export interface FlagProvider {
  /** Short name for messages, e.g. `state-store` or `openfeature:flagd`. */
  readonly name: string;
  /** The flag's value; `undefined` when it was never set (the caller chooses the default). */
  getFlag(name: string): Promise<boolean | undefined>;
  /** Sets the flag and records who, when and why in the audit log, together. */
  setFlag(name: string, enabled: boolean, ctx: FlagChangeContext): Promise<void>;
  /** Every flag the provider knows, in name order. */
  listFlags(): Promise<FlagValue[]>;
  /** The entity's routing in force (newest epoch), or a given `epoch`; undefined before the first publish. */
  getRouting(plan: string, entity: string, epoch?: number): Promise<PublishedRouting | undefined>;
  /** The routing in force of every entity of the plan that has one, in entity order. */
  listRouting(plan: string): Promise<PublishedRouting[]>;
  /**
   * Publishes `document`, whose `tracerEpoch` must be one more than the epoch in force (1 for the
   * first), and records who and why in the audit log, together. A stale epoch is refused.
   */
  publishRouting(document: RoutingDocument, ctx: FlagChangeContext): Promise<PublishedRouting>;
}
