/**
 * Adopting a PM2 app that runs an `npm i -g` install: the first upgrade installs target and running
 * version side by side, points `current` at the target and re-creates the app on the link in its
 * one restart; what cannot be adopted is refused before anything runs, saying what to do.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/commands/types.js';
import { ClawopsError } from '../../../src/errors.js';
import { PM2_CHECK_SCRIPT_JS, PM2_WRITE_ECOSYSTEM_JS } from '../../../src/runbook/adopt-pm2.js';
import { buildPlan } from '../../../src/runbook/plan.js';
import { displayCommand } from '../../../src/runbook/render.js';
import { buildRollbackPlan } from '../../../src/runbook/rollback.js';
import type { HostFacts } from '../../../src/runbook/types.js';
import { commandLines, fleet, host, planFacts, stepIds, thrown } from './fixtures.js';

const UPGRADE: Command = { kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false };
const ROLLBACK: Command = { kind: 'rollback', environment: 'production', dryRun: false };
const LINK = '~/.clawops/releases/current/bin/openclaw';
const FILE = '~/.clawops/releases/pm2-openclaw.config.cjs';
const B = '~/.clawops/backups/openclaw-pre-upgrade-u42-host-a.tar.gz';
const ARGS = ['gateway', 'run', '--port', '18789', '--bind', 'loopback'];

/** An app started the usual way: `pm2 start openclaw --interpreter none -- gateway run …` after `npm i -g openclaw`. */
const USUAL: Partial<HostFacts> = {
  installedVersions: [],
  pm2Apps: ['openclaw'],
  pm2: {
    execMode: 'fork', waitReady: false, interpreter: 'none', script: '/opt/npm/bin/openclaw', args: ARGS, cwd: '/home/openclaw',
    status: 'online', restarts: 0, pid: 4242, envNames: ['OPENCLAW_GATEWAY_TOKEN', 'OPENCLAW_STATE_DIR', 'TELEGRAM_BOT_TOKEN'],
  },
};

function plan(facts: Partial<HostFacts>, strategy: Record<string, unknown> = { kind: 'pm2', pm2Home: '~/.pm2' }) {
  const config = fleet({ production: { hosts: [host('host-a', strategy)] } });
  return buildPlan(UPGRADE, config, planFacts(config, { hostExtra: facts }));
}

function withPm2(pm2: Partial<NonNullable<HostFacts['pm2']>>): Partial<HostFacts> {
  return { ...USUAL, pm2: { ...(USUAL.pm2 as NonNullable<HostFacts['pm2']>), ...pm2 } };
}

