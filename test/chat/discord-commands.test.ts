import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordSubcommands } from '../../src/chat/discord/command-spec.js';
import { interactionToCommandText, quoteWord } from '../../src/chat/discord/command-text.js';
import { discordCommandDefinitions } from '../../src/chat/discord/definitions.js';
import { registerDiscordCommands } from '../../src/chat/discord/register.js';
import { COMMAND_SPECS } from '../../src/commands/grammar.js';
import { parseCommand } from '../../src/commands/parse.js';
import { tokenize } from '../../src/commands/tokenize.js';
import type { Command } from '../../src/commands/types.js';
import { isClawopsError } from '../../src/errors.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const text = (subcommand: string, options: Record<string, string | boolean> = {}) =>
  interactionToCommandText({ subcommand, options: Object.entries(options).map(([name, value]) => ({ name, value })) });

describe('/openclaw subcommands and the shared text grammar', () => {
  it('has one subcommand per command of the grammar, with the same options and positionals', () => {
    expect(discordSubcommands.map((sub) => sub.name).sort()).toEqual(COMMAND_SPECS.map((spec) => spec.kind).sort());
    for (const spec of COMMAND_SPECS) {
      const sub = discordSubcommands.find((candidate) => candidate.name === spec.kind);
      const flags = sub?.options.filter((option) => option.render === 'flag').map((option) => option.name);
      expect(flags, spec.kind).toEqual(spec.options.map((option) => option.name));
      const positionals = sub?.options.filter((option) => option.render === 'positional') ?? [];
      expect(positionals.map((option) => option.required ?? false), spec.kind).toEqual(spec.positionals.map((positional) => positional.required));
    }
  });

  const cases: Array<[string, Record<string, string | boolean>, Command]> = [
    ['upgrade', { version: '1.3.0', env: 'production', 'dry-run': true }, { kind: 'upgrade', version: '1.3.0', environment: 'production', dryRun: true, skipStaging: false }],
    ['upgrade', { version: '2026.9.6', window: 'next', hosts: 'host-a,host-b', strategy: 'pm2', 'skip-staging': true },
      { kind: 'upgrade', version: '2026.9.6', strategy: 'pm2', hosts: ['host-a', 'host-b'], schedule: { kind: 'window', which: 'next' }, dryRun: false, skipStaging: true }],
    ['rollback', { env: 'production', 'from-backup': 'bk-20260314', 'dry-run': true }, { kind: 'rollback', environment: 'production', fromBackup: 'bk-20260314', dryRun: true }],
    ['status', {}, { kind: 'status' }],
    ['version', { env: 'staging' }, { kind: 'version', environment: 'staging' }],
    ['check', {}, { kind: 'check' }],
    ['changelog', { from: '2026.9.5', to: '2026.9.6' }, { kind: 'changelog', from: '2026.9.5', to: '2026.9.6' }],
    ['backup', { action: 'verify', env: 'production' }, { kind: 'backup', action: 'verify', environment: 'production' }],
    ['doctor', { env: 'staging' }, { kind: 'doctor', environment: 'staging' }],
    ['schedule', { action: 'list' }, { kind: 'schedule', action: 'list' }],
    ['schedule', { action: 'cancel', id: '42' }, { kind: 'schedule', action: 'cancel', id: '42' }],
    ['cancel', { id: '17' }, { kind: 'cancel', upgradeId: '17' }],
    ['history', { env: 'production' }, { kind: 'history', environment: 'production' }],
    ['help', { topic: 'upgrade' }, { kind: 'help', topic: 'upgrade' }],
  ];
  for (const [subcommand, options, command] of cases) {
    it(`${subcommand} ${JSON.stringify(options)} parses to the same command as typed text`, () => {
      const result = parseCommand(text(subcommand, options));
      expect(result).toEqual({ ok: true, command });
    });
  }

  it('keeps a time with spaces as one value', () => {
    const line = text('upgrade', { version: '2026.9.6', at: '2026-12-01 03:00 Europe/Berlin' });
    expect(line).toBe("upgrade 2026.9.6 --at '2026-12-01 03:00 Europe/Berlin'");
    const result = parseCommand(line);
    expect(result.ok && result.command.kind === 'upgrade' ? result.command.schedule : undefined)
      .toEqual({ kind: 'at', text: '2026-12-01 03:00 Europe/Berlin' });
  });

  it('a value that looks like a flag stays a value, and the parser judges it', () => {
    const line = text('version', { env: '--dry-run' });
    expect(line).toBe("version '--dry-run'");
    expect(parseCommand(line).ok).toBe(false);
  });

  it.each([
    ['upgrade', { version: '1.3.0', env: '' }, 'env'],
    ['upgrade', { version: '', env: 'production' }, 'version'],
    ['upgrade', { version: '1.3.0', env: '  ' }, 'env'],
    ['upgrade', { version: '1.3.0', env: '""' }, 'env'],
    ['rollback', { env: '\u201C\u201D' }, 'env'],
  ])('refuses an empty option by its name: %s %j', (subcommand, options, name) => {
    expect(() => text(subcommand, options)).toThrow(`the option \`${name}\` is empty: give it a value, or leave the option out. Nothing was done.`);
  });

  it('refuses unknown subcommands and options', () => {
    expect(() => text('reboot')).toThrow(/Unknown subcommand/);
    expect(() => text('status', { env: 'x' })).toThrow(/has no option/);
    try {
      text('reboot');
    } catch (error) {
      expect(isClawopsError(error, 'COMMAND_INVALID')).toBe(true);
    }
  });

  it('quoteWord: any value reads back as exactly one token with the same text', () => {
    const noControl = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      // Discord string options are one line; the tokenizer refuses control characters anyway.
      // eslint-disable-next-line no-control-regex
      .filter((value) => !/[\u0000-\u001F\u007F-\u009F\u2018-\u201F\u2032\u2033\u301D\u301E]/.test(value));
    fc.assert(fc.property(noControl, (value) => {
      const result = tokenize(quoteWord(value));
      expect(result).toEqual({ ok: true, tokens: [expect.objectContaining({ text: value })] });
    }));
  });
});

