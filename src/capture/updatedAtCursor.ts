/**
 * Change capture without triggers: the legacy table read in `(updatedAt, key)` order past a
 * persisted cursor (see docs/sync.md, "capture: updatedAt"). Nothing is installed in the legacy
 * database; rows are found by their last-change column, so hard deletes (and rows leaving
 * `source.where`) are never seen.
 *
 * Each pass starts `overlap` before the cursor — before the database's clock instead when the cursor
 * is ahead of it (a writer whose clock runs fast) — so a row stamped earlier than it became visible
 * (a writer's skewed clock, a transaction committing after a later one was read) is still found.
 * Timestamps travel as fixed-width text in the session's UTC (`YYYY-MM-DD HH:MM:SS.ffffff`): exact to
 * the microsecond, comparable as strings, and read back by both databases as a literal.
 */
import type { SourceConfig } from '../plan/schema.js';
import { keyPredicate } from '../sources/keyset.js';
import { quoteIdent, quoteTable, type DialectName } from '../sources/quote.js';
import type { KeyTuple } from '../sources/types.js';
import { keyTupleOf } from '../sources/values.js';
import type { ChangeLag, Sql } from './changeLog.js';

/** A place in `(updatedAt, key)` order: the timestamp as text (see the file comment) and the key. */
export interface CursorPoint {
  at: string;
  key: KeyTuple;
}

/** One row found by a scan: its key and its updatedAt as text. */
export type ScannedRow = CursorPoint;

export type CursorSource = Pick<SourceConfig, 'schema' | 'table' | 'key' | 'where'> & { updatedAt: string };

const AT = '_tracer_at';

/** Statement and parameters, placeholders of the dialect. */
interface Query {
  sql: string;
  params: unknown[];
}

function params(dialect: DialectName) {
  const values: unknown[] = [];
  return {
    values,
    add(v: unknown): string {
      values.push(v);
      return dialect === 'postgres' ? `$${values.length}` : '?';
    },
  };
}

/** `updatedAt` rendered as fixed-width UTC text. */
function atText(dialect: DialectName, col: string): string {
  return dialect === 'postgres' ? `to_char(${col}, 'YYYY-MM-DD HH24:MI:SS.US')` : `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`;
}

/** The earliest updatedAt a pass reads: `overlap` before the cursor, or before the database's clock when that is earlier. */
function floorExpr(dialect: DialectName, p: { add(v: unknown): string }, cursorAt: string, overlapMs: number): string {
  const micros = Math.max(0, Math.round(overlapMs * 1000));
  return dialect === 'postgres'
    ? `(LEAST(${p.add(cursorAt)}::timestamp, LOCALTIMESTAMP) - ${p.add(micros)} * interval '1 microsecond')`
    : `(LEAST(CAST(${p.add(cursorAt)} AS DATETIME(6)), UTC_TIMESTAMP(6)) - INTERVAL ${p.add(micros)} MICROSECOND)`;
}

/**
 * One page of a pass: keys and updatedAt of rows at or after the pass's floor (none before the first
 * cursor) and strictly after `after` (the pass's own progress), in `(updatedAt, key)` order.
 */
export function buildScan(dialect: DialectName, source: CursorSource, from: { cursorAt?: string; overlapMs: number; after?: CursorPoint }, limit: number): Query {
  const q = (n: string) => quoteIdent(dialect, n);
  const p = params(dialect);
  const u = q(source.updatedAt);
  const conds: string[] = [];
  if (from.cursorAt !== undefined) conds.push(`${u} >= ${floorExpr(dialect, p, from.cursorAt, from.overlapMs)}`);
  if (from.after) conds.push(keyPredicate(dialect, [source.updatedAt, ...source.key], 'after', [from.after.at, ...from.after.key], p));
  // Last, after every placeholder of ours (see keyset.ts).
  if (source.where) conds.push(`(${source.where})`);
  const order = [u, ...source.key.map(q)].join(', ');
  const sql = `SELECT ${source.key.map(q).join(', ')}, ${atText(dialect, u)} AS ${q(AT)} FROM ${quoteTable(dialect, source)}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${Math.max(1, Math.floor(limit))}`;
  return { sql, params: p.values };
}

