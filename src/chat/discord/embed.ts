import type { APIEmbed } from 'discord.js';
import type { ChatMessage } from '../types.js';

/** Discord's own palette, so tones read the same as Discord's UI. */
export const toneColors: Readonly<Record<NonNullable<ChatMessage['tone']>, number>> = {
  info: 0x5865f2,
  success: 0x57f287,
  warning: 0xfee75c,
  danger: 0xed4245,
};

// Discord rejects the whole message (400) when any embed limit is exceeded.
const limits = { title: 256, description: 4096, fieldName: 256, fieldValue: 1024, fields: 25, footer: 2048, threadName: 100 };

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The embed for one message: title, the text (unless it repeats the title) and lines as description, fields, context as footer, color by tone. */
export function chatMessageToEmbed(message: ChatMessage): APIEmbed {
  const description = [...(message.text !== message.title ? [message.text] : []), ...(message.lines ?? [])]
    .filter((line) => line !== '')
    .join('\n');
  const fields = (message.fields ?? []).slice(0, limits.fields).map((field) => ({
    name: clip(field.label || '\u200b', limits.fieldName),
    value: clip(field.value || '\u200b', limits.fieldValue),
    inline: false,
  }));
  return {
    ...(message.title !== undefined ? { title: clip(message.title, limits.title) } : {}),
    ...(description !== '' ? { description: clip(description, limits.description) } : {}),
    ...(fields.length > 0 ? { fields } : {}),
    ...(message.context !== undefined && message.context.length > 0 ? { footer: { text: clip(message.context.join(' · '), limits.footer) } } : {}),
    color: toneColors[message.tone ?? 'info'],
  };
}

/** The body of a create or edit. `content` is emptied so an edit replaces everything. */
export function chatMessageToPayload(message: ChatMessage): { content: string; embeds: APIEmbed[] } {
  return { content: '', embeds: [chatMessageToEmbed(message)] };
}

/** A thread name from the root message (Discord allows 1–100 characters). */
export function threadName(message: Pick<ChatMessage, 'title' | 'text'>): string {
  const name = (message.title ?? message.text).replace(/\s+/g, ' ').trim();
  return clip(name === '' ? 'clawops' : name, limits.threadName);
}
