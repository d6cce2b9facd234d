/** Plans built to exhaust memory, the stack or a name's column: each is refused with a position, never a crash. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { loadPlanFile, parsePlan } from '../../../src/plan/load.js';
import { topologicalOrder } from '../../../src/plan/meaning.js';
import { MINIMAL_PLAN, planWith, thrown } from './helpers.js';

describe('plan limits', () => {
  it('Given a YAML alias bomb, When parsed, Then it is refused at the alias that crosses the limit', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n');
    const e = thrown(() => parsePlan(`${MINIMAL_PLAN}\n${bomb}\n`, 'p.yaml', {}));
    expect(e).toBeInstanceOf(UserError);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.message).toMatch(/^aliases expand to more than 50,000 values \(alias \*[a-f]\)$/);
    const line = MINIMAL_PLAN.split('\n').length + 5;
    expect(e.problems[0]!.where).toMatch(new RegExp(`^p\\.yaml:${line}:\\d+$`));
  });

  it('Given an anchor shared by a few entities, When parsed, Then aliases within the limit still work', () => {
    const plan = parsePlan(planWith('    map:\n      id: id\n      email: email', '    map: &fields\n      id: id\n      email: email').replace('    map:\n      id: id\n      customerId: customer_id', '    map: *fields'), 'p.yaml', {});
    expect(plan.entities.orders!.map).toEqual({ id: 'id', email: 'email' });
  });

  it('Given an alias with no anchor before it, When parsed, Then it is refused at the alias', () => {
    const e = thrown(() => parsePlan(planWith('      email: email', '      email: *mail'), 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ where: 'p.yaml:18:14', message: 'alias *mail names no anchor (&mail) before it' })]);
  });

  it('Given nesting 100 levels deep, When parsed, Then it is refused as too deep where the limit is crossed', () => {
    const e = thrown(() => parsePlan(`${MINIMAL_PLAN}x: ${'['.repeat(100)}${']'.repeat(100)}\n`, 'p.yaml', {}));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.message).toBe('nesting deeper than 64 levels');
    const line = MINIMAL_PLAN.split('\n').length;
    expect(e.problems[0]!.where).toBe(`p.yaml:${line}:${4 + 64}`);
  });

  it('Given nesting deep enough to exhaust the YAML parser, When parsed, Then it is refused as too deep, not as a crash', () => {
    const e = thrown(() => parsePlan(`x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 'p.yaml', {}));
    expect(e.problems.map((p) => p.message)).toContain('nesting deeper than 64 levels');
  });

  it('Given a 10,000-character entity name, When parsed, Then it is refused as too long at the name', () => {
    // An explicit key (`? …`): YAML refuses implicit keys over 1,024 characters by itself.
    const long = 'e'.repeat(10_000);
    const e = thrown(() => parsePlan(planWith('  orders:\n', `  ? ${long}\n  :\n`), 'p.yaml', {}));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.where).toBe('p.yaml:28:5');
    expect(e.problems[0]!.message).toMatch(/^invalid name "e{57}\.\.\.": expected a name of at most 63 characters$/);
  });

  it('Given a 64-character plan name, When parsed, Then it is refused; 63 characters pass', () => {
    const e = thrown(() => parsePlan(planWith('name: fixture', `name: ${'p'.repeat(64)}`), 'p.yaml', {}));
    expect(e.problems[0]!.message).toMatch(/^expected a name of at most 63 characters, got "p+\.\.\."$/);
    expect(parsePlan(planWith('name: fixture', `name: ${'p'.repeat(63)}`), 'p.yaml', {}).name).toHaveLength(63);
  });

  it('Given a 128-character flag name, When parsed, Then it is refused at the flag', () => {
    const e = thrown(() => parsePlan(planWith('flag: orders.backfill', `flag: ${'f'.repeat(128)}`), 'p.yaml', {}));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'entities.orders.phases[0].backfill.flag', message: expect.stringMatching(/^expected a flag name of at most 127 characters/) })]);
  });

  it('Given a 128-character sync flag name, When parsed, Then it is refused like a backfill flag', () => {
    const e = thrown(() => parsePlan(planWith('      - verify: { maxMismatchRate: 0 }', `      - sync: { flag: ${'s'.repeat(128)} }\n      - verify: { maxMismatchRate: 0 }`), 'p.yaml', {}));
    expect(e.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^expected a flag name of at most 127 characters/));
  });

  it('Given a 64-character table name, When parsed, Then it is refused as a SQL identifier too long', () => {
    const e = thrown(() => parsePlan(planWith('table: orders', `table: ${'t'.repeat(64)}`), 'p.yaml', {}));
    expect(e.problems[0]!.message).toMatch(/^expected a SQL identifier of at most 63 characters/);
  });

  it('Given a plan file over 1 MiB, When loaded, Then it is refused before it is parsed, at its first line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-limits-'));
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, MINIMAL_PLAN + `# ${'x'.repeat(1024 * 1024)}\n`);
    const e = await loadPlanFile(file, {}).catch((err: UserError) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).problems).toEqual([expect.objectContaining({ where: `${file}:1:1`, message: 'the plan file is 1.0 MiB; plans are limited to 1.0 MiB' })]);
  });

  it('Given a path that is a directory, When loaded, Then it is refused as not a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-limits-'));
    await expect(loadPlanFile(dir, {})).rejects.toThrow(/is not a regular file|EISDIR/);
  });

  it('Given 3,000 entities each depending on the one before, When ordered, Then the chain comes out in order (linear, not one scan per entity)', () => {
    const entities: Record<string, { dependsOn: string[] }> = {};
    for (let i = 2999; i >= 0; i--) entities[`e${i}`] = { dependsOn: i > 0 ? [`e${i - 1}`] : [] };
    const order = topologicalOrder({ entities } as never);
    expect(order[0]).toBe('e0');
    expect(order[2999]).toBe('e2999');
    expect(order.indexOf('e1500')).toBe(1500);
  });
});
