/**
 * What a target's answer means for the sweep: go on, retry later (Temporal's retry policy does it),
 * pause for credentials, record a per-item failure, or stop for a plan mistake. Pure functions so
 * the rules are unit-tested apart from HTTP.
 */
import { secrets, type SecretRegistry } from '../secrets.js';
import { TargetAuthError, TargetPermanentError, TargetRetryableError } from './errors.js';

export type StatusClass = 'ok' | 'retryable' | 'auth' | 'item' | 'permanent';

/** 2xx ok; 408, 429, 5xx retryable; 401/403 auth; 400/409/422 item-level refusals; anything else permanent. */
export function statusClass(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'retryable';
  if (status === 400 || status === 409 || status === 422) return 'item';
  return 'permanent';
}

/** Milliseconds to wait from a Retry-After header (delay-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export const EXCERPT_LIMIT = 1024;

/**
 * A response body fit for a failure log or an error message: secrets of the process-wide registry
 * and of `extra` (the client's own header values) masked, whitespace collapsed, at most `limit` bytes.
 */
export function errorExcerpt(text: string, extra?: SecretRegistry, limit: number = EXCERPT_LIMIT): string {
  let out = secrets.redact(text);
  if (extra) out = extra.redact(out);
  out = out.replace(/\s+/g, ' ').trim();
  if (Buffer.byteLength(out) <= limit) return out;
  // Cut on a character boundary, leaving room for the ellipsis.
  let cut = out.slice(0, limit);
  while (Buffer.byteLength(cut) > limit - 3) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** The error of a whole request answered with a non-2xx status; `what` names the request (`POST /v1/orders:batchUpsert`). */
export function responseError(
  service: string,
  status: number,
  what: string,
  body: string,
  retryAfter: string | null | undefined,
  extra?: SecretRegistry,
  nowMs: number = Date.now(),
): TargetRetryableError | TargetAuthError | TargetPermanentError {
  const cls = statusClass(status);
  if (cls === 'auth') return new TargetAuthError(service, status);
  const detail = body ? `: ${errorExcerpt(body, extra, 300)}` : '';
  if (cls === 'retryable') {
    return new TargetRetryableError(service, status, `target "${service}" answered HTTP ${status} to ${what}${detail}`, parseRetryAfter(retryAfter, nowMs));
  }
  return new TargetPermanentError(service, status, `target "${service}" refused ${what} with HTTP ${status}${detail}`);
}

/** The error of a request that got no answer: a timeout, a refused or reset connection, DNS. Always retryable. */
export function networkError(service: string, what: string, err: unknown, timeoutMs: number, extra?: SecretRegistry): TargetRetryableError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new TargetRetryableError(service, undefined, `target "${service}" did not answer ${what} within ${timeoutMs}ms`);
  }
  // undici reports "fetch failed" with the real reason in `cause`.
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new TargetRetryableError(service, undefined, `target "${service}" could not be reached for ${what}: ${errorExcerpt(reason, extra, 300)}`);
}
