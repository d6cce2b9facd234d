/** `migrate plan --check` on a REST target: the write path is probed read-only, and what it could not check is said. */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/plan/load.js';
import { renderPreflightText, runPreflight, type PreflightDeps } from '../../../src/plan/preflight.js';
import type { SourceDb } from '../../../src/sources/types.js';
import type { TargetClient, WriteProbe } from '../../../src/service/types.js';
import { planWith } from './helpers.js';

const plan = parsePlan(
  planWith(
    `    target:
      service: svc
      write: { path: "/v1/customers:batchUpsert", batch: 100 }
      read: { path: "/v1/customers:batchGet" }`,
    `    target:
      service: svc
      rest:
        create: { path: /customers }
        update: { path: "/customers/{key}", method: PATCH }
        read: { path: "/customers/{key}" }`,
  ),
  'p.yaml',
  {},
);

function deps(probe: WriteProbe, writes: string[]): PreflightDeps {
  return {
    timeoutMs: 2000,
    async openSource() {
      const col = (name: string) => ({ name, dataType: 'bigint', nullable: false });
      return {
        dialect: 'postgres',
        introspect: async () => ({ exists: true, columns: [col('id'), col('email'), col('customer_id')], uniqueKeys: [['id']], estimatedRows: 1 }),
        estimateRows: async () => 1,
        close: async () => undefined,
      } as unknown as SourceDb;
    },
    createTarget: ({ endpoints }) =>
      ({
        probe: async () => undefined,
        ...('rest' in endpoints
          ? {
              probeWrite: async () => {
                writes.push('probeWrite');
                return probe;
              },
            }
          : {}),
      }) as unknown as TargetClient,
  };
}

describe('preflight of a REST target', () => {
  it('Given a service whose OPTIONS allows both verbs, When checked, Then the write path is shown as allowed and what was not checked is listed', async () => {
    const calls: string[] = [];
    const probe = { proven: ['POST /customers', 'PATCH /customers/{key}'], refused: [], unchecked: ['whether the service accepts the mapped items (field names and types) is not checked without writing one'] };
    const report = await runPreflight({ plan }, deps(probe, calls));
    expect(report.ok).toBe(true);
    expect(calls).toEqual(['probeWrite']);
    expect(report.entities.find((e) => e.entity === 'customers')!.writePath).toEqual(probe);
    const text = renderPreflightText(report).join('\n');
    expect(text).toContain('write path allowed, nothing written: POST /customers, PATCH /customers/{key}');
    expect(text).toContain('not checked: whether the service accepts the mapped items');
  });

  it('Given a service whose OPTIONS does not list PATCH, When checked, Then the update endpoint is a plan problem naming the profile', async () => {
    const report = await runPreflight({ plan }, deps({ proven: ['POST /customers'], refused: ['PATCH /customers/{key}'], unchecked: [] }, []));
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'plan', path: 'entities.customers.target.rest', message: 'target "svc" does not allow PATCH /customers/{key} (its OPTIONS answer lists the methods it allows)' }),
    ]);
  });
});

describe('preflight of computed fields', () => {
  it('Given a rule reading a column the table lacks, When checked, Then the column is named at the rule with the closest existing one', async () => {
    const computed = parsePlan(
      // (without the writes stage, which refuses a computed field: it has no inverse for reverse sync)
      planWith('    map:\n      id: id\n      email: email\n', '    map:\n      id: id\n      ref: { compute: { cat: [{ var: id }, "-", { var: emial }] } }\n').replace('            - { name: writes, writes: new }\n', ''),
      'p.yaml',
      {},
    );
    const report = await runPreflight({ plan: computed }, deps({ proven: [], refused: [], unchecked: [] }, []));
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'plan', path: 'entities.customers.map.ref.compute', message: 'computed (ref) reads column "emial" does not exist in table customers', hint: expect.stringContaining('did you mean "email"?') }),
    ]);
  });
});
