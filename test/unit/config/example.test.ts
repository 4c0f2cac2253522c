import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isClawopsError } from '../../../src/errors.js';
import { configJsonSchemaText, JSON_SCHEMA_FILE } from '../../../src/config/json-schema.js';
import { loadConfig } from '../../../src/config/load.js';
import { summarizeConfig } from '../../../src/config/summary.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-example',
  SLACK_APP_TOKEN: 'xapp-example',
  SLACK_SIGNING_SECRET: 'example-signing-secret',
  DISCORD_TOKEN: 'example-discord-token',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('clawops.example.yml', () => {
  it('is valid when its secrets are set', async () => {
    const config = await loadConfig({ file: 'clawops.example.yml', cwd: ROOT, env: { HOME: '/home/ops', ...SECRETS } });
    expect(summarizeConfig(config)).toBe('2 environments (staging: 1 host, production: 2 hosts), strategies pm2, blue-green; slack: on (socket mode), discord: on');
    expect(config.windows[0]).toMatchObject({ timezone: 'Europe/Berlin', environments: ['production'] });
    expect(config.chat.slack?.botToken).toBe('xoxb-example');
    expect(config.authorization.length).toBeGreaterThan(0);
  });

  it('names each secret it needs when none is set', async () => {
    const error: unknown = await loadConfig({ file: 'clawops.example.yml', cwd: ROOT, env: { HOME: '/home/ops' } }).catch((caught: unknown) => caught);
    expect(isClawopsError(error, 'CONFIG_INVALID')).toBe(true);
    for (const name of Object.keys(SECRETS)) expect((error as Error).message).toContain(`environment variable ${name} is not set`);
  });
});

describe('schema/clawops.schema.json', () => {
  it('equals a fresh generation from the zod schema (run `npm run schema` after changing it)', async () => {
    const committed = await readFile(join(ROOT, JSON_SCHEMA_FILE), 'utf8');
    expect(committed).toBe(configJsonSchemaText());
  });

  it('describes the input a person writes: defaults shown, defaulted fields optional', () => {
    const schema = JSON.parse(configJsonSchemaText()) as { required?: string[]; properties: Record<string, { default?: unknown }> };
    expect(schema.required).toEqual(['environments']);
    expect(JSON.stringify(schema)).toContain('"default":18789');
  });
});
