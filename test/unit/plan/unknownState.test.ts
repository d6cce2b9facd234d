/** `migrate plan` when the live state cannot be read: every entity is unknown, with why, never pending. */
import { describe, expect, it } from 'vitest';
import { describePlan, renderPlanText } from '../../../src/plan/describe.js';
import { parsePlan, type LoadedPlan } from '../../../src/plan/load.js';
import { unknownStatuses } from '../../../src/ops/liveStatuses.js';
import { MINIMAL_PLAN } from './helpers.js';

const plan = parsePlan(MINIMAL_PLAN, 'p.yaml', {});
const because = 'Temporal at 127.0.0.1:7233 is not answering (connect ECONNREFUSED 127.0.0.1:7233)';

describe('unknown state in migrate plan', () => {
  it('Given Temporal not answering, When the plan is described, Then every entity is unknown with the reason and no command is suggested', () => {
    const doc = describePlan(plan, unknownStatuses({ plan } as LoadedPlan, because));
    expect(doc.entities.map((e) => [e.name, e.state])).toEqual([
      ['customers', 'unknown'],
      ['orders', 'unknown'],
    ]);
    expect(doc.entities[0]!.next).toEqual({ reason: `state unknown: ${because}`, waitingFor: [] });
  });

  it('Given Temporal not answering, When the plan is printed, Then each entity says unknown and why, and not pending', () => {
    const text = renderPlanText(describePlan(plan, unknownStatuses({ plan } as LoadedPlan, because))).join('\n');
    expect(text).toContain('1. customers  unknown');
    expect(text).toContain(`   next   state unknown: ${because}`);
    expect(text).not.toContain('pending');
    expect(text).not.toContain('migrate backfill');
  });
});
