/** How a key goes into a URL path (docs/target-protocol.md, "Keys in paths"); one rule for both target profiles. */
import type { TargetKey } from './types.js';

export const KEY_PLACEHOLDER = '{key}';

/** The key values in key order, each URL-encoded, joined by ",": `{orderId: 8, lineNo: "x,y"}` → `8,x%2Cy`. */
export function keySegment(key: TargetKey, keyFields: readonly string[]): string {
  return keyFields.map((f) => encodeURIComponent(String(key[f]))).join(',');
}

/** `path` with every `{key}` replaced by the key's segment. */
export function withKey(path: string, key: TargetKey, keyFields: readonly string[]): string {
  return path.split(KEY_PLACEHOLDER).join(keySegment(key, keyFields));
}
