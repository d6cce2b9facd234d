/**
 * PostgreSQL source. Type parsers are set per pool (never on the global `pg.types`, which other
 * pools in the process share) so that int8, numeric and timestamps keep their exact values; each
 * session runs in UTC with ISO dates so `timestamptz` text is stable. Value shapes: see values.ts.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SourceConfig } from '../plan/schema.js';
import {
  buildCount,
  buildExplain,
  buildMinMax,
  buildReadByKeys,
  buildReadPage,
  buildSample,
  type BoundRange,
  type Query,
} from './keyset.js';
import { quoteTable } from './quote.js';
import { evenIntegerBoundaries, isSkewed, quantileBoundaries, rangesFromBoundaries } from './split.js';
import type { ColumnInfo, KeyRange, KeyTuple, Page, ReadOptions, SourceDb, SourceRow, TableInfo } from './types.js';
import { keyTupleOf, keyTypesFrom } from './values.js';
import { exactPgTypes } from './pgTypes.js';
import { SAMPLE, EXACT_COUNT_LIMIT, READ_BY_KEYS_CHUNK, sampleSizeFor } from './tuning.js';

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** Creates a pool with exact type parsers and UTC/ISO sessions; the caller verifies connectivity. */
export function createPostgresPool(url: string, poolSize: number): pg.Pool {
  const { connectionString, options } = sessionOptions(url);
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    types: exactPgTypes,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'tracer-migrate',
    options,
  });
  // An idle client dying (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Startup parameters rather than a SET on connect (which would race the pool's first query): ISO
 * output is what the parsers read, UTC makes timestamptz text end in +00, and extra_float_digits=1
 * makes floats print the shortest text that reads back exactly. A URL's own `options` would replace
 * them (pg lets the connection string win), so they are moved out of the URL and ours come last.
 */
export function sessionOptions(url: string): { connectionString: string; options: string } {
  const ours = '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1';
  const q = url.indexOf('?');
  if (q < 0) return { connectionString: url, options: ours };
  const params = new URLSearchParams(url.slice(q + 1));
  const theirs = params.get('options');
  if (theirs === null) return { connectionString: url, options: ours };
  params.delete('options');
  const rest = params.toString();
  return { connectionString: url.slice(0, q) + (rest === '' ? '' : `?${rest}`), options: `${theirs} ${ours}` };
}

/** A SourceDb over a pg.Pool; `close()` ends the pool. */
export class PostgresSource implements SourceDb {
  readonly dialect = 'postgres' as const;
  private readonly statementNames = new Map<string, string>();
  private readonly keyTypes = new Map<string, Promise<string[]>>();

  constructor(private readonly pool: pg.Pool) {}

  private run<T extends pg.QueryResultRow = SourceRow>(q: Query, prepared = false): Promise<pg.QueryResult<T>> {
    if (!prepared) return this.pool.query<T>(q.sql, q.params);
    // Named statements are parsed and planned once per connection, which matters at one query per page.
    let name = this.statementNames.get(q.sql);
    if (!name) {
      name = `tracer_${createHash('sha1').update(q.sql).digest('hex').slice(0, 20)}`;
      this.statementNames.set(q.sql, name);
    }
    return this.pool.query<T>({ name, text: q.sql, values: q.params });
  }

  async introspect(table: Pick<SourceConfig, 'schema' | 'table'>): Promise<TableInfo> {
    const rel = await this.pool.query<{ oid: number | null }>('SELECT to_regclass($1)::oid AS oid', [quoteTable('postgres', table)]);
    const oid = rel.rows[0]?.oid;
    if (oid === null || oid === undefined) return { exists: false, columns: [], uniqueKeys: [], estimatedRows: 0 };
    const [cols, keys, estimatedRows] = await Promise.all([
      this.pool.query<{ name: string; type: string; nullable: boolean }>(
        `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type, NOT a.attnotnull AS nullable
           FROM pg_attribute a
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum`,
        [oid],
      ),
      // Partial and expression indexes cannot serve as a row key, and INCLUDE columns are not part of one.
      this.pool.query<{ cols: string[] }>(
        `SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols
           FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid
            AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
          GROUP BY i.indexrelid, i.indisprimary
          ORDER BY i.indisprimary DESC, i.indexrelid`,
        [oid],
      ),
      this.planEstimate({ ...table, key: ['_'] }),
    ]);
    const columns: ColumnInfo[] = cols.rows.map((c) => ({ name: c.name, dataType: c.type, nullable: c.nullable }));
    return { exists: true, columns, uniqueKeys: keys.rows.map((k) => k.cols), estimatedRows };
  }

