/** ChatMessage → terminal lines. Pure. */
import type { ChatMessage } from '../types.js';

const INDENT = '    ';

export function messageLabel(number: number, thread: number | undefined): string {
  return thread === undefined || thread === number ? `[${number}]` : `[${number} ↳ ${thread}]`;
}

/** The whole message, as first posted. */
export function formatFull(label: string, message: ChatMessage): string[] {
  const out = [`${label} ${message.title ?? message.text}`];
  if (message.title !== undefined && message.text.length > 0) out.push(...indent(message.text));
  for (const field of message.fields ?? []) {
    const [first = '', ...rest] = field.value.split('\n');
    out.push(`${INDENT}${field.label}: ${first}`, ...rest.map((line) => `${INDENT}  ${line}`));
  }
  for (const line of message.lines ?? []) out.push(`${INDENT}${line}`);
  if ((message.context ?? []).length > 0) out.push(`${INDENT}(${(message.context ?? []).join(' · ')})`);
  const number = /^\[(\d+)/.exec(label)?.[1] ?? '?';
  if ((message.reactions ?? []).length > 0) {
    out.push(`${INDENT}react: ${(message.reactions ?? []).map((reaction) => `+1 ${reaction} ${number}`).join('  or  ')}`);
  }
  return out;
}

/** An edit: the title and the lines (a checklist), or the text when there are no lines. */
export function formatCompact(label: string, message: ChatMessage): string[] {
  const head = `${label} ✎ ${message.title ?? message.text}`;
  if ((message.lines ?? []).length > 0) return [head, ...(message.lines ?? []).map((line) => `${INDENT}${line}`)];
  if (message.title !== undefined && message.text.length > 0) return [head, ...indent(message.text)];
  return [head];
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `${INDENT}${line}`);
}
