import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planJsonSchema, planJsonSchemaText } from '../../../src/plan/jsonSchema.js';

describe('plan JSON Schema', () => {
  it('Given the committed schema/plan.schema.json, When compared with a fresh export, Then they are identical (run `npm run schema` if not)', () => {
    expect(readFileSync('schema/plan.schema.json', 'utf8')).toBe(planJsonSchemaText());
  });

  it('Given the export, When read, Then it requires the top-level sections and refuses unknown ones', () => {
    const schema = planJsonSchema() as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'state', 'sources', 'targets', 'entities']));
    expect(schema.additionalProperties).toBe(false);
  });

  it('Given a patterned string field, When exported, Then a ${VAR} reference also passes it (editors cannot see the environment)', () => {
    const text = planJsonSchemaText();
    const state = (planJsonSchema() as { properties: { state: { properties: { url: { pattern: string } } } } }).properties.state.properties.url;
    expect(new RegExp(state.pattern, 'u').test('${MIGRATE_STATE_URL}')).toBe(true);
    expect(new RegExp(state.pattern, 'u').test('http://nope')).toBe(false);
    expect(text).toContain('"propertyNames"');
  });

  it('Given each sample plan, When read, Then it points editors at the schema', () => {
    for (const f of ['plans/orders-postgres.yaml', 'plans/orders-mysql.yaml']) {
      expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/plan.schema.json');
    }
  });
});
