import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  type APIApplicationCommandBasicOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { DISCORD_COMMAND_NAME, discordSubcommands, type DiscordOptionSpec } from './command-spec.js';

function optionDefinition(option: DiscordOptionSpec): APIApplicationCommandBasicOption {
  const base = { name: option.name, description: option.description, required: option.required ?? false };
  if (option.type === 'boolean') return { ...base, type: ApplicationCommandOptionType.Boolean };
  return {
    ...base,
    type: ApplicationCommandOptionType.String,
    ...(option.choices ? { choices: option.choices.map((choice) => ({ name: choice, value: choice })) } : {}),
  };
}

/** The body PUT to Discord's application commands route: the one `/openclaw` command with its subcommands. */
export function discordCommandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [{
    type: ApplicationCommandType.ChatInput,
    name: DISCORD_COMMAND_NAME,
    description: 'Upgrade and operate OpenClaw gateways',
    // Only in servers: roles decide who may approve, and DMs have none.
    contexts: [InteractionContextType.Guild],
    options: discordSubcommands.map((sub) => ({
      type: ApplicationCommandOptionType.Subcommand,
      name: sub.name,
      description: sub.description,
      options: sub.options.map(optionDefinition),
    })),
  }];
}
