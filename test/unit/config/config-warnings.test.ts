import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/config-check.js';
import type { CliContext } from '../../../src/cli/types.js';
import { healthBaseUrl } from '../../../src/jobs/targets.js';
import { healthBase } from '../../../src/runbook/context.js';
import { quietLogger } from '../../jobs/fixtures.js';
import { fleet, host } from '../runbook/fixtures.js';

const blueGreen = { kind: 'blue-green', publicUrl: 'https://oc.example.com' };
const config = fleet({ production: { hosts: [host('prod-1', blueGreen, { healthUrl: 'http://127.0.0.1:18789' }), host('prod-2', { kind: 'pm2' }, { healthUrl: 'http://127.0.0.1:18789' })] } });

describe('healthUrl on a blue-green host', () => {
  it('config check warns, says what to do, and still exits 0', async () => {
    let out = '';
    const context = { stdout: { write: (text: string) => { out += text; } }, stderr: { write: () => undefined }, loadConfig: async () => config, logger: quietLogger() } as unknown as CliContext;
    expect(await run([], context)).toBe(0);
    const warnings = out.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toEqual([
      'warning: environments.production.hosts[0].healthUrl: ignored on a blue-green host (prod-1): http://127.0.0.1:18789 reaches one color, so after a switch it would probe the stopped one; '
        + "clawops checks the live color's port and strategy.publicUrl instead. Remove healthUrl (set publicUrl to the address clients use)",
    ]);
  });

  it('is ignored by the watch, check and status probe and by the plan\'s health base; other strategies keep it', () => {
    const [bg, pm2] = config.environments['production']?.hosts ?? [];
    if (!bg || !pm2) throw new Error('no hosts');
    expect(healthBaseUrl(bg)).toBe('https://oc.example.com');
    expect(healthBase(bg)).toBe('http://127.0.0.1:18789');
    expect(healthBaseUrl(pm2)).toBe('http://127.0.0.1:18789');
    const custom = fleet({ production: { hosts: [host('p', { kind: 'pm2' }, { healthUrl: 'http://127.0.0.1:9000/' })] } }).environments['production']?.hosts[0];
    expect(custom && healthBase(custom)).toBe('http://127.0.0.1:9000');
    const bgCustom = fleet({ production: { hosts: [host('b', blueGreen, { healthUrl: 'http://127.0.0.1:9000/' })] } }).environments['production']?.hosts[0];
    expect(bgCustom && healthBase(bgCustom)).toBe('http://127.0.0.1:18789');
  });
});
