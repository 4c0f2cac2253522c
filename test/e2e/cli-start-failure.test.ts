/**
 * `clawops start` when a chat platform refuses to start (bad token, API unreachable): the error is
 * said once, plainly, and the process exits. It used to print the error and then hang, held open
 * by the Redis connections and the worker it had already started.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { freePort } from '../harness/ports.js';
import { VALID_YAML } from '../unit/config/fixtures.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'clawops.js');
let redis: RedisServer;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'clawops-start-'));
});
afterAll(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a Slack API that cannot be reached ends `clawops start` with the reason and exit 1, not a hang', async () => {
  const closed = await freePort();
  const config = join(dir, 'clawops.yml');
  await writeFile(config, `${VALID_YAML}
chat:
  slack:
    botToken: \${SLACK_BOT_TOKEN}
    appToken: \${SLACK_APP_TOKEN}
    apiUrl: http://127.0.0.1:${closed}/api/
redis:
  url: ${redis.url}
  prefix: start-failure
`);
  const started = Date.now();
  const run = await new Promise<{ code: number | string | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'start', '--config', config], {
      cwd: dir, timeout: 45_000, killSignal: 'SIGKILL',
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, SLACK_BOT_TOKEN: 'xoxb-not-a-token', SLACK_APP_TOKEN: 'xapp-not-a-token' },
    }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : error.code ?? error.signal ?? null, stderr }));
  });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('clawops: Slack auth.test failed');
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toContain('xoxb-not-a-token');
  expect(Date.now() - started).toBeLessThan(40_000);
}, 60_000);
