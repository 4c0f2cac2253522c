import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../harness/ports.js';
import { localDoubles, type LocalDoubles, type LocalGateway } from './local.js';

let doubles: LocalDoubles;
let work: string;
const STARTUP_MS = 400;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clawops-double-test-'));
  doubles = await localDoubles(['1.2.0', '1.3.0', '1.3.1-neverready', '1.3.1-migrationfail', '2026.9.5', '2026.9.6'],
    { OPENCLAW_DOUBLE_STARTUP_MS: String(STARTUP_MS), HOME: work });
});
afterAll(async () => {
  await doubles?.cleanup();
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
async function freshState(): Promise<string> {
  const dir = join(work, `state-${counter++}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'openclaw.json'), '{\n  // comments and trailing commas, as in the real JSON5 config\n  "gateway": { "mode": "local" },\n}\n');
  return dir;
}

function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stop(gateway: LocalGateway): Promise<number | string> {
  gateway.child.kill('SIGTERM');
  return gateway.exited;
}

test('--version prints the real format, with a commit per version', async () => {
  const [a, b] = await Promise.all([doubles.run('1.2.0', ['--version']), doubles.run('2026.9.6', ['--version'])]);
  expect(a.stdout).toMatch(/^OpenClaw 1\.2\.0 \([0-9a-f]{7}\)\n$/);
  expect(b.stdout).toMatch(/^OpenClaw 2026\.9\.6 \([0-9a-f]{7}\)\n$/);
  expect(a.stdout.slice(-9)).not.toBe(b.stdout.slice(-9));
});

test('unknown commands and a missing path argument fail like commander does', async () => {
  const preflight = await doubles.run('1.3.0', ['database', 'preflight', '--json']);
  expect(preflight.code).toBe(1);
  expect(preflight.stderr).toContain("missing required argument 'path'");
  expect((await doubles.run('1.3.0', ['migrate', 'status'])).code).toBe(1);
});

describe('backup', () => {
  test('create --verify --json into a folder, verify --json, restore to an empty target, refuse a non-empty one', async () => {
    const stateDir = await freshState();
    await writeFile(join(stateDir, 'notes.txt'), 'keep me\n');
    const env = { OPENCLAW_STATE_DIR: stateDir };
    const out = join(work, 'backups');
    await mkdir(out);
    const created = await doubles.run('1.2.0', ['backup', 'create', '--output', out, '--verify', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const result = JSON.parse(created.stdout) as { archivePath: string; archiveRoot: string; verified: boolean; assets: Array<{ kind: string; sourcePath: string }> };
    expect(result.verified).toBe(true);
    expect(result.archivePath).toBe(join(out, `${result.archiveRoot}.tar.gz`));
    expect(result.archiveRoot).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}[+-]\d\d-\d\d-openclaw-backup$/);
    expect(result.assets).toEqual([expect.objectContaining({ kind: 'state', sourcePath: stateDir })]);

    const verified = await doubles.run('1.3.0', ['backup', 'verify', result.archivePath, '--json'], env);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, archiveRoot: result.archiveRoot, runtimeVersion: '1.2.0', assetCount: 1 });

    const target = join(work, 'restore-1');
    const restored = await doubles.run('1.2.0', ['backup', 'restore', result.archivePath, '--target', target], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Archive root: ${result.archiveRoot}`);
    const payload = join(target, result.archiveRoot, 'payload', 'posix', stateDir.slice(1));
    expect(await readFile(join(payload, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect(await readFile(join(payload, 'openclaw.json'), 'utf8')).toBe(await readFile(join(stateDir, 'openclaw.json'), 'utf8'));

    const again = await doubles.run('1.2.0', ['backup', 'restore', result.archivePath, '--target', target], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Backup restore target directory must be empty');
  });

  test('verify rejects a corrupt archive', async () => {
    const bad = join(work, 'bad.tar.gz');
    await writeFile(bad, 'not a gzip stream');
    const verified = await doubles.run('1.2.0', ['backup', 'verify', bad, '--json']);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toContain(`Backup archive verification failed: ${bad}`);
  });
});

describe('gateway', () => {
  test('/readyz is 503 during the start-up delay, then 200; /healthz is live at once', async () => {
    const stateDir = await freshState();
    const port = await freePort();
    const gateway = await doubles.gateway('1.2.0', port, { OPENCLAW_STATE_DIR: stateDir });
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: { ok: true, status: 'live' } });
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: { ready: false } });
    await new Promise((resolve) => setTimeout(resolve, STARTUP_MS + 150));
    expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: { ready: true, failing: [] } });
    const status = await doubles.run('1.2.0', ['gateway', 'status', '--json', '--port', String(port)], { OPENCLAW_STATE_DIR: stateDir });
    expect(JSON.parse(status.stdout)).toMatchObject({ rpc: { ok: true, server: { version: '1.2.0' } } });
    expect(await stop(gateway)).toBe(0);
  });

  test('gateway status reports version null once the install on disk changed under the running process', async () => {
    const stateDir = await freshState();
    const port = await freePort();
    const gateway = await doubles.gateway('1.3.0', port, { OPENCLAW_STATE_DIR: stateDir });
    const pkgPath = join(doubles.dir, '1.3.0', 'package.json');
    const original = await readFile(pkgPath, 'utf8');
    try {
      await writeFile(pkgPath, original.replace('"version": "1.3.0"', '"version": "1.3.9"'));
      const status = await doubles.run('1.2.0', ['gateway', 'status', '--json', '--port', String(port)], { OPENCLAW_STATE_DIR: stateDir });
      expect(JSON.parse(status.stdout)).toMatchObject({ rpc: { ok: true, server: { version: null } }, gateway: { version: null } });
    } finally {
      await writeFile(pkgPath, original);
    }
    expect(await stop(gateway)).toBe(0);
  });

  test('a never-ready build stays 503', async () => {
    const port = await freePort();
    const gateway = await doubles.gateway('1.3.1-neverready', port, { OPENCLAW_STATE_DIR: await freshState() });
    await new Promise((resolve) => setTimeout(resolve, STARTUP_MS + 200));
    expect((await get(port, '/readyz')).status).toBe(503);
    expect(await stop(gateway)).toBe(0);
  });

  test('a second gateway on the same state dir exits 78', async () => {
    const stateDir = await freshState();
    const first = await doubles.gateway('1.2.0', await freePort(), { OPENCLAW_STATE_DIR: stateDir });
    const second = await doubles.gateway('1.2.0', await freePort(), { OPENCLAW_STATE_DIR: stateDir });
    expect(await second.exited).toBe(78);
    expect(second.output()).toContain(`Another gateway (pid ${first.child.pid}) already owns this state directory`);
    expect(await stop(first)).toBe(0);
  });

  test('SIGTERM drains: an in-flight request completes with Connection: close, /readyz turns 503, exit 0 within ~1 s', async () => {
    const port = await freePort();
    const gateway = await doubles.gateway('1.2.0', port, { OPENCLAW_STATE_DIR: await freshState(), OPENCLAW_DOUBLE_STARTUP_MS: '0', OPENCLAW_DOUBLE_DRAIN_MS: '200' });
    const inFlight = get(port, '/v1/echo?delayMs=500');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: { ready: false, failing: ['gateway-draining'] } });
    const answered = await inFlight;
    expect(answered).toMatchObject({ status: 200, body: { ok: true, version: '1.2.0' } });
    expect(answered.headers.connection).toBe('close');
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('state schema', () => {
  test('a newer build migrates forward keeping a .bak; the older build then refuses with exit 78', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    const old = await doubles.gateway('1.2.0', await freePort(), env);
    expect(await stop(old)).toBe(0);
    const db = join(stateDir, 'state', 'openclaw.sqlite');
    const preflight = await doubles.run('1.3.0', ['database', 'preflight', db, '--json'], env);
    expect(JSON.parse(preflight.stdout)).toMatchObject({ status: 'migration-required', foundVersion: 1, targetVersion: 2 });

    const next = await doubles.gateway('1.3.0', await freePort(), env);
    expect(next.output()).toContain('running startup migrations');
    expect(await stop(next)).toBe(0);
    const files = await readdir(join(stateDir, 'state'));
    expect(files.some((name) => /^openclaw\.sqlite\.pre-startup-migration-.+\.bak$/.test(name))).toBe(true);
    expect(JSON.parse((await doubles.run('1.3.0', ['database', 'preflight', db, '--json'], env)).stdout)).toMatchObject({ status: 'exact' });

    const refused = await doubles.gateway('1.2.0', await freePort(), env);
    expect(await refused.exited).toBe(78);
    expect(refused.output()).toContain('uses newer schema version 2; this build supports 1');
    const doctor = await doubles.run('1.2.0', ['doctor', '--non-interactive'], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('Doctor refused to continue');
    expect((await doubles.run('1.3.0', ['doctor', '--non-interactive'], env)).code).toBe(0);
  });

  test('a build whose migration fails exits 1 and leaves the old schema in place', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    expect(await stop(await doubles.gateway('1.2.0', await freePort(), env))).toBe(0);
    const broken = await doubles.gateway('1.3.1-migrationfail', await freePort(), env);
    expect(await broken.exited).toBe(1);
    expect(broken.output()).toContain('schema migration failed');
    const db = join(stateDir, 'state', 'openclaw.sqlite');
    expect(JSON.parse((await doubles.run('1.2.0', ['database', 'preflight', db, '--json'], env)).stdout)).toMatchObject({ status: 'exact', foundVersion: 1 });
  });

  test('on a live database preflight is indeterminate (WAL sidecars); on a `backup sqlite` snapshot the old build says incompatible', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    expect(await stop(await doubles.gateway('1.2.0', await freePort(), env))).toBe(0);
    const live = await doubles.gateway('1.3.0', await freePort(), env);
    const db = join(stateDir, 'state', 'openclaw.sqlite');
    // Measured on real 2026.9.5: "indeterminate", exit 0, naming the sidecars.
    const onLive = await doubles.run('1.2.0', ['database', 'preflight', db, '--json'], env);
    expect(JSON.parse(onLive.stdout)).toMatchObject({ status: 'indeterminate', reason: expect.stringContaining('-wal, -shm') as unknown });
    expect(onLive.code).toBe(0);
    const repository = join(stateDir, '..', 'snapshots');
    const created = await doubles.run('1.3.0', ['backup', 'sqlite', 'create', '--global', '--repository', repository, '--json'], env);
    const { snapshotPath, manifest } = JSON.parse(created.stdout) as { snapshotPath: string; manifest: { database: { userVersion: number } } };
    expect(manifest.database.userVersion).toBe(2);
    const onCopy = await doubles.run('1.2.0', ['database', 'preflight', join(snapshotPath, 'database.sqlite'), '--json'], env);
    expect(JSON.parse(onCopy.stdout)).toMatchObject({ status: 'incompatible', foundVersion: 2, targetVersion: 1 });
    expect(onCopy.code).toBe(1);
    expect(await stop(live)).toBe(0);
    expect(await readdir(join(stateDir, 'state'))).not.toContain('openclaw.sqlite-wal');
  });

  test('the older build refuses to restore while its state dir holds the newer schema; pointed at a fresh state dir it restores', async () => {
    const stateDir = await freshState();
    const env = { OPENCLAW_STATE_DIR: stateDir };
    expect(await stop(await doubles.gateway('1.2.0', await freePort(), env))).toBe(0);
    const archive = join(stateDir, '..', 'pre-upgrade.tar.gz');
    expect((await doubles.run('1.2.0', ['backup', 'create', '--output', archive, '--verify', '--json'], env)).code).toBe(0);
    expect(await stop(await doubles.gateway('1.3.0', await freePort(), env))).toBe(0);
    const target = join(stateDir, '..', 'restore');
    const refused = await doubles.run('1.2.0', ['backup', 'restore', archive, '--target', target], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('uses newer schema version 2; this build supports 1');
    const restored = await doubles.run('1.2.0', ['backup', 'restore', archive, '--target', target], { OPENCLAW_STATE_DIR: `${target}.cli-state` });
    expect(restored.code).toBe(0);
  });

  test('2026.9.5 -> 2026.9.6 is a schema change, 2026.9.5 on its own state is not', async () => {
    const env = { OPENCLAW_STATE_DIR: await freshState() };
    expect(await stop(await doubles.gateway('2026.9.5', await freePort(), env))).toBe(0);
    const db = join(env.OPENCLAW_STATE_DIR, 'state', 'openclaw.sqlite');
    expect(JSON.parse((await doubles.run('2026.9.6', ['database', 'preflight', db, '--json'], env)).stdout)).toMatchObject({ status: 'migration-required' });
  });
});

