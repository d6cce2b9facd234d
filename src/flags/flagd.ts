/**
 * Export to flagd's flag-definition format, so a team moving to flagd (or any OpenFeature setup fed
 * by flagd files) starts from the exact current values. Pure: no I/O.
 */
import type { FlagValue } from '../state/types.js';
import { FLAGD_SCHEMA } from './routing.js';

export { FLAGD_SCHEMA };

export interface FlagdFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: { on: true; off: false };
  defaultVariant: 'on' | 'off';
  metadata?: Record<string, string | number | boolean>;
}

export interface FlagdDocument {
  $schema: typeof FLAGD_SCHEMA;
  flags: Record<string, FlagdFlag>;
}

/**
 * One boolean flagd flag per flag, `defaultVariant` carrying the current value, keys in name order.
 * `state` is always ENABLED: in flagd a DISABLED flag answers FLAG_NOT_FOUND, not `false`.
 */
export function exportFlagd(flags: readonly (Pick<FlagValue, 'name' | 'enabled'> & Partial<FlagValue>)[]): FlagdDocument {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Record<string, FlagdFlag> = {};
  for (const f of sorted) {
    const flag: FlagdFlag = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: f.enabled ? 'on' : 'off' };
    // Provenance travels as flagd metadata so the audit trail is not lost on the way out.
    const metadata: Record<string, string> = {};
    if (f.updatedBy) metadata.updatedBy = f.updatedBy;
    if (f.updatedAt) metadata.updatedAt = f.updatedAt.toISOString();
    if (Object.keys(metadata).length > 0) flag.metadata = metadata;
    out[f.name] = flag;
  }
  return { $schema: FLAGD_SCHEMA, flags: out };
}
