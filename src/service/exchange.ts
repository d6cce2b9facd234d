/**
 * One HTTP exchange with the new service, shared by the batch and REST clients: the plan's headers
 * (registered as secrets), exact JSON bodies, the base-URL guard, one timeout over request and
 * body, and network failures classified. Retries, limits and answers stay with the callers.
 *
 * Requests go through node:http(s) with a keep-alive agent per service, the body written once as
 * one buffer: `fetch` turned every string body into a stream and wrote it in pieces, which cost
 * about a tenth of a backfill worker's CPU (docs/operations.md, "Where a worker's CPU goes"). An
 * injected `fetch` (tests) is used as before.
 */
import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { TargetServiceConfig } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import { SecretRegistry } from '../secrets.js';
import { parseJsonExact, stringifyJsonExact } from '../values/json.js';
import { networkError } from './classify.js';
import { TargetPermanentError } from './errors.js';
import { assertUnderBase, requestUrl } from './requestUrl.js';

/** The answer's headers, by case-insensitive name. */
export interface AnswerHeaders {
  get(name: string): string | null;
}

/** The header on every request Tracer makes, and its value. */
export const ORIGIN_HEADER = 'tracer-origin';
export const ORIGIN_VALUE = 'sync';

export interface Answer {
  status: number;
  text: string;
  headers: AnswerHeaders;
}

export interface Exchange {
  /** Header values of this service, to redact from anything it answers. */
  readonly local: SecretRegistry;
  readonly timeoutMs: number;
  send(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<Answer>;
}

/** An answer's JSON with every digit of every number (values/json.ts), or undefined when it is not JSON. */
export function parseAnswer(text: string): unknown {
  try {
    // A duplicate key in an answer is read as every JSON.parse reads it: the last one wins.
    return parseJsonExact(text, 'last');
  } catch {
    return undefined;
  }
}

/** A request that failed before an answer, shaped as fetch reports one (the reason in `cause`), so networkError reads both alike. */
class RequestFailed extends Error {
  constructor(cause: unknown) {
    super('request failed', { cause });
  }
}

/** The timeout of one exchange, named as AbortSignal.timeout names it. */
class RequestTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/** Answer headers from node's lower-cased header object. */
function nodeHeaders(raw: http.IncomingHttpHeaders): AnswerHeaders {
  return {
    get(name) {
      const v = raw[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** The body as text, decoded from the content codings fetch undid by itself (gzip, deflate, br). */
function bodyText(raw: Buffer, encoding: string | undefined): string {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw).toString('utf8');
    case 'deflate':
      return inflateSync(raw).toString('utf8');
    case 'br':
      return brotliDecompressSync(raw).toString('utf8');
    default:
      return raw.toString('utf8');
  }
}

/**
 * One request over a keep-alive agent: the body is one buffer with its length, the answer read
 * whole, everything under one timer. A kept-alive socket the server closed just before it was
 * reused fails with ECONNRESET before anything was answered; that request is sent once more on a
 * new socket (the case Node's documentation gives for `reusedSocket`).
 */
function nodeRequest(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<Answer> {
  const lib = url.protocol === 'https:' ? https : http;
  const once = (retryReused: boolean): Promise<Answer> =>
    new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
      };
      const req = lib.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(new RequestFailed(e)));
        res.on('end', () => {
          if (settled) return;
          let text: string;
          try {
            text = bodyText(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), res.headers['content-encoding']);
          } catch (e) {
            return fail(new RequestFailed(e));
          }
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text, headers: nodeHeaders(res.headers) });
        });
      });
      const timer = setTimeout(() => {
        fail(new RequestTimeout(`no answer within ${timeoutMs}ms`));
        req.destroy();
      }, timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        if (retryReused && req.reusedSocket && e.code === 'ECONNRESET') {
          settled = true;
          clearTimeout(timer);
          once(false).then(resolve, reject);
          return;
        }
        fail(new RequestFailed(e));
      });
      req.end(body);
    });
  return once(true);
}

/** Where a path's requests go, checked against the base URL once per distinct path (a batch client has a handful). */
function urlCache(service: string, baseUrl: string): (method: string, path: string) => URL {
  const seen = new Map<string, URL>();
  return (method, path) => {
    const hit = seen.get(path);
    if (hit) return hit;
    // The plan's paths were checked at load; this also catches a key value that makes one climb out.
    assertUnderBase(service, baseUrl, method, path);
    const r = requestUrl(baseUrl, path);
    if (!r.ok) throw new Error(`unreachable: ${path} was accepted under the base URL`);
    if (seen.size >= 256) seen.clear();
    seen.set(path, r.url);
    return r.url;
  };
}

export function createExchange(service: string, config: TargetServiceConfig, doFetch?: typeof fetch): Exchange {
  const base = config.baseUrl.replace(/\/+$/, '');
  const timeoutMs = durationMs(config.timeout);
  // Header values are secrets whether or not the plan loader registered them: a service echoing
  // the Authorization header back in an error body must not leak it into the failure log.
  const local = new SecretRegistry();
  for (const v of Object.values(config.headers)) {
    local.add(v);
    local.add(v.replace(/^\S+\s+/, ''));
  }
  const urlOf = urlCache(service, config.baseUrl);
  // Sockets stay open between requests; free ones do not keep the process alive (Node unrefs them).
  const agent = doFetch ? undefined : new (base.startsWith('https:') ? https.Agent : http.Agent)({ keepAlive: true, scheduling: 'lifo' });
  return {
    local,
    timeoutMs,
    async send(method, path, body, idempotencyKey) {
      // Marks Tracer's own writes, so a service's change feed can say who wrote a state and reverse
      // sync never sends back what forward sync wrote (docs/target-protocol.md, "Change feed").
      const headers: Record<string, string> = { accept: 'application/json', [ORIGIN_HEADER]: ORIGIN_VALUE };
      if (body !== undefined) headers['content-type'] = 'application/json';
      Object.assign(headers, config.headers);
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      try {
        const url = urlOf(method, path);
        const text = body === undefined ? undefined : stringifyJsonExact(body);
        if (agent) return await nodeRequest(agent, url, method, headers, text === undefined ? undefined : Buffer.from(text, 'utf8'), timeoutMs);
        const res = await doFetch!(base + path, { method, headers, body: text, signal: AbortSignal.timeout(timeoutMs) });
        // Reading the body stays under the same timeout signal, so a stalled body is a timeout too.
        return { status: res.status, text: await res.text(), headers: res.headers };
      } catch (err) {
        if (err instanceof TargetPermanentError) throw err;
        throw networkError(service, `${method} ${path}`, err, timeoutMs, local);
      }
    },
  };
}
