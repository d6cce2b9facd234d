import { describe, expect, it } from 'vitest';
import { checkMeaning, normaliseFieldPath, topologicalOrder } from '../../../src/plan/meaning.js';
import { parsePlan } from '../../../src/plan/load.js';
import type { Plan } from '../../../src/plan/schema.js';
import { planSchema } from '../../../src/plan/schema.js';
import { MINIMAL_PLAN } from './helpers.js';

const valid = (): Plan => parsePlan(MINIMAL_PLAN, 'p.yaml', {});

/** Entities with only the dependsOn that topologicalOrder reads. */
function graph(deps: Record<string, string[]>): Pick<Plan, 'entities'> {
  return { entities: Object.fromEntries(Object.entries(deps).map(([n, d]) => [n, { dependsOn: d }])) } as unknown as Pick<Plan, 'entities'>;
}

describe('topologicalOrder', () => {
  it('Given entities listed before their dependencies, When ordered, Then dependencies come first', () => {
    expect(topologicalOrder(graph({ orders: ['customers'], lines: ['orders', 'products'], customers: [], products: [] }))).toEqual(['customers', 'orders', 'products', 'lines']);
  });

  it('Given independent entities, When ordered, Then the plan order is kept', () => {
    expect(topologicalOrder(graph({ b: [], a: [], c: [] }))).toEqual(['b', 'a', 'c']);
  });

  it('Given a cycle (an unchecked plan), When ordered, Then every entity is still listed once', () => {
    expect(topologicalOrder(graph({ a: ['b'], b: ['a'] })).sort()).toEqual(['a', 'b']);
  });
});

describe('checkMeaning', () => {
  it('Given the minimal valid plan, When checked, Then there is no problem', () => {
    expect(checkMeaning(valid())).toEqual([]);
  });

  it('Given a three-entity cycle, When checked, Then the cycle is named once, in order', () => {
    const plan = valid();
    const base = plan.entities.orders!;
    plan.entities = { a: { ...base, dependsOn: ['c'] }, b: { ...base, dependsOn: ['a'] }, c: { ...base, dependsOn: ['b'] } };
    const cycles = checkMeaning(plan).filter((p) => p.message.includes('cycle'));
    expect(cycles.map((p) => p.message)).toEqual(['dependsOn forms a cycle: a → c → b → a']);
  });

  it('Given several meaning problems, When checked, Then all are returned together', () => {
    const plan = valid();
    plan.entities.orders!.source.db = 'nope';
    plan.entities.orders!.target.service = 'nada';
    plan.entities.orders!.dependsOn = ['ghost'];
    expect(checkMeaning(plan).map((p) => p.path)).toEqual(['entities.orders.source.db', 'entities.orders.target.service', 'entities.orders.dependsOn[0]']);
  });

  it('Given target.key naming an unmapped field, When checked, Then it is reported with the closest mapped field', () => {
    const plan = valid();
    plan.entities.orders!.target.key = ['customerid'];
    const [p] = checkMeaning(plan);
    expect(p).toMatchObject({ path: 'entities.orders.target.key[0]', message: 'target key field "customerid" is not a mapped field', hint: 'did you mean "customerId"?' });
  });

  it('Given target.key, When the source key column is unmapped, Then that is fine', () => {
    const plan = valid();
    plan.entities.orders!.map = { ref: 'id_text', customerId: 'customer_id' };
    plan.entities.orders!.target.key = ['ref'];
    expect(checkMeaning(plan)).toEqual([]);
  });

  it('Given a field mapped both as a value and with nested fields, When checked, Then the conflict is reported', () => {
    const plan = valid();
    plan.entities.orders!.map = { id: 'id', customer: 'customer_id', 'customer.id': 'customer_id' };
    expect(checkMeaning(plan).map((p) => p.message)).toEqual(['target field "customer.id" is nested inside "customer", which is mapped to a value']);
  });

  it('Given a nested field without from, When checked, Then it asks for the column', () => {
    const plan = valid();
    plan.entities.orders!.map = { id: 'id', 'customer.id': { as: 'integer' } };
    expect(checkMeaning(plan).map((p) => p.message)).toEqual(['nested target field "customer.id" needs `from` (the source column)']);
  });

  it('Given a stage with reads and writes together, When checked, Then writes are refused in the stage that moves reads', () => {
    const plan = planSchema.parse({
      ...valid(),
      entities: {
        ...valid().entities,
        customers: { ...valid().entities.customers!, phases: [{ cutover: { consumers: ['api'], stages: [{ name: 'all', reads: 'new', writes: 'new' }] } }] },
      },
    });
    expect(checkMeaning(plan).map((p) => p.message)).toEqual(['stage "all" switches writes in the same stage that moves reads']);
  });

  it('Given "writes: legacy" before reads move, When checked, Then it is not a switch', () => {
    const plan = valid();
    plan.entities.customers!.phases = [{ cutover: { consumers: ['api'], stages: [{ name: 'hold', writes: 'legacy', gate: {} }, { name: 'reads', reads: 'new', gate: {} }, { name: 'writes', writes: 'new', gate: {} }] } }];
    expect(checkMeaning(plan)).toEqual([]);
  });
});

describe('normaliseFieldPath', () => {
  it('Given spaces around the dots, When normalised, Then they are trimmed', () => {
    expect(normaliseFieldPath(' customer . id ')).toBe('customer.id');
  });
});