describe('command definitions and registration', () => {
  let fake: FakeDiscord;
  beforeAll(async () => { fake = await startFakeDiscord(); });
  afterAll(async () => { await fake.close(); });

  it('defines one /openclaw chat command whose subcommands carry the options, required first', () => {
    const [command] = discordCommandDefinitions();
    expect(command).toMatchObject({ name: 'openclaw', type: 1 });
    const upgrade = command?.options?.find((option) => option.name === 'upgrade');
    expect(upgrade?.type).toBe(1);
    const options = upgrade && 'options' in upgrade ? upgrade.options ?? [] : [];
    expect(options.map((option) => option.name)).toEqual(['version', 'env', 'strategy', 'hosts', 'at', 'window', 'dry-run', 'skip-staging']);
    expect(options.find((option) => option.name === 'dry-run')?.type).toBe(5);
    for (const sub of command?.options ?? []) {
      const subOptions = 'options' in sub ? sub.options ?? [] : [];
      const required = subOptions.map((option) => ('required' in option ? option.required === true : false));
      expect(required.indexOf(false) === -1 || !required.slice(required.indexOf(false)).includes(true), sub.name).toBe(true);
      // Discord's rule for names: lowercase, 1–32 characters.
      for (const option of subOptions) expect(option.name).toMatch(/^[-_a-z0-9]{1,32}$/);
      expect(sub.description.length).toBeLessThanOrEqual(100);
    }
  });

  it('PUTs the definitions to the guild route when a guild is given', async () => {
    const result = await registerDiscordCommands({ token: fake.token, applicationId: fake.applicationId, guildId: fake.guild.id, apiUrl: fake.apiUrl });
    const call = await fake.waitForCall((candidate) => candidate.method === 'PUT');
    expect(call.path).toBe(`/applications/${fake.applicationId}/guilds/${fake.guild.id}/commands`);
    expect(call.authorization).toBe(`Bot ${fake.token}`);
    expect(call.body).toEqual(discordCommandDefinitions());
    expect(result.scope).toBe('guild');
    expect(result.commands.map((command) => command.name)).toEqual(['openclaw']);
  });

  it('PUTs globally without a guild', async () => {
    const result = await registerDiscordCommands({ token: fake.token, applicationId: fake.applicationId, apiUrl: fake.apiUrl });
    expect(result.scope).toBe('global');
    expect(fake.state.commands.get(`/applications/${fake.applicationId}/commands`)).toEqual(discordCommandDefinitions());
  });

  it('reports a rejected token as a ClawopsError with a hint', async () => {
    await expect(registerDiscordCommands({ token: 'wrong', applicationId: fake.applicationId, apiUrl: fake.apiUrl }))
      .rejects.toThrow(/check chat\.discord\.token/);
  });
});
