/**
 * The HTTP client for one entity's endpoints on one target service (protocol in
 * docs/target-protocol.md). One attempt per call: every failure is classified (classify.ts) and
 * thrown, and Temporal's retry policy decides when to try again, so backoff lives in one place.
 *
 * Modes follow the plan: writes are batched when `write.batch` is set (the caller chunks, one
 * request per call), otherwise one request per item with `{key}` in the path. Reads are batched
 * unless `read.path` contains `{key}`. A `{key}` is the key values, each URL-encoded, joined by ",".
 */
import type { BatchTarget, TargetServiceConfig } from '../plan/schema.js';
import { errorExcerpt, responseError, statusClass } from './classify.js';
import { createExchange, parseAnswer, type Answer } from './exchange.js';
import { stringifyJsonExact } from '../values/json.js';
import { TargetPermanentError, TargetUnsupportedError } from './errors.js';
import { KEY_PLACEHOLDER, withKey as withKeyIn } from './keyPath.js';
import { concatLists, mapLimit } from './mapLimit.js';
import type { RateLimiter } from './rateLimiter.js';
import type { ItemResult, ListPage, ServiceChange, TargetClient, TargetItem, TargetKey } from './types.js';

export interface TargetClientOptions {
  /** The plan's name for the service, used in every message. */
  service: string;
  /** Headers already interpolated by the plan loader. */
  config: TargetServiceConfig;
  endpoints: BatchTarget;
  /** Target fields identifying an item, in key order. */
  keyFields: string[];
  /** Shared by every client of this service in the worker; a request takes one token per item or key it carries (at least one). Leave unset when the caller acquires itself. */
  limiter?: RateLimiter;
  fetch?: typeof fetch;
}

const PROBE_VALUE = '__tracer_probe__';

