import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { loadPlanFile, parsePlan } from '../../../src/plan/load.js';
import { secrets } from '../../../src/secrets.js';
import { MINIMAL_PLAN, planWith, thrown } from './helpers.js';

const BASE_URL = '{ baseUrl: "http://127.0.0.1:8787" }';

describe('loadPlanFile', () => {
  it('Given the sample PostgreSQL plan and no environment, When loaded, Then defaults fill every variable', async () => {
    const { plan, display } = await loadPlanFile('plans/orders-postgres.yaml', {});
    expect(display).toBe('plans/orders-postgres.yaml');
    expect(plan.sources.legacy!.url).toBe('postgres://postgres@127.0.0.1:5432/tracer_demo');
    expect(plan.targets.fulfillment!.headers.Authorization).toBe('Bearer dev-token');
    expect(Object.keys(plan.entities)).toEqual(['customers', 'orders']);
  });

  it('Given the sample MySQL plan, When loaded, Then its source is a mysql URL', async () => {
    const { plan } = await loadPlanFile('plans/orders-mysql.yaml', {});
    expect(plan.sources.shop!.url).toMatch(/^mysql:\/\//);
    expect(plan.entities.orders!.dependsOn).toEqual(['customers']);
  });

  it('Given a path that does not exist, When loaded, Then a UserError says so', async () => {
    await expect(loadPlanFile('plans/nope.yaml', {})).rejects.toThrow(UserError);
    await expect(loadPlanFile('plans/nope.yaml', {})).rejects.toThrow('plan file plans/nope.yaml does not exist');
  });

  it('Given a file outside the working directory, When it has a problem, Then problems name its absolute path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-'));
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, planWith('version: 1', 'version: 3'));
    const e = await loadPlanFile(file, {}).catch((err: UserError) => err);
    expect((e as UserError).problems[0]!.where).toBe(`${file}:2:10`);
  });
});

describe('interpolation', () => {
  it('Given ${VAR} set in the environment, When parsed, Then the value replaces it', () => {
    const plan = parsePlan(planWith(BASE_URL, '{ baseUrl: "${SVC_URL}" }'), 'p.yaml', { SVC_URL: 'https://svc.example' });
    expect(plan.targets.svc!.baseUrl).toBe('https://svc.example');
  });

  it('Given ${VAR:-default} with VAR unset, When parsed, Then the default is used', () => {
    const plan = parsePlan(planWith(BASE_URL, '{ baseUrl: "${SVC_URL:-http://localhost:9}" }'), 'p.yaml', {});
    expect(plan.targets.svc!.baseUrl).toBe('http://localhost:9');
  });

  it('Given ${VAR:-default} with VAR set but empty, When parsed, Then the default is used', () => {
    const plan = parsePlan(planWith(BASE_URL, '{ baseUrl: "${SVC_URL:-http://localhost:9}" }'), 'p.yaml', { SVC_URL: '' });
    expect(plan.targets.svc!.baseUrl).toBe('http://localhost:9');
  });

  it('Given $${…}, When parsed, Then a literal ${…} remains', () => {
    const plan = parsePlan(planWith(BASE_URL, '{ baseUrl: "http://h", headers: { X-Tpl: "$${NOT_A_VAR}" } }'), 'p.yaml', {});
    expect(plan.targets.svc!.headers['X-Tpl']).toBe('${NOT_A_VAR}');
  });

  it('Given an unquoted ${VAR} where a number belongs, When parsed, Then it becomes the number', () => {
    const plan = parsePlan(planWith('      - backfill: { flag: orders.backfill }', '      - backfill:\n          flag: orders.backfill\n          batchSize: ${BATCH}'), 'p.yaml', { BATCH: '250' });
    const phase = plan.entities.orders!.phases[0]!;
    expect('backfill' in phase && phase.backfill.batchSize).toBe(250);
  });

  it('Given a reference inside a key, When parsed, Then it is reported, as keys are never interpolated', () => {
    const e = thrown(() => parsePlan(planWith('      email: email\n', '      ${FIELD}: email\n'), 'p.yaml', { FIELD: 'mail' }));
    expect(e.problems).toEqual([
      { where: 'p.yaml:18:7', path: 'entities.customers.map["${FIELD}"]', message: 'a reference in a key ("${FIELD}") is not resolved; only values are interpolated', hint: 'write the key literally' },
    ]);
  });

  it('Given two unset variables, When parsed, Then both are reported at their own columns', () => {
    const text = planWith(BASE_URL, '{ baseUrl: "${SCHEME_X}://${HOST_X}" }');
    const e = thrown(() => parsePlan(text, 'p.yaml', {}));
    expect(e.problems.map((p) => [p.where, p.message])).toEqual([
      ['p.yaml:8:20', 'environment variable SCHEME_X is not set'],
      ['p.yaml:8:34', 'environment variable HOST_X is not set'],
    ]);
  });

  it('Given an unset variable in a field, When parsed, Then no shape problem is reported for that field as well', () => {
    const e = thrown(() => parsePlan(planWith(BASE_URL, '{ baseUrl: "${NOPE_URL}" }'), 'p.yaml', {}));
    expect(e.problems).toHaveLength(1);
    expect(e.message).toBe('p.yaml has 1 problem');
  });

  it('Given a header value from the environment, When parsed, Then the value is registered as a secret', () => {
    parsePlan(planWith(BASE_URL, '{ baseUrl: "http://h", headers: { X-Custom: "v=${CUSTOM_HDR_VALUE}" } }'), 'p.yaml', { CUSTOM_HDR_VALUE: 'hdr-value-8f2k' });
    expect(secrets.redact('sent hdr-value-8f2k')).toBe('sent ***');
  });

  it('Given a password in a source URL, When parsed, Then the password is registered as a secret', () => {
    parsePlan(planWith('postgres://postgres@127.0.0.1:5432/legacy', '${LEGACY_URL_X}'), 'p.yaml', { LEGACY_URL_X: 'postgres://app:pw-91jd%40x@db:5432/legacy' });
    expect(secrets.redact('pw-91jd%40x and pw-91jd@x')).toBe('*** and ***');
  });

  it('Given a variable whose name looks secret, When used anywhere, Then its value is registered', () => {
    parsePlan(planWith('name: fixture', 'name: "${API_TOKEN_NAME_X}"'), 'p.yaml', { API_TOKEN_NAME_X: 'tokname-3kd9' });
    expect(secrets.redact('tokname-3kd9')).toBe('***');
  });

  it('Given an interpolated URL with a password and the wrong scheme, When parsed, Then the message shows it redacted', () => {
    const e = thrown(() => parsePlan(planWith('postgres://postgres@127.0.0.1:5432/legacy', '${LEGACY_URL_Y}'), 'p.yaml', { LEGACY_URL_Y: 'pgsql://app:hunter2-zz9@db/legacy' }));
    const text = JSON.stringify(e.problems);
    expect(text).toContain('pgsql://app:***@db/legacy');
    expect(text).not.toContain('hunter2-zz9');
  });

  it('Given an unterminated reference, When parsed, Then it is reported with how to escape it', () => {
    const e = thrown(() => parsePlan(planWith(BASE_URL, '{ baseUrl: "${OPEN" }'), 'p.yaml', {}));
    expect(e.problems[0]!.message).toContain('unterminated reference');
    expect(e.problems[0]!.hint).toContain('$${');
  });
});

