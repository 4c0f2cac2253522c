/**
 * Secrets only where used, through the real binary with a minimal environment: the read-only
 * commands run without the chat tokens (`plan upgrade` without Redis too), while a command that
 * uses a secret still stops at once, naming the variable and the config path that refers to it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { generateKeyPair } from '../harness/keys.js';
import { startRedis, type RedisServer } from '../harness/redis.js';
import { KEY_A } from '../unit/config/fixtures.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'clawops.js');
const NOT_SET = /environment variable \w+ is not set/;

let dir: string;
let redis: RedisServer;
let config: string;

interface Run { code: number; stdout: string; stderr: string }

function clawops(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--config', config, ...args], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawops-secrets-'));
  redis = await startRedis();
  const key = await generateKeyPair(dir, 'id_ed25519');
  // Nothing listens on this port: plan gets as far as connecting to the host.
  const closed = await freePort();
  config = join(dir, 'clawops.yml');
  await writeFile(config, `
environments:
  staging:
    hosts:
      - name: stage-1
        address: 127.0.0.1
        port: ${closed}
        privateKeyPath: ${key.privateKeyPath}
        hostKey: ${KEY_A}
        strategy: { kind: pm2 }
chat:
  slack:
    botToken: \${SLACK_BOT_TOKEN}
    appToken: \${SLACK_APP_TOKEN}
  discord:
    token: \${DISCORD_TOKEN}
    applicationId: '401234567890123456'
redis:
  url: \${REDIS_URL}
  prefix: cli-secrets
`);
});
afterAll(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('secrets only where used (real process)', () => {
  it('plan upgrade needs neither the chat tokens nor Redis: it goes on to the host', async () => {
    const run = await clawops(['plan', 'upgrade', '1.3.0', 'staging']);
    expect(run.stderr).not.toMatch(NOT_SET);
    expect(run.stderr).toMatch(/^clawops: .*stage-1/m);
    expect(run.stderr).toMatch(/ECONNREFUSED|connect/i);
    expect(run.code).toBe(1);
  });

  it('history reads Redis without any chat token', async () => {
    const run = await clawops(['history'], { REDIS_URL: redis.url });
    expect(run).toEqual({ code: 0, stdout: 'no upgrades recorded yet\n', stderr: '' });
  });

  it('history without REDIS_URL stops at once, naming the variable and redis.url, and no chat token', async () => {
    const run = await clawops(['history']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`clawops: ${config}: 1 problem:\nredis.url: environment variable REDIS_URL is not set (line 19)\n`);
  });

  it('plan rollback reads the audit in Redis, so it needs REDIS_URL, but no chat token', async () => {
    const run = await clawops(['plan', 'rollback', 'staging']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^redis\.url: environment variable REDIS_URL is not set/m);
    expect(run.stderr).not.toMatch(/SLACK|DISCORD/);
  });

  it('start with the Slack bot token unset exits 2 naming the variable and the path', async () => {
    const run = await clawops(['start'], { SLACK_APP_TOKEN: 'xapp-1', DISCORD_TOKEN: 'd', REDIS_URL: redis.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`clawops: ${config}: 1 problem:\nchat.slack.botToken: environment variable SLACK_BOT_TOKEN is not set (line 13)\n`);
  });
});