test('update status --json reports the registry latest and whether it is newer', async () => {
  const newer = await doubles.run('1.2.0', ['update', 'status', '--json'], { OPENCLAW_DOUBLE_LATEST_VERSION: '1.3.0' });
  expect(JSON.parse(newer.stdout)).toMatchObject({ update: { registry: { latestVersion: '1.3.0' } }, availability: { hasRegistryUpdate: true, latestVersion: '1.3.0' } });
  const same = await doubles.run('1.3.0', ['update', 'status', '--json'], { OPENCLAW_DOUBLE_LATEST_VERSION: '1.3.0' });
  expect(JSON.parse(same.stdout)).toMatchObject({ availability: { hasRegistryUpdate: false, latestVersion: null } });
});

/**
 * A Bot API server just big enough for the double's poller: getUpdates long-polls (answering as
 * soon as an update is queued), confirms by offset like Telegram, can answer 409, and records
 * every poll, abandoned poll and sendMessage.
 */
interface FakeBot {
  apiRoot: string;
  polls: Array<{ offset: number; timeout: number; limit: number; at: number }>;
  sent: Array<{ chat_id: number; text: string }>;
  /** Polls held open right now, and those whose client went away before an answer (aborted). */
  open: number;
  abandoned: number;
  /** How many of the next polls are answered 409. */
  conflicts: number;
  push(text: string): number;
  close(): Promise<void>;
}

