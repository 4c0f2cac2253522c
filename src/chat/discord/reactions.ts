import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { ReactionEvent } from '../types.js';
import { reactionName } from './emoji.js';
import { memberRoleIds } from './interactions.js';

/**
 * Whether the bot wrote the message: known for a cached one; an uncached one (sent before this
 * process started) is fetched, and stays unknown when that fails.
 */
export async function isOwnMessage(reaction: MessageReaction | PartialMessageReaction, botId: string | undefined): Promise<boolean | undefined> {
  if (botId === undefined) return undefined;
  const message = reaction.message.partial ? await reaction.message.fetch().catch(() => undefined) : reaction.message;
  return message?.author ? message.author.id === botId : undefined;
}

/**
 * Turns a reaction add into a ReactionEvent. Works on partial (uncached) messages: only ids
 * are needed. The channel reported is the thread's parent, matching the MessageRef.channel
 * that post() returned for a message in that thread.
 */
export function reactionToEvent(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser, botMessage?: boolean): ReactionEvent | undefined {
  const message = reaction.message;
  const emoji = reactionName(reaction.emoji);
  if (emoji === undefined) return undefined;
  const channel = message.channel ?? null;
  const channelId = channel !== null && channel.isThread() && channel.parentId !== null ? channel.parentId : message.channelId;
  const guild = message.guild;
  // The gateway packet carried the member; discord.js cached it before emitting the event.
  const member = guild?.members.cache.get(user.id);
  const groups = member !== undefined ? memberRoleIds(member, guild?.id ?? null) : undefined;
  const userName = member?.displayName ?? user.username ?? undefined;
  return {
    platform: 'discord',
    userId: user.id,
    ...(userName !== undefined ? { userName } : {}),
    ...(groups !== undefined ? { groups } : {}),
    channel: channelId,
    message: message.id,
    reaction: emoji,
    ...(botMessage === undefined ? {} : { botMessage }),
  };
}
