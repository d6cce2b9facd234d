/**
 * One engine, two visitors: walks one partition of the source key space page by page and hands
 * each page to a visitor (copy for backfill, compare for verification). After every page it saves
 * a checkpoint, so a crash repeats at most the page in flight; the next page is read while the
 * current one is visited. Knows nothing of Temporal.
 */
import type { KeyRange, KeyTuple, Page, ReadOptions, SourceDb, SourceRow } from '../sources/types.js';
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
  /**
   * Saves a checkpoint. With `checkFlag` (another page follows and the chunk has `isEnabled`) it may
   * answer the flag as read with the save, one state-store round trip for both; a boolean answer
   * stands for `isEnabled()` before the next page, undefined (or void) leaves it to `isEnabled`.
   */
  saveCheckpoint(cp: Checkpoint, checkFlag: boolean): Promise<boolean | undefined | void>;
  /** Checked before every page: false stops the chunk before the next page. */
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

/**
 * Runs pages from `start` until the range is exhausted, the deadline passes, or the flag turns off.
 *
 * While the visitor sends page n, the next page is already being read (one page ahead, never more,
 * so a partition holds at most two pages). What stays in order is what bounds a crash: page n+1 is
 * handed to the visitor only after page n's checkpoint is saved, so a worker killed at any moment
 * re-sends at most the one page in flight. The flag before page n+1 is read with page n's checkpoint
 * (`saveCheckpoint(cp, true)`), or by `isEnabled` when the save does not answer it: either way after
 * page n was sent, so a flag turned off while page n is sent stops the chunk before page n+1.
 */
export async function runChunk(opts: ChunkOptions): Promise<ChunkOutcome> {
  let cp: Checkpoint = { ...opts.start };
  if (cp.done) return { ...cp, flagOff: false };
  const read = (after: KeyTuple | undefined): Promise<Page> => {
    const p = opts.source.readPage(opts.sourceConfig, { after, upTo: opts.range.upTo }, opts.batchSize, opts.readOptions).catch((e: unknown) => {
      // Name the source: "connection terminated" alone does not say which database went away.
      throw sourceReadError(opts.sourceConfig.db, e);
    });
    // A page read ahead and then not needed (deadline, flag off, a failed write) must not surface as an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  const check = (): Promise<boolean> | undefined => {
    if (!opts.isEnabled) return undefined;
    const p = opts.isEnabled();
    p.catch(() => undefined);
    return p;
  };
  let enabled = check();
  let next = read(cp.cursor ?? opts.range.after);
  for (;;) {
    if (enabled && !(await enabled)) return { ...cp, flagOff: true };
    const page = await next;
    if (page.rows.length === 0 || !page.last) {
      cp = { ...cp, done: true };
      await opts.saveCheckpoint(cp, false);
      opts.onPage?.(cp);
      return { ...cp, flagOff: false };
    }
    const last: KeyTuple = page.last;
    const more = page.rows.length >= opts.batchSize;
    // The next page, while this page is visited.
    if (more) next = read(last);
    const rows = opts.sample ? page.rows.filter(opts.sample) : page.rows;
    const outcome = rows.length > 0 ? await opts.visitor.visit(rows) : { failures: 0, mismatches: 0 };
    cp = {
      cursor: last,
      rowsDone: cp.rowsDone + rows.length,
      failures: cp.failures + outcome.failures,
      done: !more,
      mismatches: (cp.mismatches ?? 0) + outcome.mismatches,
    };
    const flag = await opts.saveCheckpoint(cp, more && opts.isEnabled !== undefined);
    opts.onPage?.(cp);
    if (cp.done) return { ...cp, flagOff: false };
    enabled = typeof flag === 'boolean' ? Promise.resolve(flag) : check();
    if (Date.now() >= opts.deadline) return { ...cp, flagOff: false };
  }
}
