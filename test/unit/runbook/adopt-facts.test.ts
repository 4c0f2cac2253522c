/**
 * What clawops reads about an app PM2 runs, from `pm2 jlist` as PM2 5 prints it for an app
 * started the usual way (`pm2 start openclaw --name openclaw --interpreter none -- gateway run …`):
 * PM2 keeps the whole environment of that `pm2 start`, and only names ever leave the host.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { collectHostFacts, pm2FactsFromJlist, systemdFactsFromUnitText } from '../../../src/jobs/collect-facts.js';
import { parseJlist } from '../../../src/jobs/pm2-jlist.js';
import { createLocalShell } from '../../harness/local-shell.js';
import { HOST_KEY } from './fixtures.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'clawops-adopt-facts-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const ENV = {
  SHELL: '/bin/bash', HOME: '/home/openclaw', USER: 'openclaw', LOGNAME: 'openclaw', PATH: '/opt/npm/bin:/usr/bin:/bin', PWD: '/home/openclaw',
  SHLVL: '1', _: '/opt/npm/bin/pm2', LANG: 'C.UTF-8', SSH_CONNECTION: '10.0.0.9 50022 10.0.0.5 22', XDG_SESSION_ID: '3', LC_ALL: 'C.UTF-8',
  PM2_HOME: '/home/openclaw/.pm2', PM2_USAGE: 'CLI', PM2_INTERACTOR_PROCESSING: 'true', PM2_JSON_PROCESSING: 'true',
  OPENCLAW_STATE_DIR: '/home/openclaw/.openclaw', OPENCLAW_GATEWAY_TOKEN: 'sekrit-token', NODE_ENV: 'production',
  openclaw: '{}', unique_id: 'd187dbbf-f631-4553-95b4-8d14d56099ff',
};

const JLIST = `[PM2] Spawning PM2 daemon with pm2_home=/home/openclaw/.pm2\n${JSON.stringify([
  { pid: 0, name: 'worker', pm_id: 1, monit: { memory: 0, cpu: 0 }, pm2_env: { name: 'worker', exec_mode: 'cluster_mode', status: 'stopped', env: {} } },
  {
    pid: 31337, name: 'openclaw', pm_id: 0, monit: { memory: 512_000_000, cpu: 2 },
    pm2_env: {
      name: 'openclaw', args: ['gateway', 'run', '--port', '18789', '--bind', 'loopback'], exec_interpreter: 'none', exec_mode: 'fork_mode',
      pm_exec_path: '/opt/npm/bin/openclaw', pm_cwd: '/home/openclaw', namespace: 'default', instances: 1, autorestart: true,
      kill_retry_time: 100, pm_out_log_path: '/home/openclaw/.pm2/logs/openclaw-out.log', status: 'online', restart_time: 3,
      unstable_restarts: 0, pm_uptime: 1_765_000_000_000, created_at: 1_765_000_000_000, version: 'N/A',
      ...ENV, env: ENV,
    },
  },
])}`;

it('pm2 jlist gives what the app runs: script, args, cwd, interpreter, mode, status, restarts, pid and its own env names', () => {
  const facts = pm2FactsFromJlist(JLIST, 'openclaw');
  expect(facts).toEqual({
    execMode: 'fork', waitReady: false, interpreter: 'none', script: '/opt/npm/bin/openclaw',
    args: ['gateway', 'run', '--port', '18789', '--bind', 'loopback'], cwd: '/home/openclaw', status: 'online', restarts: 3, pid: 31337,
    envNames: ['NODE_ENV', 'OPENCLAW_GATEWAY_TOKEN', 'OPENCLAW_STATE_DIR'],
    // The two path values read (where the state is, to check it against the config), nothing else.
    stateDir: '/home/openclaw/.openclaw', home: '/home/openclaw',
  });
  // Values (a token here) never leave the host.
  expect(JSON.stringify(facts)).not.toContain('sekrit');
});

it('the list names every app, so a missing app can be named with the ones that exist', () => {
  expect(parseJlist(JLIST)?.map((app) => app?.name)).toEqual(['worker', 'openclaw']);
  expect(pm2FactsFromJlist(JLIST, 'gateway')).toBeNull();
  expect(parseJlist('[PM2][ERROR] Daemon not running')).toBeNull();
  expect(pm2FactsFromJlist(JLIST, 'worker')).toMatchObject({ execMode: 'cluster', status: 'stopped', envNames: [] });
});

it('systemctl cat gives ExecStart, ExecReload and whether there is one', () => {
  expect(systemdFactsFromUnitText('[Service]\nExecStart=/opt/npm/bin/openclaw gateway run --port 18789\n')).toEqual({
    systemdExecStart: '/opt/npm/bin/openclaw gateway run --port 18789', systemdHasExecReload: false,
  });
  expect(systemdFactsFromUnitText('[Service]\nExecStart=/usr/bin/openclaw gateway run\nExecReload=/bin/kill -HUP $MAINPID\n')).toMatchObject({
    systemdHasExecReload: true, systemdExecReload: '/bin/kill -HUP $MAINPID',
  });
});

/** A host with `openclaw` installed the usual way (no releases dir) and a fake supervisor CLI on PATH. */
async function usualHost(name: string, strategy: Record<string, unknown>, supervisor: { bin: string; output: string }) {
  const bin = join(dir, name, 'bin');
  const npmBin = join(dir, name, 'npm', 'bin');
  await Promise.all([mkdir(bin, { recursive: true }), mkdir(npmBin, { recursive: true })]);
  const openclaw = join(npmBin, 'openclaw');
  await writeFile(openclaw, '#!/bin/sh\necho "OpenClaw 2026.9.5 (ec9c1a1)"\n');
  await writeFile(join(dir, name, 'output'), supervisor.output.replaceAll('@OPENCLAW@', openclaw));
  await writeFile(join(bin, supervisor.bin), `#!/bin/sh\ncat '${join(dir, name, 'output')}'\n`);
  await Promise.all([chmod(openclaw, 0o755), chmod(join(bin, supervisor.bin), 0o755)]);
  const config = configSchema.parse({ environments: { production: { hosts: [{
    // openclaw is not on PATH and there is no releases dir: only the supervisor says where it is.
    name, address: '127.0.0.1', hostKey: HOST_KEY, releasesDir: join(dir, name, 'releases'), env: { PATH: `${bin}:/usr/bin:/bin` }, strategy,
  }] } } });
  const host = config.environments.production?.hosts[0];
  if (!host) throw new Error('no host');
  return { host, config, openclaw };
}

