import type { FakeGuild, FakeUser } from './payloads.js';

/** One REST request the client made, with the path percent-decoded and without `/api/v10`. */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** The HTTP status the fake answered with (0 until answered). */
  status: number;
}

/** An interaction the fake dispatched, and what the client answered. */
export interface FakeInteraction {
  id: string;
  token: string;
  channelId: string;
  guildId: string;
  userId: string;
  /** Date.now() when INTERACTION_CREATE was sent. */
  sentAt: number;
  /** The initial callback (`POST /interactions/:id/:token/callback`) and when it came. */
  callback?: { type: number; data: Record<string, unknown>; at: number };
  /** The `@original` response message, once sent or edited. */
  original?: Record<string, unknown>;
  followUps: Array<Record<string, unknown>>;
}

/** Everything the fake knows: world, stored objects, and the log of calls. */
export interface FakeDiscordState {
  token: string;
  applicationId: string;
  bot: FakeUser;
  guilds: FakeGuild[];
  /** Channel payloads by id: the guilds' text channels and threads started since. */
  channels: Map<string, Record<string, unknown>>;
  /** Message payloads by id. */
  messages: Map<string, Record<string, unknown>>;
  interactions: Map<string, FakeInteraction>;
  /** Last PUT body per commands route (`applications/:app/commands` or `…/guilds/:g/commands`). */
  commands: Map<string, unknown>;
  /** Reactions the bot added: `channel/message/emoji`. */
  botReactions: string[];
  calls: RecordedCall[];
  /** Called after each recorded call (wakes waitForCall). */
  onCall: Set<(call: RecordedCall) => void>;
  /** Discord answers `Unknown interaction` after this many ms without a callback. */
  interactionDeadlineMs: number;
}

export const defaultGuild: FakeGuild = {
  id: '900000000000000001',
  name: 'Ops',
  roles: [{ id: '910000000000000001', name: 'approvers' }, { id: '910000000000000002', name: 'deployers' }],
  channels: [{ id: '920000000000000001', name: 'deploys' }, { id: '920000000000000002', name: 'approvals' }],
  members: [
    { id: '930000000000000001', username: 'alice', roles: ['910000000000000001', '910000000000000002'] },
    { id: '930000000000000002', username: 'bob', roles: [] },
  ],
};
