/** Where a target request really goes once fetch has normalised it, and when that leaves the base URL. */
import { describe, expect, it } from 'vitest';
import { TargetPermanentError } from '../../../src/service/errors.js';
import { assertUnderBase, requestUrl } from '../../../src/service/requestUrl.js';

describe('requestUrl', () => {
  it('Given a plain path, When resolved, Then it is the base URL with the path appended', () => {
    const r = requestUrl('http://svc:8787/', '/v1/orders:batchGet');
    expect(r.ok && r.url.href).toBe('http://svc:8787/v1/orders:batchGet');
  });

  it('Given /v1/../../admin/reset-log under a base at the root, When resolved, Then it climbs out and is refused, naming where it would go', () => {
    expect(requestUrl('http://svc:8787', '/v1/../../admin/reset-log')).toEqual({ ok: false, resolved: 'http://svc:8787/admin/reset-log' });
  });

  it.each([
    ['percent-encoded dots', '/v1/%2e%2e/%2E%2E/admin'],
    ['backslashes', '/v1\\..\\..\\admin'],
    ['a single climb', '/..'],
  ])('Given %s climbing out, When resolved, Then it is refused', (_what, path) => {
    expect(requestUrl('http://svc', path).ok).toBe(false);
  });

  it('Given a base with a path, When a path climbs above it but stays on the server, Then it is refused', () => {
    expect(requestUrl('http://svc/api/', '/../admin')).toEqual({ ok: false, resolved: 'http://svc/admin' });
    expect(requestUrl('http://svc/api', '/x/../../api2/y')).toEqual({ ok: false, resolved: 'http://svc/api2/y' });
  });

  it('Given dot segments that stay inside the base, When resolved, Then they are normalised and allowed', () => {
    const r = requestUrl('http://svc/api', '/v1/../v2/./orders');
    expect(r.ok && r.url.href).toBe('http://svc/api/v2/orders');
  });

  it('Given a key value ".." at the start of the path, When a request is about to be sent, Then a permanent target error names where it would go', () => {
    expect(() => assertUnderBase('fulfillment', 'http://svc', 'PUT', '/..')).toThrow(TargetPermanentError);
    expect(() => assertUnderBase('fulfillment', 'http://svc', 'PUT', '/..')).toThrow('refused to send PUT /..: it resolves to http://svc/, outside targets.fulfillment.baseUrl');
  });
});
