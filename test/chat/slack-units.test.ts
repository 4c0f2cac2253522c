import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLogger } from '../../src/log/logger.js';
import { fallbackText, reactionName, toBlocks } from '../../src/chat/slack/blocks.js';
import { normalizeReaction } from '../../src/chat/slack/blocks.js';
import { createUserGroupResolver } from '../../src/chat/slack/usergroups.js';

const logger = createLogger({ level: 'silent', pretty: false });

describe('Block Kit', () => {
  it('splits long checklists into sections under 3,000 characters and fields into tens', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `✅ host-${i}: install 2026.9.6 (31.0 s)`);
    const fields = Array.from({ length: 13 }, (_, i) => ({ label: `F${i}`, value: 'v' }));
    const blocks = toBlocks({ text: 'x', lines, fields });
    const sections = blocks.filter((b) => b.type === 'section' && 'text' in b).slice(1);
    expect(sections.length).toBeGreaterThan(1);
    for (const block of sections) if ('text' in block) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    const joined = sections.map((b) => ('text' in b ? b.text.text : '')).join('\n');
    expect(joined.split('\n')).toEqual(lines);
    const fieldBlocks = blocks.filter((b) => 'fields' in b);
    expect(fieldBlocks.map((b) => ('fields' in b ? b.fields.length : 0))).toEqual([10, 3]);
  });

  it('clips the header to 150 characters and builds a fallback text', () => {
    const blocks = toBlocks({ title: 'T'.repeat(200), text: '' });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.type === 'header' && blocks[0].text.text.length).toBe(150);
    expect(fallbackText({ title: 'Plan', text: 'body' })).toBe('Plan: body');
  });

  it('maps reactions between unicode and Slack names', () => {
    expect(reactionName('✅')).toBe('white_check_mark');
    expect(reactionName(':x:')).toBe('x');
    expect(reactionName('🦀')).toBeUndefined();
    expect(normalizeReaction('+1::skin-tone-2')).toBe('+1');
  });
});

describe('user group resolver', () => {
  it('lists groups once per TTL and treats a failing list as no groups', async () => {
    let now = 0;
    let calls = 0;
    let fail = false;
    const resolver = createUserGroupResolver({
      logger,
      ttlMs: 60_000,
      now: () => now,
      list: async () => {
        calls += 1;
        if (fail) throw new Error('missing_scope');
        return [{ id: 'S1', handle: 'ops', users: ['U1'] }];
      },
    });
    expect(await Promise.all([resolver.groupsOf('U1'), resolver.groupsOf('U2')])).toEqual([['S1', 'ops'], []]);
    now = 59_999;
    await resolver.groupsOf('U1');
    expect(calls).toBe(1);
    now = 60_000;
    fail = true;
    expect(await resolver.groupsOf('U1')).toEqual([]);
    expect(calls).toBe(2);
  });
});

describe('Slack app manifest', () => {
  it('declares /openclaw, the bot scopes, reaction_added and Socket Mode', () => {
    const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as {
      features: { slash_commands: Array<{ command: string }> };
      oauth_config: { scopes: { bot: string[] } };
      settings: { event_subscriptions: { bot_events: string[] }; socket_mode_enabled: boolean };
    };
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/openclaw']);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['chat:write', 'commands', 'reactions:read', 'reactions:write', 'usergroups:read', 'users:read']);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['reaction_added']);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });
});
