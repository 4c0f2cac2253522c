import { describe, expect, it } from 'vitest';
import { createThreadPublisher, rebuildThread, threadMessages } from '../../src/chat/render/index.js';
import type { ChatAdapter, ChatMessage, MessageRef, ThreadRef } from '../../src/chat/types.js';
import { UPGRADE, happyHistory } from './render-fixtures.js';

function recordingAdapter() {
  const posts: Array<{ where: ThreadRef; message: ChatMessage; ref: MessageRef }> = [];
  const updates: Array<{ ref: MessageRef; message: ChatMessage }> = [];
  let counter = 0;
  const adapter: ChatAdapter = {
    platform: 'slack',
    start: async () => undefined,
    stop: async () => undefined,
    post: async (where, message) => {
      counter += 1;
      const id = `m${counter}`;
      const ref = { platform: where.platform, channel: where.channel, thread: where.thread ?? id, message: id };
      posts.push({ where, message, ref });
      return ref;
    },
    update: async (ref, message) => { updates.push({ ref, message }); },
    onCommand: () => undefined,
    onReaction: () => undefined,
  };
  return { adapter, posts, updates };
}

describe('thread publisher', () => {
  it('posts the plan as the root, the rest in its thread, and coalesces checklist edits', async () => {
    const { adapter, posts, updates } = recordingAdapter();
    const publisher = createThreadPublisher({ adapter, channel: 'C0OPS', upgradeId: UPGRADE, intervalMs: 10_000 });
    for (const event of happyHistory()) await publisher.apply(event);
    await publisher.flush();
    const final = threadMessages(rebuildThread(UPGRADE, happyHistory()));
    expect(posts[0]?.where).toEqual({ platform: 'slack', channel: 'C0OPS' });
    expect(posts.slice(1).every((post) => post.where.thread === 'm1')).toBe(true);
    expect(posts.map((post) => post.message.title ?? post.message.text)).toHaveLength(final.length);
    const checklistRef = publisher.refs().checklist;
    const checklistEdits = updates.filter((update) => update.ref.message === checklistRef?.message);
    // Ten events change the checklist; with a 10 s interval only the first edit and the flush go out.
    expect(checklistEdits).toHaveLength(2);
    expect(checklistEdits[checklistEdits.length - 1]?.message).toEqual(final.find((m) => m.key === 'checklist')?.message);
  });

  it('after a restart, replaying the history edits the saved messages instead of posting again', async () => {
    const first = recordingAdapter();
    const before = createThreadPublisher({ adapter: first.adapter, channel: 'C0OPS', upgradeId: UPGRADE, intervalMs: 0 });
    const history = happyHistory();
    for (const event of history.slice(0, 8)) await before.apply(event);
    await before.flush();

    const second = recordingAdapter();
    const after = createThreadPublisher({ adapter: second.adapter, channel: 'C0OPS', upgradeId: UPGRADE, intervalMs: 0, refs: before.refs() });
    for (const event of history) await after.apply(event);
    await after.flush();
    // Only messages that did not exist before the restart are posted, in the old thread.
    expect(second.posts.map((post) => post.where.thread)).toEqual(['m1', 'm1']);
    expect(second.posts.map((post) => post.message.title)).toEqual(['Health (check 1)', '✅ Upgrade succeeded']);
    const lastChecklist = second.updates.filter((u) => u.ref.message === before.refs().checklist?.message).pop();
    expect(lastChecklist?.message.title).toBe('Checklist (3/4 done)');
  });
});
