/**
 * Value casts of the plan's `as:` and the normalisations verification reuses. Each cast either
 * returns a JSON-safe value or throws a `CastFailure` whose reason never contains the value, so the
 * caller decides whether the value may be shown (it may not for sensitive fields).
 * Rules and their reasons are written up in docs/mapping-and-comparison.md.
 */
import type { Cast } from '../plan/schema.js';
import { isLosslessNumber, numberText, stringifyJsonExact, type LosslessNumber } from '../values/json.js';
import { JsonString, parseJsonColumn } from '../values/special.js';

/** Why a value could not be cast; `reason` describes the value's shape, never its content. */
export class CastFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export type CastFn = (value: unknown) => unknown;

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (isLosslessNumber(v)) return 'a number';
  if (v instanceof JsonString) return 'a JSON string';
  if (v instanceof Date) return 'a date';
  if (isBytes(v)) return `${v.length} bytes`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.trim() === '' ? 'an empty string' : 'a string';
  return `a ${typeof v}`;
}

// ---------------------------------------------------------------------------------------------
// Decimals

const CANONICAL_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;
const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
// Beyond this an exponent would only build absurdly long digit strings; no real column needs it.
const MAX_DECIMAL_DIGITS = 1000;

/**
 * The canonical decimal string of a numeric string, number or bigint, or undefined when it is not
 * one: no exponent, no "+", no leading zeros, no trailing fractional zeros, "-0" is "0".
 */
export function canonicalDecimal(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (isLosslessNumber(value)) text = (value as LosslessNumber).value;
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    // The shortest string that round-trips the double: 0.1 is "0.1", not 0.1000000000000000055…
    text = String(value);
  } else if (typeof value === 'bigint') return value.toString();
  else return undefined;
  if (CANONICAL_DECIMAL.test(text)) return text === '-0' ? '0' : text;
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const intPart = m[2]!;
  const fracPart = m[3] ?? '';
  if (intPart === '' && fracPart === '') return undefined;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let digits = intPart + fracPart;
  let point = intPart.length + exp;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  digits = digits.slice(lead);
  point -= lead;
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  if (digits === '') return '0';
  if (point > MAX_DECIMAL_DIGITS || point < -MAX_DECIMAL_DIGITS) return undefined;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return m[1] === '-' ? `-${out}` : out;
}

/** A canonical decimal as an exact scaled integer: value = units / 10^scale. */
export interface ScaledDecimal {
  units: bigint;
  scale: number;
}

/** Splits a canonical decimal string (from `canonicalDecimal`) into units and scale. */
export function toScaled(canonical: string): ScaledDecimal {
  const dot = canonical.indexOf('.');
  if (dot < 0) return { units: BigInt(canonical), scale: 0 };
  return { units: BigInt(canonical.slice(0, dot) + canonical.slice(dot + 1)), scale: canonical.length - dot - 1 };
}

/** |a - b| <= tolerance, exactly, on canonical decimal strings (no binary floating point). */
export function withinTolerance(a: string, b: string, tolerance: string): boolean {
  const x = toScaled(a);
  const y = toScaled(b);
  const t = toScaled(tolerance);
  const scale = Math.max(x.scale, y.scale, t.scale);
  const up = (d: ScaledDecimal): bigint => d.units * 10n ** BigInt(scale - d.scale);
  let diff = up(x) - up(y);
  if (diff < 0n) diff = -diff;
  return diff <= up(t);
}

// ---------------------------------------------------------------------------------------------
// Integers

const INTEGER_TEXT = /^\s*([+-]?)0*(\d+)(?:\.0*)?\s*$/;

/** A safe integer as a number, anything larger as its exact decimal digits (a string). */
function integerOut(big: bigint): number | string {
  return big >= SAFE_MIN && big <= SAFE_MAX ? Number(big) : big.toString();
}

