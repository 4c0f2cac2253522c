/** Scheduled upgrades and their announcements: the data the scheduler keeps and the seam to chat. */
import type { Command } from '../commands/types.js';
import type { Platform } from '../chat/types.js';
import type { Requester } from '../jobs/events.js';

export type UpgradeCommand = Extract<Command, { kind: 'upgrade' }>;

export type AnnouncementKind = 'scheduled' | 'reminder' | 'starting' | 'finished' | 'postponed' | 'cancelled';

export type ScheduleStatus = 'scheduled' | 'running' | 'finished' | 'cancelled';

/** One scheduled upgrade, as stored in Redis (`<prefix>:schedule:<id>`). */
export interface ScheduledUpgrade {
  /** `sch-<yyyyMMddHHmm>-<hex>`; also the BullMQ job id of its start job. */
  id: string;
  /** Decided when scheduling: the dry run and the real run share it, so their plans hash alike. */
  upgradeId: string;
  /** The command to run at the time: no `schedule`, no dry run. */
  command: UpgradeCommand;
  requester: Requester;
  environment: string;
  version: string;
  strategy: string;
  /** ISO, UTC: when the upgrade starts. */
  at: string;
  /** ISO, UTC: the end of the window it runs in (window schedules); the worker asks before switching traffic after it. */
  windowEnd?: string;
  /** The window's name, `auto` for the quietest hour; absent for `--at`. */
  window?: string;
  source: 'at' | 'window-next' | 'window-auto';
  /** Why this time (e.g. the traffic fallback, a DST note), said in the announcement. */
  note?: string;
  /** From the dry run at scheduling time. */
  expectedDowntime: string;
  /** Hash of the dry-run plan shown in the announcement: advance approvals are bound to it. */
  planHash: string;
  status: ScheduleStatus;
  /** Bumped by every postpone; reminder job ids and announcement markers carry it. */
  revision: number;
  createdAt: string;
  outcome?: string;
  summary?: string;
  postponedBy?: string;
  cancelledBy?: string;
}

/** Details some announcement kinds carry. */
export interface AnnouncementExtra {
  /** reminder: minutes before the start. */
  minutesBefore?: number;
  /** postponed / cancelled: who. */
  by?: string;
  /** postponed: the previous start (ISO). */
  previousAt?: string;
  /** finished: outcome and summary of the upgrade. */
  outcome?: string;
  summary?: string;
}

/** Where one announcement went: the scheduler maps reactions on it back to the schedule. */
export interface AnnouncementPost {
  platform: Platform;
  channel: string;
  message: string;
}

/**
 * Posts announcements to the team. The bot implements it: renderAnnouncement (announce.ts) →
 * post to `chat.slack.announceChannel` / `chat.discord.announceChannel` → return every message ref.
 */
export interface Announcer {
  announce(kind: AnnouncementKind, schedule: ScheduledUpgrade, extra?: AnnouncementExtra): Promise<AnnouncementPost[]>;
}

/** An advance (pre-)approval given by reacting to an announcement; applied to the upgrade's gates when it runs. */
export interface AdvanceApproval {
  platform: Requester['platform'];
  userId: string;
  displayName?: string;
  groups?: string[];
  planHash: string;
  at: string;
}
