/**
 * Value forms shared by both dialects, so mapping and verification see the same shapes; the full
 * per-type table is in docs/mapping-and-comparison.md ("Value forms"):
 *
 * - integers: numbers when a double holds them exactly, else decimal strings (int8/BIGINT);
 * - numeric/decimal: strings, never rounded through a double;
 * - floats: numbers (the shortest text that reads back as the column's float);
 * - timestamps: ISO 8601 strings with the column's full precision (PostgreSQL microseconds),
 *   `YYYY-MM-DDTHH:MM:SS[.ffffff]` for zone-less types and the same with `Z` for zoned ones
 *   (sessions run in UTC); dates: `YYYY-MM-DD`;
 * - JSON: parsed keeping every digit and key order (values/json.ts);
 * - values without a faithful JSON form: SpecialValues (values/special.ts);
 * - everything else as the driver returns it (strings, booleans, Buffers).
 */
import { UserError } from '../errors.js';
import { SpecialValue } from '../values/special.js';
export { parseJsonColumn } from '../values/special.js';
import type { SourceConfig } from '../plan/schema.js';
import type { KeyPart, KeyTuple, SourceRow, TableInfo } from './types.js';

/** Parse an integer's text: a number when exact, else the text itself. */
export function parseInteger(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * The number whose shortest text reads back as the same single-precision float: the FLOAT 1.1
 * is stored as 1.10000002384…, and is given as 1.1, which any reader of a FLOAT turns back into it.
 */
export function shortestFloat32(d: number): unknown {
  if (!Number.isFinite(d)) return new SpecialValue(Number.isNaN(d) ? 'nan' : 'infinity', String(d));
  if (d === 0) return Object.is(d, -0) ? new SpecialValue('negativeZero', '-0') : 0;
  const f = Math.fround(d);
  for (let p = 1; p < 9; p++) {
    const n = Number(f.toPrecision(p));
    if (Math.fround(n) === f) return n;
  }
  return Number(f.toPrecision(9));
}

/** PostgreSQL `timestamp` text (`2024-01-02 03:04:05.123456`) as ISO, digits untouched. */
export function pgTimestampToIso(text: string): string {
  // `infinity` and BC dates have no ISO form; keep the text PostgreSQL will accept back.
  return text.length >= 19 && text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
}

/**
 * PostgreSQL `timestamptz` text as ISO in UTC with `Z`, digits untouched. Sessions run in UTC, so
 * the offset is `+00`; any other offset (a server ignoring the startup TimeZone) is converted
 * exactly, keeping the microseconds.
 */
export function pgTimestamptzToIso(text: string): string {
  // The form a UTC session prints, in one concatenation: a row's timestamps are on the hot path of a copy.
  if (text.length >= 22 && text.charCodeAt(10) === 32 && text.endsWith('+00')) return `${text.slice(0, 10)}T${text.slice(11, -3)}Z`;
  const iso = pgTimestampToIso(text);
  if (iso.endsWith('+00')) return `${iso.slice(0, -3)}Z`;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(iso);
  if (!m) return iso;
  const offsetSeconds = (Number(m[4]) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)) * (m[3] === '-' ? -1 : 1);
  const utc = new Date(Date.parse(`${m[1]}Z`) - offsetSeconds * 1000).toISOString().slice(0, 19);
  return `${utc}${m[2] ?? ''}Z`;
}

/** MySQL DATETIME/TIMESTAMP text as ISO; `zoned` (TIMESTAMP, read in a UTC session) adds `Z`. */
export function mysqlDatetimeToIso(text: string, zoned: boolean): string {
  // Zero dates ('0000-00-00 …') are not instants; keep them recognisable rather than inventing one.
  if (text.length < 19 || text.startsWith('0000-00-00')) return text;
  return `${text.slice(0, 10)}T${text.slice(11)}${zoned ? 'Z' : ''}`;
}

/** An ISO timestamp (with or without `Z`) in the literal form MySQL compares exactly. */
export function isoToMysqlDatetime(iso: string): string {
  let s = iso.endsWith('Z') ? iso.slice(0, -1) : iso;
  if (s.length >= 19 && s.charCodeAt(10) === 84 /* T */) s = `${s.slice(0, 10)} ${s.slice(11)}`;
  return s;
}

/** A Date as a UTC timestamp literal with milliseconds (`2024-01-02 03:04:05.678`). */
export function dateToUtcLiteral(d: Date): string {
  return isoToMysqlDatetime(d.toISOString());
}

/** One key column's value as a JSON-safe KeyPart; throws UserError for NULL or unsupported types. */
export function toKeyPart(value: unknown, column: string): KeyPart {
  switch (typeof value) {
    case 'number':
    case 'string':
      return value;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    default:
      if (value instanceof Date) return value.toISOString();
      if (value === null || value === undefined) {
        throw new UserError(`key column "${column}" is NULL (or missing) in a row`, {
          hint: 'Key columns must be NOT NULL and unique; choose the primary key or a unique NOT NULL index as source.key.',
        });
      }
      throw new UserError(`key column "${column}" has a type that cannot be a cursor (${Object.prototype.toString.call(value)})`, {
        hint: 'Use integer, UUID, character or timestamp key columns.',
      });
  }
}

/** The key tuple of a row, in key order. */
export function keyTupleOf(key: readonly string[], row: SourceRow): KeyTuple {
  if (key.length === 1) return [toKeyPart(row[key[0]!], key[0]!)];
  return key.map((k) => toKeyPart(row[k], k));
}

/** Types of the source's key columns from an introspection, or a UserError naming what is missing. */
export function keyTypesFrom(source: Pick<SourceConfig, 'schema' | 'table' | 'key'>, info: TableInfo): string[] {
  const name = source.schema ? `${source.schema}.${source.table}` : source.table;
  if (!info.exists) throw new UserError(`table ${name} does not exist`, { hint: 'Check source.table and source.schema in the plan.' });
  return source.key.map((k) => {
    const col = info.columns.find((c) => c.name === k);
    if (!col) {
      throw new UserError(`key column "${k}" is not a column of ${name}`, {
        hint: `Columns are: ${info.columns.map((c) => c.name).join(', ')}. Names are case-sensitive.`,
      });
    }
    return col.dataType;
  });
}
