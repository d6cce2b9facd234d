import { describe, expect, it } from 'vitest';
import type { PlanResources } from '../../../src/resources/planResources.js';
import { warmUp } from '../../../src/resources/warmUp.js';

/** Resources over a plan with two sources and two entities that record what was opened. */
function resources(failing: { source?: string; stateStore?: boolean; mapping?: string } = {}) {
  const opened: string[] = [];
  const res = {
    plan: { sources: { legacy: {}, archive: {} }, entities: { orders: {}, customers: {} } },
    async stateStore() {
      if (failing.stateStore) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      opened.push('state');
    },
    async source(db: string) {
      if (db === failing.source) throw new Error(`password authentication failed for ${db}`);
      opened.push(`source ${db}`);
    },
    mapping(e: string) {
      if (e === failing.mapping) throw new Error('transform failed to load');
      opened.push(`mapping ${e}`);
    },
    target(e: string) {
      opened.push(`target ${e}`);
    },
  } as unknown as PlanResources;
  return { res, opened };
}

describe('warming a worker up', () => {
  it('Given a plan with two sources and two entities, when warmed up, then the state store, both pools, both mappings and both targets are opened and nothing is reported', async () => {
    const { res, opened } = resources();
    expect(await warmUp(res)).toEqual([]);
    expect(opened.sort()).toEqual(['mapping customers', 'mapping orders', 'source archive', 'source legacy', 'state', 'target customers', 'target orders']);
  });

  it('Given one source that refuses and a state store that is down, when warmed up, then both are reported by name with their reason and everything else is still opened', async () => {
    const { res, opened } = resources({ source: 'archive', stateStore: true });
    const problems = await warmUp(res);
    expect(problems).toEqual(
      expect.arrayContaining([
        { what: 'the state store', error: 'connect ECONNREFUSED 127.0.0.1:5432' },
        { what: 'source archive', error: 'password authentication failed for archive' },
      ]),
    );
    expect(problems).toHaveLength(2);
    expect(opened).toContain('source legacy');
    expect(opened).toContain('target orders');
  });

  it('Given an entity whose mapping cannot be built, when warmed up, then that entity is reported and the warm-up resolves', async () => {
    const { res } = resources({ mapping: 'customers' });
    expect(await warmUp(res)).toEqual([{ what: 'entity customers', error: 'transform failed to load' }]);
  });
});
