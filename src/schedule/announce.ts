/** Announcement messages for scheduled upgrades. Pure: the bot posts what this returns. */
import type { ChatMessage } from '../chat/types.js';
import { displayReaction, formatTime } from '../chat/render/format.js';
import type { AnnouncementExtra, AnnouncementKind, ScheduledUpgrade } from './types.js';

export interface AnnouncementOptions {
  /** `approvals.reactions` from the config; the defaults are 🛑 and ✅. */
  reactions?: { approve: readonly string[]; postpone: readonly string[] };
  /** Whether a window to postpone to exists; without one 🛑 is refused, so it is not offered. Default true. */
  canPostpone?: boolean;
}

const TITLES: Readonly<Record<AnnouncementKind, string>> = {
  scheduled: 'Upgrade scheduled',
  reminder: 'Reminder: upgrade coming up',
  starting: 'Scheduled upgrade starting',
  finished: 'Scheduled upgrade finished',
  postponed: 'Scheduled upgrade postponed',
  cancelled: 'Scheduled upgrade cancelled',
};

/** "2026-12-01 03:00 CET (02:00 UTC)": the team's zone first, UTC for everyone else. */
export function formatWhen(iso: string, timeZone: string): string {
  const local = formatTime(iso, timeZone);
  const utc = formatTime(iso, 'UTC');
  return timeZone === 'UTC' || local === utc ? local : `${local} (${utc.slice(11)})`;
}

function beforeText(minutes: number): string {
  if (minutes % (24 * 60) === 0) return `${minutes / (24 * 60)} day${minutes === 24 * 60 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** What, where, when (team zone and UTC), who asked, expected downtime and how to postpone or pre-approve. */
export function renderAnnouncement(kind: AnnouncementKind, schedule: ScheduledUpgrade, timeZone: string, extra: AnnouncementExtra = {}, options: AnnouncementOptions = {}): ChatMessage {
  const postpone = displayReaction(options.reactions?.postpone ?? ['🛑']);
  const approve = displayReaction(options.reactions?.approve ?? ['✅']);
  const what = `OpenClaw ${schedule.version} on ${schedule.environment}`;
  const when = formatWhen(schedule.at, timeZone);
  const who = schedule.requester.displayName ?? schedule.requester.userId;
  const texts: Record<AnnouncementKind, string> = {
    scheduled: `Upgrade of ${what} scheduled for ${when}`,
    reminder: `Reminder: upgrade of ${what} starts in ${beforeText(extra.minutesBefore ?? 0)}, at ${when}`,
    starting: `Upgrade of ${what} is starting now (upgrade ${schedule.upgradeId})`,
    finished: `Upgrade of ${what} ${extra.outcome ?? schedule.outcome ?? 'finished'}${extra.summary ? `: ${extra.summary}` : ''}`,
    postponed: `Upgrade of ${what} postponed${extra.by ? ` by ${extra.by}` : ''} to ${when}`,
    cancelled: `Upgrade of ${what} (was ${when}) cancelled${extra.by ? ` by ${extra.by}` : ''}`,
  };
  const fields = [
    { label: 'What', value: `OpenClaw ${schedule.version}${schedule.strategy ? ` (strategy ${schedule.strategy})` : ''}` },
    { label: 'Where', value: schedule.environment },
    { label: 'When', value: when + (schedule.windowEnd ? `, window "${schedule.window ?? 'window'}" until ${formatWhen(schedule.windowEnd, timeZone)}` : '') },
    { label: 'Requested by', value: who },
    { label: 'Expected downtime', value: schedule.expectedDowntime },
  ];
  if (kind === 'postponed' && extra.previousAt) fields.push({ label: 'Was', value: formatWhen(extra.previousAt, timeZone) });
  if (kind === 'starting' || kind === 'finished') fields.push({ label: 'Upgrade', value: schedule.upgradeId });

  const open = kind === 'scheduled' || kind === 'reminder' || kind === 'postponed';
  const lines: string[] = [];
  if (schedule.note && (kind === 'scheduled' || kind === 'postponed')) lines.push(schedule.note);
  const postponable = open && options.canPostpone !== false;
  if (postponable) lines.push(`React ${postpone} to postpone it to the next window (approvers only).`);
  if (open) {
    lines.push(`React ${approve} to pre-approve it: counts for plan ${schedule.planHash}; if the plan has changed by then, approve again in the upgrade's thread.`);
  }
  if (kind === 'starting' && schedule.windowEnd) lines.push(`If traffic is not switched by ${formatWhen(schedule.windowEnd, timeZone)}, it stops before switching and asks.`);
  const tone = kind === 'cancelled' || kind === 'postponed' ? 'warning'
    : kind === 'finished' ? ((extra.outcome ?? schedule.outcome) === 'succeeded' ? 'success' : 'danger') : 'info';
  return {
    text: texts[kind],
    title: `${TITLES[kind]}: ${what}`,
    fields,
    ...(lines.length > 0 ? { lines } : {}),
    tone,
    context: [`schedule ${schedule.id}`, `plan ${schedule.planHash}`, `requested by ${who}`],
    ...(open ? { reactions: postponable ? [postpone, approve] : [approve] } : {}),
  };
}

/** The `schedule list` answer. */
export function renderScheduleList(schedules: readonly ScheduledUpgrade[], timeZone: string): string {
  if (schedules.length === 0) return 'No upgrades are scheduled.';
  return schedules.map((schedule) => {
    const state = schedule.status === 'running' ? ` — running as ${schedule.upgradeId}` : '';
    return `• ${schedule.id}: OpenClaw ${schedule.version} on ${schedule.environment} at ${formatWhen(schedule.at, timeZone)}` +
      `${schedule.window ? ` (window ${schedule.window})` : ''}, by ${schedule.requester.displayName ?? schedule.requester.userId}${state}`;
  }).join('\n');
}
