import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { loadPlanFile } from '../../../src/plan/load.js';

const DIR = 'test/fixtures/plans/invalid';

/** Each invalid fixture: the problem it must produce, at the line:column of the mistake. */
const cases: { fixture: string; at: string; message: string; hint?: string; env?: NodeJS.ProcessEnv }[] = [
  { fixture: 'missing-required-field', at: '11:5', message: 'missing required field "table"' },
  { fixture: 'unknown-field-suggestion', at: '20:21', message: 'unknown field "batchSze" — did you mean "batchSize"?' },
  { fixture: 'wrong-type', at: '20:49', message: 'expected a number, got "two"' },
  { fixture: 'bad-duration', at: '25:60', message: 'expected a duration such as "500ms", "10s", "30m", "1h" or "7d", got "10 minutes"' },
  { fixture: 'bad-rate', at: '8:55', message: 'expected a rate such as "2000/s", "100/m" or "5000/h", got "2000 per second"' },
  { fixture: 'zero-rate', at: '8:55', message: 'expected a rate above zero, got "0/s"' },
  { fixture: 'dependson-cycle', at: '11:16', message: 'dependsOn forms a cycle: customers → orders → customers' },
  { fixture: 'dependson-unknown', at: '29:17', message: 'dependsOn names "customer", which is not an entity of this plan', hint: 'did you mean "customers"?' },
  { fixture: 'dependson-self', at: '29:17', message: 'entity "orders" depends on itself' },
  { fixture: 'write-stage-before-reads', at: '26:31', message: 'stage "writes" switches writes before every consumer reads from new (still not: api, reports)' },
  { fixture: 'writes-before-all-consumers-read-new', at: '27:31', message: 'stage "writes" switches writes before every consumer reads from new (still not: reports)' },
  { fixture: 'writes-percent', at: '27:39', message: 'stage "writes" routes writes to 10% of keys on new', hint: 'writes move as a whole' },
  { fixture: 'reads-after-writes', at: '28:29', message: 'stage "back" moves reads after stage "writes" switched writes' },
  { fixture: 'duplicate-stage', at: '26:23', message: 'stage "shadow" is defined twice' },
  { fixture: 'unset-env-var', at: '10:39', message: 'environment variable FIXTURE_UNSET_TOKEN is not set', hint: '${FIXTURE_UNSET_TOKEN:-value}', env: {} },
  { fixture: 'malformed-reference', at: '8:20', message: 'malformed reference "${1URL}"' },
  { fixture: 'yaml-syntax-error', at: '11:54', message: 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]' },
  { fixture: 'empty-file', at: '1:1', message: 'the plan file is empty' },
  { fixture: 'unknown-source-db', at: '30:19', message: 'source "legacy_db" is not defined in sources', hint: 'defined sources: legacy' },
  { fixture: 'unknown-target-service', at: '32:16', message: 'target "fulfilment" is not defined in targets' },
  { fixture: 'percentage-over-100', at: '26:44', message: 'expected a percentage from 0 to 100, got 150' },
  { fixture: 'fraction-over-1', at: '21:36', message: 'expected a fraction from 0 to 1, got 5' },
  { fixture: 'key-empty', at: '30:47', message: 'expected at least one key column, got an empty list' },
  { fixture: 'key-not-mapped', at: '30:48', message: 'key column "id" is not mapped' },
  { fixture: 'duplicate-mapped-field', at: '38:7', message: 'target field "customerId" is mapped twice (first at line 37)' },
  { fixture: 'duplicate-mapped-field-nested', at: '38:7', message: 'target field "customer.id" is mapped twice' },
  { fixture: 'duplicate-flag', at: '39:27', message: 'flag "customers.backfill" is already the backfill flag of entity "customers"' },
  { fixture: 'duplicate-entity', at: '33:3', message: 'entity "orders" is defined twice (first at line 28)' },
  { fixture: 'bad-url-scheme', at: '6:18', message: 'expected a postgres:// or mysql:// URL, got "pgsql://postgres@127.0.0.1:5432/legacy"' },
  { fixture: 'wrong-version', at: '2:10', message: 'expected 1, got 2' },
  { fixture: 'unknown-cast', at: '18:33', message: 'expected one of "string", "integer", "number", "decimal", "boolean", "timestamp", "json", got "text"' },
  { fixture: 'phases-out-of-order', at: '21:9', message: 'backfill comes after verify; phases run in the order backfill → sync → verify → cutover' },
  { fixture: 'two-phases-of-a-kind', at: '40:9', message: 'a second backfill phase' },
  { fixture: 'missing-phases', at: '38:13', message: 'expected at least one phase, got an empty list' },
  { fixture: 'stage-consumer-unknown', at: '25:58', message: `consumer "report" is not one of the cutover's consumers (api, reports)`, hint: 'did you mean "reports"?' },
  { fixture: 'unknown-phase-kind', at: '39:9', message: 'unknown field "backfil" — did you mean "backfill"?' },
  { fixture: 'unknown-top-level-field', at: '9:1', message: 'unknown field "entites" — did you mean "entities"?' },
  { fixture: 'invalid-entity-name', at: '28:3', message: 'invalid name "Orders": expected a lower-case name' },
  { fixture: 'not-a-mapping', at: '2:1', message: 'expected a mapping, got a list' },
];

describe('invalid plan fixtures', () => {
  it.each(cases)('Given $fixture.yaml, When it is loaded, Then it fails with exit code 2 and "$message" at $at', async ({ fixture, at, message, hint, env }) => {
    const file = `${DIR}/${fixture}.yaml`;
    const error = await loadPlanFile(file, env ?? {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const e = error as UserError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')} has \\d+ problems?$`));
    const found = e.problems.find((p) => p.message.includes(message));
    expect(found, `problems were:\n${e.problems.map((p) => `${p.where} ${p.message}`).join('\n')}`).toBeDefined();
    expect(found!.where).toBe(`${file}:${at}`);
    if (hint) expect(found!.hint).toContain(hint);
  });

  it('Given the fixture directory, When counted, Then every fixture has a case and there are at least 25', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(DIR).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect(files).toEqual(cases.map((c) => c.fixture).sort());
    expect(files.length).toBeGreaterThanOrEqual(25);
  });
});
