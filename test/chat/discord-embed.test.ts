import { describe, expect, it } from 'vitest';
import { chatMessageToEmbed, chatMessageToPayload, threadName, toneColors } from '../../src/chat/discord/embed.js';
import { discordEmoji } from '../../src/chat/discord/emoji.js';

describe('ChatMessage -> Discord embed', () => {
  it('colors by tone, info when none is given', () => {
    expect(chatMessageToEmbed({ text: 'a', tone: 'danger' }).color).toBe(toneColors.danger);
    expect(chatMessageToEmbed({ text: 'a', tone: 'success' }).color).toBe(toneColors.success);
    expect(chatMessageToEmbed({ text: 'a' }).color).toBe(toneColors.info);
  });

  it('does not repeat a text that is the title', () => {
    expect(chatMessageToEmbed({ title: 'Done', text: 'Done', lines: ['host-a ok'] })).toMatchObject({ title: 'Done', description: 'host-a ok' });
  });

  it('clips to Discord\'s limits instead of having the whole message refused', () => {
    const embed = chatMessageToEmbed({
      title: 't'.repeat(300), text: 'x', lines: Array.from({ length: 200 }, (_, index) => `line ${index} ${'y'.repeat(30)}`),
      fields: Array.from({ length: 30 }, (_, index) => ({ label: `f${index}`, value: index === 0 ? 'v'.repeat(2000) : '' })),
      context: ['c'.repeat(3000)],
    });
    expect(embed.title).toHaveLength(256);
    expect(embed.description?.endsWith('…')).toBe(true);
    expect(embed.fields?.[0]?.value).toHaveLength(1024);
    expect(embed.footer?.text).toHaveLength(2048);
    // Discord refuses empty field names or values, and more than 6000 characters in all.
    for (const field of embed.fields ?? []) expect(field.name !== '' && field.value !== '').toBe(true);
    const total = (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0)
      + (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(total).toBeGreaterThan(5900);
  });

  it('keeps a short message whole', () => {
    const fields = Array.from({ length: 25 }, (_, index) => ({ label: `host-${index}`, value: 'ready' }));
    const embed = chatMessageToEmbed({ title: 'Health', text: 'all good', lines: ['a', 'b'], fields });
    expect(embed.description).toBe('all good\na\nb');
    expect(embed.fields?.map((field) => `${field.name}=${field.value}`)).toEqual(fields.map((field) => `${field.label}=${field.value}`));
  });

  it('an edit clears any earlier plain content', () => {
    expect(chatMessageToPayload({ text: 'x' }).content).toBe('');
  });

  it('names a thread after the root\'s title, on one line, at most 100 characters', () => {
    expect(threadName({ title: 'Upgrade 2026.9.6\n→ production', text: 'x' })).toBe('Upgrade 2026.9.6 → production');
    expect(threadName({ text: 'z'.repeat(150) })).toHaveLength(100);
  });
});

describe('reaction names for Discord', () => {
  it('maps Slack-style names to unicode and keeps unicode and custom emoji', () => {
    expect(discordEmoji(':white_check_mark:')).toBe('✅');
    expect(discordEmoji('x')).toBe('❌');
    expect(discordEmoji('🛑')).toBe('🛑');
    expect(discordEmoji('<:shipit:123456789012345678>')).toBe('shipit:123456789012345678');
    expect(discordEmoji(':no_such_emoji_name:')).toBeUndefined();
  });
});
