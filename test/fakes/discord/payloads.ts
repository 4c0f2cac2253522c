/**
 * Discord API objects as the real API sends them (v10 field names), built from the fake's
 * small world description. Only what discord.js reads is filled in, but with real shapes.
 */

/** A user in the fake world. */
export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
}

/** A guild in the fake world: its roles, text channels and members. */
export interface FakeGuild {
  id: string;
  name: string;
  roles: Array<{ id: string; name: string }>;
  channels: Array<{ id: string; name: string }>;
  members: Array<FakeUser & { roles: string[] }>;
}

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A fresh snowflake (timestamp + counter), as Discord would mint. */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export function userPayload(user: FakeUser): Record<string, unknown> {
  return { id: user.id, username: user.username, discriminator: '0', global_name: null, avatar: null, bot: user.bot ?? false, flags: 0 };
}

export function memberPayload(member: FakeUser & { roles: string[] }): Record<string, unknown> {
  return {
    user: userPayload(member), roles: [...member.roles], nick: null, avatar: null, joined_at: '2026-01-01T00:00:00.000Z',
    premium_since: null, deaf: false, mute: false, flags: 0, pending: false, communication_disabled_until: null,
  };
}

export function textChannelPayload(guildId: string, channel: { id: string; name: string }, position: number): Record<string, unknown> {
  return {
    id: channel.id, type: 0, guild_id: guildId, name: channel.name, position, permission_overwrites: [],
    topic: null, nsfw: false, last_message_id: null, rate_limit_per_user: 0, parent_id: null, flags: 0,
  };
}

export function threadPayload(options: { id: string; guildId: string; parentId: string; name: string; ownerId: string }): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: options.id, type: 11, guild_id: options.guildId, parent_id: options.parentId, name: options.name,
    owner_id: options.ownerId, last_message_id: null, rate_limit_per_user: 0, flags: 0,
    message_count: 0, member_count: 1, total_message_sent: 0,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: now, locked: false, create_timestamp: now },
  };
}

export function rolePayload(role: { id: string; name: string }, position: number): Record<string, unknown> {
  return {
    id: role.id, name: role.name, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false, icon: null, unicode_emoji: null, position, permissions: '0', managed: false, mentionable: false, flags: 0,
  };
}

/** GUILD_CREATE's data: the guild with roles (@everyone has the guild's id), channels, members and active threads. */
export function guildCreatePayload(guild: FakeGuild, bot: FakeUser, activeThreads: Array<Record<string, unknown>> = []): Record<string, unknown> {
  const roles = [{ id: guild.id, name: '@everyone' }, ...guild.roles.filter((role) => role.id !== guild.id)];
  const members = [...guild.members, { ...bot, roles: [] }];
  return {
    id: guild.id, name: guild.name, icon: null, splash: null, discovery_splash: null, owner_id: guild.members[0]?.id ?? bot.id,
    afk_channel_id: null, afk_timeout: 300, verification_level: 0, default_message_notifications: 0, explicit_content_filter: 0,
    roles: roles.map(rolePayload), emojis: [], stickers: [], features: [], mfa_level: 0, application_id: null,
    system_channel_id: null, system_channel_flags: 0, rules_channel_id: null, vanity_url_code: null, description: null,
    banner: null, premium_tier: 0, premium_subscription_count: 0, preferred_locale: 'en-US', public_updates_channel_id: null,
    nsfw_level: 0, premium_progress_bar_enabled: false, safety_alerts_channel_id: null,
    joined_at: '2026-01-01T00:00:00.000Z', large: false, unavailable: false, member_count: members.length,
    voice_states: [], members: members.map(memberPayload), channels: guild.channels.map((channel, index) => textChannelPayload(guild.id, channel, index)),
    threads: activeThreads, presences: [], stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
  };
}

/** A message object as REST returns it. */
export function messagePayload(options: {
  id: string;
  channelId: string;
  author: FakeUser;
  body: Record<string, unknown>;
  flags?: number;
  webhookId?: string;
  applicationId?: string;
}): Record<string, unknown> {
  return {
    id: options.id, type: 0, channel_id: options.channelId, author: userPayload(options.author),
    content: typeof options.body['content'] === 'string' ? options.body['content'] : '',
    embeds: Array.isArray(options.body['embeds']) ? options.body['embeds'] : [],
    components: [], attachments: [], mentions: [], mention_roles: [], mention_everyone: false, tts: false, pinned: false,
    timestamp: new Date().toISOString(), edited_timestamp: null, flags: options.flags ?? 0,
    ...(options.webhookId !== undefined ? { webhook_id: options.webhookId } : {}),
    ...(options.applicationId !== undefined ? { application_id: options.applicationId } : {}),
  };
}