it('the running version of an install off the releases dir comes from the binary PM2 runs', async () => {
  const jlist = JSON.stringify([{ name: 'openclaw', pid: 7, pm2_env: { pm_exec_path: '@OPENCLAW@', exec_interpreter: 'none', exec_mode: 'fork_mode', args: ['gateway', 'run'], env: { OPENCLAW_STATE_DIR: '/x' } } }]);
  const { host, config, openclaw } = await usualHost('pm2-host', { kind: 'pm2' }, { bin: 'pm2', output: jlist });
  const facts = await collectHostFacts(createLocalShell(), host, config.runbook);
  expect(facts).toMatchObject({ currentVersion: '2026.9.5', installedVersions: [], pm2Apps: ['openclaw'], pm2: { script: openclaw, args: ['gateway', 'run'], envNames: ['OPENCLAW_STATE_DIR'] } });
});

it('the running version of a systemd unit off the releases dir comes from the binary its ExecStart runs', async () => {
  const { host, config, openclaw } = await usualHost('systemd-host', { kind: 'systemd' }, { bin: 'systemctl', output: '# /etc/systemd/system/openclaw.service\n[Service]\nExecStart=@OPENCLAW@ gateway run --port 18789\n' });
  const facts = await collectHostFacts(createLocalShell(), host, config.runbook);
  expect(facts).toMatchObject({ currentVersion: '2026.9.5', systemdExecStart: `${openclaw} gateway run --port 18789`, systemdHasExecReload: false });
});
