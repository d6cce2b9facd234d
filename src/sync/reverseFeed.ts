/** Positions in a service's change feed (docs/target-protocol.md, "Change feed"), shared by reverse sync and its write-switch port. */
import { UserError } from '../errors.js';
import { formatValue } from '../mapping/compile.js';

/** Checkpoint namespace of an entity's reverse sync in the state store. */
export const REVERSE_SYNC_RUN_KEY = 'reverse-sync';

/**
 * A feed time in one fixed-width form (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), so text order is time order
 * whatever precision or offset the service writes.
 */
export function feedTime(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i.exec(text);
  if (!m) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new UserError(`the service's change feed gave updatedAt ${formatValue(text)}, which is not an ISO 8601 timestamp`, { hint: 'Fix the service: updatedAt must be ISO 8601 (docs/target-protocol.md, "Change feed").' });
    return fromMs(t);
  }
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  if (m[3]!.toUpperCase() === 'Z') return `${m[1]}.${frac}Z`;
  const whole = new Date(Date.parse(`${m[1]}${m[3]}`)).toISOString().slice(0, 19);
  return `${whole}.${frac}Z`;
}

/** Epoch ms as a feed time. */
export function fromMs(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

