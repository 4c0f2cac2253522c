/**
 * Keeps one upgrade's chat thread in step with its events: folds each event into ThreadState,
 * posts messages that are new (the plan summary is the thread root) and sends edits through the
 * coalescer. Talks only to the ChatAdapter seam; a restarted gateway passes the refs it saved
 * and replays the history, and the thread is edited in place instead of posted again.
 */
import { createCoalescer } from '../coalesce.js';
import type { ChatAdapter, ChatMessage, MessageRef } from '../types.js';
import type { UpgradeEvent } from '../../jobs/events.js';
import type { RenderOptions } from './messages.js';
import { diffThread, threadMessages } from './thread-messages.js';
import { initialThreadState, reduceThread, type ThreadState } from './thread-state.js';

/** Options of createThreadPublisher. */
export interface ThreadPublisherOptions {
  adapter: ChatAdapter;
  channel: string;
  upgradeId: string;
  render?: RenderOptions;
  /** Minimum time between two edits of one message. Default 1000 ms. */
  intervalMs?: number;
  /** Messages posted before a restart, by key (see KeyedMessage). */
  refs?: Readonly<Record<string, MessageRef>>;
  /** A message was posted: persist key → ref to survive a restart. */
  onPosted?: (key: string, ref: MessageRef) => void;
  onError?: (error: unknown, key: string) => void;
}

/** One upgrade's thread. */
export interface ThreadPublisher {
  /** Applies one event; resolves once new messages are posted (edits may still be pending). */
  apply(event: UpgradeEvent): Promise<void>;
  /** Sends every pending edit now. */
  flush(): Promise<void>;
  state(): ThreadState;
  refs(): Record<string, MessageRef>;
}

export function createThreadPublisher(options: ThreadPublisherOptions): ThreadPublisher {
  const refs = new Map<string, MessageRef>(Object.entries(options.refs ?? {}));
  const sent = new Map<string, ChatMessage>();
  let state = initialThreadState(options.upgradeId);
  let queue: Promise<void> = Promise.resolve();
  const coalescer = createCoalescer<ChatMessage>({
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    send: async (key, message) => {
      const ref = refs.get(key);
      if (ref !== undefined) await options.adapter.update(ref, message);
    },
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });

  async function publish(): Promise<void> {
    const next = threadMessages(state, options.render);
    for (const op of diffThread(sent, next)) {
      sent.set(op.key, op.message);
      if (op.op === 'update' || refs.has(op.key)) {
        coalescer.push(op.key, op.message);
        continue;
      }
      const root = refs.get('plan');
      try {
        const ref = await options.adapter.post({
          platform: options.adapter.platform, channel: root?.channel ?? options.channel, ...(root === undefined ? {} : { thread: root.message }),
        }, op.message);
        refs.set(op.key, ref);
        options.onPosted?.(op.key, ref);
      } catch (error) {
        // Forget it so the next event tries to post it again.
        sent.delete(op.key);
        options.onError?.(error, op.key);
      }
    }
  }

  return {
    apply(event) {
      queue = queue.then(() => {
        state = reduceThread(state, event);
        return publish();
      });
      return queue;
    },
    async flush() {
      await queue;
      await coalescer.flush();
    },
    state: () => state,
    refs: () => Object.fromEntries(refs),
  };
}
