import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { follow, type ProgressSink } from '../../../src/ops/follow.js';
import type { SweepProgress, SweepState } from '../../../src/progress.js';

const snap = (state: SweepState): SweepProgress => ({ kind: 'backfill', state, done: 0, total: 10, totalIsEstimate: true, failures: 0, partitions: [], updatedAt: 0 });

function sink(): ProgressSink & { seen: SweepState[] } {
  const seen: SweepState[] = [];
  return { seen, update: (p) => void seen.push(p.state), stop: () => undefined };
}

describe('follow', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('given a sweep that still says paused right after a resume, when following with stopWhenPaused, then it keeps following until completion', async () => {
    const states: SweepState[] = ['paused', 'paused', 'running', 'completed'];
    const s = sink();
    const done = follow(async () => snap(states.shift() ?? 'completed'), s, { stopWhenPaused: true });
    await vi.runAllTimersAsync();
    expect((await done)?.state).toBe('completed');
    expect(s.seen).toEqual(['paused', 'paused', 'running', 'completed']);
  });

  it('given a sweep that stays paused past the grace period, when following with stopWhenPaused, then it stops on paused', async () => {
    const s = sink();
    const done = follow(async () => snap('paused'), s, { stopWhenPaused: true, pausedGraceMs: 3000 });
    await vi.runAllTimersAsync();
    expect((await done)?.state).toBe('paused');
    expect(s.seen.length).toBe(4); // paused at 0, 1, 2 and 3 s: the last one reaches the grace period
  });

  it('given a long follow with a detach signal, when it polls many times, then the signal never holds more than one abort listener (no MaxListenersExceededWarning)', async () => {
    const detach = new AbortController();
    const held: number[] = [];
    let polls = 0;
    const done = follow(async () => {
      held.push(getEventListeners(detach.signal, 'abort').length);
      return snap(++polls >= 30 ? 'completed' : 'running');
    }, sink(), { signal: detach.signal });
    await vi.runAllTimersAsync();
    await done;
    expect(polls).toBe(30);
    expect(Math.max(...held)).toBe(0);
    expect(getEventListeners(detach.signal, 'abort')).toHaveLength(0);
  });

  it('given a follow waiting between polls, when the caller detaches, then it returns at once with the last progress', async () => {
    const detach = new AbortController();
    const done = follow(async () => snap('running'), sink(), { signal: detach.signal, intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(10);
    detach.abort();
    expect((await done)?.state).toBe('running');
  });
});
