/**
 * PostgreSQL text-format parsers that give every value its documented lossless form
 * (docs/mapping-and-comparison.md, "Value forms"), whatever the worker's TZ and locale: nothing
 * here builds a JS Date or goes through a double where the text has more. Arrays apply their
 * element type's parser. Values with no faithful JSON form become SpecialValues (special.ts).
 * Set per pool, never on the global `pg.types` that other pools share.
 */
import pg from 'pg';
import { parse as parseArray } from 'postgres-array';
import { JsonString, SpecialValue } from '../values/special.js';
import { parseInteger, parseJsonColumn, pgTimestampToIso, pgTimestamptzToIso } from './values.js';

type Parser = (text: string) => unknown;

/** float4/float8 text (PostgreSQL prints the shortest text that reads back exactly) as a number. */
export function parsePgFloat(text: string): unknown {
  const n = Number(text);
  if (Number.isFinite(n)) return n === 0 && text.charCodeAt(0) === 45 /* - */ ? new SpecialValue('negativeZero', text) : n;
  return new SpecialValue(text === 'NaN' ? 'nan' : 'infinity', text);
}

/** numeric text kept as the decimal string it is; NaN and ±Infinity are special. */
export function parsePgNumeric(text: string): unknown {
  const c = text.charCodeAt(text.length - 1);
  // Every finite numeric ends in a digit; NaN and Infinity end in a letter.
  if (c >= 48 && c <= 57) return text;
  return new SpecialValue(text === 'NaN' ? 'nan' : 'infinity', text);
}

/** Dates and timestamps: `infinity`/`-infinity` and BC values are special, the rest goes through `form`. */
function temporal(form: (text: string) => string): Parser {
  return (text) => {
    const last = text.charCodeAt(text.length - 1);
    if (last === 121 /* y: infinity */) return new SpecialValue('infiniteDate', text);
    if (last === 67 /* C: BC */ && text.endsWith(' BC')) return new SpecialValue('bcDate', text);
    return form(text);
  };
}

const identity = (text: string): string => text;

/** bytea text (hex format, `\x…`) as base64, the form binary has everywhere. */
function byteaBase64(text: string): string {
  return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex').toString('base64') : Buffer.from(pg.types.getTypeParser(17, 'text')(text) as Buffer).toString('base64');
}

/** An array parser applying `element`; an array holding special elements is itself special (its first special's class). */
function arrayOf(element: Parser): Parser {
  return (text) => {
    let special: SpecialValue | undefined;
    const out = parseArray(text, (t) => {
      const v = element(t);
      if (special === undefined && v instanceof SpecialValue) special = v;
      return v;
    });
    // A string or null JSON document inside an array is an ordinary element there, not a whole value.
    if (element === parseJsonColumn) {
      const plain = unwrapJsonElements(out);
      return special === undefined ? plain : new SpecialValue(special.kind, text, plain);
    }
    return special === undefined ? out : new SpecialValue(special.kind, text, out);
  };
}

function unwrapJsonElements(xs: unknown[]): unknown[] {
  return xs.map((x) => {
    if (Array.isArray(x)) return unwrapJsonElements(x);
    if (x instanceof JsonString) return x.value;
    if (x instanceof SpecialValue && x.kind === 'jsonNull') return null;
    return x;
  });
}

const timestamp = temporal(pgTimestampToIso);
const timestamptz = temporal(pgTimestamptzToIso);
const date = temporal(identity);

/** oid → parser for the text format. */
const PARSERS = new Map<number, Parser>([
  [20, parseInteger], // int8
  [700, parsePgFloat], // float4
  [701, parsePgFloat], // float8
  [1700, parsePgNumeric], // numeric
  [1082, date],
  [1114, timestamp],
  [1184, timestamptz],
  [1186, identity], // interval: PostgreSQL's own text, never pg's object
  [114, parseJsonColumn], // json
  [3802, parseJsonColumn], // jsonb
  [1016, arrayOf(parseInteger)], // int8[]
  [1021, arrayOf(parsePgFloat)], // float4[]
  [1022, arrayOf(parsePgFloat)], // float8[]
  [1231, arrayOf(parsePgNumeric)], // numeric[]
  [1182, arrayOf(date)], // date[]
  [1115, arrayOf(timestamp)], // timestamp[]
  [1185, arrayOf(timestamptz)], // timestamptz[]
  [1187, arrayOf(identity)], // interval[]
  [1001, arrayOf(byteaBase64)], // bytea[]
  [199, arrayOf(parseJsonColumn)], // json[]
  [3807, arrayOf(parseJsonColumn)], // jsonb[]
]);

/** The pool's `types`: the parsers above for text results, pg's defaults for everything else. */
export const exactPgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === undefined || format === 'text') {
      const p = PARSERS.get(oid);
      if (p !== undefined) return p;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};
