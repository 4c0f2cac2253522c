/** Pure rendering of engine events into platform-neutral chat messages. */
export * from './thread-state.js';
export * from './messages.js';
export * from './thread-messages.js';
export { formatDuration, formatTime, STEP_EMOJI, GATE_EMOJI } from './format.js';
export { createThreadPublisher, type ThreadPublisher, type ThreadPublisherOptions } from './thread-publisher.js';
