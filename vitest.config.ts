import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/real/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Harness suites start real daemons; two cores do not gain from more than two forks.
    pool: 'forks',
    maxWorkers: 2,
  },
});
