/**
 * A token bucket shared by every partition writing to one target from one worker, so the plan's
 * `rateLimit` holds per worker however many partitions run. Waiters are served in arrival order so
 * that a large request cannot be starved by a stream of small ones.
 */

export interface RateLimiter {
  readonly perSecond: number;
  readonly burst: number;
  /** Resolves when `n` tokens are granted. A request for more than `burst` waits for a full bucket and leaves it in debt, so it still progresses and the long-run rate holds. */
  acquire(n?: number): Promise<void>;
}

/** A limiter granting `perSecond` tokens a second, holding at most `burst` (default: a tenth of a second's worth, at least 1). */
export function createRateLimiter(perSecond: number, burst?: number): RateLimiter {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`rate must be a positive number, got ${perSecond}`);
  const size = burst ?? Math.max(1, Math.ceil(perSecond / 10));
  if (!(size >= 1)) throw new RangeError(`burst must be at least 1, got ${burst}`);
  let tokens = size;
  let last = Date.now();
  const queue: { n: number; resolve: () => void }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  function refill(): void {
    const now = Date.now();
    tokens = Math.min(size, tokens + ((now - last) * perSecond) / 1000);
    last = now;
  }

  function drain(): void {
    timer = undefined;
    refill();
    while (queue.length > 0) {
      const head = queue[0]!;
      const need = Math.min(head.n, size);
      if (tokens + 1e-9 < need) {
        timer = setTimeout(drain, Math.max(1, Math.ceil(((need - tokens) * 1000) / perSecond)));
        return;
      }
      tokens -= head.n;
      queue.shift();
      head.resolve();
    }
  }

  return {
    perSecond,
    burst: size,
    acquire(n = 1) {
      if (!(n > 0)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        queue.push({ n, resolve });
        if (timer === undefined) drain();
      });
    },
  };
}
