import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/runbook/plan.js';
import type { Command } from '../../../src/commands/types.js';
import type { HostFacts, PlanStep } from '../../../src/runbook/types.js';
import { RESTART_MARK_JS } from '../../../src/runbook/restart-mark.js';
import { commandLine, commandLines, fleet, host, planFacts } from './fixtures.js';

const UPGRADE: Command = { kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false };
const B = '~/.clawops/backups/openclaw-pre-upgrade-u42-gw.tar.gz';
const BACKUP_LINES = [
  'gw:probe: ~/.clawops/releases/current/bin/openclaw --version',
  `gw:backup: ~/.clawops/releases/current/bin/openclaw backup create --output ${B} --verify --json`,
  `gw:backup-verify: ~/.clawops/releases/current/bin/openclaw backup verify ${B} --json`,
];
const INSTALL_SWITCH = [
  'gw:install: npm install -g --prefix ~/.clawops/releases/2026.9.6 openclaw@2026.9.6 --allow-scripts=openclaw',
  'gw:link: ln -sfn ~/.clawops/releases/2026.9.6 ~/.clawops/releases/current.tmp',
  'gw:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
];

function single(strategy: Record<string, unknown>, hostExtra: Record<string, unknown> = {}, facts: Partial<HostFacts> = {}) {
  const config = fleet({ production: { hosts: [host('gw', strategy, hostExtra)] } });
  return buildPlan(UPGRADE, config, planFacts(config, { hostExtra: facts }));
}

describe('pm2 warnings', () => {
  // A script off the link is adopted or refused: test/unit/runbook/adopt-*.test.ts.
  it('warns about cluster mode, wait_ready, a Node interpreter and a short kill_timeout', () => {
    const plan = single({ kind: 'pm2' }, {}, { pm2: { execMode: 'cluster', waitReady: true, listenTimeoutMs: 20_000, killTimeoutMs: 1600, interpreter: 'node', script: '/root/.clawops/releases/current/bin/openclaw' } });
    const text = plan.warnings.join('\n');
    expect(text).toContain('cluster mode');
    expect(text).toContain('wait_ready is set but OpenClaw sends no ready signal: PM2 waits listen_timeout (20000 ms)');
    expect(text).toContain("interpreter 'node'");
    expect(text).toContain('kill_timeout 1600 ms');
  });

  it('a fork-mode app on the link with interpreter none only gets the restart warnings', () => {
    const plan = single({ kind: 'pm2' }, {}, { pm2: { execMode: 'fork', waitReady: false, interpreter: 'none', script: '~/.clawops/releases/current/bin/openclaw' } });
    expect(plan.warnings).toHaveLength(2);
    expect(plan.warnings[0]).toContain('fork mode');
    expect(plan.warnings[1]).toContain('no wait_ready');
  });
});

