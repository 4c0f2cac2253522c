/**
 * A PM2 app whose state lives elsewhere than the config's `stateDir` is refused before anything
 * runs: its upgrade would back up the wrong directory, and a restore would bring back the wrong data.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/commands/types.js';
import { isClawopsError } from '../../../src/errors.js';
import { buildPlan } from '../../../src/runbook/plan.js';
import { appStateDir } from '../../../src/runbook/state-dir-check.js';
import type { HostFacts } from '../../../src/runbook/types.js';
import { fleet, host, planFacts, thrown } from './fixtures.js';

const UPGRADE: Command = { kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false };
const ARGS = ['gateway', 'run', '--port', '18789', '--bind', 'loopback'];

function plan(pm2: Partial<NonNullable<HostFacts['pm2']>>, hostExtra: Record<string, unknown> = {}) {
  const config = fleet({ production: { hosts: [host('host-a', { kind: 'pm2' }, hostExtra)] } });
  const facts: Partial<HostFacts> = { pm2Apps: ['openclaw'], pm2: { execMode: 'fork', waitReady: false, interpreter: 'none', script: '~/.clawops/releases/current/bin/openclaw', args: ARGS, home: '/home/oc', ...pm2 } };
  return () => buildPlan(UPGRADE, config, planFacts(config, { hostExtra: facts }));
}

describe('the PM2 app keeps its state where the config says', () => {
  it('is planned when OPENCLAW_STATE_DIR is the configured dir, written either way (~/ or absolute)', () => {
    expect(() => plan({ stateDir: '/home/oc/.openclaw' })()).not.toThrow();
    expect(() => plan({})()).not.toThrow();
    expect(() => plan({ stateDir: '/srv/openclaw' }, { stateDir: '/srv/openclaw/' })()).not.toThrow();
  });

  it('is refused when the app has its own OPENCLAW_STATE_DIR, naming both dirs and the fix', () => {
    const error = thrown(plan({ stateDir: '/srv/openclaw' }));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toBe('host-a: PM2 app openclaw keeps its state in /srv/openclaw (OPENCLAW_STATE_DIR in its env), but the config says stateDir ~/.openclaw: '
      + "the backup and any restore would miss the gateway's data. Set stateDir: /srv/openclaw for host-a in clawops.yml and plan again");
  });

  it('reads --profile from the args like OpenClaw does (~/.openclaw-<name>)', () => {
    expect(appStateDir(undefined, [...ARGS, '--profile', 'work'])).toEqual({ dir: '~/.openclaw-work', source: '--profile work' });
    expect(appStateDir(undefined, ['gateway', 'run', '--profile=work'])).toEqual({ dir: '~/.openclaw-work', source: '--profile work' });
    const error = thrown(plan({ args: [...ARGS, '--profile', 'work'] }));
    expect((error as Error).message).toContain('keeps its state in ~/.openclaw-work (--profile work)');
  });
});
