/**
 * MySQL/MariaDB source over a mysql2 pool, using the text protocol: values are bound through the
 * driver's placeholder escaping (`?`), and rows come back as text the driver converts exactly
 * (big integers as strings, decimals as strings, dates as strings). Sessions run in UTC so
 * TIMESTAMP columns read and compare as UTC. Value shapes: see values.ts.
 *
 * Key values are converted back for binding by the key column's type: a big-integer string becomes
 * a BigInt (an unquoted literal; a quoted one would make MySQL compare as doubles and lose
 * precision), an ISO timestamp becomes `YYYY-MM-DD HH:MM:SS.ffffff`. String keys are bound as they
 * were read and compared by the server in the column's collation, so ordering and cursors agree.
 */
import mysql from 'mysql2/promise';
import type { FieldPacket, RowDataPacket } from 'mysql2/promise';
import { UserError } from '../errors.js';
import type { SourceConfig } from '../plan/schema.js';
import {
  buildCount,
  buildExplain,
  buildKeyProbes,
  buildMinMax,
  buildReadByKeys,
  buildReadPage,
  buildSample,
  type BoundRange,
  type Query,
} from './keyset.js';
import { quoteIdent } from './quote.js';
import { withoutValueOptions } from './urlOptions.js';
import { drawKeyPoint, evenIntegerBoundaries, fromBigInt, isSkewed, keepProbe, quantileBoundaries, rangesFromBoundaries, sampleShare } from './split.js';
import { EXACT_COUNT_LIMIT, READ_BY_KEYS_CHUNK, SAMPLE, sampleSizeFor } from './tuning.js';
import type { ColumnInfo, KeyPart, KeyRange, KeyTuple, Page, ReadOptions, SourceDb, SourceRow, TableInfo } from './types.js';
import { dateToUtcLiteral, isoToMysqlDatetime, keyTupleOf, keyTypesFrom, mysqlDatetimeToIso, parseJsonColumn, shortestFloat32 } from './values.js';
import { SpecialValue } from '../values/special.js';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const DATETIME_TYPES = new Set(['datetime', 'timestamp']);
// mysql2 column type codes (constants/types).
const TYPE_DOUBLE = 5;
const TYPE_TIMESTAMP = 7;
const TYPE_DATETIME = 12;
const TYPE_JSON = 245;
/** Prefix of the DOUBLE twin of a FLOAT column in row reads; no real column is named so. */
const FLOAT_ALIAS = '__tracer_float__';

type KeyBinder = (value: KeyPart) => unknown;

/** How long the sample of a split stands in for the estimates of its ranges (planSweep asks right after splitting). */
const SPLIT_SAMPLE_FRESH_MS = 60_000;

/** The sample a split was made from, the rows it stood for, and whether the key is a single integer. */
interface SplitSample {
  keys: KeyTuple[];
  rows: number;
  integerKey: boolean;
  at: number;
}

/** Creates a pool with exact value conversion and UTC sessions; the caller verifies connectivity. */
export function createMysqlPool(url: string, poolSize: number): mysql.Pool {
  const pool = mysql.createPool({
    // mysql2 parses only mysql:// URLs; mariadb:// means the same server protocol.
    uri: withoutValueOptions(url).replace(/^mariadb:/i, 'mysql:'),
    connectionLimit: poolSize,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: true,
    // MySQL 8 JSON columns come as text, parsed here keeping every digit (MariaDB's JSON is LONGTEXT anyway).
    jsonStrings: true,
    timezone: 'Z',
    connectTimeout: 10_000,
    enableKeepAlive: true,
  });
  pool.pool.on('connection', (conn) => {
    // With a callback a failure cannot surface as an unhandled 'error' event; the next query reports it.
    conn.query("SET time_zone = '+00:00'", () => undefined);
  });
  return pool;
}

/** A SourceDb over a mysql2 pool; `close()` ends the pool. */
export class MysqlSource implements SourceDb {
  readonly dialect = 'mysql' as const;
  private readonly binders = new Map<string, Promise<KeyBinder[]>>();
  private readonly keyTypes = new Map<string, Promise<string[]>>();
  private readonly selects = new Map<string, Promise<string>>();
  private readonly splitSamples = new Map<string, SplitSample>();

  constructor(private readonly pool: mysql.Pool) {}

  private async run(q: Query): Promise<SourceRow[]> {
    const [rows, fields] = await this.pool.query<RowDataPacket[]>(q.sql, q.params);
    return normalizeRows(rows, fields);
  }

