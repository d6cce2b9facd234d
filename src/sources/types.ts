/**
 * The legacy database as the sweep sees it. Keys travel as JSON-safe tuples (numbers, strings,
 * ISO timestamps) because they are stored in workflow state and checkpoints.
 */
import type { SourceConfig } from '../plan/schema.js';

/** One key value: integers that fit a double as numbers, bigints/UUIDs/chars as strings, timestamps as ISO strings. */
export type KeyPart = string | number;
/** Values of the key columns in key order. */
export type KeyTuple = readonly KeyPart[];
export type SourceRow = Record<string, unknown>;

/** A slice of the key space: rows with key > `after` (exclusive) and key <= `upTo` (inclusive); open ends are unbounded. */
export interface KeyRange {
  after?: KeyTuple;
  upTo?: KeyTuple;
}

export interface ColumnInfo {
  name: string;
  /** The database's own type name, lower case (e.g. `bigint`, `varchar`, `uuid`, `timestamp with time zone`). */
  dataType: string;
  nullable: boolean;
  /** MySQL only: the column's collation, which key comparisons use. */
  collation?: string;
}

export interface TableInfo {
  exists: boolean;
  columns: ColumnInfo[];
  /** Column lists of the primary key and every unique index. */
  uniqueKeys: string[][];
  /** The planner's row estimate (cheap; may be stale). */
  estimatedRows: number;
}

export interface ReadOptions {
  /** Only rows whose `updatedAt` column is at or after this instant. */
  updatedSince?: Date;
}

export interface Page {
  rows: SourceRow[];
  /** Key of the last row, the cursor for the next page; absent when the page is empty. */
  last?: KeyTuple;
}

/** A legacy PostgreSQL or MySQL/MariaDB database. Implementations quote identifiers and parameterise values. */
export interface SourceDb {
  readonly dialect: 'postgres' | 'mysql';
  /** Columns, unique keys and estimate of a table; `exists: false` rather than throwing when it is missing. */
  introspect(table: Pick<SourceConfig, 'schema' | 'table'>): Promise<TableInfo>;
  /** Keyset page: up to `limit` rows in key order within `range`, honouring `where` and options. Never OFFSET. */
  readPage(source: SourceConfig, range: KeyRange, limit: number, options?: ReadOptions): Promise<Page>;
  /** Rows with these keys (any order; missing keys are simply absent). */
  readByKeys(source: SourceConfig, keys: readonly KeyTuple[]): Promise<SourceRow[]>;
  /** Up to `partitions` contiguous ranges covering the whole key space, roughly equal in rows even when skewed. */
  splitKeySpace(source: SourceConfig, partitions: number): Promise<KeyRange[]>;
  /** Row count estimate within a range (exact count when cheap enough). */
  estimateRows(source: SourceConfig, range?: KeyRange): Promise<number>;
  /** The JSON-safe key tuple of a row read from this source. */
  keyOf(source: SourceConfig, row: SourceRow): KeyTuple;
  close(): Promise<void>;
}
