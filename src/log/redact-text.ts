/**
 * Secrets in free text (a gateway's log tail shown in the chat thread): pino redacts by key, but
 * a log line is just text. Covers the shapes OpenClaw and its channels print: `key=value` /
 * `"key": "value"` for secret-sounding keys, bearer tokens, Slack/Discord/Telegram/OpenAI-style
 * tokens, and credentials in URLs.
 */
import { REDACTED } from './logger.js';

const SECRET_KEY = '(?:[A-Za-z0-9_-]*(?:token|secret|password|passwd|passphrase|api[_-]?key|apikey|authorization|cookie|credential)[A-Za-z0-9_-]*)';

const PATTERNS: readonly [RegExp, (match: string, ...groups: string[]) => string][] = [
  // Before key=value: `Authorization: Bearer x` keeps the scheme word.
  [/\b(Bearer|Basic|Bot)\s+[A-Za-z0-9._~+/=-]{8,}/g, (_m, scheme: string) => `${scheme} ${REDACTED}`],
  // "botToken": "…" / botToken: '…' / TOKEN=… / token = …
  [new RegExp(`(["']?${SECRET_KEY}["']?\\s*[:=]\\s*)(["']?)([^\\s"',;}]+)\\2`, 'gi'), (_m, head: string, quote: string) => `${head}${quote}${REDACTED}${quote}`],
  [/\bxox[abposr]-[A-Za-z0-9-]{8,}/g, () => REDACTED],
  [/\bxapp-[A-Za-z0-9-]{8,}/g, () => REDACTED],
  [/\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g, () => REDACTED],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, () => REDACTED],
  [/\b[MN][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}\b/g, () => REDACTED],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, (_m, head: string) => `${head}${REDACTED}@`],
];

/** The text with anything that looks like a secret replaced by `[redacted]`. */
export function redactSecretsInText(text: string): string {
  return PATTERNS.reduce((out, [pattern, replace]) => out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string), text);
}
