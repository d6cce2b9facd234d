/**
 * One engine, two visitors: walks one partition of the source key space page by page and hands
 * each page to a visitor (copy for backfill, compare for verification). After every page it saves
 * a checkpoint, so a crash repeats at most the page in flight. Knows nothing of Temporal.
 */
import type { KeyRange, KeyTuple, ReadOptions, SourceDb, SourceRow } from '../sources/types.js';
import type { SourceConfig } from '../plan/schema.js';
import type { Checkpoint } from '../state/types.js';
import { sourceReadError } from '../sources/errors.js';

/** What a visitor did with one page. */
export interface PageOutcome {
  failures: number;
  mismatches: number;
}

export interface Visitor {
  visit(rows: SourceRow[]): Promise<PageOutcome>;
}

export interface ChunkOptions {
  source: SourceDb;
  sourceConfig: SourceConfig;
  range: KeyRange;
  batchSize: number;
  /** Where the previous chunk (or a crashed attempt) got to. */
  start: Checkpoint;
  /** Stop after the page that crosses this instant (ms since epoch). */
  deadline: number;
  visitor: Visitor;
  saveCheckpoint(cp: Checkpoint): Promise<void>;
  /** Checked before every page: false stops the chunk within one page. */
  isEnabled?(): Promise<boolean>;
  /** Called after every page with the new checkpoint (liveness; may throw on cancellation). */
  onPage?(cp: Checkpoint): void;
  readOptions?: ReadOptions;
  /** Keep a row with this probability (verification sampling); all rows when absent. */
  sample?: (row: SourceRow) => boolean;
}

export interface ChunkOutcome extends Checkpoint {
  /** The chunk stopped because the flag turned off. */
  flagOff: boolean;
}

/** Runs pages from `start` until the range is exhausted, the deadline passes, or the flag turns off. */
export async function runChunk(opts: ChunkOptions): Promise<ChunkOutcome> {
  let cp: Checkpoint = { ...opts.start };
  if (cp.done) return { ...cp, flagOff: false };
  for (;;) {
    if (opts.isEnabled && !(await opts.isEnabled())) return { ...cp, flagOff: true };
    let page;
    try {
      page = await opts.source.readPage(opts.sourceConfig, { after: cp.cursor ?? opts.range.after, upTo: opts.range.upTo }, opts.batchSize, opts.readOptions);
    } catch (e) {
      // Name the source: "connection terminated" alone does not say which database went away.
      throw sourceReadError(opts.sourceConfig.db, e);
    }
    if (page.rows.length === 0 || !page.last) {
      cp = { ...cp, done: true };
      await opts.saveCheckpoint(cp);
      opts.onPage?.(cp);
      return { ...cp, flagOff: false };
    }
    const rows = opts.sample ? page.rows.filter(opts.sample) : page.rows;
    const outcome = rows.length > 0 ? await opts.visitor.visit(rows) : { failures: 0, mismatches: 0 };
    const last: KeyTuple = page.last;
    cp = {
      cursor: last,
      rowsDone: cp.rowsDone + rows.length,
      failures: cp.failures + outcome.failures,
      done: page.rows.length < opts.batchSize,
      mismatches: (cp.mismatches ?? 0) + outcome.mismatches,
    };
    await opts.saveCheckpoint(cp);
    opts.onPage?.(cp);
    if (cp.done) return { ...cp, flagOff: false };
    if (Date.now() >= opts.deadline) return { ...cp, flagOff: false };
  }
}
