/**
 * What clawops reads about an app PM2 runs, from `pm2 jlist` as PM2 5 prints it for an app
 * started the usual way (`pm2 start openclaw --name openclaw --interpreter none -- gateway run …`):
 * PM2 keeps the whole environment of that `pm2 start`, and only names ever leave the host.
 */
import { expect, it } from 'vitest';
import { parseJlist, pm2FactsFromJlist, systemdFactsFromUnitText } from '../../../src/jobs/collect-facts.js';

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