describe('shape problems', () => {
  it('Given several mistakes, When parsed, Then every one is reported at once, in file order', () => {
    const text = MINIMAL_PLAN.replace('version: 1', 'version: 2').replace('partitions: 2,', 'partitions: 0,').replace('key: [id] }\n    target:\n      service: svc\n      write: { path: "/v1/orders', 'key: [id], updatedAtt: x }\n    target:\n      service: svc\n      write: { path: "/v1/orders');
    const e = thrown(() => parsePlan(text, 'p.yaml', {}));
    expect(e.exitCode).toBe(2);
    expect(e.problems.map((p) => p.path)).toEqual(['version', 'entities.customers.phases[0].backfill.partitions', 'entities.orders.source.updatedAtt']);
    expect(e.problems[1]!.message).toBe('expected a number ≥ 1, got 0');
    expect(e.problems[2]!.message).toBe('unknown field "updatedAtt" — did you mean "updatedAt"?');
  });

  it('Given an unknown field with no near match, When parsed, Then the hint lists the allowed fields', () => {
    const e = thrown(() => parsePlan(planWith('batchSize: 100,', 'zzz: 100,'), 'p.yaml', {}));
    expect(e.problems[0]!.message).toBe('unknown field "zzz"');
    expect(e.problems[0]!.hint).toBe('fields allowed here: batchSize, partitions, flag');
  });

  it('Given a routing value that is almost "new", When parsed, Then the hint suggests it', () => {
    const e = thrown(() => parsePlan(planWith('reads: new,', 'reads: neww,'), 'p.yaml', {}));
    expect(e.problems[0]!.message).toBe('expected one of "legacy", "shadow", "new" or a mapping, got "neww"');
    expect(e.problems[0]!.hint).toBe('did you mean "new"?');
  });

  it('Given a phase item with two kinds, When parsed, Then it says to split them', () => {
    const e = thrown(() => parsePlan(planWith('      - backfill: { flag: orders.backfill }', '      - { backfill: { flag: orders.backfill }, verify: {} }'), 'p.yaml', {}));
    expect(e.problems[0]!.message).toBe('expected exactly one of backfill, sync, verify, cutover per item, got backfill, verify');
  });

  it('Given a map field that is a number, When parsed, Then it says a string or a mapping was expected', () => {
    const e = thrown(() => parsePlan(planWith('      email: email\n', '      email: 3\n'), 'p.yaml', {}));
    expect(e.problems[0]!.message).toBe('expected a string or a mapping, got 3');
  });

  it('Given a missing required field inside a flow mapping, When parsed, Then it points at the field that should hold it', () => {
    const e = thrown(() => parsePlan(planWith('      - backfill: { flag: orders.backfill }', '      - backfill: { batchSize: 10 }'), 'p.yaml', {}));
    expect(e.problems[0]).toMatchObject({ where: 'p.yaml:39:9', path: 'entities.orders.phases[0].backfill.flag', message: 'missing required field "flag" (a string)' });
    expect(e.problems[0]!.hint).toContain('feature flag');
  });
});
