/** The chat command layer: text → Command, help text, authorization. Pure. */
export { parseCommand, parseCommandOrThrow, MAX_INPUT_LENGTH } from './parse.js';
export { helpText, usageLine } from './help.js';
export { assertAuthorized, authorize, commandLabel, isReadOnly } from './authorize.js';
export { COMMAND_NAMES, COMMAND_PREFIX, COMMAND_SPECS, generalUsage } from './grammar.js';
export { MAX_HOSTS } from './values.js';
export type * from './types.js';
