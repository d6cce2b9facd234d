/**
 * Fidelity corpus, MariaDB 10.11: one table of edge values of every type class (plus a row of
 * NULLs) through the real backfill and verification into the reference service. What the service
 * stored is compared byte for byte with JSON written by hand per row from the value table in
 * docs/mapping-and-comparison.md, under TZ=UTC and again under TZ=Pacific/Chatham. Tampering by
 * one digit, one ulp, one microsecond or one type is a persistent mismatch that repair undoes.
 * JSON text with a duplicate key or the `null` document is refused per row, in the failure log.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveStack } from '../support/harness.js';
import { EXPECTED } from '../fixtures/fidelity/mysql.js';
import { backfill, emptyCollection, failureLog, repair, setStoredText, setWorkerTimeZone, startCorpusStack, storedText, verify } from '../support/fidelity.js';

const COLUMNS = `id int primary key, ti tinyint, si smallint, mi mediumint, i int, bi bigint, bu bigint unsigned, dc decimal(65,30),
  fl float, db double, bt bit(8), vc varchar(50), tx text, en enum('a','b'), bn varbinary(16), bl blob, d date, dt datetime(6),
  ts timestamp(6) null default null, tm time(6), yr year, js json, jsc json`;

// Numbers, dates, bits and bytes as SQL literals; strings and JSON text bound as parameters (vc, tx, js, jsc), so no escaping is guessed.
const ROWS: [string, (string | null)[]][] = [
  ["1, -128, -32768, -8388608, -2147483648, 9007199254740993, 18446744073709551615, 12345678901234567890123456789012345.123456789012345678901234567890, 16777216, 0.1, b'10100101', ?, ?, 'a', X'00FF10', X'', '2024-01-15', '2024-01-15 10:11:12.123456', '2024-01-15 10:11:12.000001', '838:59:59.000000', 2024, ?, ?",
    ['é😀', 'line\nbreak "q" \\', '{"int": 9007199254740993}', '{"int": 9007199254740993, "big": 12345678901234567890123, "prec": 0.1000000000000000055511151231257827}']],
  ["2, 127, 32767, 8388607, 2147483647, -9223372036854775808, 0, -0.000000000000000000000000000001, 1.1, 0.1e0 + 0.2e0, b'0', ?, ?, 'b', X'', X'00', '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '-838:59:59', 1901, ?, ?",
    ['', '', '"123"', '"123"']],
  ["3, 0, 0, 0, 0, 9007199254740991, 9007199254740992, 0, 3.40282e38, 1.7976931348623157e308, b'11111111', ?, ?, 'a', X'DEADBEEF', X'FF', '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '00:00:00.000001', 2155, ?, ?",
    ['x', 'y', '[1.10, -0, 1e2]', '[1.10, -0, 1e2, "true", null, {"b": 1, "a": 2}]']],
  ["4, 1, 1, 1, 1, -9007199254740991, 1, 0.5, 0.1, 2.2250738585072014e-308, b'1', ?, ?, 'b', X'00', X'0102', '2000-02-29', '2024-02-29 23:59:59.5', '2000-01-01 00:00:00', '12:34:56.789', 2000, ?, ?",
    [' ', 'tab\there', '{}', '{"a": "é😀", "b": "{\\"x\\":1}", "c": 12345678901234567890.5}']],
  ['5' + ', NULL'.repeat(22), []],
];


async function seed(url: string): Promise<void> {
  const c = await mysql.createConnection(url);
  await c.query("SET time_zone = '+00:00'");
  await c.query(`create table corpus (${COLUMNS}) default charset = utf8mb4`);
  for (const [values, params] of ROWS) await c.query(`insert into corpus values (${values})`, params);
  await c.query('create table refused (id int primary key, jsc json) default charset = utf8mb4');
  await c.query(`insert into refused values (10, '{"a": 1, "a": 2}'), (11, 'null'), (12, '{"ok": true}')`);
  await c.end();
}

const CORPUS_MAP = ['id', 'ti', 'si', 'mi', 'i', 'bi', 'bu', 'dc', 'fl', 'db', 'bt', 'vc', 'tx', 'en', 'bn', 'bl', 'd', 'dt', 'ts', 'tm', 'yr', 'js'].map((c) => `      ${c}: ${c}\n`).join('') + '      jsc: { from: jsc, as: json }\n';
const REFUSED_MAP = '      id: id\n      jsc: { from: jsc, as: json }\n';

describe('fidelity corpus from MariaDB 10.11', () => {
  let stack: LiveStack;
  let utcBytes: Map<string, string>;
  const tzBefore = process.env.TZ;

  beforeAll(async () => {
    setWorkerTimeZone('UTC', 0);
    stack = await startCorpusStack({ engine: 'mysql', seed, corpusMap: CORPUS_MAP, refusedMap: REFUSED_MAP });
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
    // Row 2 gets two changes (its jsc is the JSON string "123"), rows 1 and 4 one each.
    const cases: [string, string][] = [
      ['1', EXPECTED['1']!.replace('"prec":0.1000000000000000055511151231257827', '"prec":0.1000000000000000055511151231257828')],
      ['4', EXPECTED['4']!.replace('"db":2.2250738585072014e-308', '"db":2.225073858507202e-308')],
      ['2', EXPECTED['2']!.replace('"dt":"1000-01-01T00:00:00.000000"', '"dt":"1000-01-01T00:00:00.000001"').replace('"jsc":"123"', '"jsc":123')],
    ];
    for (const [key, text] of cases) {
      expect(text).not.toBe(EXPECTED[key]);
      await setStoredText(stack, 'corpus', key, text);
    }
    const verified = await verify(stack, 'corpus');
    const r = verified.report.report;
    expect(r.totals).toMatchObject({ compared: 5, different: 3, persistent: 3, matched: 2 });
    expect(r.fields).toEqual({ jsc: 2, db: 1, dt: 1 });
    const repaired = await repair(stack, 'corpus', verified);
    expect(repaired.result).toMatchObject({ repaired: 3, stillDifferent: 0, failures: 0 });
    expect(Object.fromEntries(await storedText(stack, 'corpus'))).toEqual(EXPECTED);
  });

  it('Given JSON text with a duplicate key and the JSON null document under as: json, When backfilled, Then both rows are refused in the failure log naming entity, key, column, class and setting, and only the ordinary row is written', async () => {
    await backfill(stack, 'refused');
    expect([...(await storedText(stack, 'refused')).keys()]).toEqual(['12']);
    const failures = await failureLog(stack, 'refused');
    const byId = new Map(failures.map((f) => [Number(f.key[0]), f.error]));
    expect([...byId.keys()].sort()).toEqual([10, 11]);
    expect(byId.get(10)).toContain('entity "refused", key [10], column "jsc"');
    expect(byId.get(10)).toContain('value class duplicateKeys refused');
    expect(byId.get(10)).toContain('set map.jsc.represent.duplicateKeys: `first` or `last`');
    expect(byId.get(11)).toContain('entity "refused", key [11], column "jsc"');
    expect(byId.get(11)).toContain('value class jsonNull refused');
    expect(byId.get(11)).toContain('set map.jsc.represent.jsonNull: `null`');
  });
});
