import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createDiscordAdapter } from '../../src/chat/discord/adapter.js';
import { startFakeDiscord } from '../fakes/discord/index.js';

const logger = pino({ level: 'silent' });

/** Live sockets, servers and timers by kind (the test runner has some of its own). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

describe('Discord adapter lifecycle', () => {
  it('a wrong bot token is a config error, and nothing stays connected', async () => {
    const fake = await startFakeDiscord();
    const adapter = createDiscordAdapter({ config: { token: 'not-the-token', applicationId: fake.applicationId }, logger, apiUrl: fake.apiUrl });
    try {
      await expect(adapter.start()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect(fake.gateway.identifies).toHaveLength(0);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });

  it('start, stop and start again; after stop and close no socket or timer is left', async () => {
    const before = handles();
    const fake = await startFakeDiscord({ heartbeatIntervalMs: 200 });
    const adapter = createDiscordAdapter({ config: { token: fake.token, applicationId: fake.applicationId }, logger, apiUrl: fake.apiUrl });
    await adapter.start();
    const running = handles();
    expect(running.get('TCPSocketWrap') ?? 0).toBeGreaterThan(before.get('TCPSocketWrap') ?? 0);
    await adapter.stop();
    await adapter.start();
    expect(fake.gateway.identifies).toHaveLength(2);
    const ref = await adapter.post({ platform: 'discord', channel: fake.guild.channels[0]?.id ?? '' }, { text: 'still works' });
    expect(fake.state.messages.has(ref.message)).toBe(true);
    await adapter.stop();
    await fake.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = handles();
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) {
      expect(after.get(kind) ?? 0, kind).toBeLessThanOrEqual(before.get(kind) ?? 0);
    }
  });

  for (const archived of [false, true]) {
    it(`after a restart, posts and edits reach the ${archived ? 'archived (uncached) ' : ''}thread started before, without a second thread`, async () => {
      const fake = await startFakeDiscord();
      const config = { token: fake.token, applicationId: fake.applicationId };
      const channel = fake.guild.channels[0]?.id ?? '';
      const first = createDiscordAdapter({ config, logger, apiUrl: fake.apiUrl });
      const second = createDiscordAdapter({ config, logger, apiUrl: fake.apiUrl });
      try {
        await first.start();
        const root = await first.post({ platform: 'discord', channel }, { title: 'Upgrade 2026.9.6', text: 'started' });
        const step = await first.post(root, { text: 'step 1' });
        await first.stop();
        const thread = fake.state.channels.get(root.message);
        if (archived && thread) (thread['thread_metadata'] as { archived: boolean }).archived = true;

        await second.start();
        const later = await second.post(root, { text: 'step 2' });
        await second.update(step, { text: 'step 1 done', tone: 'success' });
        expect(fake.state.messages.get(later.message)?.['channel_id']).toBe(root.message);
        const edited = fake.state.messages.get(step.message)?.['embeds'] as Array<Record<string, unknown>>;
        expect(edited[0]?.['description']).toBe('step 1 done');
        const started = fake.calls.filter((call) => call.path.endsWith(`/messages/${root.message}/threads`) && call.status === 201);
        expect(started).toHaveLength(1);
        // Cached from GUILD_CREATE when active; an archived one is found through Discord's "already created" answer.
        const attempts = fake.calls.filter((call) => call.path.endsWith(`/messages/${root.message}/threads`));
        expect(attempts.map((call) => call.status)).toEqual(archived ? [201, 400] : [201]);
      } finally {
        await second.stop();
        await fake.close();
      }
    });
  }
});
