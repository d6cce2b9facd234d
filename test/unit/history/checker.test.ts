/**
 * The history checker's self-tests: small hand-written histories, each with one planted anomaly
 * (or none), and the verdict expected for it. Times are wall-clock ms, written by hand, so every
 * staleness below is exact. Values are the sample app's orders; `status: 'v<n>'` is version n.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory, statusVersion, type CheckInput } from '../../../bench/history/checker.js';
import type { Operation } from '../../../bench/history/format.js';

const order = (id: number, version: number) => ({ id, status: version === 0 ? 'paid' : `v${version}`, total: id * 100 + version, email: `user${id}@example.com` });

/** A write of `key`'s version `v` by `process`, invoked at `at`, completed at `done` (undefined: never recorded). */
function write(process: string, key: number, v: number, at: number, done: number | undefined, type: Operation['type'] = 'ok'): Operation {
  return { process, f: 'write', key, keyText: String(key), value: order(key, v), type, invokeWall: at, invokeMono: at * 1e6, ...(done !== undefined ? { completeWall: done, completeMono: done * 1e6 } : {}) };
}
/** An ok read of `key` that returned version `v` (null: absent). */
function read(process: string, key: number, v: number | null, at: number, done: number, value: unknown = v === null ? null : order(key, v)): Operation {
  return { process, f: 'read', key, keyText: String(key), value, type: 'ok', invokeWall: at, invokeMono: at * 1e6, completeWall: done, completeMono: done * 1e6 };
}

const versionOf = statusVersion();
const check = (operations: Operation[], finals: Record<number, number | null>, extra: Partial<CheckInput> = {}) =>
  checkHistory({
    operations,
    truth: new Map(Object.entries(finals).map(([k, v]) => [k, v === null ? null : order(Number(k), v)])),
    initial: new Map([
      ['1', order(1, 0)],
      ['2', order(2, 0)],
    ]),
    windowMs: 1000,
    versionOf,
    ...extra,
  });

