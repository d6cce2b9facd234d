/**
 * The routing each cutover stage puts in force, and the run-time refusal of writes before reads
 * (the same rule the plan check applies, so a plan edited around the check still cannot do it).
 */
import { describe, expect, it } from 'vitest';
import { resolveStages } from '../../../src/cutover/stages.js';
import type { CutoverPhase } from '../../../src/plan/schema.js';

const gate = {};

describe('cutover stages', () => {
  it('Given the orders plan’s four stages, when resolved, then each stage carries the routing of every consumer in force after it', () => {
    const cutover: CutoverPhase = {
      consumers: ['reporting', 'support-ui', 'billing'],
      stages: [
        { name: 'shadow', reads: 'shadow', gate: { maxMismatchRate: 0.001, minSamples: 1000, bake: '1h' } },
        { name: 'canary', reads: { new: 10 }, consumers: ['reporting'], gate: { bake: '30m' } },
        { name: 'reads', reads: 'new', gate: { bake: '1h', approval: true } },
        { name: 'writes', writes: 'new', gate: { approval: true } },
      ],
    };
    const { stages, problems } = resolveStages(cutover);
    expect(problems).toEqual([]);
    expect(stages.map((s) => [s.name, s.reads, s.writes, s.switchesWrites, s.scope])).toEqual([
      ['shadow', { reporting: 'shadow', 'support-ui': 'shadow', billing: 'shadow' }, 'legacy', false, ['reporting', 'support-ui', 'billing']],
      ['canary', { reporting: { new: 10 }, 'support-ui': 'shadow', billing: 'shadow' }, 'legacy', false, ['reporting']],
      ['reads', { reporting: 'new', 'support-ui': 'new', billing: 'new' }, 'legacy', false, ['reporting', 'support-ui', 'billing']],
      ['writes', { reporting: 'new', 'support-ui': 'new', billing: 'new' }, 'new', true, ['reporting', 'support-ui', 'billing']],
    ]);
    expect(stages[0]!.gate).toEqual({ maxMismatchRate: 0.001, minSamples: 1000, bakeMs: 3_600_000, approval: false });
    expect(stages[3]!.gate).toEqual({ bakeMs: 0, approval: true });
  });

  it('Given a writes stage while billing still reads shadow, when resolved, then it is refused with the field and the fix', () => {
    const { problems } = resolveStages({
      consumers: ['reporting', 'billing'],
      stages: [
        { name: 'reads', reads: 'new', consumers: ['reporting'], gate },
        { name: 'writes', writes: 'new', gate },
      ],
    });
    expect(problems).toEqual([{ field: 'stages[1].writes', message: 'stage "writes" switches writes before every consumer reads from new (still not: billing)', fix: 'add a stage with "reads: new" for every consumer before the writes stage; writes never switch before reads' }]);
  });

  it('Given writes routed to a percent, when resolved, then it is refused: writes move as a whole', () => {
    const { problems } = resolveStages({ consumers: ['billing'], stages: [{ name: 'reads', reads: 'new', gate }, { name: 'w', writes: { new: 10 }, gate }] });
    expect(problems.map((p) => p.field)).toEqual(['stages[1].writes']);
    expect(problems[0]!.fix).toBe('writes move as a whole: use "writes: new" (the write switch)');
  });
});
