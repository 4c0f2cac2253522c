/**
 * Follows upgrades into chat threads: one ThreadPublisher per (upgrade, platform, channel),
 * fed by the engine's event stream replayed from the start. Posted messages are saved in the
 * ThreadStore with the plan hash they show, so a reaction counts for the plan the person saw
 * and a restarted gateway edits the same messages.
 */
import type { ClawopsConfig } from '../config/schema.js';
import type { UpgradeEngine } from '../jobs/api.js';
import type { UpgradeEvent } from '../jobs/events.js';
import type { Logger } from '../log/logger.js';
import { createThreadPublisher, type ThreadPublisher } from '../chat/render/index.js';
import type { ChatAdapter, Platform } from '../chat/types.js';
import type { ThreadRecord, ThreadStore } from './thread-store.js';
import { shownPlanHash } from './reactions.js';

/** A thread to follow: where it is and why. */
export type ThreadTarget = Omit<ThreadRecord, 'refs'>;

export interface FollowerDeps {
  adapters: ReadonlyMap<Platform, ChatAdapter>;
  engine: Pick<UpgradeEngine, 'subscribe'>;
  threads: ThreadStore;
  config: ClawopsConfig;
  logger: Logger;
  editIntervalMs?: number;
  /** Every event of an origin thread, after it is applied (mirrors, rollbacks, bookkeeping). */
  onOriginEvent: (origin: ThreadTarget, event: UpgradeEvent) => Promise<void>;
}

export interface Follower {
  /** Opens (or reopens after a restart) a thread and follows the upgrade's events into it. */
  follow(target: ThreadTarget, refs?: ThreadRecord['refs']): Promise<void>;
  /** The thread state of an upgrade as shown on one platform/channel, when followed here. */
  publisher(upgradeId: string, platform: Platform, channel: string): ThreadPublisher | undefined;
  flush(upgradeId?: string): Promise<void>;
  /** Resolves once the upgrade's `finished` event is rendered and sent in a thread followed here. */
  settled(upgradeId: string): Promise<void>;
  stop(): Promise<void>;
}

interface Followed {
  publisher: ThreadPublisher;
  unsubscribe: () => void;
  /** Plan hash each saved message is bound to, to rebind a message that was edited to show another plan. */
  bound: Map<string, string | undefined>;
}

const keyOf = (upgradeId: string, platform: Platform, channel: string) => `${upgradeId}|${platform}|${channel}`;

export function createFollower(deps: FollowerDeps): Follower {
  const { threads, logger } = deps;
  const followed = new Map<string, Followed>();
  // Claimed before the first await, so two events racing to open one mirror open it once.
  const opening = new Set<string>();
  const done = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const doneOf = (upgradeId: string) => {
    let entry = done.get(upgradeId);
    if (entry === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => { resolve = r; });
      entry = { promise, resolve };
      done.set(upgradeId, entry);
    }
    return entry;
  };
  const render = { timeZone: deps.config.schedule.timezone, reactions: deps.config.approvals.reactions };
  const warn = (what: string, upgradeId: string) => (error: unknown) => logger.warn({ err: error, upgradeId }, what);

  function rebindChanged(target: ThreadTarget, entry: Followed): void {
    const state = entry.publisher.state();
    for (const [key, ref] of Object.entries(entry.publisher.refs())) {
      if (!entry.bound.has(key)) continue;
      const hash = shownPlanHash(state, key);
      if (entry.bound.get(key) === hash) continue;
      entry.bound.set(key, hash);
      threads.rebind(target.upgradeId, key, ref, hash).catch(warn('rebinding a thread message failed', target.upgradeId));
    }
  }

  async function follow(target: ThreadTarget, refs?: ThreadRecord['refs']): Promise<void> {
    const key = keyOf(target.upgradeId, target.platform, target.channel);
    const adapter = deps.adapters.get(target.platform);
    if (adapter === undefined || opening.has(key) || followed.has(key)) return;
    opening.add(key);
    try {
      const stored = await threads.open(target);
      const saved = refs ?? stored.refs;
      const bound = new Map<string, string | undefined>();
      const publisher = createThreadPublisher({
        adapter, channel: target.channel, upgradeId: target.upgradeId, render, refs: saved,
        ...(deps.editIntervalMs === undefined ? {} : { intervalMs: deps.editIntervalMs }),
        onPosted: (messageKey, ref) => {
          const hash = shownPlanHash(publisher.state(), messageKey);
          bound.set(messageKey, hash);
          threads.addRef(target.upgradeId, messageKey, ref, hash).catch(warn('saving a thread message failed', target.upgradeId));
        },
        onError: (error, messageKey) => logger.warn({ err: error, upgradeId: target.upgradeId, message: messageKey }, 'posting to chat failed'),
      });
      // Messages saved before a restart: their binding is checked against the replayed state.
      for (const messageKey of Object.keys(saved)) bound.set(messageKey, '');
      const unsubscribe = deps.engine.subscribe(target.upgradeId, (event) => {
        const applied = publisher.apply(event).then(() => {
          const current = followed.get(key);
          if (current !== undefined) rebindChanged(target, current);
        });
        applied.catch(warn('rendering an event failed', target.upgradeId));
        if (target.role === 'origin') {
          // After the event is rendered: a mirror opened now replays the history anyway.
          void applied.catch(() => undefined).then(() => deps.onOriginEvent(target, event)).catch(warn('following an upgrade failed', target.upgradeId));
        }
        if (event.type === 'finished') {
          // The thread is complete: send the last edits and stop listening.
          void applied.catch(() => undefined).then(() => publisher.flush()).then(() => {
            followed.get(key)?.unsubscribe();
            followed.delete(key);
          }).catch(warn('closing a thread failed', target.upgradeId)).finally(() => doneOf(target.upgradeId).resolve());
        }
      });
      followed.set(key, { publisher, unsubscribe, bound });
    } finally {
      opening.delete(key);
    }
  }

  return {
    follow,
    publisher: (upgradeId, platform, channel) => followed.get(keyOf(upgradeId, platform, channel))?.publisher,
    settled: (upgradeId) => doneOf(upgradeId).promise,
    async flush(upgradeId) {
      const selected = [...followed.entries()].filter(([key]) => upgradeId === undefined || key.startsWith(`${upgradeId}|`));
      await Promise.all(selected.map(([, entry]) => entry.publisher.flush()));
    },
    async stop() {
      const all = [...followed.values()];
      followed.clear();
      for (const entry of all) entry.unsubscribe();
      await Promise.all(all.map((entry) => entry.publisher.flush().catch(() => undefined)));
    },
  };
}
