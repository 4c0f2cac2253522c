import { MessageFlags, type ChatInputCommandInteraction, type GuildMember, type APIInteractionGuildMember } from 'discord.js';
import type { Logger } from '../../log/logger.js';
import { isClawopsError } from '../../errors.js';
import type { CommandEvent } from '../types.js';
import { interactionToCommandText } from './command-text.js';

/** The role ids of a guild member, without @everyone (whose id is the guild's). */
export function memberRoleIds(member: GuildMember | APIInteractionGuildMember | null | undefined, guildId: string | null): string[] | undefined {
  if (member === null || member === undefined) return undefined;
  const ids = Array.isArray(member.roles) ? [...member.roles] : [...member.roles.cache.keys()];
  return ids.filter((id) => id !== guildId);
}

// Ephemeral replies are plain content; Discord caps content at 2000 characters.
function clipContent(text: string): string {
  return text.length <= 2000 ? text : `${text.slice(0, 1999)}…`;
}

function userFacingError(error: unknown): string {
  return isClawopsError(error) ? error.message : 'Something went wrong while handling that command; the operators have the details in the logs.';
}

/**
 * Answers one `/openclaw` interaction. It is deferred (ephemeral) before anything else runs,
 * because Discord drops interactions not answered within 3 s; the handler's private replies
 * then fill that deferred answer and later ones become ephemeral follow-ups.
 */
export async function handleCommandInteraction(
  interaction: ChatInputCommandInteraction,
  handlers: ReadonlyArray<(event: CommandEvent) => Promise<void>>,
  logger: Logger,
): Promise<void> {
  try {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  } catch (error) {
    // Not acknowledged: the user already sees a failure, so running the command would surprise them.
    logger.warn({ err: error, interaction: interaction.id }, 'could not acknowledge a Discord interaction; command dropped');
    return;
  }

  let answered = false;
  const replyPrivately = async (message: string): Promise<void> => {
    const content = clipContent(message);
    if (!answered) {
      answered = true;
      await interaction.editReply({ content });
    } else {
      await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
    }
  };

  let text: string;
  try {
    const subcommand = interaction.options.getSubcommand(true);
    const options = interaction.options.data[0]?.options ?? [];
    text = interactionToCommandText({ subcommand, options: options.map((option) => ({ name: option.name, value: option.value })) });
  } catch (error) {
    await replyPrivately(userFacingError(error)).catch((replyError: unknown) => logger.warn({ err: replyError }, 'could not answer a Discord interaction'));
    return;
  }

  const groups = memberRoleIds(interaction.member, interaction.guildId);
  const member = interaction.member;
  const userName = member !== null && 'displayName' in member ? member.displayName : interaction.user.username;
  const event: CommandEvent = {
    platform: 'discord',
    userId: interaction.user.id,
    userName,
    ...(groups !== undefined ? { groups } : {}),
    channel: interaction.channelId,
    text,
    replyPrivately,
  };
  logger.info({ user: event.userId, channel: event.channel, text }, 'discord command');

  try {
    for (const handler of handlers) await handler(event);
    if (!answered) await replyPrivately(`\`/openclaw ${text}\` received.`);
  } catch (error) {
    logger.error({ err: error, text }, 'discord command handler failed');
    await replyPrivately(userFacingError(error)).catch((replyError: unknown) => logger.warn({ err: replyError }, 'could not answer a Discord interaction'));
  }
}
