import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordCommandDefinitions } from '../../src/chat/discord/definitions.js';
import { run } from '../../src/cli/discord-register.js';
import type { CliContext } from '../../src/cli/types.js';
import { configSchema } from '../../src/config/schema.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

function context(discord: Record<string, unknown> | undefined) {
  const out: string[] = [];
  const config = configSchema.parse({
    environments: { staging: { hosts: [{ name: 'host-a', address: '127.0.0.1', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'pm2' } }] } },
    ...(discord !== undefined ? { chat: { discord } } : {}),
  });
  const value: CliContext = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: () => true },
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
    configFile: undefined,
    loadConfig: async () => config,
    logger: pino({ level: 'silent' }),
  };
  return { value, out };
}

describe('clawops discord register', () => {
  let fake: FakeDiscord;
  beforeAll(async () => { fake = await startFakeDiscord(); });
  afterAll(async () => { await fake.close(); });

  it('registers in the configured guild and says where', async () => {
    const { value, out } = context({ token: fake.token, applicationId: fake.applicationId, guildId: fake.guild.id, apiUrl: fake.apiUrl });
    expect(await run([], value)).toBe(0);
    expect(out.join('')).toBe(`Registered /openclaw in guild ${fake.guild.id}.\n`);
    expect(fake.state.commands.get(`/applications/${fake.applicationId}/guilds/${fake.guild.id}/commands`)).toEqual(discordCommandDefinitions());
  });

  it('--global ignores the configured guild', async () => {
    const { value, out } = context({ token: fake.token, applicationId: fake.applicationId, guildId: fake.guild.id, apiUrl: fake.apiUrl });
    expect(await run(['--global'], value)).toBe(0);
    expect(out.join('')).toMatch(/globally/);
    expect(fake.state.commands.has(`/applications/${fake.applicationId}/commands`)).toBe(true);
  });

  it('--print writes the definitions and calls nobody', async () => {
    const before = fake.calls.length;
    const { value, out } = context(undefined);
    expect(await run(['--print'], value)).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual(discordCommandDefinitions());
    expect(fake.calls.length).toBe(before);
  });

  it('without chat.discord it is a config error', async () => {
    const { value } = context(undefined);
    await expect(run([], value)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
