/**
 * Where a restored state dir is found: OpenClaw's backup keeps it under
 * `<archiveRoot>/payload/posix/<absolute source path>` (measured with real openclaw 2026.9.1),
 * so the pattern follows the state dir that was backed up, not always `/root/.openclaw`.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/runbook/plan.js';
import { restoredStatePattern } from '../../../src/runbook/steps.js';
import type { Command } from '../../../src/commands/types.js';
import { commandLines, fleet, host, planFacts } from './fixtures.js';

const UPGRADE: Command = { kind: 'upgrade', version: '2026.9.6', dryRun: false, skipStaging: false };

describe('restored state dir pattern', () => {
  it('matches the absolute path the archive keeps, for any home directory', () => {
    expect(restoredStatePattern('/srv/openclaw/blue/')).toBe('*/payload/posix/srv/openclaw/blue');
    // `*` in find -path also matches `/`: /root/.openclaw and /home/openclaw/.openclaw both fit.
    expect(restoredStatePattern('~/.openclaw')).toBe('*/payload/posix/*/.openclaw');
  });

  it('blue-green restores green from blue\'s state dir, wherever blue keeps it', () => {
    const strategy = {
      kind: 'blue-green', publicUrl: 'https://openclaw.example.com',
      blue: { port: 18789, stateDir: '/srv/openclaw/blue', app: 'oc-blue' },
      green: { port: 19789, stateDir: '/srv/openclaw/green', app: 'oc-green' },
    };
    const config = fleet({ production: { hosts: [host('gw', strategy)] } });
    const swap = commandLines(buildPlan(UPGRADE, config, planFacts(config))).find((line) => line.startsWith('gw:state-swap:'));
    expect(swap).toBe("gw:state-swap: find /srv/openclaw/green.restore-u42/done -mindepth 1 -type d -path '*/payload/posix/srv/openclaw/blue' -prune -exec mv -T '{}' /srv/openclaw/green ';'");
  });
});
