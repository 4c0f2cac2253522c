/**
 * Every entry point that serves chat (`clawops start`, `clawops gateway`, `clawops start
 * --no-worker`) when a chat platform refuses to start (bad token, API unreachable): the error is
 * said once, plainly, and the process exits non-zero within seconds. `start` used to print the error
 * and then hang, held open by the Redis connections and the worker it had already started; in
 * Slack's HTTP mode all three hung, because Bolt's receiver refused to stop before it had listened
 * and that refusal cut the clean-up short.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { freePort } from '../harness/ports.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import { startFakeSlack } from '../fakes/slack/server.js';
import { VALID_YAML } from '../unit/config/fixtures.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'clawops.js');
/** What "within a few seconds" means here; a loaded CI machine needs most of it to load tsx and Bolt. */
const BOUND_MS = 20_000;
const SECRETS = { SLACK_BOT_TOKEN: 'xoxb-not-a-token', SLACK_APP_TOKEN: 'xapp-not-a-token', SLACK_SIGNING_SECRET: 'not-a-secret', DISCORD_TOKEN: 'not-a-discord-token' };

let redis: RedisServer;
let discord: FakeDiscord;
let dir: string;
let closed: number;

beforeAll(async () => {
  redis = await startRedis();
  discord = await startFakeDiscord();
  dir = await mkdtemp(join(tmpdir(), 'clawops-start-'));
  closed = await freePort();
});
afterAll(async () => {
  await discord.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Run { code: number | string | null; stderr: string; ms: number }

/** Runs `clawops <args>` with `chat` as the config's chat section; SIGKILLed (code 'SIGKILL') if it hangs. */
async function clawops(name: string, chat: string, args: readonly string[]): Promise<Run> {
  const config = join(dir, `${name}.yml`);
  await writeFile(config, `${VALID_YAML}
chat:
${chat}
redis:
  url: ${redis.url}
  prefix: start-failure-${name}
`);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--config', config], {
      cwd: dir, timeout: BOUND_MS + 15_000, killSignal: 'SIGKILL',
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...SECRETS },
    }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : error.code ?? error.signal ?? null, stderr, ms: Date.now() - started }));
  });
}

/** The one line a person reads: `clawops: <platform> …<reason>`, no stack, no secret, nothing else at warn or above. */
function expectOneClearLine(run: Run, line: RegExp): void {
  expect(run.stderr).toMatch(line);
  expect(run.stderr.split('\n').filter((text) => text.startsWith('clawops: '))).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/"level":(40|50|60)/);
  for (const secret of Object.values(SECRETS)) expect(run.stderr).not.toContain(secret);
  expect(run.ms).toBeLessThan(BOUND_MS);
}

const slackHttp = () => `  slack:
    mode: http
    botToken: \${SLACK_BOT_TOKEN}
    signingSecret: \${SLACK_SIGNING_SECRET}
    port: ${closed}
    apiUrl: http://127.0.0.1:${closed}/api/`;

describe('Slack in HTTP mode with its API unreachable: exit 1 with the reason, not a hang', () => {
  for (const args of [['start'], ['gateway'], ['start', '--no-worker']]) {
    test(`clawops ${args.join(' ')}`, async () => {
      const run = await clawops(`slack-http-${args.join('')}`, slackHttp(), args);
      expect(run.code).toBe(1);
      expectOneClearLine(run, new RegExp(`^clawops: Slack auth\\.test failed: cannot reach the Slack API \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}\\)$`, 'm'));
    }, 60_000);
  }
});

test('Slack in socket mode with its API unreachable ends `clawops start` with exit 1', async () => {
  const run = await clawops('slack-socket', `  slack:
    botToken: \${SLACK_BOT_TOKEN}
    appToken: \${SLACK_APP_TOKEN}
    apiUrl: http://127.0.0.1:${closed}/api/`, ['start']);
  expect(run.code).toBe(1);
  expectOneClearLine(run, /^clawops: Slack auth\.test failed: cannot reach the Slack API/m);
}, 60_000);

test('Discord rejecting the bot token ends `clawops gateway` with exit 2 (a config mistake)', async () => {
  const run = await clawops('discord-token', `  discord:
    token: \${DISCORD_TOKEN}
    applicationId: "${discord.applicationId}"
    apiUrl: ${discord.apiUrl}`, ['gateway']);
  expect(run.code).toBe(2);
  expectOneClearLine(run, /^clawops: Discord rejected the bot token \(chat\.discord\.token\)\.$/m);
}, 60_000);

test('Slack rejecting the bot token ends `clawops start` with exit 2, like a rejected Discord token', async () => {
  const slack = await startFakeSlack({ failures: { 'auth.test': 'invalid_auth' } });
  try {
    const run = await clawops('slack-token', `  slack:
    botToken: \${SLACK_BOT_TOKEN}
    appToken: \${SLACK_APP_TOKEN}
    apiUrl: ${slack.apiUrl}`, ['start']);
    expect(run.code).toBe(2);
    expectOneClearLine(run, /^clawops: Slack rejected the bot token \(chat\.slack\.botToken\): invalid_auth\.$/m);
  } finally {
    await slack.close();
  }
}, 60_000);

test('Discord unreachable ends `clawops start --no-worker` with exit 1', async () => {
  const run = await clawops('discord-down', `  discord:
    token: \${DISCORD_TOKEN}
    applicationId: "${discord.applicationId}"
    apiUrl: http://127.0.0.1:${closed}/api`, ['start', '--no-worker']);
  expect(run.code).toBe(1);
  expectOneClearLine(run, new RegExp(`^clawops: Discord: could not connect: connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}$`, 'm'));
}, 60_000);

test('Slack failing while Discord is still connecting: `clawops start` stops Discord too and exits 1', async () => {
  const run = await clawops('slack-and-discord', `${slackHttp()}
  discord:
    token: ${discord.token}
    applicationId: "${discord.applicationId}"
    apiUrl: ${discord.apiUrl}`, ['start']);
  expect(run.code).toBe(1);
  expectOneClearLine(run, /^clawops: Slack auth\.test failed: cannot reach the Slack API/m);
}, 60_000);
