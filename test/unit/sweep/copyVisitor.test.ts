/**
 * The copy visitor's batching: a page split into write batches, per-item refusals logged, written
 * keys reported only to a caller that asks for them. A fake target records each request.
 */
import { describe, expect, it } from 'vitest';
import { createCopyVisitor, type NewFailure } from '../../../src/sweep/copy.js';
import type { ItemResult, TargetClient, TargetItem } from '../../../src/service/types.js';
import type { KeyTuple, SourceRow } from '../../../src/sources/types.js';

function recordingTarget(refuse: Set<number>) {
  const calls: { ids: unknown[]; idempotencyKey: string }[] = [];
  const target = {
    async write(items: readonly TargetItem[], idempotencyKey: string): Promise<ItemResult[]> {
      calls.push({ ids: items.map((i) => i.id), idempotencyKey });
      return items.map((i) => (refuse.has(i.id as number) ? { key: { id: i.id }, ok: false, status: 422, error: 'refused' } : { key: { id: i.id }, ok: true, status: 200 }));
    },
  } as unknown as TargetClient;
  return { target, calls };
}

const rows: SourceRow[] = [1, 2, 3, 4, 5].map((id) => ({ id, updated_at: `2024-01-0${id}T00:00:00Z` }));
const base = { plan: 'p', entity: 'orders', mapper: { map: (r: SourceRow) => ({ id: r.id }) }, keyOf: (r: SourceRow): KeyTuple => [r.id as number], versionOf: (r: SourceRow) => r.updated_at };

describe('copy visitor', () => {
  it('Given a page of 5 rows and batches of 2, When visited, Then 3 requests carry 2, 2 and 1 items with distinct idempotency keys', async () => {
    const { target, calls } = recordingTarget(new Set());
    await createCopyVisitor({ ...base, target, writeBatch: 2, recordFailures: async () => undefined }).visit(rows);
    expect(calls.map((c) => c.ids)).toEqual([[1, 2], [3, 4], [5]]);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(3);
  });

  it('Given the same page visited twice, When written, Then each batch carries the same idempotency key both times', async () => {
    const first = recordingTarget(new Set());
    const second = recordingTarget(new Set());
    await createCopyVisitor({ ...base, target: first.target, recordFailures: async () => undefined }).visit(rows);
    await createCopyVisitor({ ...base, target: second.target, recordFailures: async () => undefined }).visit(rows);
    expect(first.calls).toHaveLength(1);
    expect(second.calls[0]!.idempotencyKey).toBe(first.calls[0]!.idempotencyKey);
  });

  it('Given a refused item and a caller that wants written keys, When visited, Then the refusal is logged and every other key reported written', async () => {
    const { target } = recordingTarget(new Set([3]));
    const failures: NewFailure[] = [];
    const written: KeyTuple[] = [];
    const outcome = await createCopyVisitor({
      ...base,
      target,
      writeBatch: 2,
      recordFailures: async (f) => void failures.push(...f),
      onWritten: async (keys) => void written.push(...keys),
    }).visit(rows);
    expect(outcome.failures).toBe(1);
    expect(failures).toEqual([{ plan: 'p', entity: 'orders', key: [3], status: 422, error: 'refused' }]);
    expect(written).toEqual([[1], [2], [4], [5]]);
  });
});
