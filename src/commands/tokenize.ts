/**
 * Splits a command line into words the way a shell would for the simple cases people type
 * in chat: whitespace separates, '…' and "…" group (and may join onto a word, as in
 * --at="…"), and there are no escapes. Chat clients "improve" what people type, so smart
 * quotes become plain ones and a leading em or en dash (macOS turns `--` into `—`) becomes `--`.
 */

/** One word of the command line. */
export interface Token {
  text: string;
  /** It began with a quote: it is a value, never an option, even if it reads `"--dry-run"`. */
  quoted: boolean;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; message: string };

const SMART_DOUBLE = /[\u201C\u201D\u201E\u201F\u2033\u301D\u301E]/g;
const SMART_SINGLE = /[\u2018\u2019\u201A\u201B\u2032]/g;
const DASH_START = /^[\u2013\u2014\u2015\u2212]+/;
// Tab, newline and carriage return are whitespace; every other control character is refused.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Replaces the punctuation chat clients substitute with what the user meant to type. */
export function normalizeTypography(text: string): string {
  return text.replace(SMART_DOUBLE, '"').replace(SMART_SINGLE, "'");
}

export function tokenize(input: string): TokenizeResult {
  const text = normalizeTypography(input);
  const control = CONTROL.exec(text);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return { ok: false, message: `the command contains a control character (U+${code}) at position ${control.index + 1}; type it again without it` };
  }
  const tokens: Token[] = [];
  let current = '';
  let quoted = false;
  let inWord = false;
  let quote: string | undefined;
  let quoteStart = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charAt(index);
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else current += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      quoteStart = index;
      if (!inWord) quoted = true;
      inWord = true;
      continue;
    }
    if (/\s/.test(char)) {
      if (inWord) tokens.push(finish(current, quoted));
      current = '';
      quoted = false;
      inWord = false;
      continue;
    }
    current += char;
    inWord = true;
  }
  if (quote !== undefined) {
    return { ok: false, message: `the ${quote} quote opened at position ${quoteStart + 1} is never closed` };
  }
  if (inWord) tokens.push(finish(current, quoted));
  return { ok: true, tokens };
}

function finish(text: string, quoted: boolean): Token {
  return { text: quoted ? text : text.replace(DASH_START, '--'), quoted };
}
