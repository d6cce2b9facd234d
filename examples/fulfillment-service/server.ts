/**
 * The reference "new service": a real HTTP server speaking the target protocol of
 * docs/target-protocol.md, storing what it receives in its own PostgreSQL schema, with knobs that
 * make it fail the ways real services fail (5xx, 429 + Retry-After, latency, 401, per-item 422) and a
 * request log the tests count from. Failure injection is deterministic: request n of the affected
 * scope fails when floor((n+1)·rate) > floor(n·rate), so any k consecutive requests see at most
 * ceil(k·rate) failures and a retry is never starved.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLosslessNumber, parseJsonExact, stringifyJsonExact } from '../../src/values/json.js';
import { createItemStore, type ItemStore, type StoredRow } from './store.js';

export interface RejectRule {
  /** Item field, dotted for nested fields (`address.country`). */
  field: string;
  /** Items whose field equals this (JSON equality) are rejected. */
  equals?: unknown;
  /** Items whose field, as a string, matches this regular expression are rejected. */
  pattern?: string;
  /** The per-item error text; a default names the rule. */
  message?: string;
}

export interface Knobs {
  /** Fraction (0–1) of affected requests answered 503 without touching the store. */
  failRate5xx: number;
  /** Fraction (0–1) of affected requests answered 429 with `Retry-After: retryAfterSeconds`. */
  rate429: number;
  retryAfterSeconds: number;
  /** Added before every /v1 answer. */
  latencyMs: number;
  /** Every /v1 request gets 401, whatever its credentials. */
  force401: boolean;
  /** Items matching are refused with a per-item 422; null for none. Neither equals nor pattern: the field is present. */
  reject: RejectRule | null;
  /** Which requests the 5xx and 429 rates apply to. */
  failScope: 'all' | 'writes' | 'reads';
  /**
   * After this many write requests (counted from when knobs were last set), every further write
   * request is received and counted in the log, then held unanswered until knobs are set again or
   * the service closes; null (the default) holds nothing. Stops a client at a known request: the
   * crash tests kill a worker while its request n+1 is held, so what it re-sends is known exactly.
   */
  holdWritesAfter: number | null;
}

export const DEFAULT_KNOBS: Knobs = {
  failRate5xx: 0,
  rate429: 0,
  retryAfterSeconds: 1,
  latencyMs: 0,
  force401: false,
  reject: null,
  failScope: 'all',
  holdWritesAfter: null,
};

export interface RequestLog {
  /** Every /v1 request, whatever its answer. */
  total: number;
  /** Write requests: batch upserts, single PUT/POST and DELETE. */
  writes: number;
  reads: number;
  /** Items in write requests that reached the store (requests failed by a knob do not count; 422 items do). */
  itemsReceived: number;
  /** `collection/canonicalKey` → times received; empty when the service runs with trackKeys: false. */
  itemsByKey: Map<string, number>;
  /** Receipts of a key already received before: what crashes and retries re-sent (needs trackKeys). */
  resentItems: number;
  /** HTTP status answered → count, over /v1 requests. */
  statuses: Record<string, number>;
  /** Per-item status in write answers → count. */
  itemStatuses: Record<string, number>;
  /** Answers produced by knobs rather than by the store. */
  injected: { '503': number; '429': number; '401': number };
  /** Epoch ms of the first and last write request that reached the store. */
  firstWriteAt?: number;
  lastWriteAt?: number;
  /** Epoch ms of the last write request received at all, failed by a knob or not. */
  lastWriteRequestAt?: number;
  /** Write requests carrying an Idempotency-Key already seen: re-sent batches. */
  repeatedIdempotencyKeys: number;
  /** Items removed by batch deletes. */
  deletes: number;
  /** Write requests held unanswered right now by the holdWritesAfter knob. */
  heldWrites: number;
}

export interface CollectionConfig {
  key: string[];
}

export interface FulfillmentServiceOptions {
  databaseUrl: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  schema?: string;
  /** When set, /v1 requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Key fields per collection; any other collection is keyed by `id`. */
  collections?: Record<string, CollectionConfig>;
  knobs?: Partial<Knobs>;
  /** Count receipts per key (memory grows with distinct keys; benchmarks turn it off). Default true. */
  trackKeys?: boolean;
}

