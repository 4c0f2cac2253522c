import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isClawopsError, type ClawopsErrorCode } from '../../src/errors.js';
import { createSshShell, type RemoteLogger } from '../../src/remote/ssh-shell.js';
import type { RemoteTarget } from '../../src/remote/types.js';
import { generateKeyPair, withFleet, type TestHost } from '../harness/index.js';

async function expectCode(promise: Promise<unknown>, code: ClawopsErrorCode): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isClawopsError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  return error as Error;
}

function captureLogger(): RemoteLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, debug: (_fields, message) => messages.push(message), warn: (_fields, message) => messages.push(message) };
}

/** Polls inside the host until no process matches `pgrep -f pattern`. */
async function processGone(host: TestHost, pattern: string, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await host.nsExec(['pgrep', '-f', pattern])).exitCode === 1) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

async function sshdConnections(host: TestHost): Promise<number> {
  const { stdout } = await host.nsExec(['ss', '-Htn', 'state', 'established', '( sport = :22 )']);
  return stdout.split('\n').filter((line) => line.trim() !== '').length;
}

describe('SSH shell against real sshd hosts', () => {
  const fx = withFleet(2);
  const a = () => fx.hosts[0] as TestHost;
  const b = () => fx.hosts[1] as TestHost;

  test('nasty arguments arrive exactly as given', async () => {
    const args = ["it's", '"dq"', '$(reboot)', '`reboot`', '*', '~root', 'a\nb', '\t', '', 'ünïcødé 🦞', '$HOME', '; rm -rf /', '\\n'];
    const result = await fx.shell.run(a().target, ['printf', '%s\\0', ...args]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
    await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0') && !s.startsWith('~')), { minLength: 1, maxLength: 4 }),
      async (random) => {
        const { stdout } = await fx.shell.run(a().target, ['printf', '%s\\0', ...random]);
        expect(stdout.split('\0').slice(0, -1)).toEqual(random);
      }), { numRuns: 40 });
  });

  test('a non-zero exit is returned, not thrown, with stdout and stderr apart', async () => {
    const result = await fx.shell.run(a().target, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('stdin, cwd and env reach the command; ~/ is the remote home', async () => {
    const result = await fx.shell.run({ ...a().target, env: { FROM_TARGET: 'yes' } }, ['sh', '-c', 'cat; pwd; echo "$X|$FROM_TARGET|$H"'],
      { stdin: 'line 1\nline 2\n', cwd: '/opt', env: { X: "$(id) 'q'", H: '~/sub' } });
    expect(result.stdout).toBe("line 1\nline 2\n/opt\n$(id) 'q'|yes|/root/sub\n");
  });

  test('a timeout kills the remote command and all its children', async () => {
    const error = await expectCode(fx.shell.run(a().target, ['sh', '-c', 'sleep 41 & sleep 42; echo never'], { timeoutMs: 300 }), 'COMMAND_TIMEOUT');
    expect(error.message).toContain('300 ms');
    expect(await processGone(a(), 'sleep 4[12]')).toBe(true);
  });

  test('an abort signal cancels the command and kills it', async () => {
    const controller = new AbortController();
    const running = fx.shell.run(a().target, ['sleep', '43'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expectCode(running, 'ABORTED');
    expect(await processGone(a(), 'sleep 43')).toBe(true);
    await expectCode(fx.shell.run(a().target, ['true'], { signal: controller.signal }), 'ABORTED');
  });

  test('one connection per host is reused, also by concurrent first callers', async () => {
    const logger = captureLogger();
    const shell = createSshShell({ logger });
    try {
      const before = await sshdConnections(b());
      await Promise.all(Array.from({ length: 6 }, () => shell.run(b().target, ['true'])));
      const started = performance.now();
      for (let i = 0; i < 10; i++) await shell.run(b().target, ['true']);
      const perCommand = (performance.now() - started) / 10;
      console.log(`ssh: ${perCommand.toFixed(1)} ms per command on a reused connection`);
      expect(logger.messages.filter((m) => m === 'ssh connected')).toHaveLength(1);
      expect(await sshdConnections(b())).toBe(before + 1);
      // More concurrent commands than the per-connection channel limit still all complete.
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => shell.run(b().target, ['echo', String(i)])));
      expect(many.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    } finally {
      await shell.close();
    }
  });

  test('a host presenting another key is refused before any command runs', async () => {
    const marker = join(a().homeDir, 'pwned');
    const wrongPin: RemoteTarget = { ...a().target, hostKey: b().hostKey };
    const fresh = createSshShell();
    try {
      const error = await expectCode(fresh.run(wrongPin, ['touch', '/root/pwned']), 'HOST_KEY_MISMATCH');
      expect(error.message).toContain(a().name);
      expect(error.message).toContain(`expected ${b().hostKey}`);
      expect(error.message).toContain(a().hostKey);
      // The same refusal when a verified connection to that address already exists.
      await fresh.run(a().target, ['true']);
      await expectCode(fresh.run(wrongPin, ['touch', '/root/pwned']), 'HOST_KEY_MISMATCH');
    } finally {
      await fresh.close();
    }
    expect(existsSync(marker)).toBe(false);
  });

  test('a key the host does not accept fails with the key path in the message', async () => {
    const stranger = await generateKeyPair(fx.fleet.dir, 'stranger');
    const error = await expectCode(fx.shell.run({ ...a().target, privateKeyPath: stranger.privateKeyPath }, ['true']), 'SSH_CONNECT_FAILED');
    expect(error.message).toContain(stranger.privateKeyPath);
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  test('writeFile writes atomically through a temp file, creating directories', async () => {
    const content = "upstream x {\n  server 127.0.0.1:1;\n}\n$(reboot) 'q' `id` ünï\n";
    await fx.shell.writeFile(a().target, '~/conf dir/sub/up.conf', content);
    const dir = join(a().homeDir, 'conf dir', 'sub');
    expect(await readFile(join(dir, 'up.conf'), 'utf8')).toBe(content);
    await fx.shell.writeFile(a().target, '~/conf dir/sub/up.conf', 'second\n');
    expect(await readFile(join(dir, 'up.conf'), 'utf8')).toBe('second\n');
    expect(await readdir(dir)).toEqual(['up.conf']);
    await expectCode(fx.shell.writeFile(a().target, '/proc/nope/file', 'x'), 'STEP_FAILED');
  });

  test('a connection the server dropped is replaced on the next command', async () => {
    const logger = captureLogger();
    const shell = createSshShell({ logger });
    try {
      await shell.run(a().target, ['true']);
      // Kill the per-connection sshd process: the server side of our connection goes away.
      expect((await a().nsExec(['pkill', '-f', 'sshd: root@notty'])).exitCode).toBe(0);
      const result = await shell.run(a().target, ['echo', 'again']);
      expect(result.stdout).toBe('again\n');
      expect(logger.messages.filter((m) => m === 'ssh connected')).toHaveLength(2);
    } finally {
      await shell.close();
    }
  });

  test('a command whose connection drops dies with it instead of running on unseen', async () => {
    const shell = createSshShell();
    const marker = `orphan-${process.pid}-${Date.now()}`;
    try {
      const outcome = shell.run(a().target, ['sh', '-c', `sleep 20; echo late > /tmp/${marker}`, marker]).then(() => undefined, (error: unknown) => error);
      while ((await a().nsExec(['pgrep', '-f', marker])).exitCode !== 0) await new Promise((r) => setTimeout(r, 20));
      // What a SIGKILLed worker or a cut network leaves: the session's sshd process gone, no signal sent.
      expect((await a().nsExec(['pkill', '-f', 'sshd: root@notty'])).exitCode).toBe(0);
      expect(isClawopsError(await outcome, 'SSH_DISCONNECTED')).toBe(true);
      expect(await processGone(a(), marker, 3_000)).toBe(true);
    } finally {
      await shell.close();
    }
  });
});

describe('SSH shell when a host dies', () => {
  const fx = withFleet(1);

  test('a host powered off mid-command gives SSH_DISCONNECTED, then SSH_CONNECT_FAILED, not a hang', async () => {
    const host = fx.hosts[0] as TestHost;
    const outcome = fx.shell.run(host.target, ['sleep', '30']).then(() => undefined, (error: unknown) => error);
    // Power off only once the command runs (not while connecting, which is SSH_CONNECT_FAILED).
    while ((await host.nsExec(['pgrep', '-x', 'sleep'])).exitCode !== 0) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    await host.kill();
    await expectCode(outcome.then((error) => { throw error; }), 'SSH_DISCONNECTED');
    const error = await expectCode(fx.shell.run(host.target, ['true']), 'SSH_CONNECT_FAILED');
    expect(error.message).toContain(host.name);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('SSH shell output limits', () => {
  const fx = withFleet(1, { shell: { maxOutputBytes: 1000 } });

  test('stored output keeps only the last bytes of a large stream and says how much was dropped', async () => {
    const host = fx.hosts[0] as TestHost;
    const result = await fx.shell.run(host.target, ['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a; printf END']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`[… 4003 earlier bytes dropped]\n${'a'.repeat(997)}END`);
  });

  test('noise a login shell prints on stderr passes through, and timeouts still kill the command', async () => {
    const host = fx.hosts[0] as TestHost;
    await fx.shell.writeFile(host.target, '~/.bashrc', 'echo "bashrc says hi" >&2\n');
    const result = await fx.shell.run(host.target, ['sh', '-c', 'echo err >&2']);
    expect(result.stderr).toBe('bashrc says hi\nerr\n');
    await expectCode(fx.shell.run(host.target, ['sleep', '44'], { timeoutMs: 200 }), 'COMMAND_TIMEOUT');
    expect(await processGone(host, 'sleep 44')).toBe(true);
  });
});
