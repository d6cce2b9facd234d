/**
 * The client for a plain REST service (docs/target-protocol.md, "REST targets"): no batch
 * protocol, so a write is an upsert built from the service's own verbs, one item per request.
 *
 * - `update-first`: update (PUT/PATCH `{key}`); on 404 create; if the create then finds the item
 *   there (a racing writer), update once more.
 * - `create-first`: create; when the service says the item already exists (`exists.status`, and
 *   `exists.bodyPattern` for services answering 500), update; on 404 there (deleted meanwhile) create.
 * Either way a re-send after a crash or a retry converges on the same item, so the sweep's
 * at-least-once delivery is safe.
 *
 * Requests of every client of one service pass one shared gate (`concurrency` per worker, across
 * partitions). One attempt per request; failures are classified (classify.ts): retryable and auth
 * throw for Temporal's retry policy or the pause, other 4xx on an item are that item's failure.
 */
import type { RestTarget, TargetServiceConfig } from '../plan/schema.js';
import { errorExcerpt, responseError, statusClass } from './classify.js';
import { createExchange, parseAnswer, type Answer } from './exchange.js';
import { TargetPermanentError, TargetUnsupportedError } from './errors.js';
import { createGate, type Gate } from './gate.js';
import { KEY_PLACEHOLDER, withKey } from './keyPath.js';
import { concatLists, mapLimit } from './mapLimit.js';
import type { ItemResult, ListPage, TargetClient, TargetItem, TargetKey, WriteProbe } from './types.js';

export interface RestClientOptions {
  service: string;
  /** Headers already interpolated by the plan loader. */
  config: TargetServiceConfig;
  target: RestTarget;
  /** Target fields identifying an item, in key order (dotted for nested fields). */
  keyFields: string[];
  /** Shared by every client of this service in the worker; a private one of `config.concurrency` when absent. */
  gate?: Gate;
  fetch?: typeof fetch;
}

const PROBE_VALUE = '__tracer_probe__';

/** The value at a dotted path of a JSON answer; the whole answer for "". */
export function atBodyPath(body: unknown, path: string): unknown {
  if (path === '') return body;
  let o = body;
  for (const seg of path.split('.')) {
    if (o === null || typeof o !== 'object' || !Object.prototype.hasOwnProperty.call(o, seg)) return undefined;
    o = (o as Record<string, unknown>)[seg];
  }
  return o;
}

/** A key field of an item or of a key object: a dotted field is read through nested objects, or as a flat name. */
function fieldOf(obj: Record<string, unknown>, field: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, field)) return obj[field];
  return atBodyPath(obj, field);
}

