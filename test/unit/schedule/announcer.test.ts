import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import type { ChatAdapter, ChatMessage } from '../../../src/chat/types.js';
import { createChatAnnouncer } from '../../../src/schedule/bot-hooks.js';
import type { ScheduledUpgrade } from '../../../src/schedule/types.js';
import { VALID_YAML } from '../config/fixtures.js';

const schedule: ScheduledUpgrade = {
  id: 'sch-1', upgradeId: 'up-1',
  command: { kind: 'upgrade', version: '1.3.0', environment: 'production', dryRun: false, skipStaging: false },
  requester: { platform: 'terminal', userId: 'alice' }, environment: 'production', version: '1.3.0', strategy: 'pm2',
  at: '2031-06-01T03:00:00.000Z', source: 'at', expectedDowntime: 'none', planHash: 'abc123', status: 'scheduled', revision: 0, createdAt: '2031-05-01T00:00:00.000Z',
};

async function announced(extra: string): Promise<ChatMessage[]> {
  const config = parseConfig(`${VALID_YAML}${extra}`, { env: {}, home: '/root' });
  const posted: ChatMessage[] = [];
  const adapter = { platform: 'terminal', post: async (where, message) => { posted.push(message); return { ...where, message: '1' }; } } as Pick<ChatAdapter, 'platform' | 'post'> as ChatAdapter;
  await createChatAnnouncer([adapter], config).announce('scheduled', schedule);
  return posted;
}

describe('createChatAnnouncer', () => {
  test('does not invite 🛑 when no window exists to postpone to (the postpone would be refused)', async () => {
    const [message] = await announced('');
    expect(message?.reactions).toEqual(['✅']);
    expect(message?.lines?.join('\n')).not.toContain('postpone');
  });

  test('invites 🛑 when a window follows the scheduled time', async () => {
    const [message] = await announced('\nwindows:\n  - name: nights\n    timezone: UTC\n    weekly: [{ days: [sat, sun], start: "02:00", end: "05:00" }]\n');
    expect(message?.reactions).toEqual(['🛑', '✅']);
  });
});
