/**
 * The restart mark's host script, run here as the host runs it (`node -e`), against stand-ins for
 * `pm2 jlist` and `systemctl show` that print what the test wrote (the real PM2 is in
 * test/e2e/upgrade-reload-crash.test.ts; systemd cannot run here).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RESTART_MARK_JS } from '../../../src/runbook/restart-mark.js';

const run = promisify(execFile);
let dir: string;
let state: string;
let mark: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawops-mark-'));
  state = join(dir, 'state');
  mark = join(dir, 'releases', '.clawops', 'restart-u1-gw-reload.json');
  // Each stand-in prints the state file; systemctl also logs its argv.
  for (const name of ['pm2', 'systemctl']) {
    await writeFile(join(dir, name), `#!/bin/sh\necho "$@" >> "${dir}/${name}.argv"\ncat "${state}"\n`);
    await chmod(join(dir, name), 0o755);
  }
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function script(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['-e', RESTART_MARK_JS, ...args], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

describe('pm2', () => {
  const jlist = (app: { pid: number; status: string; uptime: number; restarts: number } | null) => writeFile(state,
    // PM2 may print a notice before the list.
    `[PM2] Spawning PM2 daemon\n${JSON.stringify([{ name: 'other', pid: 5, pm2_env: { status: 'online' } },
      ...(app === null ? [] : [{ name: 'openclaw', pid: app.pid, pm2_env: { status: app.status, pm_uptime: app.uptime, restart_time: app.restarts } }])])}\n`);
  const before = { pid: 100, status: 'online', uptime: 1000, restarts: 3 };
  const pm2 = (mode: string) => script(mode, mark, 'pm2', 'openclaw');

  test('notes the process; the same one after is "not done", a new one online is "done"', async () => {
    await jlist(before);
    expect(await pm2('mark')).toMatchObject({ code: 0, out: expect.stringContaining(`noted openclaw online {"pid":100,"started":1000,"restarts":3} in ${mark}`) });
    expect(JSON.parse(await readFile(mark, 'utf8'))).toEqual({ pid: 100, started: 1000, restarts: 3 });
    expect(await pm2('check')).toMatchObject({ code: 1, out: expect.stringContaining('openclaw is the process noted') });
    await jlist({ pid: 200, status: 'online', uptime: 2000, restarts: 4 });
    expect(await pm2('check')).toMatchObject({ code: 0, out: expect.stringContaining('openclaw restarted since the mark') });
  });

  test('cannot tell without the mark, without the app, or when the new process is not online', async () => {
    await jlist(before);
    expect((await pm2('check')).code).toBe(2);
    await pm2('mark');
    await jlist({ pid: 0, status: 'errored', uptime: 2000, restarts: 9 });
    expect((await pm2('check')).code).toBe(2);
    await jlist(null);
    expect(await pm2('check')).toMatchObject({ code: 2, out: expect.stringContaining('pm2 has no openclaw') });
    expect(await pm2('mark')).toMatchObject({ code: 1, out: expect.stringContaining('pm2 has no openclaw') });
  });

  test('waits while a reload the dead worker started is still stopping the old process', async () => {
    await jlist(before);
    await pm2('mark');
    await jlist({ ...before, status: 'stopping' });
    const check = pm2('check');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await jlist({ pid: 300, status: 'online', uptime: 3000, restarts: 4 });
    expect(await check).toMatchObject({ code: 0, out: expect.stringContaining('"pid":300') });
  });
});

describe('systemd', () => {
  const show = (p: { pid: number; active: string; started: string; invocation: string; restarts?: number; load?: string }) => writeFile(state, [
    `LoadState=${p.load ?? 'loaded'}`, `ActiveState=${p.active}`, `SubState=${p.active === 'active' ? 'running' : 'dead'}`, `MainPID=${p.pid}`,
    `ExecMainStartTimestampMonotonic=${p.started}`, `InvocationID=${p.invocation}`, `NRestarts=${p.restarts ?? 0}`, '',
  ].join('\n'));
  const before = { pid: 700, active: 'active', started: '5000000', invocation: 'a1' };

  test('a restart: the noted process is "not done", a new invocation active is "done"', async () => {
    await show(before);
    const unit = (mode: string) => script(mode, mark, 'systemd', 'openclaw.service', 'user', 'restart');
    expect((await unit('mark')).code).toBe(0);
    expect(await readFile(join(dir, 'systemctl.argv'), 'utf8')).toBe('--user show -p LoadState -p ActiveState -p SubState -p MainPID -p ExecMainStartTimestampMonotonic -p InvocationID -p NRestarts openclaw.service\n');
    expect((await unit('check')).code).toBe(1);
    await show({ pid: 800, active: 'active', started: '9000000', invocation: 'b2' });
    expect(await unit('check')).toMatchObject({ code: 0, out: expect.stringContaining('openclaw.service restarted since the mark: openclaw.service active/running') });
    await show({ pid: 0, active: 'failed', started: '9000000', invocation: 'b2' });
    expect((await unit('check')).code).toBe(2);
  });

  test('a reload that kept the process proves nothing; an unknown unit is refused', async () => {
    await show(before);
    const unit = (mode: string) => script(mode, mark, 'systemd', 'openclaw.service', 'system', 'reload');
    await unit('mark');
    expect((await unit('check')).code).toBe(2);
    await show({ ...before, pid: 701 });
    expect((await unit('check')).code).toBe(0);
    expect(await readFile(join(dir, 'systemctl.argv'), 'utf8')).not.toContain('--user');
    await show({ ...before, load: 'not-found' });
    expect(await unit('mark')).toMatchObject({ code: 1, out: expect.stringContaining('systemd has no openclaw.service') });
  });
});
