/**
 * JSON text in and out without losing a digit: every number whose text a double would not give
 * back character for character (beyond 2^53, more than 17 digits, trailing zeros, exponents, -0)
 * is kept as a lossless-json `LosslessNumber` holding the exact text, all others as plain numbers
 * (so ordinary items stay ordinary objects). Used for JSON columns, the target's bodies and the
 * reference service, so a number travels source → service → verification as the same text.
 */
import { isLosslessNumber, LosslessNumber, parse as losslessParse, stringify as losslessStringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

/** A JSON number: a plain number when its text round-trips through a double exactly, else a LosslessNumber with the text. */
export function parseNumberExact(text: string): number | LosslessNumber {
  const n = Number(text);
  return String(n) === text ? n : new LosslessNumber(text);
}

/**
 * True when every number token of JSON text (outside strings) reads back from a double as the same
 * characters, so JSON.parse loses no digit of it. A scan of the text: strings are skipped whole
 * (a timestamp's `.000` inside one is no number), each number token is checked as
 * parseNumberExact checks it. Invalid text may answer either way; JSON.parse then refuses it.
 */
export function numbersReadBackExactly(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // To the closing quote in native steps: strings are most of an answer's text (keys, ids,
      // timestamps). A quote after an odd run of backslashes is escaped and does not close.
      let q = text.indexOf('"', i + 1);
      while (q !== -1 && escapedAt(text, q)) q = text.indexOf('"', q + 1);
      if (q === -1) return true;
      i = q;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + 1;
      // Whether the token is a plain integer: digits only (after a sign), no leading zero, so 15
      // digits or fewer read back exactly without a slice and a String(Number()) round (a page
      // of items holds thousands of ids and amounts).
      let plain = c !== 45 || (j < n && text.charCodeAt(j) >= 49 && text.charCodeAt(j) <= 57);
      if (c === 48 /* 0 */) plain = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= 48 && d <= 57) continue;
        if (!(d === 46 || d === 101 || d === 69 || d === 43 || d === 45)) break;
        plain = false;
      }
      const digits = c === 45 ? j - i - 1 : j - i;
      if (!(plain && digits <= 15) && String(Number(text.slice(i, j))) !== text.slice(i, j)) return false;
      i = j - 1;
    }
  }
  return true;
}

/** True when the character at `at` follows an odd number of backslashes. */
function escapedAt(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && text.charCodeAt(k) === 92 /* \\ */) k--;
  return (at - 1 - k) % 2 === 1;
}

/** Thrown by `parseJsonExact` for an object with a key twice, which has no faithful single JSON value. */
export class DuplicateKeyError extends Error {
  constructor(readonly key: string) {
    super(`the key "${key}" appears twice in one object`);
  }
}

export type DuplicateKeys = 'refuse' | 'first' | 'last';

/**
 * Parses JSON text, numbers per `parseNumberExact`, object key order kept. Duplicate keys throw
 * DuplicateKeyError unless `duplicates` says which one to keep. Throws SyntaxError for invalid text.
 */
export function parseJsonExact(text: string, duplicates: DuplicateKeys = 'refuse'): unknown {
  // JSON.parse keeps the last of duplicate keys, so for 'last' it may serve text whose every
  // number would come back character for character anyway: it is several times faster.
  if (duplicates === 'last' && numbersReadBackExactly(text)) return JSON.parse(text);
  return losslessParse(text, null, {
    parseNumber: parseNumberExact,
    onDuplicateKey: ({ key, oldValue, newValue }) => {
      if (duplicates === 'first') return oldValue;
      if (duplicates === 'last') return newValue;
      throw new DuplicateKeyError(key);
    },
  });
}

/** True when a value holds a LosslessNumber anywhere (plain objects and arrays are searched). */
export function holdsLosslessNumber(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const v of value) if (holdsLosslessNumber(v)) return true;
    return false;
  }
  if (isLosslessNumber(value)) return true;
  for (const k in value) if (holdsLosslessNumber((value as Record<string, unknown>)[k])) return true;
  return false;
}

/** What JSON.stringify makes of a LosslessNumber's own property; no other JSON text holds it outside a string but an object with that very key. */
const LOSSLESS_MARK = '"isLosslessNumber":true';

/**
 * JSON text of a value, LosslessNumbers written with their exact digits. The native serializer
 * runs first (several times faster); only when its text shows a LosslessNumber's fields (or it
 * refuses the value) does the exact writer take over.
 */
export function stringifyJsonExact(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !text.includes(LOSSLESS_MARK)) return text;
  return holdsLosslessNumber(value) ? (losslessStringify(value) as string) : JSON.stringify(value);
}

/** The exact decimal text of a JSON number (plain or lossless), or undefined for anything else. */
export function numberText(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (isLosslessNumber(value)) return (value as LosslessNumber).value;
  return undefined;
}

/**
 * A copy for reports and logs that are written as plain JSON: every LosslessNumber becomes the
 * string of its digits, so no digit is lost where the exact writer is not used (the value's type is
 * then a string there; comparison never uses this form). Values without one are returned as they are.
 */
export function forDisplay<T>(value: T): T {
  if (!holdsLosslessNumber(value)) return value;
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (isLosslessNumber(v)) return (v as LosslessNumber).value;
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return walk(value) as T;
}
