import { defineConfig } from 'vitest/config';

/**
 * `npm run test:real`: real OpenClaw from npm on sshd test hosts (docs/real-openclaw.md).
 * Not part of `npm test` (vitest.config.ts excludes test/real): it downloads ~500 MB once and
 * runs real gateways (450–800 MB RSS each).
 */
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    globalSetup: ['test/real/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One file at a time: real gateways start CPU-bound (4–12 s alone on 2 cores); two files at
    // once next to other work stretched a start to 95 s and saved only ~20 s in total.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