  async introspect(table: Pick<SourceConfig, 'schema' | 'table'>): Promise<TableInfo> {
    const where = 'TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?';
    const args = [table.schema ?? null, table.table];
    const [found] = await this.pool.query<RowDataPacket[]>(`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE ${where}`, args);
    if (found.length === 0) return { exists: false, columns: [], uniqueKeys: [], estimatedRows: 0 };
    const [[cols], [idx], estimatedRows] = await Promise.all([
      this.pool.query<RowDataPacket[]>(
        `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, IS_NULLABLE AS nullable, COLLATION_NAME AS collation
           FROM information_schema.COLUMNS WHERE ${where} ORDER BY ORDINAL_POSITION`,
        args,
      ),
      this.pool.query<RowDataPacket[]>(
        `SELECT INDEX_NAME AS indexName, COLUMN_NAME AS col, SUB_PART AS subPart
           FROM information_schema.STATISTICS WHERE ${where} AND NON_UNIQUE = 0
          ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
        args,
      ),
      this.planEstimate({ ...table, key: ['_'] }),
    ]);
    const columns: ColumnInfo[] = cols.map((c) => {
      const info: ColumnInfo = { name: String(c.name), dataType: String(c.dataType).toLowerCase(), nullable: c.nullable === 'YES' };
      if (c.collation) info.collation = String(c.collation);
      return info;
    });
    // A prefix (SUB_PART) or functional (no column) unique index does not make the full columns unique.
    const byIndex = new Map<string, { cols: string[]; usable: boolean }>();
    for (const r of idx) {
      const entry = byIndex.get(r.indexName) ?? { cols: [], usable: true };
      if (r.col === null || r.subPart !== null) entry.usable = false;
      else entry.cols.push(String(r.col));
      byIndex.set(r.indexName, entry);
    }
    const uniqueKeys = [...byIndex.values()].filter((e) => e.usable).map((e) => e.cols);
    return { exists: true, columns, uniqueKeys, estimatedRows };
  }

  async readPage(source: SourceConfig, range: KeyRange, limit: number, options: ReadOptions = {}): Promise<Page> {
    const bound = await this.bindRange(source, range);
    const since = options.updatedSince ? dateToUtcLiteral(options.updatedSince) : undefined;
    const rows = await this.run(buildReadPage('mysql', source, bound, limit, since, await this.selectList(source)));
    const lastRow = rows[rows.length - 1];
    return lastRow ? { rows, last: keyTupleOf(source.key, lastRow) } : { rows };
  }

  async readByKeys(source: SourceConfig, keys: readonly KeyTuple[]): Promise<SourceRow[]> {
    const binders = await this.keyBinders(source);
    const select = await this.selectList(source);
    const out: SourceRow[] = [];
    for (let i = 0; i < keys.length; i += READ_BY_KEYS_CHUNK) {
      const chunk = keys.slice(i, i + READ_BY_KEYS_CHUNK).map((k) => bindTuple(binders, k));
      for (const r of await this.run(buildReadByKeys('mysql', source, chunk, select))) out.push(r);
    }
    return out;
  }

  async splitKeySpace(source: SourceConfig, partitions: number): Promise<KeyRange[]> {
    if (partitions <= 1) return [{}];
    const types = await this.keyColumnTypes(source);
    const integerKey = types.length === 1 && INTEGER_TYPES.has(types[0]!);
    if (!integerKey) {
      const { keys, rows } = await this.sample(source, partitions);
      this.splitSamples.set(sampleId(source), { keys, rows, integerKey, at: Date.now() });
      return rangesFromBoundaries(quantileBoundaries(keys, partitions));
    }
    const [row] = await this.run(buildMinMax('mysql', source));
    const lo = row?.lo as KeyPart | null | undefined;
    const hi = row?.hi as KeyPart | null | undefined;
    if (lo === null || lo === undefined || hi === null || hi === undefined) return [{}];
    const even = evenIntegerBoundaries(lo, hi, partitions);
    const probed = await this.probeSample(source, lo, hi, partitions);
    if (probed && !isSkewed(probed.keys.map((k) => k[0]!), even, partitions)) {
      this.splitSamples.set(sampleId(source), { ...probed, integerKey, at: Date.now() });
      return rangesFromBoundaries(even);
    }
    const { keys, rows } = await this.sample(source, partitions);
    this.splitSamples.set(sampleId(source), { keys, rows, integerKey, at: Date.now() });
    if (!probed && !isSkewed(keys.map((k) => k[0]!), even, partitions)) return rangesFromBoundaries(even);
    return rangesFromBoundaries(quantileBoundaries(keys, partitions));
  }

  /**
   * At most EXACT_COUNT_LIMIT rows are counted exactly, which is cheap over the key index. Above
   * that, a range of a split made within the last minute gets its share of the split's sample times
   * the rows the sample stood for; anything else the optimizer's EXPLAIN estimate. InnoDB's range
   * estimate is no use for a partition: it never answers more than half the table, and a 3M-row
   * table's four quarters each came back as 1.49M, so progress would end at half.
   */
  async estimateRows(source: SourceConfig, range: KeyRange = {}): Promise<number> {
    const bound = await this.bindRange(source, range);
    let estimate = await this.planEstimate(source, bound);
    const split = this.splitSamples.get(sampleId(source));
    if ((range.after || range.upTo) && split && Date.now() - split.at < SPLIT_SAMPLE_FRESH_MS) {
      const share = sampleShare(split.keys, range, split.integerKey);
      if (share !== undefined) estimate = Math.round(split.rows * share);
    }
    if (estimate > EXACT_COUNT_LIMIT) return estimate;
    const [row] = await this.run(buildCount('mysql', source, bound));
    return Number(row?.n ?? 0);
  }

  keyOf(source: SourceConfig, row: SourceRow): KeyTuple {
    return keyTupleOf(source.key, row);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async planEstimate(source: Pick<SourceConfig, 'schema' | 'table' | 'key' | 'where'>, range: BoundRange = {}): Promise<number> {
    const rows = await this.run(buildExplain('mysql', source, range));
    let best = 0;
    for (const r of rows) {
      const n = Number(r.rows ?? 0) * (r.filtered === undefined || r.filtered === null ? 1 : Number(r.filtered) / 100);
      if (Number.isFinite(n)) best = Math.max(best, n);
    }
    return Math.round(best);
  }

  /**
   * A uniform sample of rows by key probes (split.ts, `keepProbe`): index dives instead of
   * `sample`'s scan of every row, for a single integer key whose key space is at least
   * `minProbeDensity` full, with no `where`; `probesPerPartition` rows per partition, enough to tell
   * skew and estimate ranges, not to place quantiles. Sorted and distinct; `rows` is the span times
   * the share of probes kept. Undefined when the table is too sparse, or too few probes were kept.
   */
  private async probeSample(source: SourceConfig, lo: KeyPart, hi: KeyPart, partitions: number): Promise<{ keys: KeyTuple[]; rows: number } | undefined> {
    if (source.where) return undefined;
    const span = Number(BigInt(hi) - BigInt(lo) + 1n);
    const wanted = partitions * SAMPLE.probesPerPartition;
    const estimate = await this.planEstimate(source);
    // A table the scan's LIMIT would nearly hold is cheap to scan, and its sample is then the table.
    if (estimate < sampleSizeFor(partitions) * SAMPLE.capFactor) return undefined;
    if (!(estimate / span >= SAMPLE.minProbeDensity)) return undefined;
    // Room for a kept share a little under the least density probed, before falling back to the scan.
    const maxProbes = Math.ceil((1.5 * wanted) / SAMPLE.minProbeDensity);
    const kept: bigint[] = [];
    let probed = 0;
    while (kept.length < wanted && probed < maxProbes) {
      const points = Array.from({ length: Math.min(SAMPLE.probesPerStatement, maxProbes - probed) }, () => drawKeyPoint(lo, hi, Math.random));
      probed += points.length;
      for (const r of await this.run(buildKeyProbes('mysql', source, points))) {
        const at = r.at_or_after as KeyPart | null;
        // A row deleted since MIN/MAX can leave a point with nothing at or after it.
        if (at !== null && keepProbe(at, r.before_point as KeyPart | null, lo, Math.random())) kept.push(BigInt(at));
      }
    }
    if (kept.length < wanted) return undefined;
    const rows = Math.round((span * kept.length) / probed);
    kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const keys: KeyTuple[] = [];
    for (let i = 0; i < kept.length; i++) if (i === 0 || kept[i] !== kept[i - 1]) keys.push([fromBigInt(kept[i]!)]);
    return { keys, rows };
  }

  /** A sorted random sample of keys, and the rows of the table it stands for (the estimate, or a count). */
  private async sample(source: SourceConfig, partitions: number): Promise<{ keys: KeyTuple[]; rows: number }> {
    const size = sampleSizeFor(partitions);
    const cap = size * SAMPLE.capFactor;
    let total = await this.planEstimate(source);
    let fraction = total > 0 ? Math.min(1, (size * SAMPLE.oversample) / total) : 1;
    let rows = await this.run(buildSample('mysql', source, fraction, cap));
    if (rows.length >= cap) {
      // Statistics were far off and the LIMIT cut the sample to one end of the table: size it from a real count.
      const [counted] = await this.run(buildCount('mysql', source));
      total = Number(counted?.n ?? 0);
      fraction = Math.min(1, (size * SAMPLE.oversample) / Math.max(1, total));
      rows = await this.run(buildSample('mysql', source, fraction, cap));
    }
    // A whole-table "sample" the LIMIT did not cut is the table.
    if (fraction >= 1 && rows.length < cap) total = rows.length;
    return { keys: rows.map((r) => keyTupleOf(source.key, r)), rows: total };
  }

  private async bindRange(source: SourceConfig, range: KeyRange): Promise<BoundRange> {
    if (!range.after && !range.upTo) return {};
    const binders = await this.keyBinders(source);
    return {
      after: range.after ? bindTuple(binders, range.after) : undefined,
      upTo: range.upTo ? bindTuple(binders, range.upTo) : undefined,
    };
  }

  /**
   * The select list of row reads: `*`, plus each FLOAT column again as a DOUBLE, since the text
   * protocol prints FLOAT with 6 significant digits (16777216 as 1.67772e7); normalizeRows puts
   * the exact value back under the column's name.
   */
  private selectList(source: SourceConfig): Promise<string> {
    const id = `${source.schema ?? ''}.${source.table}`;
    let select = this.selects.get(id);
    if (!select) {
      select = this.introspect(source).then((info) => {
        const floats = info.columns.filter((c) => c.dataType === 'float').map((c) => c.name);
        const q = (n: string) => quoteIdent('mysql', n);
        return ['*', ...floats.map((f) => `CAST(${q(f)} AS DOUBLE) AS ${q(FLOAT_ALIAS + f)}`)].join(', ');
      });
      select.catch(() => this.selects.delete(id));
      this.selects.set(id, select);
    }
    return select;
  }

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

  private keyBinders(source: SourceConfig): Promise<KeyBinder[]> {
    const id = `${source.schema ?? ''}.${source.table}:${source.key.join(',')}`;
    let binders = this.binders.get(id);
    if (!binders) {
      binders = this.keyColumnTypes(source).then((types) => types.map(binderFor));
      binders.catch(() => this.binders.delete(id));
      this.binders.set(id, binders);
    }
    return binders;
  }
}

/** What a split sample is filed under: the rows it was drawn from. */
function sampleId(source: SourceConfig): string {
  return JSON.stringify([source.schema ?? '', source.table, source.key, source.where ?? '']);
}

/** How a key value of a column of this MySQL type is bound so the server compares it exactly. */
export function binderFor(dataType: string): KeyBinder {
  if (INTEGER_TYPES.has(dataType)) return (v) => (typeof v === 'string' ? BigInt(v) : v);
  if (DATETIME_TYPES.has(dataType)) return (v) => (typeof v === 'string' ? isoToMysqlDatetime(v) : v);
  return (v) => v;
}

function bindTuple(binders: readonly KeyBinder[], tuple: KeyTuple): unknown[] {
  if (tuple.length !== binders.length) {
    throw new UserError(`a key has ${tuple.length} values but the source key has ${binders.length} columns`);
  }
  return tuple.map((v, i) => binders[i]!(v));
}

type Convert = (v: unknown) => unknown;

const datetime: Convert = (v) => (typeof v === 'string' ? mysqlDatetimeToIso(v, false) : v);
const timestamp: Convert = (v) => (typeof v === 'string' ? mysqlDatetimeToIso(v, true) : v);
const double: Convert = (v) => (v === 0 && Object.is(v, -0) ? new SpecialValue('negativeZero', '-0') : v);
const json: Convert = (v) => (typeof v === 'string' ? parseJsonColumn(v) : v);
const float32: Convert = (v) => (v === null ? null : shortestFloat32(Number(v)));

/**
 * Gives values their documented forms in place (see docs/mapping-and-comparison.md), touching
 * only columns that need it: DATETIME/TIMESTAMP text as ISO, JSON text parsed exactly, -0 special,
 * FLOAT from its DOUBLE twin (see selectList) as the shortest text that reads back as that float.
 */
function normalizeRows(rows: RowDataPacket[], fields: FieldPacket[]): SourceRow[] {
  const convert: Array<[string, Convert]> = [];
  const floats: Array<[string, string]> = [];
  for (const f of fields) {
    if (f.name.startsWith(FLOAT_ALIAS)) floats.push([f.name.slice(FLOAT_ALIAS.length), f.name]);
    else if (f.columnType === TYPE_DATETIME) convert.push([f.name, datetime]);
    else if (f.columnType === TYPE_TIMESTAMP) convert.push([f.name, timestamp]);
    else if (f.columnType === TYPE_DOUBLE) convert.push([f.name, double]);
    else if (f.columnType === TYPE_JSON) convert.push([f.name, json]);
  }
  if (convert.length === 0 && floats.length === 0) return rows as SourceRow[];
  for (const row of rows) {
    for (const [name, fn] of convert) {
      const v = row[name];
      if (v !== null) row[name] = fn(v);
    }
    for (const [name, alias] of floats) {
      row[name] = float32(row[alias]);
      delete row[alias];
    }
  }
  return rows as SourceRow[];
}