describe('systemd', () => {
  it('restarts a unit without ExecReload and says it is downtime', () => {
    const plan = single({ kind: 'systemd' });
    expect(commandLines(plan)).toEqual([
      ...BACKUP_LINES, ...INSTALL_SWITCH,
      'gw:daemon-reload: systemctl daemon-reload',
      'gw:restart-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-u42-gw-restart.json systemd openclaw.service system restart',
      'gw:restart: systemctl restart openclaw.service',
      'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
    // An interrupted restart is checked against the unit's process noted just before it.
    const restart = plan.steps.find((step) => step.id === 'gw:restart');
    expect(restart?.safeToRepeat).toBe(false);
    expect(restart?.verify).toEqual({ argv: ['node', '-e', RESTART_MARK_JS, 'check', '~/.clawops/releases/.clawops/restart-u42-gw-restart.json', 'systemd', 'openclaw.service', 'system', 'restart'] });
    expect(plan.steps.find((step) => step.id === 'gw:restart-mark')).toMatchObject({ safeToRepeat: true, kind: 'probe' });
    expect(plan.expectedDowntime).toContain('systemctl restart');
    expect(plan.warnings.join('\n')).toContain('has no ExecReload');
  });

  it('reloads a unit with a usable ExecReload, with sudo -n', () => {
    const plan = single({ kind: 'systemd', sudo: true, unit: 'openclaw-gw.service' }, {}, { systemdHasExecReload: true, systemdExecReload: '/bin/kill -HUP $MAINPID' });
    expect(commandLines(plan).slice(-4)).toEqual([
      'gw:daemon-reload: sudo -n systemctl daemon-reload',
      // systemctl show needs no sudo.
      'gw:reload-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-u42-gw-reload.json systemd openclaw-gw.service system reload',
      'gw:reload: sudo -n systemctl reload openclaw-gw.service',
      'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
  });

  it('never reloads through a SIGUSR2 ExecReload (it kills OpenClaw): restarts and warns', () => {
    const plan = single({ kind: 'systemd', user: true }, {}, { systemdHasExecReload: true, systemdExecReload: '/bin/kill -SIGUSR2 $MAINPID' });
    expect(commandLines(plan).slice(-4)).toEqual([
      'gw:daemon-reload: systemctl --user daemon-reload',
      'gw:restart-mark: restart-mark mark ~/.clawops/releases/.clawops/restart-u42-gw-restart.json systemd openclaw.service user restart',
      'gw:restart: systemctl --user restart openclaw.service',
      'gw:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
    expect(plan.warnings.join('\n')).toContain('SIGUSR2');
  });
});

describe('blue-green', () => {
  const strategy = { kind: 'blue-green', publicUrl: 'https://openclaw.example.com', pm2Home: '~/.pm2-oc' };
  const H = '~/.clawops/backups/handoff-u42.tar.gz';
  /** `<id>: handoff <mode> [<color's state dir>:<port>]` for the handoff host script, else the command line. */
  function lines(plan: { steps: readonly PlanStep[] }): string[] {
    return plan.steps.map((step) => {
      if (step.action.type !== 'command') return `${step.id}: (${step.action.type})`;
      return `${step.id}: ${commandLine(step.action.argv, step.action.env)}`;
    });
  }

  it('hands over behind the gate: channels stop, writes freeze, final snapshot into green without leases, green starts, traffic moves while frozen', () => {
    const plan = single(strategy);
    expect(lines(plan).filter((line) => line.startsWith('gw:') && !line.startsWith('gw:health'))).toEqual([
      ...BACKUP_LINES,
      'gw:idle-stop: PM2_HOME=~/.pm2-oc pm2 delete openclaw-green',
      INSTALL_SWITCH[0],
      'gw:handoff-channels: handoff stop-channels on ~/.openclaw:18789',
      'gw:handoff-freeze: handoff freeze on ~/.openclaw:18789',
      `gw:handoff-snapshot: ~/.clawops/releases/current/bin/openclaw backup create --output ${H} --verify --json`,
      'gw:restore: mkdir -p ~/.openclaw-green.restore-u42',
      `gw:restore-extract: OPENCLAW_STATE_DIR=~/.openclaw-green.restore-u42.cli-state ~/.clawops/releases/current/bin/openclaw backup restore ${H} --target ~/.openclaw-green.restore-u42/attempt-X`,
      'gw:state-ensure: mkdir -p ~/.openclaw-green',
      'gw:state-aside: mv -T ~/.openclaw-green ~/.openclaw-green.replaced-u42',
      "gw:state-swap: find ~/.openclaw-green.restore-u42/done -mindepth 1 -type d -path '*/payload/posix/*/.openclaw' -prune -exec mv -T '{}' ~/.openclaw-green ';'",
      'gw:state-check: test -d ~/.openclaw-green',
      'gw:handoff-leases: handoff clear-leases on ~/.openclaw-green:19789',
      'gw:idle-start: PM2_HOME=~/.pm2-oc OPENCLAW_STATE_DIR=~/.openclaw-green pm2 start ~/.clawops/releases/2026.9.6/bin/openclaw --name openclaw-green --interpreter none -- gateway run --port 19789 --bind loopback',
      'gw:idle-ready: (http-check)',
      'gw:handoff-channels-up: handoff check-channels on ~/.openclaw-green:19789',
      'gw:handoff-held: handoff freeze-held on ~/.openclaw:18789',
      'gw:traffic: (write-file)',
      'gw:nginx-test: nginx -t',
      'gw:nginx-reload: nginx -s reload',
      'gw:handoff-switched: handoff switched on ~/.openclaw:18789',
      'gw:public-check: (http-check)',
      'gw:old-stop: PM2_HOME=~/.pm2-oc pm2 stop openclaw-blue',
      INSTALL_SWITCH[1], INSTALL_SWITCH[2],
      'gw:idle-doctor: OPENCLAW_STATE_DIR=~/.openclaw-green ~/.clawops/releases/2026.9.6/bin/openclaw doctor --non-interactive',
      'gw:handoff-left: handoff left-behind on ~/.openclaw:18789',
    ]);
    const byId = new Map(plan.steps.map((step) => [step.id, step]));
    expect(byId.get('gw:idle-stop')?.action).toMatchObject({ okExitCodes: [0, 1] });
    expect(byId.get('gw:idle-ready')?.action).toMatchObject({ type: 'http-check', url: 'http://127.0.0.1:19789/readyz', expect: 'ready', viaHost: true });
    expect(byId.get('gw:traffic')?.action).toEqual({
      type: 'write-file',
      path: '/etc/nginx/conf.d/openclaw-upstream.conf',
      content: '# Written by clawops: traffic goes to green (openclaw 2026.9.6).\nupstream openclaw_backend {\n    server 127.0.0.1:19789;\n}\n',
    });
    expect(byId.get('gw:public-check')?.action).toMatchObject({ url: 'https://openclaw.example.com/readyz', viaHost: false });
    // Approval comes before the freeze, never inside it: nobody's reaction time is write downtime.
    expect(plan.gates).toEqual([{ id: 'gw:switch-traffic', title: 'Hand gw over from blue to green (openclaw 2026.9.6): blue\'s channels stop and its writes freeze until green serves', reason: 'switch-traffic', beforeStep: 'gw:handoff-channels' }]);
    // The handoff file and the profile's gatewayCall / channelsStatus argv reach the host script.
    const freeze = byId.get('gw:handoff-freeze')?.action;
    expect(freeze).toMatchObject({ type: 'command', env: { OPENCLAW_STATE_DIR: '~/.openclaw', OPENCLAW_GATEWAY_PORT: '18789' } });
    const argv = freeze?.type === 'command' ? freeze.argv : [];
    expect(argv[4]).toBe('~/.clawops/backups/handoff-u42-blue.json');
    expect(JSON.parse(argv[5] ?? '{}')).toMatchObject({
      call: ['~/.clawops/releases/current/bin/openclaw', 'gateway', 'call', '{method}', '--params', '{params}', '--json'],
      status: ['~/.clawops/releases/current/bin/openclaw', 'channels', 'status', '--probe', '--json'],
      requestId: 'clawops-u42-gw',
    });
    // Preparation is not a traffic move: the first switch step is the upstream rewrite.
    expect(plan.steps.find((step) => step.kind === 'switch')?.id).toBe('gw:traffic');
    expect(byId.get('gw:handoff-switched')?.report).toBe(true);
    // A failure before traffic moves removes green and resumes blue.
    expect(plan.onFailure?.map((step) => step.id)).toEqual(['gw:undo-idle', 'gw:undo-resume']);
    expect(plan.onFailure?.[1]?.title).toBe('Traffic stayed on blue: resume its writes and channel accounts');
    expect(byId.get('gw:health-ready')?.action).toMatchObject({ url: 'http://127.0.0.1:19789/readyz' });
    expect(byId.get('gw:idle-start')?.verify).toEqual({ argv: ['pm2', 'describe', 'openclaw-green'], env: { PM2_HOME: '~/.pm2-oc' } });
    expect(plan.expectedDowntime).toMatch(/^none/);
    expect(commandLines(plan).some((line) => /\brm\b/.test(line))).toBe(false);
  });

  it('goes the other way when green is live, and stages the upstream file through sudo when asked', () => {
    const plan = single({ ...strategy, nginx: { sudo: true } }, {}, { liveColor: 'green' });
    const all = lines(plan);
    expect(all).toContain('gw:idle-start: PM2_HOME=~/.pm2-oc OPENCLAW_STATE_DIR=~/.openclaw pm2 start ~/.clawops/releases/2026.9.6/bin/openclaw --name openclaw-blue --interpreter none -- gateway run --port 18789 --bind loopback');
    expect(all).toContain('gw:state-aside: mv -T ~/.openclaw ~/.openclaw.replaced-u42');
    expect(all).toContain('gw:handoff-freeze: handoff freeze on ~/.openclaw-green:19789');
    expect(all).toContain('gw:traffic: sudo -n install -m 0644 ~/.clawops/backups/nginx-upstream-u42-blue.conf /etc/nginx/conf.d/openclaw-upstream.conf');
    expect(all).toContain('gw:nginx-test: sudo -n nginx -t');
    expect(all).toContain('gw:nginx-reload: sudo -n nginx -s reload');
    expect(all).toContain('gw:old-stop: PM2_HOME=~/.pm2-oc pm2 stop openclaw-green');
    expect(all[1]).toBe(`gw:backup: OPENCLAW_STATE_DIR=~/.openclaw-green ~/.clawops/releases/current/bin/openclaw backup create --output ${B} --verify --json`);
    expect(plan.gates[0]?.beforeStep).toBe('gw:handoff-channels');
  });

  it('says what the handoff does, and warns when the host env would give both colors one state dir or config', () => {
    expect(single(strategy).warnings).toEqual([expect.stringMatching(/^gw: the handoff freezes blue's writes from its final snapshot until traffic moves to green: about as long as green's start with its migration.*If green fails before traffic moves, it is removed and blue resumes$/)]);
    const plan = single(strategy, { env: { OPENCLAW_CONFIG_PATH: '/etc/openclaw/openclaw.json5' } });
    expect(plan.warnings[0]).toBe('gw: the host env sets OPENCLAW_CONFIG_PATH, which both colors would share');
  });
});

describe('docker compose', () => {
  it('pulls and recreates the one service with the version variable, and calls it a restart', () => {
    const plan = single({ kind: 'docker-compose', file: '/srv/openclaw/docker-compose.yml', projectName: 'oc' });
    const compose = 'env OPENCLAW_VERSION=2026.9.6 docker compose -f /srv/openclaw/docker-compose.yml -p oc';
    const exec = 'env OPENCLAW_VERSION=2026.9.5 docker compose -f /srv/openclaw/docker-compose.yml -p oc exec -T openclaw openclaw';
    expect(commandLines(plan)).toEqual([
      `gw:probe: ${exec} --version`,
      `gw:backup: ${exec} backup create --output ${B} --verify --json`,
      `gw:backup-verify: ${exec} backup verify ${B} --json`,
      `gw:pull: ${compose} pull openclaw`,
      `gw:up: ${compose} up -d --no-deps openclaw`,
    ]);
    expect(plan.expectedDowntime).toContain('restart: compose recreates the container stop-first (start-first is a swarm feature)');
    expect(plan.steps.find((step) => step.id === 'gw:ready')?.action).toMatchObject({ type: 'http-check', url: 'http://127.0.0.1:18789/readyz' });
  });
});

describe('docker swarm', () => {
  it('updates the service start-first with automatic rollback and watches its tasks', () => {
    const plan = single({ kind: 'docker-swarm', service: 'oc_gateway', image: 'registry.local/openclaw:{version}' });
    expect(commandLines(plan)).toEqual([
      "gw:probe: docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' oc_gateway",
      'gw:service-update: docker service update --image registry.local/openclaw:2026.9.6 --update-order start-first --update-failure-action rollback oc_gateway',
      "gw:service-ps: docker service ps oc_gateway --format 'table {{.ID}}\\t{{.Image}}\\t{{.CurrentState}}'",
    ]);
    expect(plan.steps.find((step) => step.id === 'gw:health-version')?.action).toEqual({
      type: 'version-check', expectVersion: '2026.9.6', argv: ['docker', 'service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', 'oc_gateway'],
    });
    expect(plan.expectedDowntime).toMatch(/^none expected/);
    expect(plan.warnings.join('\n')).toContain('back up the service');
  });
});
