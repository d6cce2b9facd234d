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
 * single delete `DELETE {delete.path}` with `{key}`; 404 means already gone, which is success.
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
