/**
 * The page loop's order is what bounds a crash to one re-sent page per partition: page n+1 may be
 * read and prepared while page n's checkpoint is saved, but is sent only once that checkpoint is
 * saved and the flag read with it says go on. Fakes record every step in one log.
 */
import { describe, expect, it } from 'vitest';
import { runChunk, type ChunkOptions, type Visitor } from '../../../src/sweep/engine.js';
import type { KeyTuple, Page, SourceDb, SourceRow } from '../../../src/sources/types.js';
import type { Checkpoint } from '../../../src/state/types.js';
import type { SourceConfig } from '../../../src/plan/schema.js';

const BATCH = 2;
/** Rows with ids 1..n, read in pages of BATCH after a cursor. */
function source(n: number, log: string[]): SourceDb {
  return {
    async readPage(_cfg: SourceConfig, range: { after?: KeyTuple }, limit: number): Promise<Page> {
      const after = (range.after?.[0] as number | undefined) ?? 0;
      const rows: SourceRow[] = [];
      for (let id = after + 1; id <= n && rows.length < limit; id++) rows.push({ id });
      log.push(`read after ${after}`);
      return rows.length ? { rows, last: [rows[rows.length - 1]!.id as number] } : { rows };
    },
  } as unknown as SourceDb;
}

const ids = (rows: SourceRow[]) => rows.map((r) => r.id).join(',');

function preparingVisitor(log: string[]): Visitor {
  return {
    visit: async () => {
      throw new Error('a preparing visitor is not visited whole');
    },
    prepare(rows) {
      log.push(`prepare ${ids(rows)}`);
      return {
        async send() {
          log.push(`send ${ids(rows)}`);
          return { failures: 0, mismatches: 0 };
        },
      };
    },
  };
}

/** A checkpoint save that waits for `release` to be called, logging when it starts and ends. */
function gatedSaves(log: string[], answer: (cp: Checkpoint) => boolean | undefined = () => true) {
  const gates: (() => void)[] = [];
  const save = (cp: Checkpoint): Promise<boolean | undefined> => {
    log.push(`save ${cp.cursor?.[0] ?? '-'}${cp.done ? ' done' : ''}`);
    return new Promise((resolve) => {
      gates.push(() => {
        log.push(`saved ${cp.cursor?.[0] ?? '-'}`);
        resolve(answer(cp));
      });
    });
  };
  const releaseAll = async () => {
    // Each save is released only once the loop has gone as far as it can without it.
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 1));
      const g = gates.shift();
      if (g) g();
    }
  };
  return { save, releaseAll };
}

function options(log: string[], n: number, over: Partial<ChunkOptions> = {}): ChunkOptions {
  return {
    source: source(n, log),
    sourceConfig: { db: 'legacy', table: 't', key: ['id'] } as unknown as SourceConfig,
    range: {},
    batchSize: BATCH,
    start: { rowsDone: 0, failures: 0, done: false },
    deadline: Date.now() + 60_000,
    visitor: preparingVisitor(log),
    saveCheckpoint: async () => true,
    isEnabled: async () => true,
    ...over,
  };
}

describe('the page loop', () => {
  it('Given a preparing visitor and slow checkpoints, when a chunk runs, then page n+1 is prepared while page n is checkpointed and sent only after that checkpoint is saved', async () => {
    const log: string[] = [];
    const gate = gatedSaves(log);
    const running = runChunk(options(log, 5, { saveCheckpoint: (cp) => gate.save(cp) }));
    await gate.releaseAll();
    const out = await running;
    expect(out).toMatchObject({ cursor: [5], rowsDone: 5, done: true, flagOff: false });
    const at = (line: string) => log.indexOf(line);
    // Prepared during the save of the page before, sent after it was saved.
    expect(at('prepare 3,4')).toBeLessThan(at('saved 2'));
    expect(at('send 3,4')).toBeGreaterThan(at('saved 2'));
    expect(at('prepare 5')).toBeLessThan(at('saved 4'));
    expect(at('send 5')).toBeGreaterThan(at('saved 4'));
    // Every send comes after the save of the page before it, and no page is sent twice.
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 1,2', 'send 3,4', 'send 5']);
    expect(log[log.length - 1]).toBe('saved 5');
  });

  it('Given the flag read with page 1’s checkpoint is off, when the chunk runs, then page 2 is never sent and the chunk stops at page 1’s cursor', async () => {
    const log: string[] = [];
    const out = await runChunk(
      options(log, 6, {
        saveCheckpoint: async (cp) => {
          log.push(`save ${cp.cursor?.[0]}`);
          return false;
        },
      }),
    );
    expect(out).toMatchObject({ cursor: [2], rowsDone: 2, flagOff: true });
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 1,2']);
  });

  it('Given the deadline has passed, when page 1 is checkpointed, then the chunk returns page 1’s cursor without sending page 2', async () => {
    const log: string[] = [];
    const out = await runChunk(options(log, 6, { deadline: Date.now() - 1 }));
    expect(out).toMatchObject({ cursor: [2], rowsDone: 2, done: false, flagOff: false });
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 1,2']);
  });

  it('Given a checkpoint save that fails, when the chunk runs, then it fails and the next page is not sent', async () => {
    const log: string[] = [];
    const running = runChunk(
      options(log, 6, {
        saveCheckpoint: async () => {
          throw new Error('state store down');
        },
      }),
    );
    await expect(running).rejects.toThrow('state store down');
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 1,2']);
  });

  it('Given a visitor without prepare, when the chunk runs, then each page is visited whole after the checkpoint before it is saved', async () => {
    const log: string[] = [];
    const gate = gatedSaves(log);
    const visitor: Visitor = {
      async visit(rows) {
        log.push(`visit ${ids(rows)}`);
        return { failures: 0, mismatches: 0 };
      },
    };
    const running = runChunk(options(log, 4, { visitor, saveCheckpoint: (cp) => gate.save(cp) }));
    await gate.releaseAll();
    expect(await running).toMatchObject({ cursor: [4], rowsDone: 4, flagOff: false });
    expect(log.indexOf('visit 3,4')).toBeGreaterThan(log.indexOf('saved 2'));
  });

  it('Given a range whose last page is full, when the chunk runs, then the empty page after it ends the chunk as done after the last checkpoint is saved', async () => {
    const log: string[] = [];
    const out = await runChunk(
      options(log, 4, {
        saveCheckpoint: async (cp) => {
          log.push(`save ${cp.cursor?.[0]}${cp.done ? ' done' : ''}`);
          return true;
        },
      }),
    );
    expect(out).toMatchObject({ cursor: [4], rowsDone: 4, done: true });
    expect(log.filter((l) => l.startsWith('save'))).toEqual(['save 2', 'save 4', 'save 4 done']);
  });
});
