import { describe, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import { formatWhen, renderAnnouncement, renderScheduleList } from '../../../src/schedule/announce.js';
import { postponeTarget, resolveTime } from '../../../src/schedule/resolve.js';
import { parseStubStatus } from '../../../src/schedule/traffic.js';
import type { ScheduledUpgrade } from '../../../src/schedule/types.js';
import { configSchema } from '../../../src/config/schema.js';

const schedule: ScheduledUpgrade = {
  id: 'sch-202611251000-abcdef', upgradeId: 'up-202611251000-abcdef',
  command: { kind: 'upgrade', version: '2026.9.6', environment: 'production', dryRun: false, skipStaging: false },
  requester: { platform: 'slack', userId: 'U1', displayName: 'alice' },
  environment: 'production', version: '2026.9.6', strategy: 'blue-green',
  at: '2026-11-28T01:00:00.000Z', windowEnd: '2026-11-28T04:00:00.000Z', window: 'nightly', source: 'window-next',
  expectedDowntime: 'none (traffic switch)', planHash: 'abc123', status: 'scheduled', revision: 0, createdAt: '2026-11-25T10:00:00.000Z',
};

describe('renderAnnouncement', () => {
  test('says what, where, when in the team zone and UTC, who, the downtime and how to postpone or pre-approve', () => {
    const message = renderAnnouncement('scheduled', schedule, 'America/New_York');
    expect(message.text).toBe('Upgrade of OpenClaw 2026.9.6 on production scheduled for 2026-11-27 20:00 EST (01:00 UTC)');
    expect(message.fields).toEqual([
      { label: 'What', value: 'OpenClaw 2026.9.6 (strategy blue-green)' },
      { label: 'Where', value: 'production' },
      { label: 'When', value: '2026-11-27 20:00 EST (01:00 UTC), window "nightly" until 2026-11-27 23:00 EST (04:00 UTC)' },
      { label: 'Requested by', value: 'alice' },
      { label: 'Expected downtime', value: 'none (traffic switch)' },
    ]);
    expect(message.lines?.join('\n')).toMatch(/React 🛑 to postpone[\s\S]*React ✅ to pre-approve it: counts for plan abc123/);
    expect(message.reactions).toEqual(['🛑', '✅']);
  });
  test('does not offer 🛑 when no window follows to postpone to', () => {
    const message = renderAnnouncement('scheduled', schedule, 'UTC', {}, { canPostpone: false });
    expect(message.lines?.join('\n')).not.toContain('postpone');
    expect(message.lines?.join('\n')).toContain('React ✅ to pre-approve it');
    expect(message.reactions).toEqual(['✅']);
  });

  test('reminders say how long before; finished says the outcome and offers no reactions', () => {
    expect(renderAnnouncement('reminder', schedule, 'UTC', { minutesBefore: 60 }).text).toContain('starts in 1 hour, at 2026-11-28 01:00 UTC');
    expect(renderAnnouncement('reminder', schedule, 'UTC', { minutesBefore: 1440 }).text).toContain('starts in 1 day');
    const finished = renderAnnouncement('finished', schedule, 'UTC', { outcome: 'failed', summary: 'failed at "install"' });
    expect(finished).toMatchObject({ text: expect.stringContaining('failed: failed at "install"'), tone: 'danger' });
    expect(finished.reactions).toBeUndefined();
    expect(renderAnnouncement('starting', schedule, 'UTC').text).toContain('up-202611251000-abcdef');
  });
  test('configured reaction names are shown as :name: when no unicode form is configured', () => {
    const message = renderAnnouncement('scheduled', schedule, 'UTC', {}, { reactions: { approve: ['ok'], postpone: ['hold'] } });
    expect(message.reactions).toEqual([':hold:', ':ok:']);
  });
  test('the list names id, version, environment, time and the upgrade once running', () => {
    expect(renderScheduleList([], 'UTC')).toBe('No upgrades are scheduled.');
    expect(renderScheduleList([{ ...schedule, status: 'running' }], 'Europe/Berlin'))
      .toBe('• sch-202611251000-abcdef: OpenClaw 2026.9.6 on production at 2026-11-28 02:00 GMT+1 (01:00 UTC) (window nightly), by alice — running as up-202611251000-abcdef');
  });
  test('UTC teams see one time', () => {
    expect(formatWhen('2026-11-28T01:00:00Z', 'UTC')).toBe('2026-11-28 01:00 UTC');
  });
});

const config = configSchema.parse({
  environments: { production: { hosts: [{ name: 'h', address: '127.0.0.1', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'pm2' } }] } },
  windows: [{ name: 'nightly', timezone: 'Europe/Berlin', weekly: [{ days: ['sat', 'sun'], start: '02:00', end: '05:00' }] }],
});

describe('resolveTime and postponeTarget', () => {
  const now = DateTime.fromISO('2027-10-29T12:00:00Z');
  test('a window on the night clocks go back is 4 hours long', () => {
    const sunday = resolveTime({ kind: 'window', which: 'next' }, config, 'production', DateTime.fromISO('2027-10-30T05:00:00Z'));
    expect(sunday.ok && [sunday.at.toUTC().toISO(), sunday.windowEnd?.toUTC().toISO()]).toEqual(['2027-10-31T00:00:00.000Z', '2027-10-31T04:00:00.000Z']);
  });
  test('postponing an --at time inside a window moves it past that window', () => {
    const target = postponeTarget({ at: '2027-10-30T01:30:00.000Z', environment: 'production' }, config, now);
    expect(target.ok && target.at.toUTC().toISO()).toBe('2027-10-31T00:00:00.000Z');
  });
  test('postponing a window slot moves it to the next slot', () => {
    const target = postponeTarget({ at: '2027-10-30T00:00:00.000Z', windowEnd: '2027-10-30T03:00:00.000Z', environment: 'production' }, config, now);
    expect(target.ok && target.window).toBe('nightly');
    expect(target.ok && target.at.toUTC().toISO()).toBe('2027-10-31T00:00:00.000Z');
  });
});

describe('parseStubStatus', () => {
  test('reads the requests total', () => {
    expect(parseStubStatus('Active connections: 2 \nserver accepts handled requests\n 17 17 4242 \nReading: 0 Writing: 1 Waiting: 1 \n')).toBe(4242);
    expect(() => parseStubStatus('<html>404</html>')).toThrow('stub_status');
  });
});
