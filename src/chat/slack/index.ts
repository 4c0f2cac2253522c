/** Slack chat adapter (real @slack/bolt). */
export { createSlackAdapter, type SlackAdapter, type SlackAdapterOptions, type SlackConfig } from './adapter.js';
export { toBlocks, fallbackText, reactionName, type SlackBlock } from './blocks.js';
export { createGuardedReceiver } from './receiver.js';
