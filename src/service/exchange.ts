/**
 * One HTTP exchange with the new service, shared by the batch and REST clients: the plan's headers
 * (registered as secrets), exact JSON bodies, the base-URL guard, one timeout over request and
 * body, and network failures classified. Retries, limits and answers stay with the callers.
 */
import type { TargetServiceConfig } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import { SecretRegistry } from '../secrets.js';
import { parseJsonExact, stringifyJsonExact } from '../values/json.js';
import { networkError } from './classify.js';
import { assertUnderBase } from './requestUrl.js';

/** The header on every request Tracer makes, and its value. */
export const ORIGIN_HEADER = 'tracer-origin';
export const ORIGIN_VALUE = 'sync';

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
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

export function createExchange(service: string, config: TargetServiceConfig, doFetch: typeof fetch = fetch): Exchange {
  const base = config.baseUrl.replace(/\/+$/, '');
  const timeoutMs = durationMs(config.timeout);
  // Header values are secrets whether or not the plan loader registered them: a service echoing
  // the Authorization header back in an error body must not leak it into the failure log.
  const local = new SecretRegistry();
  for (const v of Object.values(config.headers)) {
    local.add(v);
    local.add(v.replace(/^\S+\s+/, ''));
  }
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
      // The plan's paths were checked at load; this also catches a key value that makes one climb out.
      assertUnderBase(service, config.baseUrl, method, path);
      try {
        const res = await doFetch(base + path, {
          method,
          headers,
          body: body === undefined ? undefined : stringifyJsonExact(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        // Reading the body stays under the same timeout signal, so a stalled body is a timeout too.
        const text = await res.text();
        return { status: res.status, text, headers: res.headers };
      } catch (err) {
        throw networkError(service, `${method} ${path}`, err, timeoutMs, local);
      }
    },
  };
}
