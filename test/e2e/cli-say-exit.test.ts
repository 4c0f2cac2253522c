/**
 * `clawops say` as a process: every refusal exits 2 (README, Command line), including the ones the
 * scheduler and the queries give, which once exited 0 or 1. Nothing here reaches a host.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { VALID_YAML } from '../unit/config/fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/clawops.js', import.meta.url));
let redis: RedisServer;
let dir: string;

interface Run { code: number | null; output: string }

function say(text: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--config', join(dir, 'clawops.yml'), 'say', text, '--as', 'alice', '--no-worker'], { cwd: dir, env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Private replies go to stderr, channel messages (a `schedule` answer) to stdout.
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`say ${text} timed out: ${output}`)); }, 30_000);
    child.once('error', reject);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'clawops-say-'));
  await writeFile(join(dir, 'clawops.yml'), `${VALID_YAML}
authorization:
  - terminalUsers: [alice]
    commands: ['*']
redis:
  url: ${redis.url}
  prefix: say-exit
`);
}, 30_000);

afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

test.each([
  ['an --at time in the spring-forward gap', 'upgrade 1.3.0 production --at "2031-03-30 02:30 Europe/Berlin"', 'does not exist on 2031-03-30 in Europe/Berlin'],
  ['an unknown environment, scheduled', 'upgrade 1.3.0 narnia --at "2031-06-01 03:00 UTC"', 'narnia'],
  ['an unknown environment, queried', 'version narnia', 'narnia'],
  ['a version that is no version', 'upgrade 1.x production', '1.x'],
  ['a schedule that does not exist', 'schedule cancel sch-nope', 'no scheduled upgrade sch-nope'],
])('%s exits 2 with the reason', async (_what, text, reason) => {
  const run = await say(text);
  expect(run.output).toContain(reason);
  expect(run.code, run.output).toBe(2);
}, 40_000);
