/**
 * Upgrade windows and `--at` times, in the team's time zones. Pure: the clock is a parameter.
 * luxon does the zone arithmetic so daylight-saving transitions are handled by the tz database,
 * not by us; cron-parser (already BullMQ's) expands cron windows.
 */
import { DateTime, Interval } from 'luxon';
import { CronExpressionParser } from 'cron-parser';
import type { WindowConfig } from '../config/schema.js';

export interface WindowSlot {
  window: string;
  start: DateTime;
  end: DateTime;
}

export type AtParseResult =
  | { ok: true; at: DateTime; note?: string }
  | { ok: false; message: string };

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const AT_FORMATS = ['yyyy-MM-dd HH:mm', 'yyyy-MM-dd H:mm', "yyyy-MM-dd'T'HH:mm", 'yyyy-MM-dd HH:mm:ss', "yyyy-MM-dd'T'HH:mm:ss"];

/**
 * Parses `--at` text: `2026-12-01 03:00 Europe/Berlin`, `2026-12-01 03:00` (team zone), an ISO
 * time with offset, or `HH:MM` (the next such time). Refuses times in the past and local times
 * that do not exist (the spring-forward gap); an ambiguous fall-back time takes the first one and says so.
 */
export function parseAtTime(text: string, defaultZone: string, now: DateTime): AtParseResult {
  const trimmed = text.trim();
  const parts = trimmed.split(/\s+/);
  let zone = defaultZone;
  const last = parts[parts.length - 1];
  if (parts.length > 1 && last !== undefined && /[A-Za-z]/.test(last) && !/^\d/.test(last)) {
    if (!DateTime.now().setZone(last).isValid) return { ok: false, message: `"${last}" is not a time zone; use an IANA name such as Europe/Berlin` };
    zone = last;
    parts.pop();
  }
  const local = parts.join(' ');

  const iso = DateTime.fromISO(local, { setZone: true });
  if (/[zZ]|[+-]\d\d:?\d\d$/.test(local) && iso.isValid) return future(iso, now, text);

  if (/^\d{1,2}:\d\d$/.test(local)) {
    const [hour, minute] = local.split(':').map(Number) as [number, number];
    const today = now.setZone(zone).set({ hour, minute, second: 0, millisecond: 0 });
    const candidate = today > now ? today : today.plus({ days: 1 }).set({ hour, minute });
    return checkLocal(candidate, hour, minute, zone, now, text);
  }

  for (const format of AT_FORMATS) {
    const parsed = DateTime.fromFormat(local, format, { zone });
    // The wall time as written: luxon has already moved a nonexistent one forward.
    const wall = /[ T](\d{1,2}):(\d\d)/.exec(local);
    if (parsed.isValid && wall) return checkLocal(parsed, Number(wall[1]), Number(wall[2]), zone, now, text);
  }
  return { ok: false, message: `cannot read "${text}" as a time; use e.g. "2026-12-01 03:00 Europe/Berlin" or "03:00"` };
}

function checkLocal(at: DateTime, hour: number, minute: number, zone: string, now: DateTime, text: string): AtParseResult {
  // luxon shifts a nonexistent wall time forward; comparing the wall clock back detects the gap.
  if (at.hour !== hour || at.minute !== minute) {
    return { ok: false, message: `${pad(hour)}:${pad(minute)} does not exist on ${at.toISODate()} in ${zone} (clocks go forward); pick another time` };
  }
  const offsets = at.getPossibleOffsets();
  if (offsets.length > 1) {
    const first = offsets.reduce((a, b) => (a.toMillis() <= b.toMillis() ? a : b));
    const result = future(first, now, text);
    return result.ok ? { ...result, note: `${pad(hour)}:${pad(minute)} happens twice on ${first.toISODate()} in ${zone} (clocks go back); using the first, ${first.toFormat('ZZ')}` } : result;
  }
  return future(at, now, text);
}

function future(at: DateTime, now: DateTime, text: string): AtParseResult {
  if (at <= now) return { ok: false, message: `"${text}" is in the past (now is ${now.setZone(at.zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')})` };
  return { ok: true, at };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** The window slots (start, end) of one window that start within [from, from + horizonDays), in order. */
export function windowSlots(window: WindowConfig, from: DateTime, horizonDays = 14): WindowSlot[] {
  const until = from.plus({ days: horizonDays });
  const slots: WindowSlot[] = [];
  if (window.cron !== undefined) {
    const expression = CronExpressionParser.parse(window.cron, { currentDate: from.minus({ minutes: window.durationMinutes ?? 0 }).toJSDate(), tz: window.timezone });
    for (let i = 0; i < 1000; i++) {
      const start = DateTime.fromJSDate(expression.next().toDate()).setZone(window.timezone);
      if (start >= until) break;
      slots.push({ window: window.name, start, end: start.plus({ minutes: window.durationMinutes ?? 60 }) });
    }
    return slots;
  }
  const firstDay = from.setZone(window.timezone).startOf('day').minus({ days: 1 });
  for (let day = 0; day <= horizonDays + 1; day++) {
    const date = firstDay.plus({ days: day });
    const weekday = WEEKDAYS[date.weekday - 1];
    for (const range of window.weekly ?? []) {
      if (weekday === undefined || !range.days.includes(weekday)) continue;
      const start = atWallTime(date, range.start);
      let end = atWallTime(date, range.end);
      if (end <= start) end = atWallTime(date.plus({ days: 1 }), range.end);
      if (start < until) slots.push({ window: window.name, start, end });
    }
  }
  return slots.filter((slot) => slot.end > from).sort((a, b) => a.start.toMillis() - b.start.toMillis());
}

function atWallTime(date: DateTime, hhmm: string): DateTime {
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  return date.set({ hour, minute, second: 0, millisecond: 0 });
}

/**
 * The next slot of any window that applies to the environment, starting now if a window is open.
 * A slot already open is returned with `start` = now so the upgrade runs at once.
 */
export function nextWindow(windows: readonly WindowConfig[], environment: string, now: DateTime): WindowSlot | undefined {
  const applicable = windows.filter((window) => window.environments === undefined || window.environments.includes(environment));
  const slots = applicable.flatMap((window) => windowSlots(window, now));
  slots.sort((a, b) => a.start.toMillis() - b.start.toMillis());
  const first = slots[0];
  if (first === undefined) return undefined;
  return first.start < now ? { ...first, start: now } : first;
}

/** Whether `at` falls inside a slot of a window that applies to the environment. */
export function openWindowAt(windows: readonly WindowConfig[], environment: string, at: DateTime): WindowSlot | undefined {
  for (const window of windows) {
    if (window.environments !== undefined && !window.environments.includes(environment)) continue;
    const slot = windowSlots(window, at.minus({ days: 2 }), 3).find((candidate) => Interval.fromDateTimes(candidate.start, candidate.end).contains(at));
    if (slot) return slot;
  }
  return undefined;
}
