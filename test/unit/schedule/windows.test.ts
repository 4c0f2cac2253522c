import { describe, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import { nextWindow, openWindowAt, parseAtTime, windowSlots } from '../../../src/schedule/windows.js';
import { quietestSlot, histogramKey } from '../../../src/schedule/quiet-hours.js';
import type { WindowConfig } from '../../../src/config/schema.js';

const now = DateTime.fromISO('2026-11-25T10:00:00Z');

describe('parseAtTime', () => {
  test('reads a date, time and zone', () => {
    const result = parseAtTime('2026-12-01 03:00 Europe/Berlin', 'UTC', now);
    expect(result.ok && result.at.toUTC().toISO()).toBe('2026-12-01T02:00:00.000Z');
  });
  test('uses the team zone when none is given', () => {
    const result = parseAtTime('2026-12-01 03:00', 'America/New_York', now);
    expect(result.ok && result.at.toUTC().toISO()).toBe('2026-12-01T08:00:00.000Z');
  });
  test('HH:MM means the next such time', () => {
    const result = parseAtTime('09:30', 'UTC', now);
    expect(result.ok && result.at.toUTC().toISO()).toBe('2026-11-26T09:30:00.000Z');
  });
  test('refuses the past, unknown zones and garbage with a specific message', () => {
    expect(parseAtTime('2026-11-01 03:00', 'UTC', now)).toMatchObject({ ok: false, message: expect.stringContaining('in the past') });
    expect(parseAtTime('2026-12-01 03:00 Mars/Olympus', 'UTC', now)).toMatchObject({ ok: false, message: expect.stringContaining('not a time zone') });
    expect(parseAtTime('tomorrowish', 'UTC', now)).toMatchObject({ ok: false, message: expect.stringContaining('cannot read') });
  });
  test('a wall time skipped by daylight saving is refused', () => {
    const spring = DateTime.fromISO('2027-03-01T00:00:00Z');
    expect(parseAtTime('2027-03-28 02:30 Europe/Berlin', 'UTC', spring)).toMatchObject({ ok: false, message: expect.stringContaining('does not exist') });
  });
  test('a wall time repeated by daylight saving takes the first and says so', () => {
    const autumn = DateTime.fromISO('2027-10-01T00:00:00Z');
    const result = parseAtTime('2027-10-31 02:30 Europe/Berlin', 'UTC', autumn);
    expect(result.ok && result.at.toUTC().toISO()).toBe('2027-10-31T00:30:00.000Z');
    expect(result.ok && result.note).toContain('happens twice');
  });
});

const nightly: WindowConfig = { name: 'nightly', timezone: 'Europe/Berlin', weekly: [{ days: ['sat', 'sun'], start: '02:00', end: '05:00' }] };

describe('windows', () => {
  test('weekly slots are in the window zone', () => {
    const slots = windowSlots(nightly, now, 7);
    expect(slots.map((slot) => slot.start.toUTC().toISO())).toEqual(['2026-11-28T01:00:00.000Z', '2026-11-29T01:00:00.000Z']);
  });
  test('a window crossing midnight ends the next day', () => {
    const late: WindowConfig = { name: 'late', timezone: 'UTC', weekly: [{ days: ['wed'], start: '23:00', end: '01:00' }] };
    const slot = windowSlots(late, now, 7)[0];
    expect(slot?.end.toUTC().toISO()).toBe('2026-11-26T01:00:00.000Z');
  });
  test('cron windows with a duration', () => {
    const cron: WindowConfig = { name: 'c', timezone: 'Europe/Berlin', cron: '0 3 * * 6', durationMinutes: 90 };
    const slot = windowSlots(cron, now, 7)[0];
    expect(slot?.start.toUTC().toISO()).toBe('2026-11-28T02:00:00.000Z');
    expect(slot?.end.toUTC().toISO()).toBe('2026-11-28T03:30:00.000Z');
  });
  test('the next window across a DST change keeps local wall time', () => {
    const before = DateTime.fromISO('2027-03-26T12:00:00Z');
    const slots = windowSlots(nightly, before, 3);
    // Saturday 27 March is still CET (UTC+1); Sunday 28 March 02:00 does not exist, luxon moves it to 03:00 CEST.
    expect(slots[0]?.start.toUTC().toISO()).toBe('2027-03-27T01:00:00.000Z');
    expect(slots[1]?.start.toUTC().toISO()).toBe('2027-03-28T01:00:00.000Z');
  });
  test('nextWindow honours environments and an open window starts now', () => {
    const prodOnly: WindowConfig = { ...nightly, environments: ['production'] };
    expect(nextWindow([prodOnly], 'staging', now)).toBeUndefined();
    const inside = DateTime.fromISO('2026-11-28T02:00:00Z');
    expect(nextWindow([prodOnly], 'production', inside)?.start.toISO()).toBe(inside.toISO());
    expect(openWindowAt([prodOnly], 'production', inside)?.window).toBe('nightly');
    expect(openWindowAt([prodOnly], 'production', now)).toBeUndefined();
  });
});

describe('quietestSlot', () => {
  const busy = (quietKey: string) => {
    const counts: Record<string, number> = {};
    const samples: Record<string, number> = {};
    for (let weekday = 1; weekday <= 7; weekday++) for (let hour = 0; hour < 24; hour++) {
      const key = `${weekday}:${hour}`;
      counts[key] = key === quietKey ? 20 : 1000;
      samples[key] = 2;
    }
    return { timezone: 'Europe/Berlin', counts, samples, days: 14 };
  };
  test('picks the hour with the least traffic from a seeded histogram', () => {
    const result = quietestSlot(busy('4:3'), [], 'production', now, 7);
    expect(result.source).toBe('traffic');
    if (result.source === 'traffic') {
      expect(histogramKey(result.slot.start)).toBe('4:3');
      expect(result.slot.start.toUTC().toISO()).toBe('2026-11-26T02:00:00.000Z');
      expect(result.averageRequests).toBe(10);
    }
  });
  test('too little history falls back to the configured window and says so', () => {
    const result = quietestSlot({ ...busy('4:3'), days: 2 }, [nightly], 'production', now, 7);
    expect(result).toMatchObject({ source: 'configured-window', reason: expect.stringContaining('only 2 day(s)') });
  });
});
