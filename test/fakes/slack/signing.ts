/** Builds requests exactly as Slack sends them: form-encoded slash commands, JSON events, v0 HMAC signatures. */
import { createHmac } from 'node:crypto';

export interface SignOptions {
  secret: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Replace the computed signature (to test rejection). */
  signature?: string;
}

export function signatureHeaders(body: string, options: SignOptions): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? `v0=${createHmac('sha256', options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

export interface SlashCommandFields {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  teamId?: string;
  responseUrl?: string;
  command?: string;
}

/** The fields Slack posts for a slash command (also the Socket Mode `slash_commands` payload). */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: fields.teamId ?? 'T0001',
    team_domain: 'clawops',
    channel_id: fields.channelId ?? 'C0OPS',
    channel_name: 'ops',
    user_id: fields.userId ?? 'U0ALICE',
    user_name: fields.userName ?? 'alice',
    command: fields.command ?? '/openclaw',
    text: fields.text,
    api_app_id: 'A0CLAWOPS',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl ?? 'https://hooks.slack.invalid/commands/none',
    trigger_id: `${Date.now()}.trigger`,
  };
}

export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams(slashCommandPayload(fields)).toString();
}

export interface ReactionFields {
  user: string;
  reaction: string;
  channel: string;
  ts: string;
  itemUser?: string;
}

/** An Events API `event_callback` carrying `reaction_added`. */
export function reactionAddedPayload(fields: ReactionFields): Record<string, unknown> {
  return {
    token: 'legacy-verification-token',
    team_id: 'T0001',
    api_app_id: 'A0CLAWOPS',
    type: 'event_callback',
    event_id: `Ev${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'reaction_added',
      user: fields.user,
      reaction: fields.reaction,
      item_user: fields.itemUser ?? 'U0BOT',
      item: { type: 'message', channel: fields.channel, ts: fields.ts },
      event_ts: `${Date.now() / 1000}`,
    },
    authorizations: [{ team_id: 'T0001', user_id: 'U0BOT', is_bot: true }],
  };
}

export interface PostResult {
  status: number;
  body: string;
  ms: number;
}

/** POSTs a signed body to an HTTP receiver the way Slack does. */
export async function postSigned(url: string, body: string, options: SignOptions & { contentType?: string }): Promise<PostResult> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      ...signatureHeaders(body, options),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text, ms: performance.now() - started };
}
