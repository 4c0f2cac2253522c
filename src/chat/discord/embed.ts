import type { APIEmbed } from 'discord.js';
import type { ChatMessage } from '../types.js';

/** Discord's own palette, so tones read the same as Discord's UI. */
export const toneColors: Readonly<Record<NonNullable<ChatMessage['tone']>, number>> = {
  info: 0x5865f2,
  success: 0x57f287,
  warning: 0xfee75c,
  danger: 0xed4245,
};

// Discord rejects the whole message (400) when any embed limit is exceeded, including the
// 6000 characters all texts of an embed may add up to.
const limits = { title: 256, description: 4096, fieldName: 256, fieldValue: 1024, fields: 25, footer: 2048, total: 6000, threadName: 100 };
// Room kept for fields when a long description would otherwise use the whole budget.
const fieldReserve = 1500;

function clip(text: string, max: number): string {
  if (max <= 0) return '';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The embed for one message: title, the text (unless it repeats the title) and lines as
 * description, fields, context as footer, color by tone. Texts are clipped to Discord's limits
 * in that order of importance, so a long checklist is shortened instead of refused.
 */
export function chatMessageToEmbed(message: ChatMessage): APIEmbed {
  let budget = limits.total;
  const take = (text: string, max: number): string => {
    const taken = clip(text, Math.min(max, budget));
    budget -= taken.length;
    return taken;
  };
  const title = message.title !== undefined ? take(message.title, limits.title) : undefined;
  const footer = message.context !== undefined && message.context.length > 0 ? take(message.context.join(' · '), limits.footer) : undefined;
  const wanted = (message.fields ?? []).slice(0, limits.fields).map((field) => ({ name: field.label || '\u200b', value: field.value || '\u200b' }));
  const fieldsNeed = wanted.reduce((sum, field) => sum + Math.min(field.name.length, limits.fieldName) + Math.min(field.value.length, limits.fieldValue), 0);
  const descriptionText = [...(message.text !== message.title ? [message.text] : []), ...(message.lines ?? [])]
    .filter((line) => line !== '')
    .join('\n');
  const description = take(descriptionText, Math.min(limits.description, budget - Math.min(fieldsNeed, fieldReserve)));
  const fields: NonNullable<APIEmbed['fields']> = [];
  for (const field of wanted) {
    // A field needs a non-empty name and value; stop when even that no longer fits.
    if (budget < 2) break;
    const name = take(field.name, Math.min(limits.fieldName, budget - 1));
    fields.push({ name, value: take(field.value, limits.fieldValue), inline: false });
  }
  return {
    ...(title !== undefined && title !== '' ? { title } : {}),
    ...(description !== '' ? { description } : {}),
    ...(fields.length > 0 ? { fields } : {}),
    ...(footer !== undefined && footer !== '' ? { footer: { text: footer } } : {}),
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
