/**
 * The entity key as the `targetingKey` a routing document is evaluated with. Tracer and every
 * consumer must turn a key into the same string, or a percent rollout would send one order to two
 * sides; this is the one function both import (apps in other languages follow docs/routing.md).
 */

/** One key column's value: integers that fit a double as numbers, everything else as strings. */
export type RoutingKeyPart = string | number;

/**
 * - one column: the value as a string (`42` → `"42"`, `"7f1c…"` unchanged), which is what an app
 *   would naturally pass;
 * - several columns: each value as a string with `\` and `|` escaped by a backslash, joined by `|`
 *   (`[7, "a|b"]` → `7|a\|b`), so two different keys never give the same string;
 * - then `%` and every character outside printable ASCII become `%XX` per UTF-8 byte (`é` → `%C3%A9`):
 *   flagd's JavaScript engine hashes a string's UTF-16 code units while Go and Java hash UTF-8
 *   bytes, and they agree only on ASCII, so the key is made ASCII before anyone hashes it.
 */
export function routingKey(key: RoutingKeyPart | readonly RoutingKeyPart[]): string {
  if (!Array.isArray(key)) return asciiOnly(partText(key as RoutingKeyPart));
  const parts = key as readonly RoutingKeyPart[];
  if (parts.length === 0) throw new TypeError('a routing key needs at least one column value');
  if (parts.length === 1) return asciiOnly(partText(parts[0]!));
  return asciiOnly(parts.map((p) => partText(p).replace(/[\\|]/g, (c) => `\\${c}`)).join('|'));
}

const utf8 = new TextEncoder();

function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]+/gu, (run) => [...utf8.encode(run)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

function partText(part: RoutingKeyPart): string {
  if (typeof part === 'number') {
    // Keys are integers within 2^53 (larger ones travel as strings), whose decimal form is the same in every language.
    if (!Number.isSafeInteger(part)) throw new TypeError(`a numeric key must be a safe integer, got ${part}; pass larger or fractional keys as strings`);
    return String(part);
  }
  if (typeof part !== 'string') throw new TypeError(`a key column value must be a string or a number, got ${typeof part}`);
  return part;
}
