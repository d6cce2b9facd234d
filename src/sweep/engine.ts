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
  /**
   * The page's own work done ahead (mapping, idempotency keys), its writes left to `send`. The
   * engine prepares page n+1 while page n's checkpoint is saved and sends it only after; a visitor
   * without it is visited whole once the checkpoint is saved.
   */
  prepare?(rows: SourceRow[]): PreparedPage;
}

/** A page ready to be written. */
export interface PreparedPage {
  send(): Promise<PageOutcome>;
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
 * so a partition holds at most two pages), and while page n's checkpoint is saved page n+1 is
 * prepared (mapped). What stays in order is what bounds a crash: page n+1 is sent only after page
 * n's checkpoint is saved, so a worker killed at any moment re-sends at most the one page in flight. The flag before page n+1 is read with page n's checkpoint
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
  // The checkpoint of the page sent last, being saved while the next page is prepared.
  let saving: { cp: Checkpoint; flag: Promise<boolean | undefined | void> } | undefined;
  /** Waits for the page sent last to be checkpointed; how the chunk ends there, or undefined to go on. */
  const settle = async (): Promise<ChunkOutcome | undefined> => {
    if (!saving) return undefined;
    const { cp: saved, flag: answer } = saving;
    saving = undefined;
    const flag = await answer;
    opts.onPage?.(saved);
    if (saved.done) return { ...saved, flagOff: false };
    enabled = typeof flag === 'boolean' ? Promise.resolve(flag) : check();
    if (Date.now() >= opts.deadline) return { ...saved, flagOff: false };
    return undefined;
  };
  for (;;) {
    const page = await next;
    if (page.rows.length === 0 || !page.last) {
      const end = await settle();
      if (end) return end;
      if (enabled && !(await enabled)) return { ...cp, flagOff: true };
      cp = { ...cp, done: true };
      await opts.saveCheckpoint(cp, false);
      opts.onPage?.(cp);
      return { ...cp, flagOff: false };
    }
    const last: KeyTuple = page.last;
    const more = page.rows.length >= opts.batchSize;
    // The next page, while this page is prepared and sent.
    if (more) next = read(last);
    const rows = opts.sample ? page.rows.filter(opts.sample) : page.rows;
    // This page's mapping runs while the previous page's checkpoint is being saved; it is sent only
    // once that checkpoint is saved (and the flag read with it said go on).
    const prepared = rows.length > 0 && opts.visitor.prepare ? opts.visitor.prepare(rows) : undefined;
    const end = await settle();
    if (end) return end;
    if (enabled && !(await enabled)) return { ...cp, flagOff: true };
    const outcome = rows.length === 0 ? { failures: 0, mismatches: 0 } : prepared ? await prepared.send() : await opts.visitor.visit(rows);
    cp = {
      cursor: last,
      rowsDone: cp.rowsDone + rows.length,
      failures: cp.failures + outcome.failures,
      done: !more,
      mismatches: (cp.mismatches ?? 0) + outcome.mismatches,
    };
    const flag = opts.saveCheckpoint(cp, more && opts.isEnabled !== undefined);
    // Settled before the next send or the return; a failure surfaces there, not as an unhandled rejection.
    flag.catch(() => undefined);
    saving = { cp, flag };
    if (!more) return (await settle()) ?? { ...cp, flagOff: false };
  }
}
