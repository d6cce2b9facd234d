/**
 * A counting semaphore shared by every client of one target service in a worker, so the plan's
 * `concurrency` bounds the requests in flight across all partitions, not per partition.
 */
export interface Gate {
  readonly size: number;
  /** Runs `fn` once a slot is free; slots are granted in arrival order. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Requests running now (for tests and diagnostics). */
  readonly active: number;
}

export function createGate(size: number): Gate {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`gate size must be a positive integer, got ${size}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    size,
    get active() {
      return active;
    },
    async run(fn) {
      if (active < size) active++;
      // The slot is handed over by `release` without being freed, so no newcomer can take it first.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await fn();
      } finally {
        release();
      }
    },
  };
}
