export { createDiscordAdapter, type DiscordAdapterOptions, type DiscordConfig } from './adapter.js';
export { registerDiscordCommands, type RegisterDiscordCommandsOptions, type RegisterDiscordCommandsResult } from './register.js';
export { discordCommandDefinitions } from './definitions.js';
export { discordSubcommands, DISCORD_COMMAND_NAME, type DiscordSubcommandSpec, type DiscordOptionSpec } from './command-spec.js';
export { interactionToCommandText, quoteWord, type InvokedSubcommand } from './command-text.js';
export { chatMessageToEmbed, chatMessageToPayload, toneColors } from './embed.js';
export { discordEmoji } from './emoji.js';
