/** Paths that climb out of the service's base URL, and header values with line breaks, are refused at load. */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/plan/load.js';
import { planWith, thrown } from './helpers.js';

const BASE_URL = '{ baseUrl: "http://127.0.0.1:8787" }';

describe('target paths', () => {
  it('Given a read path /v1/../../admin/reset-log, When parsed, Then it is refused at the path, saying where it resolves', () => {
    const e = thrown(() => parsePlan(planWith('read: { path: "/v1/customers:batchGet" }', 'read: { path: "/v1/../../admin/reset-log" }'), 'p.yaml', {}));
    expect(e.exitCode).toBe(2);
    expect(e.problems).toEqual([
      {
        where: 'p.yaml:15:21',
        path: 'entities.customers.target.read.path',
        message: 'path "/v1/../../admin/reset-log" leaves targets.svc.baseUrl: it resolves to http://127.0.0.1:8787/admin/reset-log',
        hint: 'write the path under the base URL without ".." segments that climb out of it',
      },
    ]);
  });

  it('Given a base URL with a path and a write path climbing above it, When parsed, Then it is refused', () => {
    const e = thrown(() => parsePlan(planWith(BASE_URL, '{ baseUrl: "http://127.0.0.1:8787/api" }').replace('path: "/v1/orders:batchUpsert"', 'path: "/../internal/orders"'), 'p.yaml', {}));
    expect(e.problems.map((p) => p.path)).toEqual(['entities.orders.target.write.path']);
  });

  it('Given dot segments that stay under the base, When parsed, Then the plan is accepted', () => {
    const plan = parsePlan(planWith('read: { path: "/v1/customers:batchGet" }', 'read: { path: "/v0/../v1/customers:batchGet" }'), 'p.yaml', {});
    expect(plan.entities.customers!.target).toMatchObject({ read: { path: '/v0/../v1/customers:batchGet' } });
  });
});

describe('header values', () => {
  it('Given a header taking a value with a newline from an environment variable, When parsed, Then the header and the variable are named, never the value', () => {
    const text = planWith(BASE_URL, '{ baseUrl: "http://127.0.0.1:8787", headers: { Authorization: "Bearer ${SVC_TOKEN}" } }');
    const e = thrown(() => parsePlan(text, 'p.yaml', { SVC_TOKEN: 's3cr3t-value\n' }));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.where).toBe('p.yaml:8:78'); // the $ of ${SVC_TOKEN}
    expect(e.problems[0]!.path).toBe('targets.svc.headers.Authorization');
    expect(e.problems[0]!.message).toBe('header Authorization takes a line break from environment variable SVC_TOKEN; header values are one line');
    expect(JSON.stringify(e)).not.toContain('s3cr3t');
  });

  it('Given a header value written with a line break in the plan, When parsed, Then it is refused at the value', () => {
    const e = thrown(() => parsePlan(planWith(BASE_URL, '{ baseUrl: "http://127.0.0.1:8787", headers: { X-Tenant: "a\\nb" } }'), 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'targets.svc.headers.X-Tenant', message: expect.stringMatching(/^expected a header value on one line \(no line breaks\)/) })]);
  });

  it('Given a header name with a space, When parsed, Then it is refused at the name', () => {
    const e = thrown(() => parsePlan(planWith(BASE_URL, '{ baseUrl: "http://127.0.0.1:8787", headers: { "X Tenant": "a" } }'), 'p.yaml', {}));
    expect(e.problems[0]!.message).toMatch(/^invalid name "X Tenant": expected a header name/);
  });
});
