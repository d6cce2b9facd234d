import { describe, expect, it } from 'vitest';
import { eta, fractionDone, pushSample, totals, windowRate } from '../../src/progress.js';

describe('progress arithmetic', () => {
  it('given done beyond a low estimate, the fraction stays at 100%', () => {
    expect(fractionDone(120, 100)).toBe(1);
    expect(fractionDone(50, 100)).toBe(0.5);
  });

  it('given samples spanning under three seconds, there is no rate yet (so no ETA)', () => {
    const s = pushSample(pushSample([], { at: 0, done: 0 }), { at: 2000, done: 500 });
    expect(windowRate(s)).toBeUndefined();
    expect(eta(500, 1000, windowRate(s))).toBeUndefined();
  });

  it('given samples over ten seconds, the rate is rows per second over the window and ETA follows', () => {
    let s = pushSample([], { at: 0, done: 0 });
    s = pushSample(s, { at: 10_000, done: 1000 });
    expect(windowRate(s)).toBe(100);
    expect(eta(1000, 2000, 100)).toBe(10_000);
  });

  it('given old samples, the window drops all but the one just before it', () => {
    let s: ReturnType<typeof pushSample> = [];
    for (let t = 0; t <= 100_000; t += 10_000) s = pushSample(s, { at: t, done: t / 10 });
    expect(s[0]!.at).toBe(60_000);
  });

  it('given a completed partition, its total is what it did, not the estimate', () => {
    expect(
      totals([
        { index: 0, done: 90, total: 100, state: 'completed' },
        { index: 1, done: 10, total: 100, state: 'running' },
      ]),
    ).toEqual({ done: 100, total: 190 });
  });

  it('given no estimate yet (total 0), there is no ETA rather than "done"', () => {
    expect(eta(0, 0, 100)).toBeUndefined();
  });
});
