import { PassThrough } from 'node:stream';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createTerminalAdapter, parseTerminalLine } from '../../src/chat/terminal/index.js';
import type { CommandEvent, ReactionEvent } from '../../src/chat/types.js';

function harness(options: { tty?: boolean; user?: string } = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  errors.on('data', (chunk: Buffer) => { err += chunk.toString(); });
  const adapter = createTerminalAdapter({ input, output, errorOutput: errors, ...options });
  return { adapter, input, out: () => out, err: () => err };
}

describe('terminal input', () => {
  it('reads commands and both reaction forms', () => {
    expect(parseTerminalLine('/openclaw upgrade 2026.9.6 --env staging')).toEqual({ kind: 'command', text: 'upgrade 2026.9.6 --env staging' });
    expect(parseTerminalLine('/openclaw')).toEqual({ kind: 'command', text: '' });
    expect(parseTerminalLine('+1 ✅ 3')).toEqual({ kind: 'reaction', message: 3, reaction: '✅' });
    expect(parseTerminalLine('react [12] :x:')).toEqual({ kind: 'reaction', message: 12, reaction: 'x' });
    expect(parseTerminalLine('  ')).toEqual({ kind: 'empty' });
    expect(parseTerminalLine('/deploy now')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('unknown slash command /deploy') });
    expect(parseTerminalLine('react 0 ✅')).toMatchObject({ kind: 'invalid' });
  });
});

describe('terminal chat adapter', () => {
  it('turns typed lines into commands and reactions from the OS user, in order', async () => {
    const { adapter, input, err } = harness();
    const seen: Array<CommandEvent | ReactionEvent> = [];
    adapter.onCommand(async (event) => {
      seen.push(event);
      if (event.text === 'bad') await event.replyPrivately('unknown command "bad"');
      else await adapter.post({ platform: 'terminal', channel: event.channel }, { title: 'Approval needed', text: 'react', reactions: ['✅', '❌'] });
    });
    adapter.onReaction(async (event) => { seen.push(event); });
    await adapter.start();
    input.end('/openclaw upgrade 2026.9.6\n+1 ✅ 1\nreact 1 ❌\nreact 7 ✅\nhello\n/openclaw bad\n');
    await adapter.closed;
    const me = userInfo().username;
    expect(seen.map((e) => ('reaction' in e ? `${e.userId} reacts ${e.reaction} on ${e.message}` : `${e.userId} runs ${e.text}`))).toEqual([
      `${me} runs upgrade 2026.9.6`, `${me} reacts ✅ on 1`, `${me} reacts ❌ on 1`, `${me} runs bad`,
    ]);
    expect(err()).toContain('there is no message [7]');
    expect(err()).toContain('not understood: hello');
    expect(err()).toContain('unknown command "bad"');
    expect(err()).not.toContain('error:');
  });

  it('answers one person about their reaction privately, where command errors go', async () => {
    const { adapter, out, err } = harness({ tty: false, user: 'bob' });
    await adapter.notifyUser?.({ platform: 'terminal', channel: 'terminal', thread: '1' }, 'bob', 'Too late: your approval of "Skip staging" (up-1) did not count, gate already passed.');
    expect(err()).toBe('Too late: your approval of "Skip staging" (up-1) did not count, gate already passed.\n');
    expect(out()).toBe('');
  });

  it('numbers messages, marks thread replies, and prints how to react', async () => {
    const { adapter, out } = harness({ tty: false, user: 'ops-bot' });
    const root = await adapter.post({ platform: 'terminal', channel: 'terminal' }, {
      title: 'Upgrade plan: staging → 2026.9.6', text: 'alice asked', fields: [{ label: 'Hosts', value: 'host-a: 1 → 2\nhost-b: 1 → 2' }], context: ['upgrade up-1'],
    });
    const gate = await adapter.post(root, { title: 'Approval needed', text: '1 approval needed', reactions: ['✅', '❌'] });
    expect(gate).toEqual({ platform: 'terminal', channel: 'terminal', thread: '1', message: '2' });
    expect(out()).toBe([
      '[1] Upgrade plan: staging → 2026.9.6',
      '    alice asked',
      '    Hosts: host-a: 1 → 2',
      '      host-b: 1 → 2',
      '    (upgrade up-1)',
      '[2 ↳ 1] Approval needed',
      '    1 approval needed',
      '    react: +1 ✅ 2  or  +1 ❌ 2',
      '',
    ].join('\n'));
  });

  it('reprints a compact checklist on update when not a TTY', async () => {
    const { adapter, out } = harness({ tty: false });
    const root = await adapter.post({ platform: 'terminal', channel: 't' }, { text: 'root' });
    const checklist = await adapter.post(root, { title: 'Checklist (0/2 done)', text: 'c', lines: ['⏳ backup (running)', '⬜ install'] });
    await adapter.post(root, { text: 'a note in between' });
    await adapter.update(checklist, { title: 'Checklist (1/2 done)', text: 'c', lines: ['✅ backup (2.9 s)', '⏳ install (running)'] });
    expect(out().endsWith('[2 ↳ 1] ✎ Checklist (1/2 done)\n    ✅ backup (2.9 s)\n    ⏳ install (running)\n')).toBe(true);
    expect(out()).not.toContain('\x1b[');
  });

  it('redraws the last message in place on a TTY', async () => {
    const { adapter, out } = harness({ tty: true });
    const ref = await adapter.post({ platform: 'terminal', channel: 't' }, { title: 'Checklist (0/1 done)', text: 'c', lines: ['⏳ backup (running)'] });
    const before = out().length;
    await adapter.update(ref, { title: 'Checklist (1/1 done)', text: 'c', lines: ['✅ backup (2.9 s)'] });
    expect(out().slice(before)).toBe('\x1b[3F\x1b[0J[1] Checklist (1/1 done)\n    c\n    ✅ backup (2.9 s)\n');
    // Another message below: the next edit cannot redraw and prints anew.
    await adapter.post({ platform: 'terminal', channel: 't' }, { text: 'other' });
    const mark = out().length;
    await adapter.update(ref, { title: 'Checklist (1/1 done)', text: 'c', lines: ['✅ backup (3.0 s)'] });
    expect(out().slice(mark)).toBe('[1] ✎ Checklist (1/1 done)\n    ✅ backup (3.0 s)\n');
  });

  it('uses --as for the user id and reports handler errors without dying', async () => {
    const { adapter, input, err } = harness({ user: 'alice' });
    const users: string[] = [];
    adapter.onCommand(async (event) => { users.push(event.userId); throw new Error('engine down'); });
    await adapter.start();
    input.end('/openclaw status\n/openclaw status\n');
    await adapter.closed;
    expect(users).toEqual(['alice', 'alice']);
    expect(err()).toBe('error: engine down\nerror: engine down\n');
  });
});