describe('an app that runs openclaw from the global npm prefix', () => {
  it('is backed up by the binary it runs, then re-created on the link in the upgrade\'s one restart, and saved', () => {
    const p = plan(USUAL);
    const node = (script: string, ...args: string[]) => displayCommand(['node', '-e', script, ...args], { PM2_HOME: '~/.pm2' });
    expect(commandLines(p, 'host-a')).toEqual([
      'host-a:probe: /opt/npm/bin/openclaw --version',
      `host-a:backup: /opt/npm/bin/openclaw backup create --output ${B} --verify --json`,
      `host-a:backup-verify: /opt/npm/bin/openclaw backup verify ${B} --json`,
      'host-a:install: npm install -g --prefix ~/.clawops/releases/2026.9.6 openclaw@2026.9.6 --allow-scripts=openclaw',
      'host-a:install-running: npm install -g --prefix ~/.clawops/releases/2026.9.5 openclaw@2026.9.5 --allow-scripts=openclaw',
      'host-a:link: ln -sfn ~/.clawops/releases/2026.9.6 ~/.clawops/releases/current.tmp',
      'host-a:switch: mv -T ~/.clawops/releases/current.tmp ~/.clawops/releases/current',
      `host-a:adopt-config: ${node(PM2_WRITE_ECOSYSTEM_JS, 'openclaw', LINK, FILE)}`,
      'host-a:adopt-delete: PM2_HOME=~/.pm2 pm2 delete openclaw',
      `host-a:adopt-start: PM2_HOME=~/.pm2 pm2 start ${FILE}`,
      `host-a:adopt-check: ${node(PM2_CHECK_SCRIPT_JS, 'openclaw', LINK, '0')}`,
      'host-a:pm2-save: PM2_HOME=~/.pm2 pm2 save',
      'host-a:health-channels: handoff channels-connected on ~/.openclaw:18789',
    ]);
    expect(stepIds(p)).not.toContain('host-a:reload');
    // The one restart: nothing else stops or reloads the gateway.
    expect(p.steps.filter((step) => step.kind === 'switch').map((step) => step.id)).toEqual(['host-a:switch', 'host-a:adopt-delete', 'host-a:adopt-start']);
    expect(stepIds(p).slice(-9)).toEqual(['host-a:adopt-check', 'host-a:pm2-save', 'host-a:ready', 'host-a:health-live', 'host-a:health-ready', 'host-a:health-version', 'host-a:health-channels', 'watch', 'record']);
  });

  it('says what changes in PM2 before anything runs, naming env variables but never their values', () => {
    const p = plan(USUAL);
    expect(p.warnings[0]).toBe('host-a: adopts PM2 app openclaw: runs /opt/npm/bin/openclaw today; after this upgrade it runs ~/.clawops/releases/current/bin/openclaw '
      + '(args kept: gateway run --port 18789 --bind loopback; env kept: 3 variables (OPENCLAW_GATEWAY_TOKEN, OPENCLAW_STATE_DIR, TELEGRAM_BOT_TOKEN) and the inherited environment; interpreter none, fork mode), '
      + `re-created from ${FILE} by pm2 delete + pm2 start in the upgrade's one restart; pm2 save. 2026.9.5 is installed under ~/.clawops/releases too, so a rollback is a switch back`);
    expect(p.warnings.join('\n')).not.toContain('is not installed under');
    expect(p.warnings.join('\n')).not.toContain('`pm2 reload`');
    // Env values are generated on the host: the plan carries no env beyond PM2_HOME (and the state dir; the
    // channels check also gets the gateway port from the config, never from the app's env).
    for (const step of p.steps) {
      const allowed = (name: string) => name === 'PM2_HOME' || name === 'OPENCLAW_STATE_DIR' || (step.id === 'host-a:health-channels' && name === 'OPENCLAW_GATEWAY_PORT');
      if (step.action.type === 'command') expect(Object.keys(step.action.env ?? {}).filter((name) => !allowed(name))).toEqual([]);
    }
    const channels = p.steps.find((step) => step.id === 'host-a:health-channels');
    expect(channels?.action.type === 'command' ? channels.action.env : undefined).toEqual({ OPENCLAW_STATE_DIR: '~/.openclaw', OPENCLAW_GATEWAY_PORT: '18789' });
  });

  it('marks which adoption steps are safe to repeat; the two that are not are checked by what PM2 runs', () => {
    const byId = new Map(plan(USUAL).steps.map((step) => [step.id, step]));
    expect(byId.get('host-a:adopt-config')?.safeToRepeat).toBe(true);
    expect(byId.get('host-a:pm2-save')?.safeToRepeat).toBe(true);
    expect(byId.get('host-a:adopt-delete')).toMatchObject({ safeToRepeat: false, verify: { argv: ['node', '-e', PM2_CHECK_SCRIPT_JS, 'openclaw', LINK, '1'], env: { PM2_HOME: '~/.pm2' } } });
    expect(byId.get('host-a:adopt-start')).toMatchObject({ safeToRepeat: false, verify: { argv: ['node', '-e', PM2_CHECK_SCRIPT_JS, 'openclaw', LINK, '0'], env: { PM2_HOME: '~/.pm2' } } });
  });

  it('does not install the running version again when it is already side by side', () => {
    expect(stepIds(plan({ ...USUAL, installedVersions: ['2026.9.5'] }))).not.toContain('host-a:install-running');
  });

  it('adopts an app that runs the package script through Node, and drops the Node wrapper', () => {
    const p = plan(withPm2({ interpreter: '/usr/bin/node', script: '/usr/lib/node_modules/openclaw/openclaw.mjs' }));
    expect(commandLines(p, 'host-a')[0]).toBe('host-a:probe: /usr/bin/node /usr/lib/node_modules/openclaw/openclaw.mjs --version');
    expect(p.warnings.join('\n')).not.toContain("interpreter '/usr/bin/node'");
    expect(stepIds(p)).toContain('host-a:adopt-start');
  });

  it('leaves an app that already runs the link alone (absolute path under a ~ releasesDir)', () => {
    const p = plan(withPm2({ script: '/home/openclaw/.clawops/releases/current/bin/openclaw' }));
    expect(stepIds(p)).toContain('host-a:reload');
    expect(stepIds(p)).not.toContain('host-a:adopt-start');
  });
});

