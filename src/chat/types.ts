/** One seam per chat platform. The engine never talks to Slack or Discord directly. */

export type Platform = 'slack' | 'discord' | 'terminal';

/** A place a message lives: channel + thread (the thread root's id) on one platform. */
export interface ThreadRef {
  platform: Platform;
  channel: string;
  /** The root message of the thread; undefined to start a new thread. */
  thread?: string;
}

export interface MessageRef extends ThreadRef {
  message: string;
}

/** Platform-neutral message model; each adapter turns it into Block Kit, embeds or text. */
export interface ChatMessage {
  text: string;
  title?: string;
  fields?: Array<{ label: string; value: string }>;
  lines?: string[];
  tone?: 'info' | 'success' | 'warning' | 'danger';
  /** Small print under the message (who asked, plan hash, deadline): Slack context block, Discord footer. */
  context?: string[];
  /** Reactions the adapter adds to the message after posting, so people can click them (approval requests). */
  reactions?: string[];
}

export interface CommandEvent {
  platform: Platform;
  userId: string;
  userName?: string;
  /** Roles (Discord) or user groups (Slack) the user belongs to, when the platform tells. */
  groups?: string[];
  channel: string;
  /** The arguments after `/openclaw`, e.g. `upgrade 1.3.0 --env production`. */
  text: string;
  /** Reply only the sender sees (Slack ephemeral, Discord ephemeral interaction reply, terminal stderr). */
  replyPrivately(message: string): Promise<void>;
}

export interface ReactionEvent {
  platform: Platform;
  userId: string;
  userName?: string;
  groups?: string[];
  channel: string;
  message: string;
  /** Emoji name without colons (`white_check_mark`) or the unicode character. */
  reaction: string;
  /** The message is one the bot posted, when the platform tells: a reaction on it that does nothing is answered. */
  botMessage?: boolean;
}

/** Doc: a chat platform connection. Implementations: slack/, discord/, terminal/. */
export interface ChatAdapter {
  readonly platform: Platform;
  start(): Promise<void>;
  stop(): Promise<void>;
  post(where: ThreadRef, message: ChatMessage): Promise<MessageRef>;
  update(ref: MessageRef, message: ChatMessage): Promise<void>;
  onCommand(handler: (event: CommandEvent) => Promise<void>): void;
  onReaction(handler: (event: ReactionEvent) => Promise<void>): void;
  /**
   * A short answer to one person about their reaction: only they see it where the platform allows
   * (Slack ephemeral, terminal stderr); Discord has no private answer to a reaction, so it is a
   * thread message that mentions them. Optional: without it the bot posts in the thread.
   */
  notifyUser?(where: ThreadRef, userId: string, text: string): Promise<void>;
}