export interface FulfillmentService {
  readonly url: string;
  readonly port: number;
  readonly knobs: Readonly<Knobs>;
  /** Merge knobs; failure counters restart so a test's pattern does not depend on earlier traffic. */
  setKnobs(partial: Partial<Knobs>): void;
  readonly requestLog: RequestLog;
  resetLog(): void;
  /** Times an item with this key was received in writes since the last reset (needs trackKeys). */
  receivedCount(collection: string, key: Record<string, unknown> | string): number;
  /** Direct store access, bypassing knobs and the log: for assertions and for seeding divergence. */
  getItem(collection: string, key: Record<string, unknown> | string): Promise<Record<string, unknown> | undefined>;
  putItem(collection: string, item: Record<string, unknown>): Promise<void>;
  deleteItem(collection: string, key: Record<string, unknown> | string): Promise<boolean>;
  count(collection: string): Promise<number>;
  /** Every item of a collection in key order. */
  allItems(collection: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Canonical key text: each key field's value stringified and URL-encoded, joined by "," — also the single-item path form. */
export function canonicalKey(keyFields: readonly string[], item: Record<string, unknown>): string {
  return keyFields.map((f) => encodeURIComponent(String(item[f]))).join(',');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function emptyLog(): RequestLog {
  return {
    total: 0,
    writes: 0,
    reads: 0,
    itemsReceived: 0,
    itemsByKey: new Map(),
    resentItems: 0,
    statuses: {},
    itemStatuses: {},
    injected: { '503': 0, '429': 0, '401': 0 },
    repeatedIdempotencyKeys: 0,
    deletes: 0,
    heldWrites: 0,
  };
}

function fieldValue(item: Record<string, unknown>, path: string): unknown {
  let v: unknown = item;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function rejection(rule: RejectRule | null, item: Record<string, unknown>): string | undefined {
  if (!rule) return undefined;
  const v = fieldValue(item, rule.field);
  let hit: boolean;
  if (rule.equals !== undefined) hit = stringifyJsonExact(v) === stringifyJsonExact(rule.equals);
  else if (rule.pattern !== undefined) hit = v !== undefined && new RegExp(rule.pattern).test(String(v));
  else hit = v !== undefined;
  if (!hit) return undefined;
  return rule.message ?? `rejected: field "${rule.field}" value ${stringifyJsonExact(v)} is not accepted`;
}

function isScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isLosslessNumber(v);
}

/** Deterministic "fires on this request" for a rate: evenly spread, at most ceil(k·rate) of any k in a row. */
function fires(n: number, rate: number, phase: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return Math.floor((n + 1) * rate + phase) > Math.floor(n * rate + phase);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    // Every digit kept (values/json.ts), as a faithful service must; a duplicate key: the last wins, as in JSON.parse.
    return parseJsonExact(text, 'last');
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : stringifyJsonExact(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Start the service: creates its schema when missing, listens, resolves once it accepts requests. */
export async function startFulfillmentService(opts: FulfillmentServiceOptions): Promise<FulfillmentService> {
  const schema = opts.schema ?? 'fulfillment';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  const store: ItemStore = createItemStore(opts.databaseUrl, schema);
  await store.init();
  const collections = opts.collections ?? {};
  const trackKeys = opts.trackKeys ?? true;
  let knobs: Knobs = { ...DEFAULT_KNOBS, ...opts.knobs };
  let log = emptyLog();
  let failCounter = 0;
  // Write requests since knobs were last set, and the releases of those held (holdWritesAfter).
  let writesSinceKnobs = 0;
  let held: (() => void)[] = [];
  let seenIdempotencyKeys = new Set<string>();

  const keyFieldsOf = (collection: string) => collections[collection]?.key ?? ['id'];

  function keyFromPath(collection: string, segment: string): string {
    const parts = segment.split(',');
    const fields = keyFieldsOf(collection);
    if (parts.length !== fields.length) {
      throw new HttpError(400, `key "${segment}" has ${parts.length} part(s); collection "${collection}" is keyed by ${fields.join(', ')}`);
    }
    // Re-encode each part so that "a%2Cb" and an unencoded equivalent map to one canonical key.
    return parts.map((p) => encodeURIComponent(decodeURIComponent(p))).join(',');
  }

  function keyOf(collection: string, key: Record<string, unknown> | string): string {
    return typeof key === 'string' ? keyFromPath(collection, key) : canonicalKey(keyFieldsOf(collection), key);
  }

  /** Validate an item for upsert: an error text, or its stored row. */
  function toRow(collection: string, item: unknown): { row?: StoredRow; error?: string; key: Record<string, unknown> } {
    const fields = keyFieldsOf(collection);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return { error: 'item is not a JSON object', key: {} };
    }
    const obj = item as Record<string, unknown>;
    const key: Record<string, unknown> = {};
    for (const f of fields) key[f] = obj[f];
    for (const f of fields) {
      if (!isScalar(obj[f])) return { error: `key field "${f}" is missing or not a string, number or boolean`, key };
    }
    const rejected = rejection(knobs.reject, obj);
    if (rejected) return { error: rejected, key };
    return { row: { key: canonicalKey(fields, obj), keyValues: fields.map((f) => obj[f]), data: obj }, key };
  }

  function countItems(collection: string, items: readonly unknown[]): void {
    log.itemsReceived += items.length;
    if (!trackKeys) return;
    const fields = keyFieldsOf(collection);
    for (const it of items) {
      if (it === null || typeof it !== 'object') continue;
      const obj = it as Record<string, unknown>;
      if (!fields.every((f) => isScalar(obj[f]))) continue;
      const k = `${collection}/${canonicalKey(fields, obj)}`;
      const before = log.itemsByKey.get(k) ?? 0;
      if (before > 0) log.resentItems += 1;
      log.itemsByKey.set(k, before + 1);
    }
  }

  /** Who made a write, as the change feed reports it: Tracer marks its own writes `Tracer-Origin: sync`. */
  const originOf = (req: http.IncomingMessage): string | undefined => {
    const h = req.headers['tracer-origin'];
    return typeof h === 'string' && h !== '' ? h.slice(0, 64) : undefined;
  };

  async function upsertItems(collection: string, items: readonly unknown[], origin: string | undefined) {
    const checked = items.map((it) => toRow(collection, it));
    // A key twice in one batch: the last occurrence wins, as if the items had been sent one after another.
    const unique = new Map<string, StoredRow>();
    for (const c of checked) if (c.row) unique.set(c.row.key, c.row);
    const outcomes = await store.upsert(collection, [...unique.values()], origin);
    return checked.map((c) => {
      const status = c.error ? 422 : outcomes.get(c.row!.key)?.created ? 201 : 200;
      log.itemStatuses[status] = (log.itemStatuses[status] ?? 0) + 1;
      return c.error ? { key: c.key, status, error: c.error } : { key: c.key, status };
    });
  }

  function noteWrite(req: http.IncomingMessage): void {
    const now = Date.now();
    log.firstWriteAt ??= now;
    log.lastWriteAt = now;
    const idem = req.headers['idempotency-key'];
    if (typeof idem === 'string' && idem !== '') {
      if (seenIdempotencyKeys.has(idem)) log.repeatedIdempotencyKeys += 1;
      else seenIdempotencyKeys.add(idem);
    }
  }

  /** Holds a write request already counted in the log, when the holdWritesAfter knob says so. */
  async function holdPoint(): Promise<void> {
    const n = writesSinceKnobs++;
    if (knobs.holdWritesAfter === null || n < knobs.holdWritesAfter) return;
    log.heldWrites += 1;
    const current = log;
    await new Promise<void>((resolve) => held.push(resolve));
    current.heldWrites -= 1;
  }

  function releaseHeld(): void {
    const waiting = held;
    held = [];
    for (const release of waiting) release();
  }

  async function handleV1(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams) {
    const method = req.method ?? 'GET';
    const m = /^\/v1\/([^/:]+)(?::(batchUpsert|batchGet|batchDelete|changes))?(?:\/([^/]+))?$/.exec(path);
    if (!m || (m[2] && m[3])) throw new HttpError(404, `no route ${method} ${path}`);
    const collection = decodeURIComponent(m[1]!);
    const action = m[2];
    const keySegment = m[3];
    const isWrite =
      ((action === 'batchUpsert' || action === 'batchDelete') && method === 'POST') ||
      (keySegment !== undefined && (method === 'PUT' || method === 'POST' || method === 'DELETE'));
    if (isWrite) {
      log.writes += 1;
      log.lastWriteRequestAt = Date.now();
    } else log.reads += 1;

    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    if (knobs.force401 || (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`)) {
      log.injected['401'] += knobs.force401 ? 1 : 0;
      // Drain the body so keep-alive connections stay usable.
      await readBody(req).catch(() => undefined);
      return send(res, 401, { error: 'missing or invalid bearer token' }, { 'www-authenticate': 'Bearer' });
    }
    const inScope = knobs.failScope === 'all' || (knobs.failScope === 'writes') === isWrite;
    if (inScope && (knobs.failRate5xx > 0 || knobs.rate429 > 0)) {
      const n = failCounter++;
      if (fires(n, knobs.failRate5xx, 0)) {
        log.injected['503'] += 1;
        await readBody(req).catch(() => undefined);
        return send(res, 503, { error: 'service unavailable (injected)' });
      }
      // Half a period out of phase with the 5xx pattern so equal rates do not land on the same requests.
      if (fires(n, knobs.rate429, 0.5)) {
        log.injected['429'] += 1;
        await readBody(req).catch(() => undefined);
        return send(res, 429, { error: 'too many requests (injected)' }, { 'retry-after': String(knobs.retryAfterSeconds) });
      }
    }

    if (action === 'batchUpsert') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${path}`);
      const body = (await readBody(req)) as { items?: unknown } | undefined;
      if (!body || !Array.isArray(body.items)) throw new HttpError(400, 'body must be {"items": [...]}');
      noteWrite(req);
      countItems(collection, body.items);
      await holdPoint();
      return send(res, 200, { results: await upsertItems(collection, body.items, originOf(req)) });
    }
    if (action === 'batchDelete') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${path}`);
      const body = (await readBody(req)) as { keys?: unknown } | undefined;
      if (!body || !Array.isArray(body.keys)) throw new HttpError(400, 'body must be {"keys": [...]}');
      const fields = keyFieldsOf(collection);
      noteWrite(req);
      await holdPoint();
      const results: { status: number; error?: string }[] = [];
      for (const k of body.keys) {
        if (k === null || typeof k !== 'object') {
          results.push({ status: 400, error: 'a key must be an object of key fields' });
          continue;
        }
        const key = canonicalKey(fields, k as Record<string, unknown>);
        results.push((await store.delete(collection, key, originOf(req))) ? { status: 200 } : { status: 404, error: `no item ${key} in ${collection}` });
      }
      log.deletes += results.filter((r) => r.status === 200).length;
      return send(res, 200, { results });
    }
    if (action === 'changes') {
      if (method !== 'GET') throw new HttpError(405, `${method} not allowed on ${path}`);
      const since = query.get('updatedSince');
      if (!since || Number.isNaN(Date.parse(since))) throw new HttpError(400, 'updatedSince must be an ISO 8601 timestamp');
      const afterKey = query.get('afterKey') ?? undefined;
      const limit = Math.min(Math.max(Number(query.get('limit') ?? 100) || 100, 1), 10_000);
      const fields = keyFieldsOf(collection);
      const rows = await store.changes(collection, since, afterKey, limit);
      const changes = rows.map((r) => ({
        key: Object.fromEntries(fields.map((f, i) => [f, r.keyValues[i]])),
        updatedAt: r.updatedAt,
        ...(r.deleted ? { deleted: true } : { item: r.data }),
        ...(r.origin !== undefined ? { origin: r.origin } : {}),
      }));
      return send(res, 200, { changes });
    }
    if (action === 'batchGet') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${path}`);
      const body = (await readBody(req)) as { keys?: unknown } | undefined;
      if (!body || !Array.isArray(body.keys)) throw new HttpError(400, 'body must be {"keys": [...]}');
      const fields = keyFieldsOf(collection);
      const keys = body.keys.map((k) => {
        if (k === null || typeof k !== 'object') throw new HttpError(400, 'every key must be an object of key fields');
        return canonicalKey(fields, k as Record<string, unknown>);
      });
      const found = await store.get(collection, keys);
      const items: unknown[] = [];
      const seen = new Set<string>();
      for (const k of keys) {
        const item = found.get(k);
        if (item && !seen.has(k)) items.push(item);
        seen.add(k);
      }
      return send(res, 200, { items });
    }
    if (keySegment !== undefined) {
      const key = keyFromPath(collection, keySegment);
      if (method === 'GET') {
        const item = (await store.get(collection, [key])).get(key);
        return item ? send(res, 200, item) : send(res, 404, { error: `no item ${key} in ${collection}` });
      }
      if (method === 'DELETE') {
        noteWrite(req);
        await holdPoint();
        return (await store.delete(collection, key, originOf(req))) ? send(res, 204, undefined) : send(res, 404, { error: `no item ${key} in ${collection}` });
      }
      if (method === 'PUT' || method === 'POST') {
        const body = await readBody(req);
        noteWrite(req);
        countItems(collection, [body]);
        await holdPoint();
        const checked = toRow(collection, body);
        if (checked.row && checked.row.key !== key) {
          log.itemStatuses[422] = (log.itemStatuses[422] ?? 0) + 1;
          return send(res, 422, { error: `the item's key ${checked.row.key} differs from the path's key ${key}` });
        }
        const [result] = await upsertItems(collection, [body], originOf(req));
        if (result!.status === 422) return send(res, 422, { error: result!.error });
        return send(res, result!.status, body);
      }
      throw new HttpError(405, `${method} not allowed on ${path}`);
    }
    if (method !== 'GET') throw new HttpError(405, `${method} not allowed on ${path}`);
    const limit = Math.min(Math.max(Number(query.get('limit') ?? 100) || 100, 1), 10_000);
    const cursor = query.get('cursor');
    let after: unknown[] | undefined;
    if (cursor) {
      try {
        after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
        if (!Array.isArray(after)) throw new Error('not an array');
      } catch {
        throw new HttpError(400, 'invalid cursor');
      }
    }
    const rows = await store.page(collection, after, limit);
    const last = rows[rows.length - 1];
    const page: { items: unknown[]; nextCursor?: string } = { items: rows.map((r) => r.data) };
    if (rows.length === limit && last) page.nextCursor = Buffer.from(JSON.stringify(last.keyValues)).toString('base64url');
    return send(res, 200, page);
  }

  function snapshot(withKeys: boolean) {
    const { itemsByKey, ...rest } = log;
    return {
      ...rest,
      distinctKeys: itemsByKey.size,
      ...(withKeys ? { itemsByKey: Object.fromEntries(itemsByKey) } : {}),
    };
  }

  async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams) {
    if (path === '/admin/requests' && req.method === 'GET') return send(res, 200, snapshot(query.get('keys') === '1'));
    if (path === '/admin/knobs' && req.method === 'GET') return send(res, 200, knobs);
    if (path === '/admin/knobs' && req.method === 'POST') {
      const body = await readBody(req);
      if (!body || typeof body !== 'object') throw new HttpError(400, 'body must be a JSON object of knobs');
      service.setKnobs(body as Partial<Knobs>);
      return send(res, 200, knobs);
    }
    if (path === '/admin/reset-log' && req.method === 'POST') {
      await readBody(req).catch(() => undefined);
      service.resetLog();
      return send(res, 200, { ok: true });
    }
    throw new HttpError(404, `no route ${req.method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const isV1 = path.startsWith('/v1/');
    const work = async () => {
      if (path === '/healthz') return send(res, 200, { ok: true });
      if (path.startsWith('/admin/')) return handleAdmin(req, res, path, url.searchParams);
      if (isV1) {
        log.total += 1;
        return handleV1(req, res, path, url.searchParams);
      }
      throw new HttpError(404, `no route ${req.method} ${path}`);
    };
    work()
      .catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof HttpError) send(res, e.status, { error: e.message });
        else send(res, 500, { error: `internal error: ${(e as Error).message}` });
      })
      .finally(() => {
        if (isV1) log.statuses[res.statusCode] = (log.statuses[res.statusCode] ?? 0) + 1;
      });
  });
  // Longer than undici's 4s client keep-alive, so the client always closes first and never
  // writes into a socket the server is closing.
  server.keepAliveTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const service: FulfillmentService = {
    url: `http://${urlHost}:${port}`,
    port,
    get knobs() {
      return knobs;
    },
    setKnobs(partial) {
      knobs = { ...knobs, ...partial };
      failCounter = 0;
      writesSinceKnobs = 0;
      releaseHeld();
    },
    get requestLog() {
      return log;
    },
    resetLog() {
      log = emptyLog();
      seenIdempotencyKeys = new Set();
    },
    receivedCount: (collection, key) => log.itemsByKey.get(`${collection}/${keyOf(collection, key)}`) ?? 0,
    async getItem(collection, key) {
      const k = keyOf(collection, key);
      return (await store.get(collection, [k])).get(k);
    },
    async putItem(collection, item) {
      const fields = keyFieldsOf(collection);
      await store.upsert(collection, [{ key: canonicalKey(fields, item), keyValues: fields.map((f) => item[f]), data: item }]);
    },
    deleteItem: (collection, key) => store.delete(collection, keyOf(collection, key)),
    count: (collection) => store.count(collection),
    async allItems(collection) {
      const out: Record<string, unknown>[] = [];
      let after: unknown[] | undefined;
      for (;;) {
        const rows = await store.page(collection, after, 5000);
        for (const r of rows) out.push(r.data);
        if (rows.length < 5000) return out;
        after = rows[rows.length - 1]!.keyValues;
      }
    },
    async close() {
      releaseHeld();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
  return service;
}
