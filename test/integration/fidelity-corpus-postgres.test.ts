/**
 * Fidelity corpus, PostgreSQL 15: one table of edge values of every type class (plus a row of
 * NULLs) through the real backfill and verification into the reference service. What the service
 * stored is compared byte for byte with JSON written by hand per row from the value table in
 * docs/mapping-and-comparison.md, under TZ=UTC and again under TZ=Pacific/Chatham. Tampering by
 * one digit, one ulp, one microsecond or one type is a persistent mismatch that repair undoes.
 * Values without a faithful JSON form are refused per row, named in the failure log.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveStack } from '../support/harness.js';
import { EXPECTED } from '../fixtures/fidelity/postgres.js';
import { backfill, emptyCollection, failureLog, repair, setStoredText, setWorkerTimeZone, startCorpusStack, storedText, verify } from '../support/fidelity.js';

const COLUMNS = 'id int primary key, i2 smallint, i4 integer, i8 bigint, num numeric, f4 real, f8 double precision, f8r double precision, b boolean, t text, u uuid, d date, ts timestamp(6), tstz timestamptz, iv interval, by bytea, j json, jb jsonb, jbc jsonb, na numeric[], tsa timestamp[], da date[], ba bytea[]';
const TYPES = ['int', 'smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'double precision', 'boolean', 'text', 'uuid', 'date', 'timestamp(6)', 'timestamptz', 'interval', 'bytea', 'json', 'jsonb', 'jsonb', 'numeric[]', 'timestamp[]', 'date[]', 'bytea[]'];

// Every value as PostgreSQL input text (bound as text, so nothing passes through a JS number on the way in).
const ROWS: (string | null)[][] = [
  ['1', '-32768', '2147483647', '9007199254740993', '12345678901234567890.0123456789', '16777216', '0.1', '1.5', 'true', 'é😀 "q" \\ end', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-15', '2024-01-15 10:11:12.123456', '2024-01-15 10:11:12.000001+13:45', '1 day 02:03:04.5', '\\x00ff10',
    '{"int": 9007199254740993, "big": 12345678901234567890123, "prec": 0.1000000000000000055511151231257827}', '{"z": 1, "a": [1.10, -0, 1e2, "123", null, true]}', '"123"',
    '{12345678901234567890.0123456789,0.1,1.10}', '{"2024-01-15 10:11:12.123456","1999-12-31 23:59:59"}', '{2024-01-15,2000-02-29}', '{"\\\\x00ff10","\\\\x"}'],
  ['2', '32767', '-2147483648', '-9223372036854775808', '-0.000000000000000000000000000001', '3.4028235e38', '5e-324', 'NaN', 'false', '', '00000000-0000-0000-0000-000000000000', '0001-01-01', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999+00', '-1 mons', '\\x',
    '"é😀"', '{"a":{"b":{"c":[{"d":12345678901234567890.5}]}}}', '"{\\"a\\":1}"', '{}', '{NULL}', '{}', '{NULL}'],
  ['3', '0', '0', '9007199254740991', '0', '1.1', '0.30000000000000004', '-0', 'true', 'line1\nline2', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2000-02-29', '2024-02-29 23:59:59.5', '2024-03-31 01:30:00+00', '00:00:00', '\\xdeadbeef',
    '[1, "1", true, "true", null, "null"]', '123', '{"k": "v", "n": 1.0}', '{0}', '{"2024-01-15 00:00:00.000001"}', '{0001-01-01}', '{"\\\\xff"}'],
  ['4', '-1', '-1', '-9007199254740991', '0.00001', '-1.17549435e-38', '-1.7976931348623157e308', 'Infinity', 'false', ' ', 'ffffffff-ffff-ffff-ffff-fffffffffffe', '9999-12-31', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', '1 year 2 mons 3 days 04:05:06.789', '\\x00',
    '{"b": 1, "a": 2}', '[]', 'true', '{-1500.0}', '{"1970-01-01 00:00:00"}', '{NULL,2024-01-15}', '{}'],
  ['5', ...Array.from({ length: 22 }, () => null)],
];


// One row per class of value with no faithful JSON form, and one ordinary row.
const REFUSED_COLUMNS = 'id int primary key, f8 double precision, num numeric, f4 real, d date, ts timestamp, j json, jb jsonb, da date[]';
const REFUSED_TYPES: Record<string, string> = { f8: 'double precision', num: 'numeric', f4: 'real', d: 'date', ts: 'timestamp', j: 'json', jb: 'jsonb', da: 'date[]' };
const REFUSED_ROWS: [number, string, string][] = [
  [10, 'f8', 'NaN'],
  [11, 'num', '-Infinity'],
  [12, 'f4', '-0'],
  [13, 'd', 'infinity'],
  [14, 'ts', '0044-03-15 12:00:00 BC'],
  [15, 'j', '{"a": 1, "a": 2}'],
  [16, 'jb', 'null'],
  [17, 'da', '{2024-01-15,-infinity}'],
];
const REFUSED_CLASS: Record<number, [string, string]> = {
  10: ['nan', '`string` or `null`'],
  11: ['infinity', '`string` or `null`'],
  12: ['negativeZero', '`string` or `zero`'],
  13: ['infiniteDate', '`string` or `null`'],
  14: ['bcDate', '`string` or `null`'],
  15: ['duplicateKeys', '`first` or `last`'],
  16: ['jsonNull', '`null`'],
  17: ['infiniteDate', '`string` or `null`'],
};

async function seed(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`create table corpus (${COLUMNS})`);
  const placeholders = TYPES.map((t, i) => `$${i + 1}::${t}`).join(', ');
  for (const row of ROWS) await c.query(`insert into corpus values (${placeholders})`, row);
  await c.query(`create table refused (${REFUSED_COLUMNS})`);
  for (const [id, col, text] of REFUSED_ROWS) await c.query(`insert into refused (id, ${col}) values ($1, $2::${REFUSED_TYPES[col]})`, [id, text]);
  await c.query("insert into refused (id, f8) values (18, 2.5)");
  await c.end();
}

const CORPUS_MAP = ['id', 'i2', 'i4', 'i8', 'num', 'f4', 'f8'].map((c) => `      ${c}: ${c}\n`).join('') +
  '      f8r: { from: f8r, represent: { nan: string, infinity: string, negativeZero: string } }\n' +
  ['b', 't', 'u', 'd', 'ts', 'tstz', 'iv', 'by', 'j', 'jb'].map((c) => `      ${c}: ${c}\n`).join('') +
  '      jbc: { from: jbc, as: json }\n' +
  ['na', 'tsa', 'da', 'ba'].map((c) => `      ${c}: ${c}\n`).join('');
const REFUSED_MAP = ['id', 'f8', 'num', 'f4', 'd', 'ts', 'j', 'jb', 'da'].map((c) => `      ${c}: ${c}\n`).join('');

describe('fidelity corpus from PostgreSQL 15', () => {
  let stack: LiveStack;
  let utcBytes: Map<string, string>;
  const tzBefore = process.env.TZ;

  beforeAll(async () => {
    setWorkerTimeZone('UTC', 0);
    stack = await startCorpusStack({ engine: 'postgres', seed, corpusMap: CORPUS_MAP, refusedMap: REFUSED_MAP });
  });

  afterAll(async () => {
    await stack?.close();
    if (tzBefore === undefined) delete process.env.TZ;
    else process.env.TZ = tzBefore;
  });

  it('Given the corpus and a worker under TZ=UTC, When backfilled and verified, Then every stored item is byte for byte the hand-written JSON and verification passes', async () => {
    await backfill(stack, 'corpus');
    utcBytes = await storedText(stack, 'corpus');
    expect(Object.fromEntries(utcBytes)).toEqual(EXPECTED);
    const { report } = await verify(stack, 'corpus');
    expect(report.report.totals).toMatchObject({ compared: 5, matched: 5, missing: 0, different: 0, persistent: 0 });
    expect(report.report.passed).toBe(true);
  });

  it('Given the service emptied and the worker under TZ=Pacific/Chatham (+13:45), When backfilled again and verified, Then the stored bytes are the same as under UTC and verification passes', async () => {
    await emptyCollection(stack, 'corpus');
    setWorkerTimeZone('Pacific/Chatham', -825);
    try {
      await backfill(stack, 'corpus');
      expect(Object.fromEntries(await storedText(stack, 'corpus'))).toEqual(Object.fromEntries(utcBytes));
      const { report } = await verify(stack, 'corpus');
      expect(report.report.totals).toMatchObject({ compared: 5, matched: 5, persistent: 0 });
    } finally {
      setWorkerTimeZone('UTC', 0);
    }
  });

  it('Given one digit changed inside nested JSON, a float one ulp off, a timestamp one microsecond off and a JSON string turned into a number, When verified, Then each is a persistent mismatch on its field, and repair restores the exact bytes', async () => {
    // Row 1 gets two changes (its jbc is the JSON string "123"), rows 2 and 3 one each.
    const cases: [string, string][] = [
      ['2', EXPECTED['2']!.replace('12345678901234567890.5', '12345678901234567891.5')],
      ['3', EXPECTED['3']!.replace('"f8":0.30000000000000004', '"f8":0.3000000000000001')],
      ['1', EXPECTED['1']!.replace('"ts":"2024-01-15T10:11:12.123456"', '"ts":"2024-01-15T10:11:12.123457"').replace('"jbc":"123"', '"jbc":123')],
    ];
    for (const [key, text] of cases) {
      expect(text).not.toBe(EXPECTED[key]);
      await setStoredText(stack, 'corpus', key, text);
    }
    const verified = await verify(stack, 'corpus');
    const r = verified.report.report;
    expect(r.totals).toMatchObject({ compared: 5, different: 3, persistent: 3, matched: 2 });
    expect(r.fields).toEqual({ jb: 1, f8: 1, ts: 1, jbc: 1 });
    const repaired = await repair(stack, 'corpus', verified);
    expect(repaired.result).toMatchObject({ repaired: 3, stillDifferent: 0, failures: 0 });
    expect(Object.fromEntries(await storedText(stack, 'corpus'))).toEqual(EXPECTED);
  });

  it('Given rows holding NaN, -Infinity, -0, infinity, a BC timestamp, a duplicate JSON key, a JSON null and an infinite date in an array, When backfilled, Then each row is refused in the failure log naming entity, key, column, class and setting, and only the ordinary row is written', async () => {
    await backfill(stack, 'refused');
    expect([...(await storedText(stack, 'refused')).keys()]).toEqual(['18']);
    const failures = await failureLog(stack, 'refused');
    expect(failures.map((f) => Number(f.key[0])).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    for (const f of failures) {
      const id = Number(f.key[0]);
      const column = REFUSED_ROWS.find((r) => r[0] === id)![1];
      const [cls, forms] = REFUSED_CLASS[id]!;
      expect(f.error).toContain(`entity "refused", key [${id}], column "${column}"`);
      expect(f.error).toContain(`value class ${cls} refused`);
      expect(f.error).toContain(`set map.${column}.represent.${cls}: ${forms}`);
    }
  });
});