describe('history checker', () => {
  it('given a clean history (two writers, two readers, one read 5 ms behind an acknowledgement), then it passes and reports that 5 ms as the maximum staleness', () => {
    const r = check(
      [
        write('billing', 1, 1, 0, 10),
        write('billing', 1, 2, 20, 30),
        write('reporting', 2, 1, 0, 8),
        read('support', 1, 0, 5, 6),
        read('support', 1, 1, 12, 14),
        read('support', 1, 1, 35, 36),
        read('support', 1, 2, 40, 41),
        read('reporting', 2, 1, 9, 9.5),
        read('reporting', 2, 0, 1, 2),
      ],
      { 1: 2, 2: 1 },
    );
    expect(r.lost.count).toBe(0);
    expect(r.impossible).toMatchObject({ reads: 0, finals: 0 });
    expect(r.stale).toEqual({ count: 0, maxStalenessMs: 5, samples: [] });
    expect(r.nonMonotonic.count).toBe(0);
    expect(r.inputProblems).toEqual([]);
    expect(r.operations).toEqual({ reads: { ok: 6, fail: 0, unknown: 0 }, writes: { ok: 3, fail: 0, unknown: 0 } });
    expect(r.ok).toBe(true);
  });

  it('given an acknowledged write the final truth does not hold (it holds the version before), then it is reported lost', () => {
    const r = check([write('billing', 1, 1, 0, 10), write('billing', 1, 2, 20, 30)], { 1: 1 });
    expect(r.lost.count).toBe(1);
    expect(r.lost.samples).toEqual([{ key: '1', version: 2, process: 'billing', ackedAt: 30, finalVersion: 1 }]);
    expect(r.ok).toBe(false);
  });

  it('given an acknowledged write of a key the final truth does not have at all, then it is reported lost', () => {
    const r = check([write('billing', 3, 1, 0, 10)], { 3: null });
    expect(r.lost.samples).toEqual([{ key: '3', version: 1, process: 'billing', ackedAt: 10, finalVersion: null }]);
  });

  it('given an unknown-outcome write that did not take effect (absent from the truth), then it is not lost and the history passes', () => {
    const r = check([write('billing', 1, 1, 0, 10), write('billing', 1, 2, 20, undefined, 'unknown')], { 1: 1 });
    expect(r.lost.count).toBe(0);
    expect(r.operations.writes).toEqual({ ok: 1, fail: 0, unknown: 1 });
    expect(r.ok).toBe(true);
  });

  it('given an unknown-outcome write that did take effect, then the acknowledged write it superseded is not lost', () => {
    const r = check([write('billing', 1, 1, 0, 10), write('billing', 1, 2, 20, undefined, 'unknown')], { 1: 2 });
    expect(r.lost.count).toBe(0);
    expect(r.ok).toBe(true);
  });

  it('given a final value written only by a failed write, then the final value is impossible and the acknowledged write under it is lost', () => {
    const r = check([write('billing', 1, 1, 0, 10), write('billing', 1, 2, 20, 21, 'fail')], { 1: 2 });
    expect(r.impossible.finalSamples).toEqual([{ key: '1', version: 2, reason: 'written only by a failed write' }]);
    expect(r.lost.samples).toEqual([{ key: '1', version: 1, process: 'billing', ackedAt: 10, finalVersion: null }]);
  });

  it('given a read returning a version no one wrote, then it is an impossible read', () => {
    const r = check([write('billing', 1, 1, 0, 10), read('support', 1, 7, 12, 13)], { 1: 1 });
    expect(r.impossible.reads).toBe(1);
    expect(r.impossible.samples).toEqual([{ key: '1', process: 'support', version: 7, reason: 'never written', at: 12 }]);
    expect(r.ok).toBe(false);
  });

  it('given a read returning a version whose write failed, then it is an impossible read', () => {
    const r = check([write('billing', 1, 1, 0, 10, 'fail'), read('support', 1, 1, 12, 13)], { 1: 0 });
    expect(r.impossible.samples.map((s) => s.reason)).toEqual(['written only by a failed write']);
  });

  it('given a read whose value carries a written version but other contents, then it is an impossible read', () => {
    const r = check([write('billing', 1, 1, 0, 10), read('support', 1, 1, 12, 13, { ...order(1, 1), total: 1 })], { 1: 1 });
    expect(r.impossible.samples.map((s) => s.reason)).toEqual(['differs from the value written with its version']);
  });

  it('given a read that completed before the write of its version was invoked, then it is an impossible read', () => {
    const r = check([read('support', 1, 1, 2, 3), write('billing', 1, 1, 5, 10)], { 1: 1 });
    expect(r.impossible.samples.map((s) => s.reason)).toEqual(['read before its write was invoked']);
  });

  it('given a read of a key absent that was present before the run, then it is an impossible read', () => {
    const r = check([read('support', 2, null, 2, 3)], { 2: 0 });
    expect(r.impossible.samples.map((s) => s.reason)).toEqual(['absent, but present before the run and never deleted']);
  });

  it('given a read 2500 ms behind an acknowledged write with a 1000 ms window, then it is one stale read and 2500 ms is the maximum staleness', () => {
    const r = check(
      [
        write('billing', 1, 1, 90, 100),
        write('billing', 1, 2, 1990, 2000),
        write('billing', 1, 3, 2100, 2200.5),
        read('support', 1, 1, 2300, 2301), // 300 ms behind v2: within the window
        read('support', 1, 1, 4500, 4502), // 2500 ms behind v2 (v3 came later): stale
        read('reporting', 1, 2, 3000, 3001), // 799.5 ms behind v3: within the window
      ],
      { 1: 3 },
    );
    expect(r.stale.count).toBe(1);
    expect(r.stale.maxStalenessMs).toBe(2500);
    expect(r.stale.samples).toEqual([{ key: '1', process: 'support', version: 1, supersededBy: 2, stalenessMs: 2500, at: 4500 }]);
    expect(r.nonMonotonic.count).toBe(0);
    expect(r.ok).toBe(false);
  });

  it('given a process that reads a key at v2 and, after that read completed, at v1 (within the window), then it is one non-monotonic read, which fails the verdict only when monotonic reads are required', () => {
    const history = [write('billing', 1, 1, 0, 5), write('billing', 1, 2, 6, 8), read('support', 1, 2, 10, 12), read('support', 1, 1, 15, 16)];
    const r = check(history, { 1: 2 });
    expect(r.nonMonotonic).toEqual({ count: 1, failsVerdict: false, samples: [{ key: '1', process: 'support', before: 2, after: 1, at: 15 }] });
    expect(r.stale.count).toBe(0);
    expect(r.ok).toBe(true);
    const strict = check(history, { 1: 2 }, { requireMonotonicReads: true });
    expect(strict.nonMonotonic.count).toBe(1);
    expect(strict.ok).toBe(false);
  });

  it('given two overlapping reads in one process (v2 then v1 by invoke time), then they are not ordered and not non-monotonic', () => {
    const r = check([write('billing', 1, 1, 0, 5), write('billing', 1, 2, 6, 8), read('support', 1, 2, 10, 20), read('support', 1, 1, 11, 13)], { 1: 2 });
    expect(r.nonMonotonic.count).toBe(0);
    expect(r.ok).toBe(true);
  });

  it('given the same older-after-newer reads by two different processes, then neither is non-monotonic', () => {
    const r = check([write('billing', 1, 1, 0, 5), write('billing', 1, 2, 6, 8), read('support', 1, 2, 10, 12), read('reporting', 1, 1, 15, 16)], { 1: 2 });
    expect(r.nonMonotonic.count).toBe(0);
  });

  it('given a run that starts from a value an earlier run wrote (v4 before the run), then reading it is possible and a newer acknowledged write must still reach the truth', () => {
    const initial = new Map([['1', order(1, 4)]]);
    const r = check([read('support', 1, 4, 1, 2), write('billing', 1, 5, 3, 4), read('support', 1, 5, 5, 6)], { 1: 5 }, { initial });
    expect(r.ok).toBe(true);
    const undone = check([write('billing', 1, 5, 3, 4)], { 1: 4 }, { initial });
    expect(undone.lost.samples).toEqual([{ key: '1', version: 5, process: 'billing', ackedAt: 4, finalVersion: 4 }]);
    expect(undone.impossible.finals).toBe(0);
  });

  it('given a write without a version, then the history is not trusted', () => {
    const bad = { ...write('billing', 1, 1, 0, 5), value: order(1, 0) };
    const r = check([bad], { 1: 0 });
    expect(r.inputProblems).toHaveLength(1);
    expect(r.ok).toBe(false);
  });
});
