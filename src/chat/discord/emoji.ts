/**
 * Reactions arrive in ChatMessage as unicode (`✅`) or Slack-style names (`:white_check_mark:`);
 * Discord's API takes unicode for standard emoji and `name:id` for a server's custom emoji.
 */
const byName: Readonly<Record<string, string>> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  octagonal_sign: '🛑',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  warning: '⚠️',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  '-1': '👎',
  eyes: '👀',
  rocket: '🚀',
  hourglass: '⌛',
  repeat: '🔁',
  rewind: '⏪',
};

/** The emoji Discord accepts for a reaction, or undefined for a name it would not know. */
export function discordEmoji(reaction: string): string | undefined {
  const trimmed = reaction.trim();
  const custom = /^<?a?:?([\w~]+):(\d+)>?$/.exec(trimmed);
  if (custom !== null) return `${custom[1] ?? ''}:${custom[2] ?? ''}`;
  const name = /^:?([\w+-]+):?$/.exec(trimmed)?.[1];
  if (name !== undefined) return byName[name];
  return trimmed === '' ? undefined : trimmed;
}

/** The name a ReactionEvent reports for a unicode emoji: the unicode itself; for custom emoji their name. */
export function reactionName(emoji: { name: string | null; id: string | null }): string | undefined {
  return emoji.name ?? emoji.id ?? undefined;
}
