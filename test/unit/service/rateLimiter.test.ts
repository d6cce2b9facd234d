import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter } from '../../../src/service/rateLimiter.js';

describe('createRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function track(p: Promise<void>, granted: number[], id: number) {
    void p.then(() => granted.push(id));
  }

  it('Given a full bucket of 5, when 8 acquire at once, then 5 are granted at once and the rest one per 100ms at 10/s', async () => {
    const limiter = createRateLimiter(10, 5);
    const granted: number[] = [];
    for (let i = 0; i < 8; i++) track(limiter.acquire(1), granted, i);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(100);
    expect(granted).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(200);
    expect(granted).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('Given a request larger than the burst, when acquired, then it is granted and later requests wait for the debt', async () => {
    const limiter = createRateLimiter(10, 2);
    const granted: number[] = [];
    track(limiter.acquire(5), granted, 0);
    track(limiter.acquire(1), granted, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0]);
    // Tokens are now 2 - 5 = -3: one more token needs 400ms.
    await vi.advanceTimersByTimeAsync(350);
    expect(granted).toEqual([0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(granted).toEqual([0, 1]);
  });

  it('Given a large request queued before small ones, when tokens refill, then requests are granted in arrival order', async () => {
    const limiter = createRateLimiter(10, 3);
    const granted: number[] = [];
    track(limiter.acquire(3), granted, 0);
    track(limiter.acquire(3), granted, 1);
    track(limiter.acquire(1), granted, 2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted).toEqual([0, 1, 2]);
  });

  it('Given steady demand over 10 seconds, when counted, then grants match the rate plus the burst', async () => {
    const limiter = createRateLimiter(20, 4);
    let granted = 0;
    for (let i = 0; i < 1000; i++) void limiter.acquire(1).then(() => granted++);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(granted).toBe(4 + 200);
  });

  it('Given a non-positive rate, when created, then it throws', () => {
    expect(() => createRateLimiter(0)).toThrow(RangeError);
  });
});
