/** The plan's REST target profile: what it accepts, and the combinations that could not work. */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/plan/load.js';
import { isRestTarget } from '../../../src/plan/schema.js';
import { describePlan, renderPlanText } from '../../../src/plan/describe.js';
import { planWith, thrown } from './helpers.js';

const BATCH_TARGET = `    target:
      service: svc
      write: { path: "/v1/customers:batchUpsert", batch: 100 }
      read: { path: "/v1/customers:batchGet" }`;

/** The minimal plan with the customers entity on a REST target whose `rest:` block is `rest` (indented 8). */
const withRest = (rest: string, extra = '') => planWith(BATCH_TARGET, `    target:\n      service: svc\n${extra}      rest:\n${rest}`);

const JSON_SERVER = `        create: { path: /film }
        update: { path: "/film/{key}" }
        read: { path: "/film/{key}" }
        readMany: { path: /film, param: id }
        list: { path: /film, pageParam: _page, limitParam: _limit }
`;

describe('REST target profile', () => {
  it('Given a json-server profile, When loaded, Then defaults fill in update-first upserts, PUT, 409 as "exists" and a 2000-character URL limit', () => {
    const plan = parsePlan(withRest(JSON_SERVER), 'p.yaml', {});
    const t = plan.entities.customers!.target;
    expect(isRestTarget(t)).toBe(true);
    if (!isRestTarget(t)) return;
    expect(t.rest).toMatchObject({
      upsert: 'update-first',
      create: { method: 'POST', path: '/film' },
      update: { method: 'PUT', path: '/film/{key}' },
      exists: { status: [409] },
      readMany: { maxUrlLength: 2000, items: '' },
      list: { firstPage: 1, items: '' },
    });
  });

  it('Given 500 read as "already exists" without a body pattern, When loaded, Then it is refused: a failing service answers 500 too', () => {
    const e = thrown(() => parsePlan(withRest(`${JSON_SERVER}        upsert: create-first\n        exists: { status: [500] }\n`), 'p.yaml', {}));
    expect(e.problems).toEqual([
      expect.objectContaining({
        path: 'entities.customers.target.rest.exists.status',
        message: 'HTTP 500 is read as "already exists" on its status alone, but a failing service answers it too',
        hint: expect.stringContaining('exists.bodyPattern'),
      }),
    ]);
  });

  it('Given a body pattern that is not a regular expression, When loaded, Then the pattern is named', () => {
    const e = thrown(() => parsePlan(withRest(`${JSON_SERVER}        exists: { status: [500], bodyPattern: "dup(" }\n`), 'p.yaml', {}));
    expect(e.problems.map((p) => p.path)).toEqual(['entities.customers.target.rest.exists.bodyPattern']);
  });

  it('Given a cursor-paged list without nextCursor, When loaded, Then it says where the next cursor must be named', () => {
    const e = thrown(() => parsePlan(withRest(JSON_SERVER.replace('pageParam: _page', 'cursorParam: after')), 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'entities.customers.target.rest.list.cursorParam', hint: expect.stringContaining('list.nextCursor') })]);
  });

  it('Given readMany with a two-field key, When loaded, Then it suggests a computed one-field key', () => {
    const text = withRest(JSON_SERVER, '      key: [id, email]\n');
    const e = thrown(() => parsePlan(text, 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'entities.customers.target.rest.readMany', hint: expect.stringContaining('compute') })]);
  });

  it('Given an update path without {key}, When loaded, Then the path is refused with an example', () => {
    const e = thrown(() => parsePlan(withRest(JSON_SERVER.replace('"/film/{key}" }\n        read', '/film }\n        read')), 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'entities.customers.target.rest.update.path', message: expect.stringContaining('a path with {key}') })]);
  });

  it('Given a misspelt profile field, When loaded, Then the closest field is suggested', () => {
    const e = thrown(() => parsePlan(withRest(JSON_SERVER.replace('readMany:', 'readMeny:')), 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ message: 'unknown field "readMeny" — did you mean "readMany"?' })]);
  });

  it('Given a REST entity, When the plan is described, Then the document and the text say how it upserts and which requests it uses', () => {
    const doc = describePlan(parsePlan(withRest(JSON_SERVER), 'p.yaml', {}));
    expect(doc.entities.find((e) => e.name === 'customers')!.target).toEqual({
      service: 'svc',
      rest: { upsert: 'update-first', create: 'POST /film', update: 'PUT /film/{key}', read: 'GET /film/{key}', readMany: 'GET /film?id=…', list: 'GET /film' },
    });
    expect(renderPlanText(doc)).toContain('   from   legacy.customers key (id) → svc update-first PUT /film/{key} | POST /film');
  });
});
