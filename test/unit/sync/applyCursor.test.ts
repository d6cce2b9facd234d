/**
 * One pass of forward sync by an updatedAt cursor against in-memory fakes: what reaches the service,
 * when the cursor is saved, and which rows the overlap sends again.
 */
import { describe, expect, it } from 'vitest';
import { applyCursorPass, type CursorPassDeps, type SentMemory } from '../../../src/sync/applyCursor.js';
import type { CursorPoint, ScannedRow } from '../../../src/capture/updatedAtCursor.js';
import type { NewFailure } from '../../../src/sweep/copy.js';
import type { ItemResult, TargetItem } from '../../../src/service/types.js';
import { TargetRetryableError } from '../../../src/service/errors.js';

type Row = {
  id: number;
  at: string;
  total: number;
};

interface Fake {
  deps: CursorPassDeps;
  /** What happened, in order: `write ids` and `save at/id`. */
  log: string[];
  written: TargetItem[][];
  failures: NewFailure[];
}

/** A table of rows in (at, id) order; the scan honours `after` and the floor (`cursorAt` minus `floorBack` in the same text, given by hand). */
function fake(rows: Row[], opts: { floor?: string; writeError?: Error; refuse?: number[]; gone?: number[]; sent?: SentMemory } = {}): Fake {
  const f: Fake = { log: [], written: [], failures: [], deps: undefined as unknown as CursorPassDeps };
  const after = (r: Row, p: CursorPoint) => r.at > p.at || (r.at === p.at && r.id > (p.key[0] as number));
  f.deps = {
    plan: 'p',
    entity: 'orders',
    scan: async (from, limit) =>
      rows
        .filter((r) => (from.cursorAt === undefined || r.at >= (opts.floor ?? '')) && (!from.after || after(r, from.after)))
        .slice(0, limit)
        .map((r): ScannedRow => ({ at: r.at, key: [r.id] })),
    floor: async () => opts.floor ?? '',
    readRows: async (keys) => rows.filter((r) => !opts.gone?.includes(r.id) && keys.some((k) => k[0] === r.id)),
    keyOfRow: (row) => [row.id as number],
    mapRow: (row) => ({ id: row.id, total: row.total }),
    target: {
      async write(items) {
        if (opts.writeError) throw opts.writeError;
        f.log.push(`write ${items.map((i) => i.id).join(',')}`);
        f.written.push([...items]);
        return items.map((it): ItemResult => (opts.refuse?.includes(it.id as number) ? { key: { id: it.id }, ok: false, status: 422, error: 'total must be positive' } : { key: { id: it.id }, ok: true, status: 200 }));
      },
    },
    recordFailures: async (fs) => void f.failures.push(...fs),
    saveCursor: async (c) => void f.log.push(`save ${c.at}/${c.key.join(',')}`),
    sent: opts.sent ?? new Map(),
    overlapMs: 2_000,
    keepGoing: async () => true,
  };
  return f;
}

const rows: Row[] = [
  { id: 3, at: '2026-12-03 07:00:01.000000', total: 30 },
  { id: 1, at: '2026-12-03 07:00:02.000000', total: 10 },
  { id: 2, at: '2026-12-03 07:00:02.000000', total: 20 },
];

