/**
 * Equalities a field can be compared with. Each takes (expected, actual) and answers whether they
 * agree. All treat null and a missing field as the same (services often omit nulls), and fall back
 * to deep equality when a value does not have the shape the rule normalises (so '' vs 'abc' under a
 * numeric rule is a difference, not a crash).
 */
import { canonicalDecimal, subMillis, toBoolean, toInstant, withinTolerance, type ZoneOffset } from '../mapping/casts.js';
import { isLosslessNumber, parseJsonExact } from '../values/json.js';

export type Eq = (expected: unknown, actual: unknown) => boolean;

const hasOwn = Object.prototype.hasOwnProperty;

/** A plain object (not an array, date or buffer): what JSON objects and mapped items are. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Two JSON numbers (plain or lossless, at least one lossless) with the same decimal value. */
function sameNumber(a: unknown, b: unknown): boolean {
  if (!(typeof a === 'number' || isLosslessNumber(a)) || !(typeof b === 'number' || isLosslessNumber(b))) return false;
  return canonicalDecimal(a) === canonicalDecimal(b);
}

/**
 * Structural equality: object key order does not matter, array order does, null equals a missing
 * key, primitives compare strictly (42 is not "42"), numbers by exact decimal value (a JSON number
 * kept with more digits than a double holds equals only the same digits), dates by instant.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a === null || a === undefined) && (b === null || b === undefined);
  if (typeof a !== 'object' || typeof b !== 'object') return typeof a === 'number' || typeof b === 'number' ? sameNumber(a, b) : false;
  if (isLosslessNumber(a) || isLosslessNumber(b)) return sameNumber(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!deepEqual(x[k], y[k])) return false;
  for (const k of Object.keys(y)) if (!hasOwn.call(x, k) && y[k] !== null && y[k] !== undefined) return false;
  return true;
}

function nullish(v: unknown): boolean {
  return v === null || v === undefined;
}

/** Numbers, numeric strings and bigints compared as exact decimals; within `tolerance` (inclusive) when given. */
export function numericEq(tolerance?: number): Eq {
  const tol = tolerance === undefined || tolerance === 0 ? undefined : canonicalDecimal(tolerance);
  return (e, a) => {
    if (e === a) return true;
    if (nullish(e) || nullish(a)) return nullish(e) && nullish(a);
    const x = canonicalDecimal(e);
    const y = canonicalDecimal(a);
    if (x === undefined || y === undefined) return deepEqual(e, a);
    return tol === undefined ? x === y : withinTolerance(x, y, tol);
  };
}

const PRECISION_MS = { ms: 1, s: 1000, m: 60_000 } as const;

const subOf = (v: unknown): string => (typeof v === 'string' ? subMillis(v) : '');

/**
 * Dates and timestamp strings compared as instants; zone-less text read in `zone`. Without
 * `precision` every digit counts (a microsecond apart is a difference); with one, both instants
 * are truncated to it.
 */
export function instantEq(precision?: keyof typeof PRECISION_MS, zone?: ZoneOffset): Eq {
  const unit = precision === undefined ? 0 : PRECISION_MS[precision];
  return (e, a) => {
    if (e === a) return true;
    if (nullish(e) || nullish(a)) return nullish(e) && nullish(a);
    const x = toInstant(e, zone);
    const y = toInstant(a, zone);
    if (x === undefined || y === undefined) return deepEqual(e, a);
    if (unit === 0) return x === y && subOf(e) === subOf(a);
    return unit === 1 ? x === y : Math.floor(x / unit) === Math.floor(y / unit);
  };
}

/** Strings compared after optional whitespace folding (trim, runs to one space) and case folding. */
export function stringEq(fold: { trim: boolean; caseInsensitive: boolean }): Eq {
  const norm = (s: string): string => {
    let out = fold.trim ? s.trim().replace(/\s+/g, ' ') : s;
    // Upper then lower folds 'ß' and 'SS' alike, which lower-casing alone does not.
    if (fold.caseInsensitive) out = out.toUpperCase().toLowerCase();
    return out;
  };
  return (e, a) => {
    if (e === a) return true;
    if (typeof e === 'string' && typeof a === 'string') return norm(e) === norm(a);
    return deepEqual(e, a);
  };
}

/** Booleans compared after reading 1/0, 't'/'f', 'yes'/'no' and the like on either side. */
export const booleanEq: Eq = (e, a) => {
  if (e === a) return true;
  if (nullish(e) || nullish(a)) return nullish(e) && nullish(a);
  const x = toBoolean(e);
  const y = toBoolean(a);
  if (x === undefined || y === undefined) return deepEqual(e, a);
  return x === y;
};

/** JSON text on one side is parsed (exactly) when the other side is not a string; unparsable text stays as it is. */
export function parseIfOtherIsNot(v: unknown, other: unknown): unknown {
  if (typeof v !== 'string' || typeof other === 'string') return v;
  try {
    return parseJsonExact(v);
  } catch {
    return v;
  }
}

/** The opt-in `json: true` rule: JSON values deep-equal regardless of key order, whether either side arrives parsed or as text. */
export const jsonEq: Eq = (e, a) => {
  if (e === a) return true;
  return deepEqual(parseIfOtherIsNot(e, a), parseIfOtherIsNot(a, e));
};

const FIXED_OFFSET = /^([+-])(\d{2}):?(\d{2})$/;
const OFFSET_CACHE_LIMIT = 10_000;
// Real zones change offset on 15-minute boundaries, so an offset found for one quarter hour holds for it all.
const QUARTER_HOUR = 900_000;

/**
 * The offset function of an IANA zone ('Europe/Berlin'), 'UTC', or a fixed offset ('+02:00').
 * Throws RangeError for an unknown zone. Wall times in a DST gap or overlap resolve to one instant.
 */
export function zoneOffset(timeZone: string): ZoneOffset {
  if (/^(utc|z|gmt|etc\/utc)$/i.test(timeZone)) return () => 0;
  const fixed = FIXED_OFFSET.exec(timeZone);
  if (fixed) {
    const off = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
    return () => off;
  }
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const cache = new Map<number, number>();
  const offsetAt = (epoch: number): number => {
    const slot = Math.floor(epoch / QUARTER_HOUR);
    const hit = cache.get(slot);
    if (hit !== undefined) return hit;
    const at = slot * QUARTER_HOUR;
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(at))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    const off = wall - at;
    if (cache.size >= OFFSET_CACHE_LIMIT) cache.clear();
    cache.set(slot, off);
    return off;
  };
  return (wall) => {
    const first = offsetAt(wall);
    return offsetAt(wall - first);
  };
}
