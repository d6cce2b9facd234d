/**
 * The new service's API as Tracer uses it. The wire protocol (documented in docs/target-protocol.md):
 * batch write  `{method} {write.path}` body `{ "items": [item…] }`, header `Idempotency-Key`,
 *              answer `{ "results": [{ "key": {…}, "status": 200|201|4xx, "error"?: "…" }] }` in item order;
 * batch read   `POST {read.path}` body `{ "keys": [{…}] }`, answer `{ "items": [item…] }` (missing keys absent);
 * single write `PUT {write.path}` with `{key}` in the path replaced by the URL-encoded key, body the item;
 * single read  `GET {read.path}` with `{key}`; 404 means missing;
 * list         `GET {list.path}?cursor=…&limit=…`, answer `{ "items": […], "nextCursor"?: "…" }`;
 * batch delete `POST {delete.path}` body `{ "keys": [{…}] }`, header `Idempotency-Key`, answer
 *              `{ "results": [{ "status": 200|204|404|4xx, "error"?: "…" }] }` in key order;
 * single delete `DELETE {delete.path}` with `{key}`; 404 means already gone, which is success;
 * changes      `GET {changes.path}?updatedSince=…&afterKey=…&limit=…`, answer `{ "changes": [{ "key": {…},
 *              "updatedAt": "…", "item"?: {…}, "deleted"?: true, "origin"?: "…" }] }` in (updatedAt, key) order.
 * Every request carries `Tracer-Origin: sync`, so the change feed can tell Tracer's own writes apart.
 */

/** Target key fields → values, e.g. `{ id: 42 }` or `{ orderId: 1, lineNo: 3 }`. */
export type TargetKey = Record<string, unknown>;
export type TargetItem = Record<string, unknown>;

export interface ItemResult {
  key: TargetKey;
  ok: boolean;
  status: number;
  /** Response excerpt for a failed item, secrets already redacted. */
  error?: string;
}

/** One entry of the service's change feed: an item's state now, or its deletion. */
export interface ServiceChange {
  key: TargetKey;
  /** ISO 8601 UTC with the service's full precision; with the key's path segment, the feed's order. */
  updatedAt: string;
  /** The item as it is now; absent when `deleted`. */
  item?: TargetItem;
  deleted?: boolean;
  /** `sync` when Tracer itself wrote this state (the `Tracer-Origin` header); absent for other writers. */
  origin?: string;
}

export interface ListPage {
  items: TargetItem[];
  nextCursor?: string;
}

/** One target endpoint set for one entity. Throws the errors below; never retries by itself beyond one request. */
export interface TargetClient {
  readonly service: string;
  /** Upsert items; per-item results in input order. 400/409/422 on an item are results, not throws. */
  write(items: readonly TargetItem[], idempotencyKey: string): Promise<ItemResult[]>;
  /** Items found for these keys. */
  read(keys: readonly TargetKey[]): Promise<TargetItem[]>;
  /** One page of every item; throws TargetUnsupportedError when the plan has no list endpoint. */
  list(cursor: string | undefined, limit: number): Promise<ListPage>;
  /** Proves reachability and auth by calling the read endpoint with an empty or unlikely key. */
  probe(): Promise<void>;
  /**
   * Deletes items by key (sync's deletes, verification's repair of extras); an item already gone
   * counts as deleted. Absent when the plan declares no way to delete.
   */
  remove?(keys: readonly TargetKey[], idempotencyKey?: string): Promise<ItemResult[]>;
  /**
   * Changes after `(updatedSince, afterKey)` in (updatedAt, key) order — at or after `updatedSince`
   * when `afterKey` is absent; `afterKey` is the key's path segment (keyPath.ts). Absent when the
   * plan declares no change feed.
   */
  changes?(updatedSince: string, afterKey: string | undefined, limit: number): Promise<ServiceChange[]>;
  /**
   * Checks the write path without writing (an OPTIONS request per write endpoint); absent when the
   * profile cannot. Never creates, changes or deletes an item.
   */
  probeWrite?(): Promise<WriteProbe>;
}

/** What a read-only probe of the write path could and could not establish. */
export interface WriteProbe {
  /** Write endpoints whose method the service says it allows. */
  proven: string[];
  /** What could not be checked, each a sentence saying why. */
  unchecked: string[];
  /** Endpoints the service says do not allow the method the plan uses. */
  refused: string[];
}
