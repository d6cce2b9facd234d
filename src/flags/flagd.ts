/**
 * Export to flagd's flag-definition format, so a team moving to flagd (or any OpenFeature setup fed
 * by flagd files) starts from the exact current values. Pure: no I/O.
 */
import { UserError } from '../errors.js';
import type { FlagValue } from '../state/types.js';
import { FLAGD_SCHEMA, type RoutingDocument, type RoutingFlag } from './routing.js';

export { FLAGD_SCHEMA };

export interface FlagdFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: { on: true; off: false };
  defaultVariant: 'on' | 'off';
  metadata?: Record<string, string | number | boolean>;
}

/** A routing flag as exported beside the booleans: its document's plan, entity and epoch travel as flag metadata. */
export type FlagdRoutingFlag = RoutingFlag<string> & { metadata: { tracerPlan: string; tracerEntity: string; tracerEpoch: number } };

export interface FlagdDocument {
  $schema: typeof FLAGD_SCHEMA;
  flags: Record<string, FlagdFlag | FlagdRoutingFlag>;
}

/**
 * One boolean flagd flag per flag, `defaultVariant` carrying the current value, keys in name order.
 * `state` is always ENABLED: in flagd a DISABLED flag answers FLAG_NOT_FOUND, not `false`.
 */
export function exportFlagd(
  flags: readonly (Pick<FlagValue, 'name' | 'enabled'> & Partial<FlagValue>)[],
  routing: readonly RoutingDocument[] = [],
): FlagdDocument {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Record<string, FlagdFlag | FlagdRoutingFlag> = {};
  for (const f of sorted) {
    const flag: FlagdFlag = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: f.enabled ? 'on' : 'off' };
    // Provenance travels as flagd metadata so the audit trail is not lost on the way out.
    const metadata: Record<string, string> = {};
    if (f.updatedBy) metadata.updatedBy = f.updatedBy;
    if (f.updatedAt) metadata.updatedAt = f.updatedAt.toISOString();
    if (Object.keys(metadata).length > 0) flag.metadata = metadata;
    out[f.name] = flag;
  }
  // One file for every flag: the routing flags keep their epoch as flag metadata, since the file's
  // own metadata cannot say two entities' epochs. `--entity` exports one routing document as it is.
  const routed: Record<string, FlagdRoutingFlag> = {};
  for (const doc of routing) {
    for (const [name, flag] of Object.entries(doc.flags)) {
      if (name in out || name in routed) {
        throw new UserError(`flag ${name} is both a boolean flag and a routing flag, so one file cannot hold both`, {
          hint: `Rename the boolean flag (phases[].backfill.flag), or export the routing alone: \`migrate flags export --format flagd --entity ${doc.metadata.tracerEntity}\`.`,
        });
      }
      routed[name] = { ...flag, metadata: { ...doc.metadata } };
    }
  }
  const all = { ...out, ...routed };
  const sortedFlags: Record<string, FlagdFlag | FlagdRoutingFlag> = {};
  for (const name of Object.keys(all).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) sortedFlags[name] = all[name]!;
  return { $schema: FLAGD_SCHEMA, flags: sortedFlags };
}