export function createRestClient(opts: RestClientOptions): TargetClient {
  const { service, config, keyFields } = opts;
  const rest = opts.target.rest;
  const gate = opts.gate ?? createGate(config.concurrency);
  const existsPattern = rest.exists.bodyPattern === undefined ? undefined : new RegExp(rest.exists.bodyPattern);
  const deletePath = rest.delete?.path ?? rest.update.path;

  const exchange = createExchange(service, config, opts.fetch);
  const { local } = exchange;
  const base = config.baseUrl.replace(/\/+$/, '');

  const keyOf = (item: Record<string, unknown>): TargetKey => Object.fromEntries(keyFields.map((f) => [f, fieldOf(item, f)]));
  const pathFor = (path: string, key: TargetKey) => withKey(path, key, keyFields);

  const request = (method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<Answer> =>
    gate.run(() => exchange.send(method, path, body, idempotencyKey));


  const fail = (method: string, path: string, a: Answer) => responseError(service, a.status, `${method} ${path}`, a.text, a.headers.get('retry-after'), local);

  /** True when a create's answer means "this item is already there". */
  const alreadyExists = (a: Answer): boolean => {
    if (!rest.exists.status.includes(a.status)) return false;
    if (existsPattern) return existsPattern.test(a.text);
    // Without a pattern a 5xx is a failing service, never an answer about the item.
    return a.status < 500;
  };

  /** The item's result from a final answer: ok; retryable/auth thrown; any other refusal is the item's failure. */
  function settle(key: TargetKey, method: string, path: string, a: Answer): ItemResult {
    const cls = statusClass(a.status);
    if (cls === 'ok') return { key, ok: true, status: a.status };
    if (cls === 'retryable' || cls === 'auth') throw fail(method, path, a);
    const body = parseAnswer(a.text);
    const msg = body && typeof body === 'object' ? ((body as Record<string, unknown>).error ?? (body as Record<string, unknown>).message) : undefined;
    const reason = typeof msg === 'string' ? msg : a.text === '' || a.text === '{}' ? `HTTP ${a.status}` : a.text;
    return { key, ok: false, status: a.status, error: errorExcerpt(`${method} ${path} answered HTTP ${a.status}: ${reason}`, local) };
  }

  async function upsertOne(item: TargetItem, idempotencyKey: string): Promise<ItemResult> {
    const key = keyOf(item);
    const createPath = pathFor(rest.create.path, key);
    const updatePath = pathFor(rest.update.path, key);
    const create = () => request(rest.create.method, createPath, item, idempotencyKey);
    const update = () => request(rest.update.method, updatePath, item, idempotencyKey);
    if (rest.upsert === 'update-first') {
      const u = await update();
      // 404 on update is the signal to create, not a failure.
      if (u.status !== 404) return settle(key, rest.update.method, updatePath, u);
      const c = await create();
      if (!alreadyExists(c)) return settle(key, rest.create.method, createPath, c);
      return settle(key, rest.update.method, updatePath, await update());
    }
    const c = await create();
    if (!alreadyExists(c)) return settle(key, rest.create.method, createPath, c);
    const u = await update();
    if (u.status !== 404) return settle(key, rest.update.method, updatePath, u);
    return settle(key, rest.create.method, createPath, await create());
  }

  function asObject(value: unknown, what: string, status: number): TargetItem {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TargetPermanentError(service, status, `target "${service}" answered ${what} without a JSON object${rest.read.item ? ` at "${rest.read.item}"` : ''}`);
    }
    return value as TargetItem;
  }

  async function readOne(key: TargetKey): Promise<TargetItem | undefined> {
    const path = pathFor(rest.read.path, key);
    const a = await request('GET', path);
    if (a.status === 404) return undefined;
    if (statusClass(a.status) !== 'ok') throw fail('GET', path, a);
    return asObject(atBodyPath(parseAnswer(a.text), rest.read.item), `GET ${path}`, a.status);
  }

  /** Keys → `GET path?param=a&param=b` requests, each URL within `maxUrlLength` (at least one key per request). */
  function multiReadPaths(keys: readonly TargetKey[]): string[] {
    const many = rest.readMany!;
    const [pathOnly, existing] = many.path.split('?', 2) as [string, string | undefined];
    const head = `${pathOnly}?${existing ? `${existing}&` : ''}`;
    const name = encodeURIComponent(many.param);
    const paths: string[] = [];
    let current = '';
    for (const k of keys) {
      const part = `${name}=${encodeURIComponent(String(fieldOf(k, keyFields[0]!)))}`;
      const candidate = current === '' ? part : `${current}&${part}`;
      if (current !== '' && (base + head + candidate).length > many.maxUrlLength) {
        paths.push(head + current);
        current = part;
      } else current = candidate;
    }
    if (current !== '') paths.push(head + current);
    return paths;
  }

  async function readMany(path: string): Promise<TargetItem[]> {
    const a = await request('GET', path);
    if (statusClass(a.status) !== 'ok') throw fail('GET', path, a);
    const items = atBodyPath(parseAnswer(a.text), rest.readMany!.items);
    if (!Array.isArray(items)) {
      throw new TargetPermanentError(service, a.status, `target "${service}" answered GET ${path.split('?')[0]} without a list${rest.readMany!.items ? ` at "${rest.readMany!.items}"` : ''}`);
    }
    return items as TargetItem[];
  }

  async function removeOne(key: TargetKey): Promise<ItemResult> {
    const path = pathFor(deletePath, key);
    const a = await request('DELETE', path);
    // Already gone is what a delete wants.
    if (a.status === 404) return { key, ok: true, status: 404 };
    return settle(key, 'DELETE', path, a);
  }

  /** What an OPTIONS answer says about `method` on `path`: allowed, refused, or nothing. */
  async function optionsAllow(method: string, path: string): Promise<'allowed' | 'refused' | string> {
    const a = await request('OPTIONS', path);
    const cls = statusClass(a.status);
    if (cls === 'auth') throw fail('OPTIONS', path, a);
    const allow = a.headers.get('allow') ?? a.headers.get('access-control-allow-methods');
    if (cls !== 'ok' || !allow) {
      return `${method} ${path}: the service does not say which methods it allows (OPTIONS answered HTTP ${a.status}${cls === 'ok' ? ' without an Allow header' : ''}), so the first write will show whether it works`;
    }
    const methods = allow.split(',').map((m) => m.trim().toUpperCase());
    return methods.includes(method) ? 'allowed' : 'refused';
  }

  const concurrency = gate.size;

  return {
    service,

    async write(items, idempotencyKey) {
      if (items.length === 0) return [];
      return mapLimit(items, concurrency, (item, i) => upsertOne(item, items.length === 1 ? idempotencyKey : `${idempotencyKey}-${i}`));
    },

    async read(keys) {
      if (keys.length === 0) return [];
      if (rest.readMany && keyFields.length === 1) return concatLists(await mapLimit(multiReadPaths(keys), concurrency, readMany));
      return (await mapLimit(keys, concurrency, readOne)).filter((x): x is TargetItem => x !== undefined);
    },

    async list(cursor, limit): Promise<ListPage> {
      const list = rest.list;
      if (!list) {
        throw new TargetUnsupportedError(`target "${service}" has no list endpoint for this entity`, {
          hint: 'Add `target.rest.list` to the entity in the plan to let verification find items the legacy lacks.',
        });
      }
      const [pathOnly, existing] = list.path.split('?', 2) as [string, string | undefined];
      const params = new URLSearchParams(existing);
      params.set(list.limitParam, String(limit));
      const page = list.pageParam !== undefined ? (cursor === undefined ? list.firstPage : Number(cursor)) : undefined;
      if (list.pageParam !== undefined) params.set(list.pageParam, String(page));
      else if (list.cursorParam !== undefined && cursor !== undefined) params.set(list.cursorParam, cursor);
      const path = `${pathOnly}?${params}`;
      const a = await request('GET', path);
      if (statusClass(a.status) !== 'ok') throw fail('GET', path, a);
      const body = parseAnswer(a.text);
      const items = atBodyPath(body, list.items);
      if (!Array.isArray(items)) {
        throw new TargetPermanentError(service, a.status, `target "${service}" answered GET ${pathOnly} without a list${list.items ? ` at "${list.items}"` : ''}`);
      }
      const out: ListPage = { items: items as TargetItem[] };
      if (page !== undefined) {
        // Page numbers: a full page may have a successor; a short one is the last.
        if (items.length >= limit) out.nextCursor = String(page + 1);
      } else if (list.nextCursor !== undefined) {
        const next = atBodyPath(body, list.nextCursor);
        if ((typeof next === 'string' && next !== '') || typeof next === 'number') out.nextCursor = String(next);
      }
      return out;
    },

    async probe() {
      const key: TargetKey = Object.fromEntries(keyFields.map((f) => [f, PROBE_VALUE]));
      const path = pathFor(rest.read.path, key);
      const a = await request('GET', path);
      if (statusClass(a.status) === 'ok' || a.status === 404 || a.status === 400 || a.status === 422) return;
      throw fail('GET', path, a);
    },

    async remove(keys) {
      return mapLimit(keys, concurrency, removeOne);
    },

    async probeWrite(): Promise<WriteProbe> {
      const key: TargetKey = Object.fromEntries(keyFields.map((f) => [f, PROBE_VALUE]));
      const out: WriteProbe = { proven: [], unchecked: [], refused: [] };
      const endpoints: [string, string][] = [
        [rest.create.method, rest.create.path],
        [rest.update.method, rest.update.path],
      ];
      for (const [method, template] of endpoints) {
        const path = template.includes(KEY_PLACEHOLDER) ? pathFor(template, key) : template;
        const what = `${method} ${template}`;
        const answer = await optionsAllow(method, path);
        if (answer === 'allowed') out.proven.push(what);
        else if (answer === 'refused') out.refused.push(what);
        else out.unchecked.push(answer);
      }
      out.unchecked.push('whether the service accepts the mapped items (field names and types) is not checked without writing one');
      return out;
    },
  };
}