/** Cast to an integer: a number when |n| <= 2^53-1, otherwise the exact decimal string. */
export function castInteger(value: unknown): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CastFailure('is not a finite number');
    if (!Number.isInteger(value)) throw new CastFailure('has a fractional part, so it is not an integer');
    if (Number.isSafeInteger(value)) return value === 0 ? 0 : value;
    return BigInt(value).toString();
  }
  if (typeof value === 'bigint') return integerOut(value);
  if (isLosslessNumber(value)) {
    const c = canonicalDecimal(value)!;
    if (c.includes('.')) throw new CastFailure('has a fractional part, so it is not an integer');
    return integerOut(BigInt(c));
  }
  if (typeof value === 'string') {
    const m = INTEGER_TEXT.exec(value);
    if (!m) {
      throw new CastFailure(
        canonicalDecimal(value) === undefined ? `is ${describe(value)} that is not a number` : 'has a fractional part, so it is not an integer',
      );
    }
    const digits = m[2]!;
    if (digits.length <= 15) {
      const n = Number(digits);
      return m[1] === '-' && n !== 0 ? -n : n;
    }
    return integerOut(BigInt(m[1] === '-' ? `-${digits}` : digits));
  }
  throw new CastFailure(`is ${describe(value)}, not an integer`);
}

/** Cast to a JSON number (a double); numeric strings and bigints are converted, precision as a double allows. */
export function castNumber(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CastFailure('is not a finite number');
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (isLosslessNumber(value)) return Number((value as LosslessNumber).value);
  if (typeof value === 'string') {
    if (DECIMAL.test(value) && /\d/.test(value)) {
      const n = Number(value.trim());
      if (Number.isFinite(n)) return n;
    }
    throw new CastFailure(`is ${describe(value)} that is not a number`);
  }
  throw new CastFailure(`is ${describe(value)}, not a number`);
}

