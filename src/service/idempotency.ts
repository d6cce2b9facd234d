/**
 * Idempotency keys: the same entity, keys and row versions always give the same key, so a batch
 * re-sent after a crash or a retry carries the key of its first attempt and the service (or a
 * proxy) can recognise it; a changed row version gives a new key, since it is new content.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted and Dates/bigints made explicit, so equal values hash equally. */
function canonical(value: unknown): string {
  // The common cases first: key parts and versions are numbers and strings.
  if (typeof value === 'string' || typeof value === 'number') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(`${value}n`);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Buffer.isBuffer(value)) return JSON.stringify(`base64:${value.toString('base64')}`);
  if (Array.isArray(value)) {
    // A key tuple of numbers and strings is its own canonical JSON.
    if (value.every((v) => typeof v === 'number' || typeof v === 'string')) return JSON.stringify(value);
    return `[${value.map(canonical).join(',')}]`;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * canonical() of the values a batch is made of, without a JSON.stringify call for a number or a
 * one-part key (the same text: a finite number's JSON is its String(); a key part is never NaN).
 * A 500-item page cost a backfill worker about 1 ms in canonical() alone, as much as its JSON body.
 */
function canonicalPart(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  // A string JSON writes as itself between quotes (nothing to escape, no surrogate that could be
  // lone) skips JSON.stringify: a row version is such a string, once per row copied.
  if (typeof value === 'string' && !WRITTEN_ESCAPED.test(value)) return `"${value}"`;
  return canonical(value);
}
/** What JSON.stringify would not write as itself: quote, backslash, control characters, any surrogate. */
const WRITTEN_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;
function canonicalKey(key: unknown): string {
  if (Array.isArray(key) && key.length === 1) {
    const v: unknown = key[0];
    if (typeof v === 'number' || typeof v === 'string') return `[${canonicalPart(v)}]`;
  }
  return canonical(key);
}

/**
 * A stable key (64 hex chars of sha256) for writing these items, in this order, of this entity:
 * the hash of `entity`, then per item a line break, its key, `@` and its version, all canonical.
 * The text is hashed in one call (one per item cost a backfill worker a few percent of its CPU).
 */
export function idempotencyKey(entity: string, items: readonly { key: unknown; version?: unknown }[]): string {
  let text = canonical(entity);
  for (const it of items) text += `\n${canonicalKey(it.key)}@${canonicalPart(it.version)}`;
  return createHash('sha256').update(text).digest('hex');
}