describe('applyCursorPass', () => {
  it('Given three rows and pages of two, when a pass runs from no cursor, then each page is written before the cursor moves to its last row', async () => {
    const f = fake(rows);
    const out = await applyCursorPass(f.deps, undefined, 2);
    expect(f.log).toEqual(['write 3,1', 'save 2026-12-03 07:00:02.000000/1', 'write 2', 'save 2026-12-03 07:00:02.000000/2']);
    expect(out).toMatchObject({ changes: 3, upserted: 3, failed: 0, unchanged: 0, vanished: 0, complete: true, cursor: { at: '2026-12-03 07:00:02.000000', key: [2] } });
  });

  it('Given the service answers with a retryable error, when a pass runs, then it throws and the cursor is not saved', async () => {
    const f = fake(rows, { writeError: new TargetRetryableError('fulfillment', 503, 'HTTP 503 Service Unavailable') });
    await expect(applyCursorPass(f.deps, undefined, 10)).rejects.toBeInstanceOf(TargetRetryableError);
    expect(f.log).toEqual([]);
    expect(f.deps.sent.size).toBe(0);
  });

  it('Given a pass already sent these rows, when the overlap reads them again unchanged, then nothing is re-sent and the cursor stays', async () => {
    const f = fake(rows, { floor: '2026-12-03 07:00:00.000000' });
    const first = await applyCursorPass(f.deps, undefined, 10);
    f.log.length = 0;
    const again = await applyCursorPass(f.deps, first.cursor, 10);
    expect(again).toMatchObject({ changes: 0, unchanged: 3, cursor: { at: '2026-12-03 07:00:02.000000', key: [2] } });
    expect(f.log).toEqual(['save 2026-12-03 07:00:02.000000/2']);
  });

  it('Given a row changed without its updatedAt moving (a coarse column, two writes in one tick), when the overlap reads it, then it is sent again', async () => {
    const table = rows.map((r) => ({ ...r }));
    const f = fake(table, { floor: '2026-12-03 07:00:00.000000' });
    const first = await applyCursorPass(f.deps, undefined, 10);
    table[1]!.total = 11;
    f.written.length = 0;
    const again = await applyCursorPass(f.deps, first.cursor, 10);
    expect(f.written).toEqual([[{ id: 1, total: 11 }]]);
    expect(again).toMatchObject({ changes: 1, unchanged: 2 });
  });

  it('Given a worker with no memory (a new worker), when the overlap reads rows another pass sent, then it sends them again, the same items', async () => {
    const f = fake(rows, { floor: '2026-12-03 07:00:00.000000' });
    const first = await applyCursorPass(f.deps, undefined, 10);
    const fresh = fake(rows, { floor: '2026-12-03 07:00:00.000000' });
    await applyCursorPass(fresh.deps, first.cursor, 10);
    expect(fresh.written).toEqual(f.written);
  });

  it('Given a row gone between the scan and the read (deleted), when a pass runs, then it is counted as vanished, not sent and not counted as synced', async () => {
    const f = fake(rows, { gone: [1] });
    const out = await applyCursorPass(f.deps, undefined, 10);
    expect(f.written).toEqual([[{ id: 3, total: 30 }, { id: 2, total: 20 }]]);
    expect(out).toMatchObject({ changes: 2, upserted: 2, vanished: 1 });
  });

  it('Given the service refuses one item, when a pass runs, then it goes to the failure log, the others and the cursor go on, and the unchanged refusal is not sent again', async () => {
    const f = fake(rows, { refuse: [1], floor: '2026-12-03 07:00:00.000000' });
    const out = await applyCursorPass(f.deps, undefined, 10);
    expect(out).toMatchObject({ changes: 3, upserted: 2, failed: 1, cursor: { key: [2] } });
    expect(f.failures).toEqual([{ plan: 'p', entity: 'orders', key: [1], status: 422, error: 'total must be positive' }]);
    f.written.length = 0;
    await applyCursorPass(f.deps, out.cursor, 10);
    expect(f.written).toEqual([]);
  });

  it('Given remembered rows older than the floor of the next pass, when the pass ends, then they are forgotten', async () => {
    const sent: SentMemory = new Map([['[9]', { at: '2026-12-03 06:59:00.000000', fingerprint: 'x' }]]);
    const f = fake(rows, { floor: '2026-12-03 07:00:00.000000', sent });
    await applyCursorPass(f.deps, { at: '2026-12-03 07:00:02.000000', key: [2] }, 10);
    expect([...sent.keys()].sort()).toEqual(['[1]', '[2]', '[3]']);
  });
});
