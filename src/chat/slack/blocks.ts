/** ChatMessage → Block Kit. Pure. Limits from Slack's Block Kit reference. */
import type { ChatMessage } from '../types.js';

/** The subset of Block Kit blocks clawops sends. */
export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'section'; fields: Array<{ type: 'mrkdwn'; text: string }> }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> };

const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;
const CONTEXT_ELEMENTS_MAX = 10;
const BLOCKS_MAX = 50;

/** Slack's mrkdwn needs only these three escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Joins lines into as few sections as fit 3,000 characters each. */
function chunkLines(lines: readonly string[]): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const line of lines.map((l) => clip(escapeMrkdwn(l), SECTION_MAX))) {
    if (current.length > 0 && current.length + 1 + line.length > SECTION_MAX) {
      chunks.push(current);
      current = '';
    }
    current = current.length === 0 ? line : `${current}\n${line}`;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function toBlocks(message: ChatMessage): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  if (message.title !== undefined) blocks.push({ type: 'header', text: { type: 'plain_text', text: clip(message.title, HEADER_MAX), emoji: true } });
  if (message.text.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(message.text), SECTION_MAX) } });
  const fields = message.fields ?? [];
  for (let i = 0; i < fields.length; i += FIELDS_PER_SECTION) {
    blocks.push({
      type: 'section',
      fields: fields.slice(i, i + FIELDS_PER_SECTION).map((field) => ({
        type: 'mrkdwn' as const, text: clip(`*${escapeMrkdwn(field.label)}*\n${escapeMrkdwn(field.value)}`, FIELD_MAX),
      })),
    });
  }
  for (const chunk of chunkLines(message.lines ?? [])) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  const context = (message.context ?? []).slice(0, CONTEXT_ELEMENTS_MAX);
  if (context.length > 0) blocks.push({ type: 'context', elements: context.map((text) => ({ type: 'mrkdwn' as const, text: clip(escapeMrkdwn(text), FIELD_MAX) })) });
  return blocks.slice(0, BLOCKS_MAX);
}

/** The notification / fallback text: title and text on one line. */
export function fallbackText(message: ChatMessage): string {
  return clip(message.title === undefined ? message.text : `${message.title}: ${message.text}`, 4000);
}

const EMOJI_NAMES: Readonly<Record<string, string>> = {
  '✅': 'white_check_mark', '❌': 'x', '🛑': 'octagonal_sign', '👍': '+1', '👎': '-1', '⏸️': 'double_vertical_bar', '↩️': 'leftwards_arrow_with_hook', '🚀': 'rocket',
};

/** Slack wants reaction names; renderers use unicode. Returns undefined for emoji it does not know. */
export function reactionName(reaction: string): string | undefined {
  const bare = reaction.replace(/^:|:$/g, '');
  if (/^[\w+-]+$/.test(bare)) return bare;
  return EMOJI_NAMES[reaction];
}

/** `+1::skin-tone-3` → `+1`: approvals should not depend on skin tone. */
export function normalizeReaction(name: string): string {
  return name.replace(/::skin-tone-\d$/, '');
}
