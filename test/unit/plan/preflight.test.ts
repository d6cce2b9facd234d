import { describe, expect, it } from 'vitest';
import { EnvironmentError, UserError } from '../../../src/errors.js';
import { parsePlan } from '../../../src/plan/load.js';
import { preflightError, runPreflight, type PreflightDeps } from '../../../src/plan/preflight.js';
import type { SourceDb, TableInfo } from '../../../src/sources/types.js';
import { TargetAuthError, TargetPermanentError, TargetRetryableError } from '../../../src/service/errors.js';
import type { TargetClient } from '../../../src/service/types.js';
import { MINIMAL_PLAN } from './helpers.js';

const plan = parsePlan(MINIMAL_PLAN, 'p.yaml', {});
const col = (name: string, dataType = 'bigint', nullable = false) => ({ name, dataType, nullable });
const GOOD: Record<string, TableInfo> = {
  customers: { exists: true, columns: [col('id'), col('email', 'text', true)], uniqueKeys: [['id']], estimatedRows: 10 },
  orders: { exists: true, columns: [col('id'), col('customer_id')], uniqueKeys: [['id']], estimatedRows: 20 },
};

/** Deps over in-memory tables and a probe outcome per target path; records what was called. */
function fakeDeps(tables: Record<string, TableInfo>, probe: (path: string) => Promise<void> = async () => undefined, open?: () => Promise<never>): PreflightDeps & { closed: number } {
  const deps = {
    closed: 0,
    timeoutMs: 2000,
    async openSource(): Promise<SourceDb> {
      if (open) return open();
      return {
        dialect: 'postgres',
        introspect: async ({ table }) => tables[table] ?? { exists: false, columns: [], uniqueKeys: [], estimatedRows: 0 },
        estimateRows: async (s) => tables[s.table]!.estimatedRows,
        close: async () => {
          deps.closed++;
        },
      } as SourceDb;
    },
    createTarget: ({ endpoints }) => ({ probe: () => probe('rest' in endpoints ? endpoints.rest.read.path : endpoints.read.path) }) as unknown as TargetClient,
  } satisfies PreflightDeps & { closed: number };
  return deps;
}

describe('runPreflight', () => {
  it('Given tables and targets that match the plan, When checked, Then it is ok with row estimates and closes the source', async () => {
    const deps = fakeDeps(GOOD);
    const report = await runPreflight({ plan }, deps);
    expect(report.ok).toBe(true);
    expect(report.entities.map((e) => [e.entity, e.exists, e.keyUnique, e.estimatedRows, e.targetReachable])).toEqual([
      ['customers', true, true, 10, true],
      ['orders', true, true, 20, true],
    ]);
    expect(preflightError(report)).toBeUndefined();
    expect(deps.closed).toBe(1);
  });

  it('Given a missing table, a missing column and a non-unique key, When checked, Then all three are plan problems (exit 2)', async () => {
    const report = await runPreflight({ plan }, fakeDeps({
      customers: { ...GOOD.customers!, columns: [col('id'), col('mail', 'text')] },
      orders: { ...GOOD.orders!, uniqueKeys: [['id', 'customer_id']] },
    }));
    const err = preflightError(report);
    expect(err).toBeInstanceOf(UserError);
    expect(report.problems.map((p) => [p.path, p.message])).toEqual([
      ['entities.customers.map.email', 'mapped (email) column "email" does not exist in table customers'],
      ['entities.orders.source.key', 'key (id) is not unique in orders: no primary key or unique index on exactly these columns (unique keys of orders: (id, customer_id))'],
    ]);
    expect(report.problems[0]!.hint).toContain('did you mean "mail"?');
    const missing = await runPreflight({ plan }, fakeDeps({ customers: GOOD.customers! }));
    expect(missing.problems.map((p) => p.message)).toEqual(['table orders does not exist in source "legacy"']);
  });

  it('Given an unreachable target and a plan problem, When checked, Then both are reported and the error is environmental (exit 3)', async () => {
    const report = await runPreflight({ plan }, fakeDeps({ customers: GOOD.customers! }, async () => {
      throw new TargetRetryableError('svc', undefined, 'target "svc" could not be reached: ECONNREFUSED');
    }));
    expect(report.problems.map((p) => p.kind)).toEqual(['environment', 'plan']);
    expect(report.problems.filter((p) => p.kind === 'environment')).toHaveLength(1);
    expect(preflightError(report)).toBeInstanceOf(EnvironmentError);
    expect(preflightError(report)!.problems).toHaveLength(2);
  });

  it('Given a target that refuses credentials, When checked, Then the fix names the headers', async () => {
    const report = await runPreflight({ plan }, fakeDeps(GOOD, async () => {
      throw new TargetAuthError('svc', 401);
    }));
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: 'environment', message: 'target "svc" refused the credentials (HTTP 401)' });
    expect(report.problems[0]!.hint).toContain('targets.svc.headers');
  });

  it('Given a read endpoint answering 404 for one entity, When checked, Then that entity is a plan problem and the others are still probed', async () => {
    const report = await runPreflight({ plan }, fakeDeps(GOOD, async (path) => {
      if (path.includes('customers')) throw new TargetPermanentError('svc', 404, 'not found');
    }));
    expect(report.problems.map((p) => [p.kind, p.path])).toEqual([['plan', 'entities.customers.target.read.path']]);
    expect(report.entities.map((e) => e.targetReachable)).toEqual([false, true]);
  });

  it('Given a source that cannot be reached, When checked, Then its entities are not checked and one environment problem says why', async () => {
    const report = await runPreflight({ plan }, fakeDeps(GOOD, undefined, async () => {
      throw new EnvironmentError('cannot connect to source database postgres://postgres@127.0.0.1:5432/legacy: ECONNREFUSED', { hint: 'start it' });
    }));
    expect(report.problems).toEqual([
      { kind: 'environment', where: 'plan', path: 'sources.legacy.url', message: 'cannot connect to source database postgres://postgres@127.0.0.1:5432/legacy: ECONNREFUSED', hint: 'start it' },
    ]);
    expect(report.entities.every((e) => e.exists === undefined)).toBe(true);
  });

  it('Given a key column of an approximate or nullable type, When checked, Then each is reported with a fix', async () => {
    const report = await runPreflight({ plan }, fakeDeps({
      customers: { ...GOOD.customers!, columns: [col('id', 'double precision'), col('email', 'text')] },
      orders: { ...GOOD.orders!, columns: [col('id', 'bigint', true), col('customer_id')] },
    }));
    expect(report.problems.map((p) => p.message)).toEqual([
      'key column "id" has type double precision, which is approximate, so equal-looking keys can skip or repeat rows',
      'key column "id" allows NULL, so rows with NULL keys could be skipped or repeated',
    ]);
    expect(report.problems[1]!.hint).toContain('ALTER TABLE orders ALTER COLUMN id SET NOT NULL');
  });

  it('Given a source that never answers, When checked, Then it times out as an environment problem', async () => {
    const deps = { ...fakeDeps(GOOD), timeoutMs: 50, openSource: () => new Promise<never>(() => undefined) };
    const report = await runPreflight({ plan }, deps);
    expect(report.problems.map((p) => p.message)).toEqual(['source "legacy" did not answer within 50ms']);
  });
});
