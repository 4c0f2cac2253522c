import { DiscordAPIError, REST, Routes, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { ClawopsError } from '../../errors.js';
import { discordCommandDefinitions } from './definitions.js';

/** Where and as whom to register the `/openclaw` command. */
export interface RegisterDiscordCommandsOptions {
  token: string;
  applicationId: string;
  /** Register in this guild only (takes effect at once); without it the command is global. */
  guildId?: string | undefined;
  /** Base of the REST API (`https://discord.com/api` by default); tests point it at a fake. */
  apiUrl?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** What Discord now holds: the scope written and the registered command ids by name. */
export interface RegisterDiscordCommandsResult {
  scope: 'guild' | 'global';
  commands: Array<{ id: string; name: string }>;
}

/**
 * Replaces the application's commands with `/openclaw` (PUT is a bulk overwrite, so running it
 * again is harmless and removes commands that are no longer defined).
 */
export async function registerDiscordCommands(options: RegisterDiscordCommandsOptions): Promise<RegisterDiscordCommandsResult> {
  const rest = new REST({ ...(options.apiUrl ? { api: options.apiUrl } : {}), retries: 1 }).setToken(options.token);
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  try {
    const result = await rest.put(route, {
      body: discordCommandDefinitions(),
      ...(options.signal ? { signal: options.signal } : {}),
    }) as RESTPutAPIApplicationCommandsResult;
    return {
      scope: options.guildId ? 'guild' : 'global',
      commands: result.map((command) => ({ id: command.id, name: command.name })),
    };
  } catch (error) {
    if (options.signal?.aborted) throw new ClawopsError('ABORTED', 'Registering the Discord commands was cancelled.', {}, { cause: error });
    const status = error instanceof DiscordAPIError ? error.status : undefined;
    const hint = status === 401 ? ' (check chat.discord.token)' : status === 403 || status === 404 ? ' (check applicationId/guildId and that the bot is in the guild)' : '';
    throw new ClawopsError('INTERNAL', `Discord refused the command registration${hint}: ${(error as Error).message}`, {
      status, route, applicationId: options.applicationId, guildId: options.guildId,
    }, { cause: error });
  } finally {
    rest.clearHandlerSweeper();
    rest.clearHashSweeper();
  }
}
