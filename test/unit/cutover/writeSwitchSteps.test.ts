/** The write switch's steps as defined once for the workflow and the dry run. */
import { describe, expect, it } from 'vitest';
import { dryRunSteps, preconditionsText, refusal, writeSwitchSteps, type WriteSwitchTiming } from '../../../src/cutover/writeSwitchSteps.js';
import { writeSwitchTiming } from '../../../src/cutover/writeSwitchChecks.js';
import { cutoverPhaseSchema, syncPhaseSchema, type Entity } from '../../../src/plan/schema.js';

const timing: WriteSwitchTiming = { maxLagMs: 30_000, holdMs: 5_000, drainTimeoutMs: 60_000, catchUpTimeoutMs: 120_000, verifyMaxAgeMs: 86_400_000, pollMs: 1_000 };

describe('writeSwitchSteps', () => {
  it('Given a switch to new at epoch 7, when its steps are listed, then they are the forward order with the fence at 8, the switch at 9, and only switch and unfence after the commit', () => {
    const steps = writeSwitchSteps({ plan: 'p', entity: 'orders', to: 'new', reads: { billing: 'new', reporting: 'new' }, otherReads: 'new', epoch: 7 }, timing);
    expect(steps.map((s) => s.step)).toEqual(['preconditions', 'fence', 'drain', 'catch-up', 'verify-changed', 'reverse-sync', 'journal', 'switch', 'unfence']);
    expect(steps.filter((s) => s.afterCommit).map((s) => s.step)).toEqual(['switch', 'unfence']);
    expect(steps[0]!.detail).toBe('all reads new and acknowledged at epoch 7; reverse path ready; forward sync lag under 30 s; last verification fresh (under 24 h) and clean');
    expect(steps[1]!.detail).toBe('publish epoch 8: writes fenced (consumers hold a write up to 5 s), reads unchanged (billing new, reporting new, others new)');
    expect(steps[2]!.detail).toBe('wait until every consumer instance acknowledges epoch 8 with 0 writes in flight (at most 1 min)');
    expect(steps[7]!.detail).toBe('publish epoch 9: writes new, reads unchanged (billing new, reporting new, others new)');
  });

  it('Given the rollback to legacy at epoch 9, when its steps are listed, then they mirror the switch: fence, drain, reverse catch-up, journal, writes legacy, stop reverse sync', () => {
    const steps = writeSwitchSteps({ plan: 'p', entity: 'orders', to: 'legacy', reads: {}, otherReads: 'new', epoch: 9 }, timing);
    expect(steps.map((s) => s.step)).toEqual(['fence', 'drain', 'reverse-catch-up', 'journal', 'switch', 'stop-reverse-sync']);
    expect(steps[4]!.detail).toBe('publish epoch 11: writes legacy, reads unchanged (others new); forward sync keeps running');
    expect(steps.filter((s) => s.afterCommit).map((s) => s.step)).toEqual(['switch', 'stop-reverse-sync']);
  });

  it('Given check answers, when the preconditions are written and judged, then each answer is named and only the failed ones make the refusal', () => {
    const checks = [
      { name: 'reads new', ok: true, detail: 'billing read new' },
      { name: 'forward sync lag', ok: false, detail: '12 pending, oldest 45 s (max 30 s)' },
    ];
    expect(preconditionsText('all reads new', checks)).toBe('all reads new — reads new: yes (billing read new); forward sync lag: NO (12 pending, oldest 45 s (max 30 s))');
    expect(refusal(checks)).toBe('preconditions not met: forward sync lag (12 pending, oldest 45 s (max 30 s))');
    expect(refusal([checks[0]!])).toBeUndefined();
    const dry = dryRunSteps(writeSwitchSteps({ plan: 'p', entity: 'orders', to: 'new', reads: {}, otherReads: 'new', epoch: 1 }, timing), checks);
    expect(dry[0]!.detail).toContain('forward sync lag: NO');
    expect(dry.every((s) => s.outcome === undefined)).toBe(true);
  });
});

describe('writeSwitchTiming', () => {
  const entity = (writeSwitch?: Record<string, string>): Entity =>
    ({
      phases: [
        { sync: syncPhaseSchema.parse({ maxLag: '45s', poll: '200ms', flag: 'orders.sync' }) },
        { cutover: cutoverPhaseSchema.parse({ consumers: ['billing'], stages: [{ name: 'reads', reads: 'new' }], ...(writeSwitch ? { writeSwitch } : {}) }) },
      ],
    }) as unknown as Entity;

  it('Given a plan without cutover.writeSwitch, when the timing is read, then maxLag and poll come from sync and the hold and timeouts are the defaults', () => {
    expect(writeSwitchTiming(entity())).toEqual({ maxLagMs: 45_000, reversePollMs: 200, holdMs: 5_000, drainTimeoutMs: 60_000, catchUpTimeoutMs: 120_000, verifyMaxAgeMs: 86_400_000, pollMs: 1_000 });
  });

  it('Given cutover.writeSwitch with a hold of 10s and a catch-up timeout of 10m, when the timing is read, then those are used and the drain timeout keeps its default', () => {
    expect(writeSwitchTiming(entity({ hold: '10s', catchUpTimeout: '10m' }))).toMatchObject({ holdMs: 10_000, drainTimeoutMs: 60_000, catchUpTimeoutMs: 600_000 });
  });
});
