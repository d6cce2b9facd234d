import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/cli/context.js';
import { resolvePlanPath } from '../../../src/cli/resolvePlan.js';
import { UserError } from '../../../src/errors.js';

function ctx(opts: { plan?: string; env?: NodeJS.ProcessEnv; files?: string[]; defaultPlan?: string }): CommandContext {
  const cwd = mkdtempSync(path.join(tmpdir(), 'resolve-'));
  if (opts.defaultPlan !== undefined) {
    mkdirSync(path.join(cwd, '.migrate'));
    writeFileSync(path.join(cwd, '.migrate', 'default-plan'), opts.defaultPlan);
  }
  if (opts.files) {
    mkdirSync(path.join(cwd, 'plans'));
    for (const f of opts.files) writeFileSync(path.join(cwd, 'plans', f), '');
  }
  return { options: { plan: opts.plan, json: false, color: false, verbose: false }, output: undefined as never, env: opts.env ?? {}, cwd };
}

describe('resolvePlanPath', () => {
  it('Given --plan and MIGRATE_PLAN, When resolved, Then --plan wins', () => {
    expect(resolvePlanPath(ctx({ plan: 'a.yaml', env: { MIGRATE_PLAN: 'b.yaml' }, files: ['c.yaml'] }))).toBe('a.yaml');
  });

  it('Given MIGRATE_PLAN only, When resolved, Then it is used', () => {
    expect(resolvePlanPath(ctx({ env: { MIGRATE_PLAN: 'b.yaml' }, files: ['c.yaml', 'd.yaml'] }))).toBe('b.yaml');
  });

  it('Given one plan file in plans/, When resolved, Then it is used', () => {
    expect(resolvePlanPath(ctx({ files: ['only.yml', 'README.md'] }))).toBe(path.join('plans', 'only.yml'));
  });

  it('Given several plan files, When resolved, Then a UserError names them all', () => {
    const run = () => resolvePlanPath(ctx({ files: ['b.yaml', 'a.yaml'] }));
    expect(run).toThrow(UserError);
    expect(run).toThrow('no plan file given and plans/ holds 2: a.yaml, b.yaml');
  });

  it('Given no plans/ directory, When resolved, Then a UserError says how to give one', () => {
    expect(() => resolvePlanPath(ctx({}))).toThrow('no plan file given and none found in plans/');
  });

  it('Given several plan files and a default plan in .migrate/default-plan, When resolved, Then the default is used', () => {
    expect(resolvePlanPath(ctx({ files: ['a.yaml', 'b.yaml'], defaultPlan: 'plans/b.yaml\n' }))).toBe('plans/b.yaml');
  });

  it('Given a default plan and MIGRATE_PLAN, When resolved, Then MIGRATE_PLAN wins', () => {
    expect(resolvePlanPath(ctx({ env: { MIGRATE_PLAN: 'x.yaml' }, files: ['a.yaml', 'b.yaml'], defaultPlan: 'plans/b.yaml' }))).toBe('x.yaml');
  });

  it('Given several plan files and no default, When resolved, Then the hint says how to make one the default', () => {
    expect(() => resolvePlanPath(ctx({ files: ['b.yaml', 'a.yaml'] }))).toThrow(UserError);
    try {
      resolvePlanPath(ctx({ files: ['b.yaml', 'a.yaml'] }));
    } catch (e) {
      expect((e as UserError).hint).toContain('echo plans/a.yaml > .migrate/default-plan');
    }
  });
});
