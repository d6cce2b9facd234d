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
 */
import type { FlagValue } from '../state/types.js';

export type { FlagValue } from '../state/types.js';

/** Who changes a flag and why; recorded in the audit log with the change. */
export interface FlagChangeContext {
  plan: string;
  entity?: string;
  actor: string;
  reason?: string;
}

/** A source of boolean feature flags. */
export interface FlagProvider {
  /** Short name for messages, e.g. `state-store` or `openfeature:flagd`. */
  readonly name: string;
  /** The flag's value; `undefined` when it was never set (the caller chooses the default). */
  getFlag(name: string): Promise<boolean | undefined>;
  /** Sets the flag and records who, when and why in the audit log, together. */
  setFlag(name: string, enabled: boolean, ctx: FlagChangeContext): Promise<void>;
  /** Every flag the provider knows, in name order. */
  listFlags(): Promise<FlagValue[]>;
}
