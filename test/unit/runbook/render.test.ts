import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/runbook/plan.js';
import { displayCommand, renderPlanText } from '../../../src/runbook/render.js';
import { CHANGELOG_2026_9_6, fleet, host, planFacts } from './fixtures.js';

describe('displayCommand', () => {
  it('quotes what a shell would change and keeps ~/ visible', () => {
    expect(displayCommand(['echo', "it's", '$(x)', '~/a b', '', 'plain/path-1.2'], { OPENCLAW_STATE_DIR: '~/.openclaw green' }))
      .toBe(`OPENCLAW_STATE_DIR=~/'.openclaw green' echo 'it'\\''s' '$(x)' ~/'a b' '' plain/path-1.2`);
  });

  it('shows a multi-line script argument by its first line and size, not whole', () => {
    const script = "const { execFileSync } = require('node:child_process');\nconst app = process.argv[1];\nconsole.log(app);\n";
    expect(displayCommand(['node', '-e', script, 'openclaw'])).toBe("node -e 'const { execFileSync } = require('\\''node:child_process'\\''); …' (4-line script) openclaw");
  });
});

describe('renderPlanText', () => {
  it('shows the header, gates in place and every host with its exact command line', () => {
    const config = fleet({ production: { hosts: [host('gw', { kind: 'pm2' })] } });
    const plan = buildPlan({ kind: 'upgrade', version: '2026.9.6', dryRun: true, skipStaging: false }, config, planFacts(config, { changelogs: { '2026.9.6': CHANGELOG_2026_9_6 } }));
    const text = renderPlanText(plan);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`Upgrade production: 2026.9.5 → 2026.9.6 (patch) · strategy pm2 · plan ${plan.hash}`);
    expect(text).toContain('Changelog: 1 breaking, 1 migration, 1 runtime, 1 new config');
    const gate = lines.findIndex((line) => line.includes('GATE breaking-change'));
    expect(lines[gate + 1]).toBe('  1. [ ] gw: Probe the running version');
    expect(lines[gate + 2]).toBe('        $ ~/.clawops/releases/current/bin/openclaw --version');
    expect(text).toContain('  8. [ ] gw [batch 1]: pm2 reload openclaw (restarts the gateway)\n        $ pm2 reload openclaw --update-env --force');
    expect(text).toContain('poll http://127.0.0.1:18789/readyz until ready (60 s, from the host)');
  });
});
