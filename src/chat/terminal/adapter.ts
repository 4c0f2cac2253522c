/**
 * The local default chat: no tokens, stdin/stdout. Messages are numbered `[3]` so people can
 * react (`+1 ✅ 3`); edits reprint a compact checklist, or redraw in place on a TTY when the
 * edited message is the last thing on screen.
 */
import { userInfo } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import type { ChatAdapter, ChatMessage, CommandEvent, MessageRef, ReactionEvent, ThreadRef } from '../types.js';
import { formatCompact, formatFull, messageLabel } from './format.js';
import { parseTerminalLine } from './input.js';

/** Options of createTerminalAdapter. */
export interface TerminalAdapterOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Private replies and input errors. Default: output. */
  errorOutput?: NodeJS.WritableStream;
  /** Who types (`--as`); default the OS user. */
  user?: string;
  /** Redraw edits in place; default: whether output is a TTY. */
  tty?: boolean;
  channel?: string;
}

/** A ChatAdapter on a terminal; `closed` resolves when input ends and every handler is done. */
export interface TerminalAdapter extends ChatAdapter {
  readonly platform: 'terminal';
  readonly closed: Promise<void>;
}

interface Printed {
  number: number;
  thread: number;
  message: ChatMessage;
}

export function createTerminalAdapter(options: TerminalAdapterOptions): TerminalAdapter {
  const output = options.output;
  const errorOutput = options.errorOutput ?? output;
  const user = options.user ?? userInfo().username;
  const channel = options.channel ?? 'terminal';
  const tty = options.tty ?? (output as { isTTY?: boolean }).isTTY === true;
  const printed = new Map<number, Printed>();
  const commandHandlers: Array<(event: CommandEvent) => Promise<void>> = [];
  const reactionHandlers: Array<(event: ReactionEvent) => Promise<void>> = [];
  let counter = 0;
  // What is at the bottom of the screen, so a TTY can redraw it in place.
  let last: { number: number; lineCount: number } | undefined;
  let lines: Interface | undefined;
  let queue: Promise<void> = Promise.resolve();
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });

  function write(block: string[], number: number | undefined): void {
    output.write(`${block.join('\n')}\n`);
    last = number === undefined ? undefined : { number, lineCount: block.length };
  }

  function complain(text: string): void {
    errorOutput.write(`${text}\n`);
    if (errorOutput === output) last = undefined;
  }

  async function handleLine(line: string): Promise<void> {
    const input = parseTerminalLine(line);
    switch (input.kind) {
      case 'empty':
        return;
      case 'invalid':
        complain(input.message);
        return;
      case 'command': {
        const event: CommandEvent = {
          platform: 'terminal', userId: user, userName: user, channel, text: input.text,
          replyPrivately: async (text) => complain(text),
        };
        for (const handler of commandHandlers) await run(() => handler(event));
        return;
      }
      case 'reaction': {
        const target = printed.get(input.message);
        if (target === undefined) {
          complain(`there is no message [${input.message}]`);
          return;
        }
        const event: ReactionEvent = { platform: 'terminal', userId: user, userName: user, channel, message: String(target.number), reaction: input.reaction, botMessage: true };
        for (const handler of reactionHandlers) await run(() => handler(event));
      }
    }
  }

  async function run(handler: () => Promise<void>): Promise<void> {
    try {
      await handler();
    } catch (error) {
      complain(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return {
    platform: 'terminal',
    closed,
    async start() {
      if (lines !== undefined) return;
      lines = createInterface({ input: options.input, terminal: false, crlfDelay: Infinity });
      // One line at a time, in order: a reaction typed after a command sees that command's messages.
      lines.on('line', (line) => { queue = queue.then(() => handleLine(line)); });
      lines.on('close', () => { void queue.then(resolveClosed); });
    },
    async stop() {
      lines?.close();
      await queue;
    },
    async post(where: ThreadRef, message: ChatMessage): Promise<MessageRef> {
      counter += 1;
      const number = counter;
      const parent = where.thread === undefined ? undefined : Number(where.thread);
      const thread = parent !== undefined && printed.has(parent) ? parent : number;
      printed.set(number, { number, thread, message });
      write(formatFull(messageLabel(number, thread), message), number);
      return { platform: 'terminal', channel: where.channel, thread: String(thread), message: String(number) };
    },
    async update(ref: MessageRef, message: ChatMessage): Promise<void> {
      const number = Number(ref.message);
      const known = printed.get(number);
      if (known === undefined) {
        complain(`cannot edit unknown message [${ref.message}]`);
        return;
      }
      printed.set(number, { ...known, message });
      const label = messageLabel(number, known.thread);
      if (tty && last?.number === number) {
        // Cursor to the start of the block, clear to the end of the screen, draw the new version.
        output.write(`\x1b[${last.lineCount}F\x1b[0J`);
        write(formatFull(label, message), number);
        return;
      }
      write(formatCompact(label, message), number);
    },
    // One person at one terminal: their private answers go where command errors go.
    async notifyUser(_where: ThreadRef, _userId: string, text: string): Promise<void> {
      complain(text);
    },
    onCommand(handler) { commandHandlers.push(handler); },
    onReaction(handler) { reactionHandlers.push(handler); },
  };
}