async function fakeBot(token: string): Promise<FakeBot> {
  const queue: Array<{ update_id: number; message: { message_id: number; chat: { id: number }; text: string } }> = [];
  const waiters = new Set<() => void>();
  let nextId = 100;
  const bot: FakeBot = {
    apiRoot: '', polls: [], sent: [], open: 0, abandoned: 0, conflicts: 0,
    push(text) {
      const id = nextId++;
      queue.push({ update_id: id, message: { message_id: id, chat: { id: 42 }, text } });
      for (const wake of waiters) wake();
      return id;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const method = req.url?.startsWith(`/bot${token}/`) ? req.url.slice(`/bot${token}/`.length) : '';
      if (method === 'getMe') return reply(200, { ok: true, result: { id: 1, is_bot: true, username: 'double_bot' } });
      if (method === 'sendMessage') {
        bot.sent.push(body as { chat_id: number; text: string });
        return reply(200, { ok: true, result: { message_id: 1 } });
      }
      if (method !== 'getUpdates') return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      const { offset, timeout, limit } = body as { offset: number; timeout: number; limit: number };
      bot.polls.push({ offset, timeout, limit, at: Date.now() });
      if (bot.conflicts > 0) {
        bot.conflicts--;
        return reply(409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request' });
      }
      // Telegram: an offset confirms every update below it.
      while (queue.length > 0 && queue[0]!.update_id < offset) queue.shift();
      const answer = () => {
        clearTimeout(timer);
        waiters.delete(answer);
        if (!res.writableEnded && !res.destroyed) reply(200, { ok: true, result: queue.slice(0, limit) });
      };
      const timer = setTimeout(answer, timeout * 1000);
      bot.open++;
      res.on('close', () => {
        bot.open--;
        if (!res.writableFinished) bot.abandoned++;
        clearTimeout(timer);
        waiters.delete(answer);
      });
      if (queue.length > 0) return answer();
      waiters.add(answer);
      return undefined;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  bot.apiRoot = `http://127.0.0.1:${address.port}`;
  return bot;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const TELEGRAM = { channel: 'telegram', accountId: 'default' };

describe('handoff RPC (gateway call) and channels', () => {
  const V = '2026.9.6';
  const call = (port: number, method: string, params: unknown, env: Record<string, string>) =>
    doubles.run(V, ['gateway', 'call', method, '--params', JSON.stringify(params), '--json', '--port', String(port), '--timeout', '5000'], env);
  const callJson = async (port: number, method: string, params: unknown, env: Record<string, string>): Promise<Record<string, unknown>> => {
    const result = await call(port, method, params, env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const channelsStatus = async (port: number, env: Record<string, string>, probe = false) => {
    const result = await doubles.run(V, ['channels', 'status', ...(probe ? ['--probe'] : []), '--json'], { ...env, OPENCLAW_GATEWAY_PORT: String(port) });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { ts: number; channels: Record<string, unknown>; channelAccounts: Record<string, Array<Record<string, unknown>>>; channelDefaultAccountId: Record<string, string>; statusIssues: unknown[] };
  };
  async function telegramState(bot: FakeBot, token: string): Promise<string> {
    const dir = await freshState();
    await writeFile(join(dir, 'openclaw.json'), JSON.stringify({ gateway: { mode: 'local' }, channels: { telegram: { enabled: true, botToken: token, apiRoot: bot.apiRoot } } }, null, 2));
    return dir;
  }

  test('system.info, suspend prepare/status/resume with /readyz draining, idempotent prepare, unknown method, unreachable gateway', async () => {
    const env = { OPENCLAW_STATE_DIR: await freshState(), OPENCLAW_DOUBLE_STARTUP_MS: '0' };
    const port = await freePort();
    const gateway = await doubles.gateway(V, port, env);
    await until('ready', async () => (await get(port, '/readyz')).status === 200);
    const info = await call(port, 'system.info', {}, env);
    expect(info.stdout).toBe(`${JSON.stringify({ pid: gateway.child.pid, version: V }, null, 2)}\n`);

    const before = Date.now();
    const prepare = { requestId: 'handoff-1', terminalPolicy: 'terminate', drain: true };
    const prepared = await callJson(port, 'gateway.suspend.prepare', prepare, env);
    expect(prepared).toEqual({ status: 'ready', suspensionId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, expiresAtMs: expect.any(Number) as unknown, activeCount: 0, blockers: [] });
    expect(prepared.expiresAtMs as number).toBeGreaterThanOrEqual(before + 120_000);
    expect(prepared.expiresAtMs as number).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(await callJson(port, 'gateway.suspend.prepare', prepare, env)).toEqual(prepared);
    expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: { ready: false, failing: ['gateway-draining'] } });
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: { ok: true, status: 'live' } });
    const { suspensionId } = prepared;
    expect(await callJson(port, 'gateway.suspend.status', { suspensionId }, env)).toEqual({ status: 'ready', expiresAtMs: prepared.expiresAtMs });

    expect(await callJson(port, 'gateway.suspend.resume', { suspensionId }, env)).toEqual({ ok: true, status: 'running', resumed: true });
    expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: { ready: true, failing: [] } });
    expect(await callJson(port, 'gateway.suspend.resume', { suspensionId }, env)).toEqual({ ok: true, status: 'running', resumed: false });
    expect(await callJson(port, 'gateway.suspend.status', { suspensionId }, env)).toEqual({ status: 'running' });
    // A new request after the resume is a new suspension.
    const again = await callJson(port, 'gateway.suspend.prepare', { ...prepare, requestId: 'handoff-2' }, env);
    expect(again.suspensionId).not.toBe(suspensionId);

    const unknown = await call(port, 'no.such.method', {}, env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown method: no.such.method');
    expect(await stop(gateway)).toBe(0);

    const unreachable = await call(port, 'system.info', {}, env);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`ws://127.0.0.1:${port}`);
  });

  test('a suspension lapses by itself at expiresAtMs; OPENCLAW_SKIP_CHANNELS=1 and unknown accounts answer skipped/unconfigured', async () => {
    const token = '111:skip';
    const bot = await fakeBot(token);
    const env = { OPENCLAW_STATE_DIR: await telegramState(bot, token), OPENCLAW_DOUBLE_STARTUP_MS: '0', OPENCLAW_DOUBLE_SUSPEND_TTL_MS: '400', OPENCLAW_SKIP_CHANNELS: '1' };
    const port = await freePort();
    const gateway = await doubles.gateway(V, port, env);
    try {
      await until('ready', async () => (await get(port, '/readyz')).status === 200);
      const prepared = await callJson(port, 'gateway.suspend.prepare', { requestId: 'r', terminalPolicy: 'terminate', drain: true }, env);
      expect(prepared.expiresAtMs as number).toBeLessThanOrEqual(Date.now() + 400);
      expect((await get(port, '/readyz')).status).toBe(503);
      await until('the suspension to lapse', async () => (await get(port, '/readyz')).status === 200, 2_000);
      expect(Date.now()).toBeGreaterThanOrEqual(prepared.expiresAtMs as number);
      expect(await callJson(port, 'gateway.suspend.status', { suspensionId: prepared.suspensionId }, env)).toEqual({ status: 'running' });

      const skipped = { started: false, outcome: { status: 'skipped', reason: 'unconfigured' } };
      expect(await callJson(port, 'channels.start', TELEGRAM, env)).toEqual({ ...TELEGRAM, ...skipped });
      expect(await callJson(port, 'channels.start', { channel: 'telegram', accountId: 'other' }, env)).toEqual({ channel: 'telegram', accountId: 'other', ...skipped });
      const status = await channelsStatus(port, env);
      expect(status.channelAccounts.telegram).toEqual([expect.objectContaining({ accountId: 'default', configured: true, running: false, connected: false, lifecycle: 'stopped' })]);
      expect(bot.polls).toEqual([]);
    } finally {
      await stop(gateway);
      await bot.close();
    }
  });

  test('channels status: no channels -> {}, unreachable -> config-only (running:false), --port refused like the real CLI', async () => {
    const env = { OPENCLAW_STATE_DIR: await freshState(), OPENCLAW_DOUBLE_STARTUP_MS: '0' };
    const port = await freePort();
    const gateway = await doubles.gateway(V, port, env);
    const empty = await channelsStatus(port, env);
    expect(empty).toEqual({ ts: expect.any(Number) as unknown, channels: {}, channelAccounts: {}, channelDefaultAccountId: {}, statusIssues: [] });
    expect(await stop(gateway)).toBe(0);

    const bot = { apiRoot: 'http://127.0.0.1:9' } as FakeBot;
    const configured = { ...env, OPENCLAW_STATE_DIR: await telegramState(bot, '1:x') };
    const offline = await channelsStatus(port, configured);
    expect(offline.channelAccounts).toEqual({ telegram: [{ accountId: 'default', enabled: true, configured: true, running: false, connected: false, lifecycle: 'stopped', mode: 'polling', lastError: null }] });
    expect(offline.channelDefaultAccountId).toEqual({ telegram: 'default' });

    const refused = await doubles.run(V, ['channels', 'status', '--json', '--port', String(port)], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('OpenClaw does not recognize option "--port".\n');
  });

  test('polling: getUpdates long-polls with the persisted offset, each update is recorded then acked; stop aborts the poll, start resumes; a copy of the state dir continues', async () => {
    const token = '123456:double';
    const bot = await fakeBot(token);
    const stateDir = await telegramState(bot, token);
    const env = { OPENCLAW_STATE_DIR: stateDir, OPENCLAW_DOUBLE_STARTUP_MS: '0' };
    const port = await freePort();
    let gateway = await doubles.gateway(V, port, env);
    try {
      await until('the first poll', () => bot.polls.length > 0);
      expect(bot.polls[0]).toMatchObject({ offset: 0, timeout: 2, limit: 100 });
      const first = bot.push('hello');
      const second = bot.push('again');
      await until('both acks', () => bot.sent.length === 2);
      expect(bot.sent).toEqual([{ chat_id: 42, text: `ack ${first}` }, { chat_id: 42, text: `ack ${second}` }]);
      const ingress = JSON.parse(await readFile(join(stateDir, 'state', 'ingress.json'), 'utf8')) as Array<{ updateId: number; text: string }>;
      expect(ingress.map(({ updateId, text }) => [updateId, text])).toEqual([[first, 'hello'], [second, 'again']]);
      await until('a poll confirming both', () => bot.polls.some((poll) => poll.offset === second + 1));
      expect(await get(port, '/readyz')).toMatchObject({ status: 200, body: { ready: true, failing: [] } });

      const status = await channelsStatus(port, env, true);
      expect(status.channelAccounts.telegram).toEqual([expect.objectContaining({
        accountId: 'default', enabled: true, configured: true, running: true, connected: true, lifecycle: 'ready', mode: 'polling', lastError: null,
        probe: expect.objectContaining({ ok: true }) as unknown,
      })]);
      expect(status.channelDefaultAccountId).toEqual({ telegram: 'default' });
      expect((await channelsStatus(port, env)).channelAccounts.telegram![0]).not.toHaveProperty('probe');

      // Stop: the in-flight long poll is abandoned at once, nothing polls afterwards.
      await until('a poll in flight', () => bot.open === 1);
      const abandoned = bot.abandoned;
      expect(await callJson(port, 'channels.stop', TELEGRAM, env)).toEqual({ ...TELEGRAM, stopped: true });
      await until('the in-flight poll to be aborted', () => bot.open === 0 && bot.abandoned === abandoned + 1, 1_000);
      const polled = bot.polls.length;
      expect(await get(port, '/readyz')).toMatchObject({ status: 503, body: { ready: false, failing: ['telegram'] } });
      expect((await channelsStatus(port, env)).channelAccounts.telegram![0]).toMatchObject({ running: false, connected: false, lifecycle: 'stopped' });
      const whileStopped = bot.push('while stopped');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bot.polls.length).toBe(polled);
      expect(bot.sent).toHaveLength(2);

      expect(await callJson(port, 'channels.start', TELEGRAM, env)).toEqual({ ...TELEGRAM, started: true, outcome: { status: 'handed-off' } });
      await until('the ack after start', () => bot.sent.length === 3);
      expect(bot.sent[2]).toEqual({ chat_id: 42, text: `ack ${whileStopped}` });
      expect(bot.polls[polled]!.offset).toBe(second + 1);
      expect(await get(port, '/readyz')).toMatchObject({ status: 200 });
      expect(JSON.parse(await readFile(join(stateDir, 'telegram', 'update-offset-default.json'), 'utf8'))).toMatchObject({ lastUpdateId: whileStopped });

      // SIGTERM stops polling before the drain: the open poll is abandoned, not left hanging.
      await until('a poll in flight', () => bot.open === 1);
      const beforeStop = bot.abandoned;
      expect(await stop(gateway)).toBe(0);
      await until('the open poll to be aborted', () => bot.open === 0 && bot.abandoned === beforeStop + 1, 1_000);

      // A copy of the state dir (green restored from blue) continues from the persisted offset.
      const copy = join(work, `copy-${counter++}`);
      await cp(stateDir, copy, { recursive: true });
      const polls = bot.polls.length;
      gateway = await doubles.gateway(V, port, { ...env, OPENCLAW_STATE_DIR: copy });
      await until('the copy to poll', () => bot.polls.length > polls);
      expect(bot.polls[polls]!.offset).toBe(whileStopped + 1);
      const later = bot.push('on green');
      await until('the ack from the copy', () => bot.sent.length === 4);
      expect(bot.sent[3]).toEqual({ chat_id: 42, text: `ack ${later}` });
      const copied = JSON.parse(await readFile(join(copy, 'state', 'ingress.json'), 'utf8')) as Array<{ updateId: number }>;
      expect(copied.map((entry) => entry.updateId)).toEqual([first, second, whileStopped, later]);
    } finally {
      await stop(gateway);
      await bot.close();
    }
  });

  test('a 409 from getUpdates is logged and retried after 1 s', async () => {
    const token = '999:conflict';
    const bot = await fakeBot(token);
    bot.conflicts = 1;
    const env = { OPENCLAW_STATE_DIR: await telegramState(bot, token), OPENCLAW_DOUBLE_STARTUP_MS: '0' };
    const port = await freePort();
    const gateway = await doubles.gateway(V, port, env);
    try {
      await until('the retry', () => bot.polls.length >= 2, 3_000);
      expect(bot.polls[1]!.at - bot.polls[0]!.at).toBeGreaterThanOrEqual(950);
      expect(gateway.output()).toContain('getUpdates conflict (409)');
      const id = bot.push('after the conflict');
      await until('the ack', () => bot.sent.length === 1);
      expect(bot.sent[0]!.text).toBe(`ack ${id}`);
    } finally {
      await stop(gateway);
      await bot.close();
    }
  });
});
