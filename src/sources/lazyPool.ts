/**
 * A database pool made at its first use, so its driver is imported then: a command that builds a
 * change log or a legacy writer and never queries it (`migrate status` of a plan with sync, or an
 * error path) does not pay for loading pg or mysql2.
 */
export interface LazyPool<P> {
  get(): Promise<P>;
  /** Ends the pool if it was ever made. */
  end(): Promise<void>;
}

export function lazyPool<P extends { end(): Promise<void> }>(open: () => Promise<P>): LazyPool<P> {
  let pool: Promise<P> | undefined;
  return {
    get: () => (pool ??= open()),
    async end() {
      if (pool) await (await pool).end();
    },
  };
}
