/**
 * `clawops discord register`: writes the `/openclaw` application command to Discord. This
 * module stays light (discord.js is imported only when the command runs), so the command
 * list can import `discordRegisterCommand` without slowing other commands.
 */
import type { RegisterDiscordCommandsOptions, RegisterDiscordCommandsResult } from '../chat/discord/register.js';
import { ClawopsError } from '../errors.js';
import { parseCliArgs } from './args.js';
import type { CliCommandSpec, CliRun } from './types.js';

export type { RegisterDiscordCommandsOptions, RegisterDiscordCommandsResult };

/** PUTs the `/openclaw` definitions (guild-scoped with `guildId`, else global); see src/chat/discord/register.ts. */
export async function registerDiscordCommands(options: RegisterDiscordCommandsOptions): Promise<RegisterDiscordCommandsResult> {
  const module = await import('../chat/discord/register.js');
  return module.registerDiscordCommands(options);
}

const usage = [
  'Usage: clawops discord register [--guild ID | --global] [--print]',
  '',
  'Registers the /openclaw command (with its subcommands) for the bot in chat.discord.',
  'Uses chat.discord.guildId when set: guild commands appear at once. Re-running is safe:',
  'the whole command list is replaced.',
  '',
  'Options:',
  '  --guild ID  Register in this guild instead of chat.discord.guildId',
  '  --global    Register globally, even if a guildId is configured',
  '  --print     Print the command definitions as JSON and register nothing',
].join('\n');

export const run: CliRun = async (args, context) => {
  const { values } = parseCliArgs(args, {
    guild: { type: 'string' },
    global: { type: 'boolean' },
    print: { type: 'boolean' },
  });
  if (values.print === true) {
    const { discordCommandDefinitions } = await import('../chat/discord/definitions.js');
    context.stdout.write(`${JSON.stringify(discordCommandDefinitions(), null, 2)}\n`);
    return 0;
  }
  if (values.global === true && values.guild !== undefined) {
    throw new ClawopsError('COMMAND_INVALID', 'give either --guild or --global');
  }
  const config = await context.loadConfig();
  const discord = config.chat.discord;
  if (discord === undefined) {
    throw new ClawopsError('CONFIG_INVALID', 'chat.discord is not configured: add token and applicationId to register /openclaw');
  }
  const guildId = values.global === true ? undefined : values.guild ?? discord.guildId;
  const result = await registerDiscordCommands({
    token: discord.token,
    applicationId: discord.applicationId,
    guildId,
    apiUrl: discord.apiUrl,
    signal: context.signal,
  });
  const where = result.scope === 'guild' ? `in guild ${guildId ?? ''}` : 'globally';
  context.stdout.write(`Registered ${result.commands.map((command) => `/${command.name}`).join(', ')} ${where}.\n`);
  return 0;
};

/** The entry for src/cli/command-list.ts. */
export const discordRegisterCommand: CliCommandSpec = {
  path: ['discord', 'register'],
  summary: 'Register the /openclaw command with Discord',
  usage,
  load: async () => ({ run }),
};