/** JSON text as JSON.parse reads it, or undefined when it is not JSON. */
function parsePlain(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** True when every per-item result says 2xx (what a healthy batch answers). */
function allOk(results: unknown): boolean {
  if (!Array.isArray(results)) return false;
  for (const r of results) {
    const status = (r as { status?: unknown } | null)?.status;
    if (typeof status !== 'number' || status < 200 || status >= 300) return false;
  }
  return true;
}

/** A client for one entity on one service; see TargetClient for the contract of each method. */
export function createTargetClient(opts: TargetClientOptions): TargetClient {
  const { service, config, endpoints, keyFields, limiter } = opts;
  const concurrency = config.concurrency;
  const exchange = createExchange(service, config, opts.fetch);
  const { local } = exchange;

  const keyOf = (item: TargetItem): TargetKey => {
    const key: TargetKey = {};
    for (const f of keyFields) key[f] = item[f];
    return key;
  };
  const withKey = (path: string, key: TargetKey) => withKeyIn(path, key, keyFields);

  const batchWrites = endpoints.write.batch !== undefined;
  // POST is the schema's default; a per-key path means the protocol's PUT unless the plan chose PUT or PATCH.
  const singleWriteMethod =
    endpoints.write.method === 'POST' && endpoints.write.path.includes(KEY_PLACEHOLDER) ? 'PUT' : endpoints.write.method;
  const batchReads = !endpoints.read.path.includes(KEY_PLACEHOLDER);
  // A batch read carries a body, which GET cannot.
  const batchReadMethod = endpoints.read.method === 'GET' ? 'POST' : endpoints.read.method;

  async function request(method: string, path: string, body: unknown, idempotencyKey?: string, tokens = 1): Promise<Answer> {
    if (limiter) await limiter.acquire(Math.max(1, tokens));
    return exchange.send(method, path, body, idempotencyKey);
  }

  const fail = (method: string, path: string, a: Answer) =>
    responseError(service, a.status, `${method} ${path}`, a.text, a.headers.get('retry-after'), local);

  /** The reason a service gave for refusing an item: its `error`/`message` field when it sent JSON, else the body. */
  function reason(raw: unknown, fallback: string): string {
    if (typeof raw === 'string') return errorExcerpt(raw, local);
    if (raw && typeof raw === 'object') {
      const o = raw as Record<string, unknown>;
      const msg = o.error ?? o.message ?? o.detail;
      if (typeof msg === 'string') return errorExcerpt(msg, local);
      return errorExcerpt(stringifyJsonExact(raw), local);
    }
    return errorExcerpt(fallback, local);
  }

  async function writeBatch(items: readonly TargetItem[], idempotencyKey: string): Promise<ItemResult[]> {
    const { method, path } = endpoints.write;
    const a = await request(method, path, { items }, idempotencyKey, items.length);
    if (a.status === 409 || a.status === 422) {
      // The service refused the batch as a whole for its content: no item was written, each is logged.
      const error = reason(parseAnswer(a.text), a.text);
      return items.map((item) => ({ key: keyOf(item), ok: false, status: a.status, error }));
    }
    if (statusClass(a.status) !== 'ok') throw fail(method, path, a);
    // Statuses are small integers, so plain JSON.parse reads them exactly; an answer refusing an
    // item is read again exactly below, since its reasons may quote numbers.
    let body = parsePlain(a.text) as { results?: unknown } | undefined;
    if (body === undefined || !allOk(body.results)) body = parseAnswer(a.text) as { results?: unknown } | undefined;
    const results = body?.results;
    if (!Array.isArray(results) || results.length !== items.length) {
      throw new TargetPermanentError(
        service,
        a.status,
        `target "${service}" answered ${method} ${path} without one result per item (sent ${items.length}, got ${Array.isArray(results) ? results.length : 'none'})`,
      );
    }
    return items.map((item, i) => {
      const r = (results[i] ?? {}) as { status?: unknown; error?: unknown };
      const status = typeof r.status === 'number' ? r.status : a.status;
      const cls = statusClass(status);
      if (cls === 'ok') return { key: keyOf(item), ok: true, status };
      if (cls === 'retryable' || cls === 'auth') {
        // A transient or credential failure on one item is the batch's: re-sending it whole is idempotent.
        throw responseError(service, status, `${method} ${path} (item ${i})`, typeof r.error === 'string' ? r.error : '', a.headers.get('retry-after'), local);
      }
      return { key: keyOf(item), ok: false, status, error: reason(r.error, `HTTP ${status}`) };
    });
  }

  async function writeOne(item: TargetItem, idempotencyKey: string): Promise<ItemResult> {
    const key = keyOf(item);
    const path = withKey(endpoints.write.path, key);
    const a = await request(singleWriteMethod, path, item, idempotencyKey);
    const cls = statusClass(a.status);
    if (cls === 'ok') return { key, ok: true, status: a.status };
    if (cls === 'item') return { key, ok: false, status: a.status, error: reason(parseAnswer(a.text) ?? a.text, a.text) };
    throw fail(singleWriteMethod, path, a);
  }

  /** Deleting what is already gone is the goal reached: 404 is success for deletes. */
  const deleted = (status: number) => statusClass(status) === 'ok' || status === 404;

  async function removeBatch(keys: readonly TargetKey[], idempotencyKey: string, method: string, path: string): Promise<ItemResult[]> {
    const a = await request(method, path, { keys }, idempotencyKey, keys.length);
    if (statusClass(a.status) !== 'ok') throw fail(method, path, a);
    const results = (parseAnswer(a.text) as { results?: unknown } | undefined)?.results;
    if (!Array.isArray(results) || results.length !== keys.length) {
      throw new TargetPermanentError(service, a.status, `target "${service}" answered ${method} ${path} without one result per key (sent ${keys.length}, got ${Array.isArray(results) ? results.length : 'none'})`);
    }
    return keys.map((key, i) => {
      const r = (results[i] ?? {}) as { status?: unknown; error?: unknown };
      const status = typeof r.status === 'number' ? r.status : a.status;
      if (deleted(status)) return { key, ok: true, status };
      const cls = statusClass(status);
      if (cls === 'retryable' || cls === 'auth') throw responseError(service, status, `${method} ${path} (key ${i})`, typeof r.error === 'string' ? r.error : '', a.headers.get('retry-after'), local);
      return { key, ok: false, status, error: reason(r.error, `HTTP ${status}`) };
    });
  }

  async function removeOne(key: TargetKey, idempotencyKey: string, path: string): Promise<ItemResult> {
    const p = withKey(path, key);
    const a = await request('DELETE', p, undefined, idempotencyKey);
    if (deleted(a.status)) return { key, ok: true, status: a.status };
    if (statusClass(a.status) === 'item') return { key, ok: false, status: a.status, error: reason(parseAnswer(a.text) ?? a.text, a.text) };
    throw fail('DELETE', p, a);
  }

  async function readBatch(keys: readonly TargetKey[]): Promise<TargetItem[]> {
    const path = endpoints.read.path;
    const a = await request(batchReadMethod, path, { keys }, undefined, keys.length);
    if (statusClass(a.status) !== 'ok') throw fail(batchReadMethod, path, a);
    const items = (parseAnswer(a.text) as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items)) {
      throw new TargetPermanentError(service, a.status, `target "${service}" answered ${batchReadMethod} ${path} without an "items" array`);
    }
    return items as TargetItem[];
  }

  async function readOne(key: TargetKey): Promise<TargetItem | undefined> {
    const path = withKey(endpoints.read.path, key);
    const a = await request('GET', path, undefined);
    if (a.status === 404) return undefined;
    if (statusClass(a.status) !== 'ok') throw fail('GET', path, a);
    const item = parseAnswer(a.text);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new TargetPermanentError(service, a.status, `target "${service}" answered GET ${path} with something other than a JSON object`);
    }
    return item as TargetItem;
  }

  const del = endpoints.delete;
  const remove = del
    ? async (keys: readonly TargetKey[], idempotencyKey = 'delete'): Promise<ItemResult[]> => {
        if (keys.length === 0) return [];
        if (del.path.includes(KEY_PLACEHOLDER)) return mapLimit(keys, concurrency, (key, i) => removeOne(key, keys.length === 1 ? idempotencyKey : `${idempotencyKey}-${i}`, del.path));
        const size = del.batch ?? keys.length;
        const out: ItemResult[] = [];
        for (let i = 0; i < keys.length; i += size) out.push(...(await removeBatch(keys.slice(i, i + size), `${idempotencyKey}-${i}`, del.method, del.path)));
        return out;
      }
    : undefined;

  const feed = endpoints.changes;
  const changes = feed
    ? async (updatedSince: string, afterKey: string | undefined, limit: number): Promise<ServiceChange[]> => {
        const [pathOnly, existing] = feed.path.split('?', 2) as [string, string | undefined];
        const params = new URLSearchParams(existing);
        params.set('updatedSince', updatedSince);
        if (afterKey !== undefined) params.set('afterKey', afterKey);
        params.set('limit', String(limit));
        const path = `${pathOnly}?${params}`;
        const a = await request('GET', path, undefined);
        if (statusClass(a.status) !== 'ok') throw fail('GET', path, a);
        const list = (parseAnswer(a.text) as { changes?: unknown } | undefined)?.changes;
        if (!Array.isArray(list)) throw new TargetPermanentError(service, a.status, `target "${service}" answered GET ${pathOnly} without a "changes" array`);
        return list.map((c, i) => {
          const o = (c ?? {}) as Record<string, unknown>;
          const ok = o.key !== null && typeof o.key === 'object' && typeof o.updatedAt === 'string' && (o.deleted === true || (o.item !== null && typeof o.item === 'object'));
          if (!ok) throw new TargetPermanentError(service, a.status, `target "${service}" answered GET ${pathOnly} with change ${i} lacking a key, an updatedAt, or an item (or deleted: true)`);
          return {
            key: o.key as TargetKey,
            updatedAt: o.updatedAt as string,
            ...(o.deleted === true ? { deleted: true } : { item: o.item as TargetItem }),
            ...(typeof o.origin === 'string' ? { origin: o.origin } : {}),
          };
        });
      }
    : undefined;

  return {
    service,
    ...(remove ? { remove } : {}),
    ...(changes ? { changes } : {}),

    async write(items, idempotencyKey) {
      if (items.length === 0) return [];
      if (batchWrites) return writeBatch(items, idempotencyKey);
      return mapLimit(items, concurrency, (item, i) => writeOne(item, items.length === 1 ? idempotencyKey : `${idempotencyKey}-${i}`));
    },

    async read(keys) {
      if (keys.length === 0) return [];
      if (!batchReads) return (await mapLimit(keys, concurrency, readOne)).filter((x): x is TargetItem => x !== undefined);
      const size = endpoints.read.batch ?? keys.length;
      const chunks: TargetKey[][] = [];
      for (let i = 0; i < keys.length; i += size) chunks.push(keys.slice(i, i + size));
      return concatLists(await mapLimit(chunks, concurrency, readBatch));
    },

    async list(cursor, limit) {
      if (!endpoints.list) {
        throw new TargetUnsupportedError(`target "${service}" has no list endpoint for this entity`, {
          hint: 'Add `target.list.path` to the entity in the plan to let verification find items the legacy lacks.',
        });
      }
      const [pathOnly, existing] = endpoints.list.path.split('?', 2) as [string, string | undefined];
      const params = new URLSearchParams(existing);
      params.set('limit', String(limit));
      if (cursor !== undefined) params.set('cursor', cursor);
      const path = `${pathOnly}?${params}`;
      const a = await request('GET', path, undefined);
      if (statusClass(a.status) !== 'ok') throw fail('GET', path, a);
      const body = parseAnswer(a.text) as { items?: unknown; nextCursor?: unknown } | undefined;
      if (!body || !Array.isArray(body.items)) {
        throw new TargetPermanentError(service, a.status, `target "${service}" answered GET ${pathOnly} without an "items" array`);
      }
      const page: ListPage = { items: body.items as TargetItem[] };
      if (typeof body.nextCursor === 'string' && body.nextCursor !== '') page.nextCursor = body.nextCursor;
      return page;
    },

    async probe() {
      if (batchReads) {
        const path = endpoints.read.path;
        const a = await request(batchReadMethod, path, { keys: [] });
        // A service may refuse an empty key list; that still proves the route, the network and the credentials.
        if (statusClass(a.status) === 'ok' || a.status === 400 || a.status === 422) return;
        throw fail(batchReadMethod, path, a);
      }
      const key: TargetKey = Object.fromEntries(keyFields.map((f) => [f, PROBE_VALUE]));
      const path = withKey(endpoints.read.path, key);
      const a = await request('GET', path, undefined);
      if (statusClass(a.status) === 'ok' || a.status === 404 || a.status === 400 || a.status === 422) return;
      throw fail('GET', path, a);
    },
  };
}
