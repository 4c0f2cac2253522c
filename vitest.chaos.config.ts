import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos`: the full kill-point matrix (test/chaos/full.chaos.ts), one cell at a time:
 * every cell starts its own fleet and kills worker processes, and two at once on two cores starve
 * BullMQ's 4 s locks, which is a fault of its own that would blur the one under test.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 420_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
