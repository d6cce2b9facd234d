/** `migrate plan` reads computed map fields: a rule that cannot work is a plan problem at its place in the file. */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/plan/load.js';
import { planWith, thrown } from './helpers.js';

// Without the writes stage: a computed field has no inverse, which a cutover switching writes refuses (last test).
const WRITES_STAGE = '            - { name: writes, writes: new }\n';
const withMap = (map: string) => planWith('    map:\n      id: id\n      email: email\n', `    map:\n${map}`).replace(WRITES_STAGE, '');

describe('computed fields in the plan', () => {
  it('Given target.key naming a computed field, When loaded, Then the plan is accepted', () => {
    const text = withMap('      ref: { compute: { cat: [{ var: id }, "-", { var: email }] } }\n      email: email\n').replace('      service: svc\n      write: { path: "/v1/customers', '      service: svc\n      key: [ref]\n      write: { path: "/v1/customers');
    expect(parsePlan(text, 'p.yaml', {}).entities.customers!.target.key).toEqual(['ref']);
  });

  it('Given a rule with an unknown operation, When loaded, Then the problem points at the rule and shows a working example', () => {
    const e = thrown(() => parsePlan(withMap('      id: id\n      tags: { compute: { explode: [{ var: tags }] } }\n'), 'p.yaml', {}));
    expect(e.problems).toEqual([
      expect.objectContaining({ path: 'entities.customers.map.tags.compute', message: expect.stringContaining('unknown operation "explode"'), hint: expect.stringContaining('{ cat: [') }),
    ]);
  });

  it('Given a computed field that also has `from`, When loaded, Then it is refused', () => {
    const e = thrown(() => parsePlan(withMap('      id: id\n      tags: { from: tags, compute: { split: [{ var: tags }] } }\n'), 'p.yaml', {}));
    expect(e.problems.map((p) => [p.path, p.message])).toEqual([['entities.customers.map.tags', 'target field "tags" is computed and also has `from`']]);
  });

  it('Given a computed field and a cutover stage that switches writes, When loaded, Then the field is refused with the fix, since reverse sync could not write it back', () => {
    const text = planWith('    map:\n      id: id\n      email: email\n', '    map:\n      id: id\n      email: email\n      label: { compute: { cat: [{ var: id }, "-", { var: email }] } }\n');
    const e = thrown(() => parsePlan(text, 'p.yaml', {}));
    expect(e.problems.map((p) => [p.path, p.message, p.hint])).toEqual([
      [
        'entities.customers.map.label',
        'stage "writes" switches writes, so reverse sync must carry service changes back, but this entry cannot be inverted: a computed field has no inverse (several rows can compute one value)',
        'map the columns the rule reads as fields of their own, or drop the computed field',
      ],
    ]);
    expect(e.problems[0]!.where).toMatch(/^p\.yaml:\d+:\d+$/);
  });
});
