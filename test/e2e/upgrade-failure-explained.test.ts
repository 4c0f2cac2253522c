/**
 * A release that exits on start (the double's `migrationfail` build: its start-up migration fails
 * with exit 1, like real OpenClaw refusing a state with exit 78) under PM2: the ready step fails
 * within seconds, not after the ready timeout, and the thread's excerpt carries PM2's view and the
 * gateway's own error lines.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requester, startUpgradeFleet, type UpgradeFleet } from '../harness/fleet-fixture.js';

let f: UpgradeFleet;

beforeAll(async () => {
  f = await startUpgradeFleet({ strategy: 'pm2', hosts: 1, versions: ['1.2.0', '1.3.1-migrationfail'], initialVersion: '1.2.0', redisPrefix: 'e2e-explained', readySeconds: 60 });
});
afterAll(async () => {
  await f?.stop();
});

test('a release that keeps exiting on start fails its ready step within seconds, with PM2 state and the error log tail', async () => {
  const submitted = await f.engine.submit(f.upgrade('1.3.1-migrationfail'), requester);
  if (!submitted.ok) throw new Error(submitted.message);
  const log = f.record(submitted.upgradeId);
  const finished = await log.waitFor((event) => event.type === 'finished', 90_000);
  expect(finished).toMatchObject({ outcome: 'failed' });
  const failed = log.events.find((event) => event.type === 'step-failed');
  expect(failed).toMatchObject({ stepId: 'host-a:ready' });
  if (failed?.type !== 'step-failed') throw new Error('no failed step');
  expect(failed.error).toContain('keeps exiting on start');
  // Far inside the 60 s ready timeout.
  expect(failed.durationMs).toBeLessThan(15_000);
  expect(failed.excerpt).toMatch(/PM2 app openclaw: .*restarts/);
  expect(failed.excerpt).toContain('schema migration failed');
  log.stop();
  process.stdout.write(`[bench] crash loop detected after ${failed.durationMs} ms\n`);
}, 120_000);