/** Cast to a canonical decimal string (see `canonicalDecimal`); exact for strings and bigints. */
export function castDecimal(value: unknown): string {
  const out = canonicalDecimal(value);
  if (out === undefined) throw new CastFailure(`is ${describe(value)} that is not a decimal number`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Booleans

const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/** true/false, 1/0, and the words t/f, true/false, y/n, yes/no, on/off, 1/0 in any case; else undefined. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (value == 1) return true;
    if (value == 0) return false;
    return undefined;
  }
  if (typeof value === 'string') {
    const w = value.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
    return undefined;
  }
  // MySQL BIT(1) arrives as a one-byte buffer.
  if (isBytes(value) && value.length === 1) {
    if (value[0] === 1) return true;
    if (value[0] === 0) return false;
  }
  return undefined;
}

export function castBoolean(value: unknown): boolean {
  const b = toBoolean(value);
  if (b === undefined) throw new CastFailure(`is ${describe(value)} that is not a boolean (true/false, 1/0, t/f, yes/no)`);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Timestamps

const TIMESTAMP =
  /^\s*([+-]?\d{4,6})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?\s*$/;
const DAY_MS = 86_400_000;
const MAX_EPOCH_MS = 8.64e15;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); avoids
// Date.UTC's mapping of years 0–99 to 1900–1999.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Offset (ms east of UTC) of a zone at a wall-clock time expressed as if it were UTC. */
export type ZoneOffset = (wallMs: number) => number;

const UTC_ZONE: ZoneOffset = () => 0;

/**
 * Epoch milliseconds of an ISO 8601 / SQL timestamp string, or undefined when it is not one.
 * Zone-less text is read in `zone` (UTC by default); digits below the millisecond are left out
 * (`subMillis` has them).
 */
export function parseTimestamp(text: string, zone: ZoneOffset = UTC_ZONE): number | undefined {
  // The canonical form is read off its digits without allocating: a verification reads every row's
  // updatedAt this way, and the object and slices this once built were a few percent of its CPU.
  const end = canonicalEnd(text);
  if (end >= 0) {
    // The fraction's first three digits (after the '.' at 19), missing ones read as 0.
    const fracLen = end > 19 ? end - 20 : 0;
    const ms = (fracLen > 0 ? (text.charCodeAt(20) - 48) * 100 : 0) + (fracLen > 1 ? (text.charCodeAt(21) - 48) * 10 : 0) + (fracLen > 2 ? text.charCodeAt(22) - 48 : 0);
    const wall = daysFromCivil(two(text, 0) * 100 + two(text, 2), two(text, 5), two(text, 8)) * DAY_MS + ((two(text, 11) * 60 + two(text, 14)) * 60 + two(text, 17)) * 1000 + ms;
    return end < text.length ? wall : wall - zone(wall);
  }
  return parseTimestampMatch(TIMESTAMP.exec(text), zone);
}

/** The fraction digits of a timestamp beyond the millisecond, trailing zeros removed ('' for none). */
export function subMillis(text: string): string {
  return subMillisOf(TIMESTAMP.exec(text));
}

function subMillisOf(m: RegExpExecArray | null): string {
  const f = m?.[7];
  if (f === undefined || f.length <= 3) return '';
  let end = f.length;
  while (end > 3 && f.charCodeAt(end - 1) === 48) end--;
  return f.slice(3, end);
}

function parseTimestampMatch(m: RegExpExecArray | null, zone: ZoneOffset): number | undefined {
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  const tz = m[8];
  let epoch: number;
  if (tz === undefined) epoch = wall - zone(wall);
  else if (tz === 'Z' || tz === 'z' || tz === 'UTC') epoch = wall;
  else {
    const digits = tz.slice(1).replace(/:/g, '');
    const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0') + Number(digits.slice(4, 6) || '0') / 60;
    if (offMin >= 24 * 60) return undefined;
    epoch = wall - (tz[0] === '-' ? -1 : 1) * Math.round(offMin * 60_000);
  }
  return Math.abs(epoch) <= MAX_EPOCH_MS ? epoch : undefined;
}

/** Epoch milliseconds of a Date or timestamp string, or undefined when it is neither. */
export function toInstant(value: unknown, zone?: ZoneOffset): number | undefined {
  if (value instanceof Date) {
    const t = value.getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  if (typeof value === 'string') return parseTimestamp(value, zone);
  return undefined;
}

const digit = (c: number) => c >= 48 && c <= 57;
const two = (t: string, i: number) => (t.charCodeAt(i) - 48) * 10 + t.charCodeAt(i + 1) - 48;

/**
 * `YYYY-MM-DDTHH:MM:SS`, an optional `.` and fraction digits, an optional `Z`, four-digit year, a
 * possible date and time: read off the digits without a RegExp (the timestamp cast was the hottest
 * function of a backfill) and without allocating. Answers where the digits end (the length, less
 * one for the `Z`), or -1 for anything else, which takes the general path (same result there).
 */
function canonicalEnd(t: string): number {
  const n = t.length;
  if (n < 19 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return -1;
  for (let k = 0; k < CANONICAL_DIGITS.length; k++) if (!digit(t.charCodeAt(CANONICAL_DIGITS[k]!))) return -1;
  const end = t.charCodeAt(n - 1) === 90 /* Z */ ? n - 1 : n;
  if (end > 19) {
    if (t.charCodeAt(19) !== 46 /* . */ || end === 20) return -1;
    for (let i = 20; i < end; i++) if (!digit(t.charCodeAt(i))) return -1;
  } else if (end !== 19) return -1;
  const y = two(t, 0) * 100 + two(t, 2);
  const mo = two(t, 5);
  const d = two(t, 8);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || two(t, 11) > 23 || two(t, 14) > 59 || two(t, 17) > 59) return -1;
  return end;
}
const CANONICAL_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * castTimestamp of a canonical timestamp: its own digits, milliseconds always, further digits
 * without trailing zeros. Text already in that form (a `Z`, three or more fraction digits, no
 * trailing zero past the millisecond: what the sources mostly hand over) is its own answer.
 */
function canonicalUtcTimestamp(t: string): string | undefined {
  const end = canonicalEnd(t);
  if (end < 0) return undefined;
  const fracLen = end > 19 ? end - 20 : 0;
  // Index 20 + 3 is the first digit past the millisecond.
  let k = end;
  while (k > 23 && t.charCodeAt(k - 1) === 48) k--;
  if (fracLen >= 3 && k === end && end === t.length - 1) return t;
  // Whole seconds are the common case of the rest: one concatenation, no padding string.
  if (fracLen === 0) return `${t.slice(0, 19)}.000Z`;
  const ms = fracLen >= 3 ? t.slice(20, 23) : t.slice(20, end).padEnd(3, '0');
  return `${t.slice(0, 19)}.${ms}${k > 23 ? t.slice(23, k) : ''}Z`;
}

/**
 * Cast to ISO 8601 UTC (`2024-01-01T08:00:00.000Z`); zone-less input is UTC. Milliseconds always,
 * and every further digit the source has (`…00.123456Z`), so no instant is rounded.
 */
export function castTimestamp(value: unknown): string {
  if (typeof value === 'string') {
    const fast = canonicalUtcTimestamp(value);
    if (fast !== undefined) return fast;
  }
  // One match gives both the instant and the digits below the millisecond.
  const m = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  const t = typeof value === 'string' ? parseTimestampMatch(m, UTC_ZONE) : toInstant(value);
  if (t === undefined) {
    throw new CastFailure(
      value instanceof Date
        ? 'is an invalid date'
        : typeof value === 'string'
          ? 'is a string that is not an ISO 8601 or SQL timestamp (or names an impossible date such as 0000-00-00)'
          : `is ${describe(value)}, not a date or timestamp string (epoch numbers are ambiguous: convert them in a transform)`,
    );
  }
  const iso = new Date(t).toISOString();
  const sub = subMillisOf(m);
  return sub === '' ? iso : `${iso.slice(0, -1)}${sub}Z`;
}

// ---------------------------------------------------------------------------------------------
// Strings and JSON

/** Cast to a string: numbers and bigints in decimal, booleans as true/false, dates as ISO, objects as JSON (digits exact), bytes as UTF-8. */
export function castString(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value instanceof Date) return castTimestamp(value);
      if (isBytes(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
      if (value instanceof JsonString) return value.value;
      if (isLosslessNumber(value)) return numberText(value)!;
      if (typeof value === 'object' && value !== null) return stringifyJsonExact(value);
      throw new CastFailure(`is ${describe(value)}, not a string`);
  }
}

/**
 * Cast to JSON. Text (strings, bytes) is parsed exactly (values/json.ts); a JSON column's value is
 * already parsed and passes through, a string document (JsonString) as its string, never parsed
 * again. Text holding duplicate keys or the `null` document gives a SpecialValue for the mapping
 * to refuse or represent.
 */
export function castJson(value: unknown): unknown {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (isBytes(value)) text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (text === undefined) {
    if (value instanceof JsonString) return value.value;
    if (typeof value === 'bigint') return integerOut(value);
    if (value instanceof Date) return castTimestamp(value);
    return value;
  }
  let parsed: unknown;
  try {
    parsed = parseJsonColumn(text);
  } catch {
    throw new CastFailure(`is ${describe(value)} that is not valid JSON`);
  }
  // A string document is, once parsed, just that string.
  return parsed instanceof JsonString ? parsed.value : parsed;
}

/**
 * Uncast values made JSON-safe: bigints follow the integer rule, dates become ISO timestamps and
 * bytes base64, so every mapped item survives JSON.stringify. Everything else passes through.
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value !== 'object' && typeof value !== 'bigint') return value;
  if (typeof value === 'bigint') return integerOut(value);
  if (value instanceof JsonString) return value.value;
  if (value instanceof Date) return castTimestamp(value);
  if (isBytes(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}

// A JSON column's string document is, to every cast but `json`, the string it holds.
const unwrapping =
  (fn: CastFn): CastFn =>
  (v) =>
    fn(v instanceof JsonString ? v.value : v);

/** The cast function of a plan `as:`; `undefined` gives the JSON-safe pass-through. */
export function castFor(cast: Cast | undefined): CastFn {
  switch (cast) {
    case 'string':
      return castString;
    case 'integer':
      return unwrapping(castInteger);
    case 'number':
      return unwrapping(castNumber);
    case 'decimal':
      return unwrapping(castDecimal);
    case 'boolean':
      return unwrapping(castBoolean);
    case 'timestamp':
      return unwrapping(castTimestamp);
    case 'json':
      return castJson;
    case undefined:
      return jsonSafe;
  }
}
