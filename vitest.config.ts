import { defineConfig } from 'vitest/config';

// Real services (PostgreSQL, MariaDB, a Temporal dev server) sit behind most tests: forks keep
// native modules (Temporal's core bridge) out of shared threads, and two workers suit 2-core machines.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/globalSetup.ts'],
    reporters: ['default'],
  },
});
