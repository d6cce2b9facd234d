/** The compare visitor and its helpers, on plain in-memory stand-ins for the service. */
import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../../src/mapping/index.js';
import { compileComparator } from '../../../src/compare/index.js';
import { entitySchema, verifyPhaseSchema } from '../../../src/plan/schema.js';
import { createCompareVisitor, sampleByKey } from '../../../src/sweep/compare.js';
import { keyIdOfRow, sourceKeyFromItem } from '../../../src/activities/verifyActivities.js';
import type { VerifyEntry } from '../../../src/state/types.js';
import type { TargetItem } from '../../../src/service/types.js';

const entity = entitySchema.parse({
  source: { db: 'legacy', table: 'orders', key: ['id'], updatedAt: 'updated_at' },
  target: { service: 's', write: { path: '/w' }, read: { path: '/r' } },
  map: { id: 'id', total: { from: 'total', as: 'integer' }, status: { from: 'status', values: { A: 'a' } } },
  phases: [{ verify: {} }],
});
const mapping = compileMapping(entity);
const comparator = compileComparator(entity, verifyPhaseSchema.parse({}));

function visitorOver(service: TargetItem[], inflightSince?: number) {
  const queued: VerifyEntry[] = [];
  const visitor = createCompareVisitor({
    mapper: mapping,
    comparator,
    target: { read: async (keys) => service.filter((s) => keys.some((k) => k.id === s.id)) },
    keyOf: (row) => [row.id as number],
    updatedAtMs: (row) => (row.updated_at as Date).getTime(),
    ...(inflightSince !== undefined ? { inflightSince } : {}),
    queue: async (e) => void queued.push(...e),
  });
  return { visitor, queued };
}

const row = (id: number, total: number, status = 'A', at = 0) => ({ id, total, status, updated_at: new Date(at) });

describe('compare visitor', () => {
  it('Given a page prepared ahead, when prepared, then nothing is read or queued until it is sent, and sending gives what a visit gives', async () => {
    let reads = 0;
    const queued: VerifyEntry[] = [];
    const visitor = createCompareVisitor({
      mapper: mapping,
      comparator,
      target: {
        read: async (keys) => {
          reads++;
          return [{ id: 2, total: 5, status: 'a' }].filter((s) => keys.some((k) => k.id === s.id));
        },
      },
      keyOf: (r) => [r.id as number],
      queue: async (e) => void queued.push(...e),
    });
    const prepared = visitor.prepare!([row(1, 1), row(2, 2)]);
    expect(reads).toBe(0);
    expect(queued).toEqual([]);
    expect(await prepared.send()).toEqual({ failures: 0, mismatches: 2 });
    expect(reads).toBe(1);
    expect(queued.map((q) => q.class)).toEqual(['missing', 'different']);
  });

  it('Given a missing, a different and a matching row, when a page is visited, then two mismatches are counted and queued with their class and fields', async () => {
    const { visitor, queued } = visitorOver([{ id: 2, total: 5, status: 'a' }, { id: 3, total: 3, status: 'a' }]);
    const out = await visitor.visit([row(1, 1), row(2, 2), row(3, 3)]);
    expect(out).toEqual({ failures: 0, mismatches: 2 });
    expect(queued).toEqual([
      { key: [1], class: 'missing', state: 'pending', fields: [] },
      { key: [2], class: 'different', state: 'pending', fields: ['total'] },
    ]);
  });

  it('Given a row whose value cannot be mapped, when visited, then it counts as different with the field named', async () => {
    const { visitor, queued } = visitorOver([]);
    expect((await visitor.visit([row(1, 1, 'Z')])).mismatches).toBe(1);
    expect(queued).toEqual([{ key: [1], class: 'different', state: 'pending', fields: ['status'] }]);
  });

  it('Given a matching row updated after the sweep started, when visited, then it is queued as in flight but not counted', async () => {
    const { visitor, queued } = visitorOver([{ id: 1, total: 1, status: 'a' }, { id: 2, total: 2, status: 'a' }], 1000);
    expect((await visitor.visit([row(1, 1, 'A', 500), row(2, 2, 'A', 1500)])).mismatches).toBe(0);
    expect(queued).toEqual([{ key: [2], class: 'inflight', state: 'pending', fields: [] }]);
  });
});

describe('sampleByKey', () => {
  it('Given one seed, when the same keys are sampled twice, then the same rows are chosen, about the asked fraction', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i }));
    const pick = () => rows.filter(sampleByKey(0.1, 'run-1', (r) => [r.id as number])).map((r) => r.id);
    const a = pick();
    expect(pick()).toEqual(a);
    expect(a.length).toBeGreaterThan(850);
    expect(a.length).toBeLessThan(1150);
  });
});

describe('sourceKeyFromItem', () => {
  it('Given a plainly mapped key, when an item is turned back into a source key, then the key tuple is its key field', () => {
    expect(sourceKeyFromItem(entity, mapping.targetKeyFields)!({ id: 42, total: 1 })).toEqual([42]);
  });

  it('Given a key mapped through a values table, when asked, then no inversion is offered', () => {
    const e = entitySchema.parse({ ...entity, map: { code: { from: 'id', values: { '1': 'one' } } } });
    expect(sourceKeyFromItem(e, ['code'])).toBeUndefined();
  });
});

describe('keyIdOfRow', () => {
  it('given a key mapped as a plain column copy, when a row is keyed without mapping it, then the id equals the mapped row\'s', () => {
    const fast = keyIdOfRow(entity, mapping);
    expect(fast).toBeDefined();
    for (const r of [row(1, 10), row(9_007_199_254_740_991, 3), { ...row(2, 5), id: '18446744073709551615' }]) {
      expect(fast!(r)).toBe(mapping.keyId(mapping.map(r)));
    }
  });

  it('given a key with a cast, when asked for a shortcut, then there is none (rows are mapped instead)', () => {
    const cast = entitySchema.parse({
      source: { db: 'legacy', table: 'orders', key: ['id'] },
      target: { service: 's', write: { path: '/w' }, read: { path: '/r' } },
      map: { id: { from: 'id', as: 'string' } },
      phases: [{ verify: {} }],
    });
    expect(keyIdOfRow(cast, compileMapping(cast))).toBeUndefined();
  });
});
