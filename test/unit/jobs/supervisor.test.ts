import { expect, test } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { describeState, pm2DaemonErrors, pm2StateFromJlist, portOf, supervisorsFor, systemdStateFromShow } from '../../../src/jobs/supervisor.js';

// The shape of real `pm2 jlist` (PM2 7), trimmed to what is read; a notice line before the JSON.
const jlist = `[PM2] Spawning PM2 daemon\n${JSON.stringify([
  { name: 'other', pm2_env: { status: 'online', restart_time: 0 } },
  { name: 'openclaw', pid: 0, pm2_env: { status: 'waiting restart', restart_time: 7, exit_code: 78, pm_err_log_path: '/root/.pm2/logs/openclaw-error.log', pm_out_log_path: '/root/.pm2/logs/openclaw-out.log' } },
])}`;

test('pm2 jlist: the app state, restarts, last exit code and its error log', () => {
  const state = pm2StateFromJlist(jlist, { kind: 'pm2', app: 'openclaw' });
  expect(state).toMatchObject({ status: 'waiting restart', restarts: 7, exitCode: 78, errLog: '/root/.pm2/logs/openclaw-error.log' });
  expect(describeState(state)).toBe('PM2 app openclaw: waiting restart, 7 restarts, last exit code 78');
  expect(describeState(pm2StateFromJlist(jlist, { kind: 'pm2', app: 'missing' }))).toBe('PM2 app missing: not found');
});

test('systemctl show: active state, restarts and the main exit status', () => {
  const state = systemdStateFromShow('ActiveState=activating\nSubState=auto-restart\nNRestarts=4\nExecMainStatus=78\n', { kind: 'systemd', unit: 'openclaw.service', sudo: false, user: false });
  expect(describeState(state)).toBe('systemd unit openclaw.service: activating (auto-restart), 4 restarts, last exit code 78');
});

test('blue-green: the color that listens on the probed port; PM2 and systemd: their app or unit', () => {
  const config = configSchema.parse({
    environments: {
      production: {
        hosts: [
          { name: 'bg', address: '10.0.0.1', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'blue-green', publicUrl: 'http://10.0.0.1', pm2Home: '/p' } },
          { name: 'pm', address: '10.0.0.2', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'pm2', app: 'gw' } },
          { name: 'sd', address: '10.0.0.3', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'systemd', sudo: true } },
        ],
      },
    },
  });
  const [bg, pm, sd] = config.environments.production?.hosts ?? [];
  expect(supervisorsFor(bg!, portOf('http://127.0.0.1:19789/readyz'))).toEqual([{ kind: 'pm2', app: 'openclaw-green', pm2Home: '/p' }]);
  expect(supervisorsFor(bg!, portOf('http://10.0.0.1/readyz')).map((ref) => ref.kind === 'pm2' && ref.app)).toEqual(['openclaw-blue', 'openclaw-green']);
  expect(supervisorsFor(pm!)).toEqual([{ kind: 'pm2', app: 'gw' }]);
  expect(supervisorsFor(sd!)).toEqual([{ kind: 'systemd', unit: 'openclaw.service', sudo: true, user: false }]);
});

test('PM2 "online" with no pid is a start that failed; its reason comes from PM2\'s own log', () => {
  const state = pm2StateFromJlist(JSON.stringify([{ name: 'openclaw', pm2_env: { status: 'online', restart_time: 1, exit_code: 0 } }]), { kind: 'pm2', app: 'openclaw' });
  expect(describeState(state)).toBe('PM2 app openclaw: online but no process runs (PM2 could not start the script)');
  const log = [
    '2026-12-04T21:15:10: PM2 log: App [openclaw:0] starting in -fork mode-',
    '2026-12-04T21:15:10: PM2 log: App [openclaw:0] online',
    '2026-12-04T21:15:10: PM2 error: Error: spawn /root/.clawops/releases/current/bin/openclaw EACCES',
    '    at ChildProcess._handle.onexit (node:internal/child_process:287:19)',
    '2026-12-04T21:19:41: PM2 error: Error caught while calling pidusage',
    '2026-12-04T21:19:42: PM2 error: TypeError: One of the pids provided is invalid',
  ].join('\n');
  expect(pm2DaemonErrors(log, 'openclaw').split('\n').at(-1)).toBe('2026-12-04T21:15:10: PM2 error: Error: spawn /root/.clawops/releases/current/bin/openclaw EACCES');
});
