import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { entityForFlagChange, listingFor, parseOnOff, planFlags } from '../../../src/flags/planFlags.js';
import { parsePlan } from '../../../src/plan/load.js';

const entity = (flag: string) => `
    source: { db: legacy, table: t, key: [id] }
    target: { service: svc, write: { method: POST, path: /w }, read: { method: POST, path: /r } }
    map: { id: id }
    phases:
      - backfill: { flag: ${flag} }`;

const plan = parsePlan(
  `version: 1
name: p
state: { url: "postgres://x@h/db" }
sources: { legacy: { url: "postgres://x@h/db" } }
targets: { svc: { baseUrl: "http://h" } }
entities:
  orders:${entity('orders.backfill')}
  customers:${entity('customers.backfill')}
`,
  'plan.yaml',
  {},
);

const stored = (name: string, enabled: boolean) => ({ name, enabled, updatedAt: new Date('2026-01-01T00:00:00Z'), updatedBy: 'a' });

describe('planFlags', () => {
  it('Given a plan with backfill flags, when asked, then each flag maps to its entity', () => {
    expect([...planFlags(plan)]).toEqual([
      ['orders.backfill', 'orders'],
      ['customers.backfill', 'customers'],
    ]);
  });
});

describe('parseOnOff', () => {
  it('Given on/off words in any case, when parsed, then they are booleans', () => {
    expect([parseOnOff('ON'), parseOnOff('true'), parseOnOff('off'), parseOnOff('0')]).toEqual([true, true, false, false]);
  });

  it('Given a word that is neither, when parsed, then a UserError says so', () => {
    expect(() => parseOnOff('maybe')).toThrow(UserError);
  });
});

describe('entityForFlagChange', () => {
  it('Given a plan flag, when changed, then the change is recorded against its entity', () => {
    expect(entityForFlagChange('orders.backfill', plan, [])).toBe('orders');
  });

  it('Given a flag only the store knows, when changed, then it is allowed without an entity', () => {
    expect(entityForFlagChange('legacy.flag', plan, [stored('legacy.flag', true)])).toBeUndefined();
  });

  it('Given a misspelt flag, when changed, then a UserError suggests the plan flag', () => {
    expect(() => entityForFlagChange('order.backfill', plan, [])).toThrow(/did you mean "orders.backfill"/);
  });
});

describe('listingFor', () => {
  it('Given one stored flag and one plan flag never set, when listed, then both appear in name order, the unset one off', () => {
    expect(listingFor(plan, [stored('orders.backfill', true)])).toEqual([
      { name: 'customers.backfill', enabled: false, set: false, entity: 'customers' },
      { name: 'orders.backfill', enabled: true, set: true, entity: 'orders', updatedAt: new Date('2026-01-01T00:00:00Z'), updatedBy: 'a' },
    ]);
  });
});
