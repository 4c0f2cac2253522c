/**
 * Glue for the chat gateway (src/bot): an Announcer over the chat adapters, and the
 * `schedule` / `scheduleCommands` functions in the shape BotDeps takes.
 */
import type { CommandReply } from '../bot/outcome.js';
import type { ChatAdapter } from '../chat/types.js';
import type { Command } from '../commands/types.js';
import type { ClawopsConfig } from '../config/schema.js';
import type { Requester } from '../jobs/events.js';
import { DateTime } from 'luxon';
import { renderAnnouncement, renderScheduleList } from './announce.js';
import { postponeTarget } from './resolve.js';
import type { Scheduler } from './scheduler.js';
import type { AnnouncementPost, Announcer } from './types.js';

/** Posts each announcement to `chat.<platform>.announceChannel` of every connected platform that has one. */
export function createChatAnnouncer(adapters: readonly ChatAdapter[], config: ClawopsConfig, onError?: (error: unknown, platform: string) => void): Announcer {
  const channelOf = (platform: ChatAdapter['platform']) =>
    platform === 'slack' ? config.chat.slack?.announceChannel : platform === 'discord' ? config.chat.discord?.announceChannel : 'terminal';
  return {
    async announce(kind, schedule, extra) {
      // Judged from the scheduled time rather than the clock: whether a window follows that slot.
      const canPostpone = postponeTarget(schedule, config, DateTime.fromISO(schedule.at)).ok;
      const message = renderAnnouncement(kind, schedule, config.schedule.timezone, extra, { reactions: config.approvals.reactions, canPostpone });
      const posts: AnnouncementPost[] = [];
      for (const adapter of adapters) {
        const channel = channelOf(adapter.platform);
        if (channel === undefined) continue;
        try {
          const ref = await adapter.post({ platform: adapter.platform, channel }, message);
          posts.push({ platform: ref.platform, channel: ref.channel, message: ref.message });
        } catch (error) {
          // One platform down must not lose the announcement on the others.
          onError?.(error, adapter.platform);
        }
      }
      return posts;
    },
  };
}

/** `BotDeps.schedule` and `BotDeps.scheduleCommands`: the reply, and whether it was done (a refusal exits `say` with 2). */
export function scheduleBotHooks(scheduler: Scheduler, config: ClawopsConfig) {
  return {
    async schedule(command: Extract<Command, { kind: 'upgrade' }>, requester: Requester): Promise<CommandReply> {
      const { ok, message } = await scheduler.schedule(command, requester);
      return { ok, message };
    },
    async scheduleCommands(command: Extract<Command, { kind: 'schedule' }>, requester: Requester): Promise<CommandReply> {
      if (command.action === 'list') return { ok: true, message: renderScheduleList(await scheduler.list(), config.schedule.timezone) };
      const { ok, message } = await scheduler.cancel(command.id, requester);
      return { ok, message };
    },
  };
}