  async readPage(source: SourceConfig, range: KeyRange, limit: number, options: ReadOptions = {}): Promise<Page> {
    const q = buildReadPage('postgres', source, range, limit, options.updatedSince?.toISOString());
    const { rows } = await this.run(q, true);
    const lastRow = rows[rows.length - 1];
    return lastRow ? { rows, last: keyTupleOf(source.key, lastRow) } : { rows };
  }

  async readByKeys(source: SourceConfig, keys: readonly KeyTuple[]): Promise<SourceRow[]> {
    const out: SourceRow[] = [];
    for (let i = 0; i < keys.length; i += READ_BY_KEYS_CHUNK) {
      const { rows } = await this.run(buildReadByKeys('postgres', source, keys.slice(i, i + READ_BY_KEYS_CHUNK)));
      for (const r of rows) out.push(r);
    }
    return out;
  }

  async splitKeySpace(source: SourceConfig, partitions: number): Promise<KeyRange[]> {
    if (partitions <= 1) return [{}];
    const types = await this.keyColumnTypes(source);
    const sample = await this.sample(source, partitions);
    if (types.length === 1 && INTEGER_TYPES.has(types[0]!)) {
      const { rows } = await this.run<{ lo: number | string | null; hi: number | string | null }>(buildMinMax('postgres', source));
      const { lo, hi } = rows[0] ?? { lo: null, hi: null };
      if (lo === null || hi === null) return [{}];
      const even = evenIntegerBoundaries(lo, hi, partitions);
      if (!isSkewed(sample.map((k) => k[0]!), even, partitions)) return rangesFromBoundaries(even);
    }
    return rangesFromBoundaries(quantileBoundaries(sample, partitions));
  }

  /**
   * The planner's estimate for the range; when that is at most EXACT_COUNT_LIMIT rows an exact
   * COUNT follows, since counting so few rows over the key index is cheap and progress bars then end exactly.
   */
  async estimateRows(source: SourceConfig, range: KeyRange = {}): Promise<number> {
    const estimate = await this.planEstimate(source, range);
    if (estimate > EXACT_COUNT_LIMIT) return estimate;
    const { rows } = await this.run<{ n: string | number }>(buildCount('postgres', source, range));
    return Number(rows[0]?.n ?? 0);
  }

  keyOf(source: SourceConfig, row: SourceRow): KeyTuple {
    return keyTupleOf(source.key, row);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async planEstimate(source: Pick<SourceConfig, 'schema' | 'table' | 'key' | 'where'>, range: BoundRange = {}): Promise<number> {
    const { rows } = await this.run<{ 'QUERY PLAN': unknown }>(buildExplain('postgres', source, range));
    const raw = rows[0]?.['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan?: { 'Plan Rows'?: number } }>;
    return Math.max(0, Math.round(plan[0]?.Plan?.['Plan Rows'] ?? 0));
  }

  /** Sorted sample of key tuples, sized for `partitions` quantiles; memory bounded by SAMPLE.capFactor. */
  private async sample(source: SourceConfig, partitions: number): Promise<KeyTuple[]> {
    const size = sampleSizeFor(partitions);
    const cap = size * SAMPLE.capFactor;
    const estimate = await this.planEstimate(source);
    let fraction = estimate > 0 ? Math.min(1, (size * SAMPLE.oversample) / estimate) : 1;
    let { rows } = await this.run(buildSample('postgres', source, fraction, cap));
    if (rows.length >= cap) {
      // Statistics were far off and the LIMIT cut the sample to one end of the table: size it from a real count.
      const { rows: counted } = await this.run<{ n: string | number }>(buildCount('postgres', source));
      fraction = Math.min(1, (size * SAMPLE.oversample) / Math.max(1, Number(counted[0]?.n ?? 1)));
      ({ rows } = await this.run(buildSample('postgres', source, fraction, cap)));
    }
    return rows.map((r) => keyTupleOf(source.key, r));
  }

  /** The key columns' type names, looked up once per table; UserError when the table or a column is missing. */
  private keyColumnTypes(source: SourceConfig): Promise<string[]> {
    const id = `${source.schema ?? ''}.${source.table}:${source.key.join(',')}`;
    let types = this.keyTypes.get(id);
    if (!types) {
      types = this.introspect(source).then((info) => keyTypesFrom(source, info));
      types.catch(() => this.keyTypes.delete(id));
      this.keyTypes.set(id, types);
    }
    return types;
  }
}
