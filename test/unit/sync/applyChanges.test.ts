/**
 * One batch of forward sync against in-memory fakes: what reaches the service, what is
 * acknowledged, and what goes to the failure log.
 */
import { describe, expect, it } from 'vitest';
import { applyChanges, type ApplyDeps } from '../../../src/sync/applyChanges.js';
import type { Change } from '../../../src/capture/changeLog.js';
import type { NewFailure } from '../../../src/sweep/copy.js';
import type { ItemResult, TargetItem, TargetKey } from '../../../src/service/types.js';
import { TargetRetryableError } from '../../../src/service/errors.js';

interface Fake {
  deps: ApplyDeps;
  acked: string[];
  written: TargetItem[][];
  removed: TargetKey[][];
  failures: NewFailure[];
}

function fake(changes: Change[], rows: Record<string, unknown>[], opts: { refuse?: number[]; writeError?: Error; noDelete?: boolean } = {}): Fake {
  const f: Fake = { acked: [], written: [], removed: [], failures: [], deps: undefined as unknown as ApplyDeps };
  const queue = [...changes];
  f.deps = {
    plan: 'p',
    entity: 'orders',
    changes: {
      read: async (limit) => queue.slice(0, limit),
      acknowledge: async (positions) => void f.acked.push(...positions),
    },
    readRows: async (keys) => rows.filter((r) => keys.some((k) => k[0] === r.id)),
    keyOfRow: (row) => [row.id as number],
    mapRow: (row) => {
      if (row.bad) throw new Error('column status: value "??" has no mapping');
      return { id: row.id, total: row.total };
    },
    targetKeyOf: (key) => ({ id: key[0] }),
    target: {
      async write(items) {
        if (opts.writeError) throw opts.writeError;
        f.written.push([...items]);
        return items.map((it): ItemResult => (opts.refuse?.includes(it.id as number) ? { key: { id: it.id }, ok: false, status: 422, error: 'total must be positive' } : { key: { id: it.id }, ok: true, status: 200 }));
      },
      ...(opts.noDelete
        ? {}
        : {
            async remove(keys: readonly TargetKey[]) {
              f.removed.push([...keys]);
              return keys.map((key): ItemResult => ({ key, ok: true, status: 200 }));
            },
          }),
    },
    recordFailures: async (fs) => void f.failures.push(...fs),
  };
  return f;
}

const change = (position: number, op: Change['op'], id: number): Change => ({ position: String(position), op, key: [id] });

describe('applyChanges', () => {
  it('Given no pending change, when a batch runs, then nothing is written or acknowledged', async () => {
    const f = fake([], []);
    expect(await applyChanges(f.deps, 10)).toEqual({ changes: 0, upserted: 0, deleted: 0, failed: 0 });
    expect(f.written).toEqual([]);
    expect(f.acked).toEqual([]);
  });

  it('Given an insert, two updates of one row and a delete, when applied, then the current row is upserted once, the deleted key removed, and all four positions acknowledged', async () => {
    const f = fake([change(1, 'I', 7), change(2, 'U', 7), change(3, 'U', 7), change(4, 'D', 9)], [{ id: 7, total: 30 }]);
    const out = await applyChanges(f.deps, 10);
    expect(out).toEqual({ changes: 4, upserted: 1, deleted: 1, failed: 0, lastPosition: '4' });
    expect(f.written).toEqual([[{ id: 7, total: 30 }]]);
    expect(f.removed).toEqual([[{ id: 9 }]]);
    expect(f.acked).toEqual(['1', '2', '3', '4']);
  });

  it('Given a change of a row the service refuses and one that cannot be mapped, when applied, then both go to the failure log and the others are written and everything is acknowledged', async () => {
    const f = fake([change(10, 'U', 1), change(11, 'U', 2), change(12, 'U', 3)], [{ id: 1, total: 1 }, { id: 2, total: -5 }, { id: 3, bad: true }], { refuse: [2] });
    const out = await applyChanges(f.deps, 10);
    expect(out).toMatchObject({ changes: 3, upserted: 1, failed: 2 });
    expect(f.failures.map((x) => [x.key, x.status])).toEqual([
      [[3], 0],
      [[2], 422],
    ]);
    expect(f.failures[0]!.error).toContain('mapping: column status');
    expect(f.acked).toEqual(['10', '11', '12']);
  });

  it('Given the service fails transiently, when applied, then the error propagates and nothing is acknowledged (the batch is re-sent)', async () => {
    const f = fake([change(1, 'U', 1)], [{ id: 1, total: 1 }], { writeError: new TargetRetryableError('svc', 503, 'service unavailable') });
    await expect(applyChanges(f.deps, 10)).rejects.toThrow('service unavailable');
    expect(f.acked).toEqual([]);
  });

  it('Given a deleted row and a service without a delete endpoint, when applied, then the delete is logged as a failure naming the fix, not dropped', async () => {
    const f = fake([change(5, 'D', 4)], [], { noDelete: true });
    const out = await applyChanges(f.deps, 10);
    expect(out).toMatchObject({ deleted: 0, failed: 1 });
    expect(f.failures[0]!.error).toContain('add target.delete');
    expect(f.acked).toEqual(['5']);
  });

  it('Given positions that are not in numeric string order, when applied, then the last position is the numerically highest', async () => {
    const f = fake([change(9, 'U', 1), change(10, 'U', 2)], [{ id: 1, total: 1 }, { id: 2, total: 2 }]);
    expect((await applyChanges(f.deps, 10)).lastPosition).toBe('10');
  });
});
