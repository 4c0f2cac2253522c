/** Which Slack user groups a user belongs to: one usergroups.list (with users) per TTL, shared by all lookups. */
import type { Logger } from '../../log/logger.js';

export interface SlackUserGroup {
  id: string;
  handle: string;
  users: readonly string[];
}

/** Resolves a user's groups; ids and handles both, so config may name either. */
export interface UserGroupResolver {
  groupsOf(userId: string): Promise<string[]>;
}

export interface UserGroupResolverOptions {
  list: () => Promise<SlackUserGroup[]>;
  logger: Logger;
  ttlMs?: number;
  now?: () => number;
}

export function createUserGroupResolver(options: UserGroupResolverOptions): UserGroupResolver {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  let cache: { at: number; groups: Promise<SlackUserGroup[]> } | undefined;

  function groups(): Promise<SlackUserGroup[]> {
    if (cache !== undefined && now() - cache.at < ttlMs) return cache.groups;
    const entry = {
      at: now(),
      groups: options.list().catch((error: unknown) => {
        // Free workspaces and apps without usergroups:read get an error: nobody is in any group.
        options.logger.warn({ err: error }, 'slack usergroups.list failed; treating users as in no group');
        return [];
      }),
    };
    cache = entry;
    return entry.groups;
  }

  return {
    async groupsOf(userId) {
      const all = await groups();
      return all.filter((group) => group.users.includes(userId)).flatMap((group) => [group.id, group.handle]);
    },
  };
}

/** Display names by user id (users.info), cached: reaction events carry only the id. */
export interface UserNameResolver {
  nameOf(userId: string): Promise<string | undefined>;
}

export function createUserNameResolver(options: { info: (userId: string) => Promise<string | undefined>; logger: Logger; ttlMs?: number; now?: () => number }): UserNameResolver {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; name: Promise<string | undefined> }>();
  return {
    nameOf(userId) {
      const hit = cache.get(userId);
      if (hit !== undefined && now() - hit.at < ttlMs) return hit.name;
      const name = options.info(userId).catch((error: unknown) => {
        options.logger.warn({ err: error, userId }, 'slack users.info failed; showing the user id');
        return undefined;
      });
      cache.set(userId, { at: now(), name });
      return name;
    },
  };
}