describe('what cannot be adopted is refused before anything runs, with the fix', () => {
  const refusal = (facts: Partial<HostFacts>): ClawopsError => {
    const error = thrown(() => plan(facts));
    expect(error).toBeInstanceOf(ClawopsError);
    expect((error as ClawopsError).code).toBe('PLAN_INVALID');
    return error as ClawopsError;
  };

  it('an app name PM2 does not have, naming the apps it has', () => {
    const { pm2: _pm2, ...rest } = USUAL;
    expect(refusal({ ...rest, pm2Apps: ['gateway', 'worker'] }).message).toBe('host-a: PM2 has no app "openclaw" (pm2 jlist: it lists gateway, worker): '
      + 'set strategy.app of host-a in the fleet config to the app that runs the gateway (or start it under PM2 as "openclaw"), then plan again');
  });

  it('cluster mode', () => {
    expect(refusal(withPm2({ execMode: 'cluster' })).message).toContain('host-a: PM2 app openclaw runs in cluster mode');
    expect(refusal(withPm2({ execMode: 'cluster' })).message).toContain('pm2 start openclaw --name openclaw --interpreter none -- gateway run');
  });

  it('a script that is not openclaw', () => {
    expect(refusal(withPm2({ script: '/srv/app/server.js' })).message).toBe('host-a: PM2 app openclaw runs /srv/app/server.js, which is not an openclaw binary, so clawops cannot tell what to replace: '
      + "point the app at openclaw's bin/openclaw (interpreter none), or set strategy.app to the app that runs the gateway, then plan again");
  });

  it('a running version nobody could read', () => {
    const config = fleet({ production: { hosts: [host('host-a', { kind: 'pm2' })] } });
    const facts = planFacts(config, { hostExtra: USUAL });
    facts.hosts = { 'host-a': { ...(facts.hosts['host-a'] as HostFacts), currentVersion: null } };
    const error = thrown(() => buildPlan(UPGRADE, config, facts)) as ClawopsError;
    expect(error.message).toBe('host-a: the version of the running OpenClaw is unknown (/opt/npm/bin/openclaw --version gave none), '
      + 'so clawops cannot install it side by side for a rollback: make that command work for the SSH user openclaw, then plan again');
  });

  it('but a host whose pm2 jlist could not be read keeps today\'s warning', () => {
    const p = plan({ installedVersions: [] });
    expect(p.warnings.join('\n')).toContain('host-a: no PM2 facts (pm2 jlist)');
    expect(stepIds(p)).toContain('host-a:reload');
  });
});

describe('rollback of an app that does not run the link', () => {
  it('is refused: switching releases back would change nothing', () => {
    const config = fleet({ production: { hosts: [host('host-a', { kind: 'pm2' })] } });
    const facts = planFacts(config, { current: '2026.9.6', target: '2026.9.5', hostExtra: { ...USUAL, installedVersions: ['2026.9.5', '2026.9.6'] } });
    const error = thrown(() => buildRollbackPlan({ ...ROLLBACK, toVersion: '2026.9.5' }, config, facts)) as ClawopsError;
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.message).toContain('host-a: PM2 app openclaw runs /opt/npm/bin/openclaw, not ~/.clawops/releases/current/bin/openclaw, so switching releases back changes nothing');
  });
});