/** The floor a pass from this cursor reads from, as text (what is older will not be read again). */
export function buildFloor(dialect: DialectName, cursorAt: string, overlapMs: number): Query {
  const p = params(dialect);
  const floor = floorExpr(dialect, p, cursorAt, overlapMs);
  return { sql: `SELECT ${atText(dialect, floor)} AS ${quoteIdent(dialect, AT)}`, params: p.values };
}

/** Rows past the cursor and the age of the oldest of them by the database's clock (all rows before the first cursor). */
export function buildLag(dialect: DialectName, source: CursorSource, cursor: CursorPoint | undefined): Query {
  const q = (n: string) => quoteIdent(dialect, n);
  const p = params(dialect);
  const u = q(source.updatedAt);
  const conds: string[] = [];
  if (cursor) conds.push(keyPredicate(dialect, [source.updatedAt, ...source.key], 'after', [cursor.at, ...cursor.key], p));
  if (source.where) conds.push(`(${source.where})`);
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const sql =
    dialect === 'postgres'
      ? `SELECT count(*)::int AS n, coalesce(extract(epoch FROM clock_timestamp() - min(${u})), 0)::float8 AS s FROM ${quoteTable(dialect, source)}${where}`
      : `SELECT COUNT(*) AS n, COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(${u}), UTC_TIMESTAMP(6)), 0) / 1000000 AS s FROM ${quoteTable(dialect, source)}${where}`;
  return { sql, params: p.values };
}

/**
 * The cursor after a page whose last row is `point`: that row when it is at least as new. Within one
 * timestamp the database's order (its collations) decides, and the page's last row is the latest of
 * the pass so far in that order, so keys are never compared here.
 */
export function advanceCursor(cursor: CursorPoint | undefined, point: CursorPoint): CursorPoint {
  return cursor === undefined || point.at >= cursor.at ? point : cursor;
}

/** One table read by its updatedAt column. Create with `openUpdatedAtCursor`; `close()` ends its pool. */
export class UpdatedAtCursor {
  constructor(
    private readonly sql: Sql,
    private readonly source: CursorSource,
  ) {}

  get dialect(): DialectName {
    return this.sql.dialect;
  }

  /** One page of a pass (see buildScan). */
  async scan(from: { cursorAt?: string; overlapMs: number; after?: CursorPoint }, limit: number): Promise<ScannedRow[]> {
    const { sql, params: values } = buildScan(this.sql.dialect, this.source, from, limit);
    const rows = await this.sql.query<Record<string, unknown>>(sql, values);
    return rows.map((r) => ({ at: String(r[AT]), key: keyTupleOf(this.source.key, r) }));
  }

  /** The floor of a pass from this cursor, as text. */
  async floor(cursorAt: string, overlapMs: number): Promise<string> {
    const { sql, params: values } = buildFloor(this.sql.dialect, cursorAt, overlapMs);
    const [row] = await this.sql.query<Record<string, unknown>>(sql, values);
    return String(row?.[AT]);
  }

  /**
   * Rows past the cursor, and how old the oldest of them is by the database's clock. A lower bound:
   * a row that becomes visible behind the cursor (found by the overlap) and deletes are not counted.
   */
  async lag(cursor: CursorPoint | undefined): Promise<ChangeLag> {
    const { sql, params: values } = buildLag(this.sql.dialect, this.source, cursor);
    const [row] = await this.sql.query<{ n: number | string; s: number | string | null }>(sql, values);
    return { pending: Number(row?.n ?? 0), oldestSeconds: Math.max(0, Number(row?.s ?? 0)) };
  }

  async close(): Promise<void> {
    await this.sql.close();
  }
}
