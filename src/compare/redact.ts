/**
 * Redaction of sensitive fields in items shown in reports, samples and logs. Compiled once from the
 * sensitive paths; copies along the redacted paths only, so the input is never changed.
 */
import type { TargetItem } from '../service/types.js';
import { isPlainObject } from './equality.js';

/** The marker that replaces a sensitive value in reports and samples. */
export const REDACTED = '[redacted]';

function redactPath(value: unknown, segs: readonly string[], i: number): unknown {
  if (value === undefined) return undefined;
  if (i === segs.length) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactPath(v, segs, i));
  // A parent that arrived as JSON text may hold the secret inside it: hide it whole.
  if (typeof value === 'string') return REDACTED;
  if (!isPlainObject(value)) return value;
  const k = segs[i]!;
  if (!Object.prototype.hasOwnProperty.call(value, k)) return value;
  return { ...value, [k]: redactPath(value[k], segs, i + 1) };
}

/**
 * A function returning a copy of an item whose values at `paths` (dotted, through arrays) read
 * '[redacted]', nulls included; with no paths it returns the item itself.
 */
export function compileRedactor(paths: readonly string[]): (item: TargetItem) => TargetItem {
  const split = paths.map((p) => p.split('.'));
  if (split.length === 0) return (item) => item;
  return (item) => {
    let out: unknown = item;
    for (const segs of split) out = redactPath(out, segs, 0);
    return out as TargetItem;
  };
}
