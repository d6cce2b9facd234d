/**
 * Property tests of the plan loader: whatever the text and the environment, loading a plan either
 * gives a plan or a user error (exit 2 or 3) whose every problem has a `file:line:column`; never any
 * other exception, which the CLI would report as an internal error (exit 70) with a stack trace.
 * In process, so thousands of cases run in seconds (test/e2e/hostile-input.test.ts runs a few
 * through the real binary). fast-check prints the seed and the shrunk input of any failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MigrateError } from '../../../src/errors.js';
import { describePlan } from '../../../src/plan/describe.js';
import { parsePlan } from '../../../src/plan/load.js';
import { editedPlan, fieldEditedPlan, planEnv, randomYaml, SEED_PLANS } from '../../support/planFuzz.js';

const POSITION = /^fuzz\.yaml:\d+:\d+$/;

/** Loads `text`; returns how it ended, or throws (failing the property) when it ended any other way. */
function load(text: string, env: Record<string, string>): 'valid' | 'refused' {
  try {
    describePlan(parsePlan(text, 'fuzz.yaml', env));
    return 'valid';
  } catch (e) {
    if (!(e instanceof MigrateError)) {
      throw new Error(`the loader threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}, which the CLI reports as an internal error`, { cause: e });
    }
    expect([2, 3]).toContain(e.exitCode);
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) expect(p.where).toMatch(POSITION);
    return 'refused';
  }
}

describe('plan loader properties', () => {
  it('Given the seeds themselves, When loaded, Then the valid ones load and the invalid fixtures are refused with positions', () => {
    const outcomes = SEED_PLANS.map((text) => load(text, {}));
    // plans/demo.yaml, orders-mysql.yaml, orders-postgres.yaml, then test/fixtures/plans/valid/minimal.yaml.
    expect(outcomes.slice(0, 4)).toEqual(['valid', 'valid', 'valid', 'valid']);
    expect(outcomes.slice(4).every((o) => o === 'refused')).toBe(true);
  });

  it('Given seed plans with random textual edits, When loaded, Then each is a plan or a positioned user error', () => {
    const seen = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(editedPlan, planEnv, (text, env) => {
        seen[load(text, env)]++;
      }),
      { numRuns: 1200 },
    );
    // The edits must leave some plans valid, or the property would only ever test refusals.
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('Given valid plans with a field replaced, removed or added, When loaded, Then each is a plan or a positioned user error', () => {
    const seen = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(fieldEditedPlan, planEnv, (text, env) => {
        seen[load(text, env)]++;
      }),
      { numRuns: 800 },
    );
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('Given random YAML and random text, When loaded, Then each is refused with positions', () => {
    fc.assert(
      fc.property(randomYaml, planEnv, (text, env) => {
        load(text, env);
      }),
      { numRuns: 600 },
    );
  });
});
