/** Terminal chat: the local default adapter on stdin/stdout. */
export { createTerminalAdapter, type TerminalAdapter, type TerminalAdapterOptions } from './adapter.js';
export { parseTerminalLine, TERMINAL_USAGE, type TerminalInput } from './input.js';
