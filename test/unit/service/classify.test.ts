import { describe, expect, it } from 'vitest';
import { errorExcerpt, networkError, parseRetryAfter, responseError, statusClass } from '../../../src/service/classify.js';
import { TargetAuthError, TargetPermanentError, TargetRetryableError } from '../../../src/service/errors.js';
import { SecretRegistry, secrets } from '../../../src/secrets.js';

describe('statusClass', () => {
  it.each([
    [200, 'ok'],
    [201, 'ok'],
    [204, 'ok'],
    [408, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
    [401, 'auth'],
    [403, 'auth'],
    [400, 'item'],
    [409, 'item'],
    [422, 'item'],
    [404, 'permanent'],
    [405, 'permanent'],
    [413, 'permanent'],
  ] as const)('Given HTTP %i, when classified, then it is %s', (status, cls) => {
    expect(statusClass(status)).toBe(cls);
  });
});

describe('parseRetryAfter', () => {
  it('Given delay-seconds, when parsed, then it gives milliseconds', () => {
    expect(parseRetryAfter('3')).toBe(3000);
  });

  it('Given an HTTP date 5 seconds ahead, when parsed, then it gives the remaining milliseconds', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
  });

  it('Given an HTTP date in the past, when parsed, then it gives zero rather than a negative wait', () => {
    const now = Date.parse('2025-01-01T00:00:10Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(0);
  });

  it('Given no header or garbage, when parsed, then there is no wait to honour', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('errorExcerpt', () => {
  it('Given a body longer than 1 KB, when excerpted, then it is cut to at most 1024 bytes', () => {
    const out = errorExcerpt('é'.repeat(2000));
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(1024);
    expect(out.endsWith('…')).toBe(true);
  });

  it('Given a body echoing a client header value, when excerpted, then the value is masked', () => {
    const local = new SecretRegistry();
    local.add('s3cr3t-token-value');
    expect(errorExcerpt('bad token s3cr3t-token-value', local)).toBe('bad token ***');
  });

  it('Given a body containing a process-wide secret, when excerpted, then it is masked', () => {
    secrets.add('global-secret-xyz');
    expect(errorExcerpt('got global-secret-xyz')).toBe('got ***');
  });
});

describe('responseError', () => {
  it('Given a 429 with Retry-After, when turned into an error, then it is retryable with retryAfterMs', () => {
    const e = responseError('fulfillment', 429, 'POST /v1/x', '', '2');
    expect(e).toBeInstanceOf(TargetRetryableError);
    expect((e as TargetRetryableError).retryAfterMs).toBe(2000);
  });

  it('Given a 503, when turned into an error, then it is retryable and names the service and status', () => {
    const e = responseError('fulfillment', 503, 'POST /v1/x', 'down', null);
    expect(e).toBeInstanceOf(TargetRetryableError);
    expect(e.message).toContain('"fulfillment"');
    expect(e.message).toContain('503');
  });

  it('Given a 401 whose body echoes the token, when turned into an error, then it is an auth error without the token', () => {
    const local = new SecretRegistry();
    local.add('tok-very-secret');
    const e = responseError('fulfillment', 401, 'POST /v1/x', 'bad tok-very-secret', null, local);
    expect(e).toBeInstanceOf(TargetAuthError);
    expect(e.message).not.toContain('tok-very-secret');
  });

  it('Given a whole-request 404, when turned into an error, then it is permanent', () => {
    expect(responseError('fulfillment', 404, 'POST /v1/x', '', null)).toBeInstanceOf(TargetPermanentError);
  });

  it('Given a whole-request 400, when turned into an error, then it is permanent', () => {
    expect(responseError('fulfillment', 400, 'POST /v1/x', '', null)).toBeInstanceOf(TargetPermanentError);
  });
});

describe('networkError', () => {
  it('Given a timeout, when classified, then it is retryable and says it timed out', () => {
    const err = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const e = networkError('fulfillment', 'POST /v1/x', err, 500);
    expect(e).toBeInstanceOf(TargetRetryableError);
    expect(e.message).toContain('within 500ms');
  });

  it('Given a refused connection, when classified, then it is retryable and names the cause code', () => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const e = networkError('fulfillment', 'POST /v1/x', err, 500);
    expect(e).toBeInstanceOf(TargetRetryableError);
    expect(e.message).toContain('ECONNREFUSED');
  });
});
