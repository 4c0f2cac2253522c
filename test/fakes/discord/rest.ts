import type { IncomingMessage, ServerResponse } from 'node:http';
import { guildCreatePayload, memberPayload, messagePayload, snowflake, threadPayload, userPayload } from './payloads.js';
import type { FakeDiscordState, RecordedCall } from './state.js';

type Reply = { status: number; body?: unknown };
type Params = string[];

const notFound = (code: number, message: string): Reply => ({ status: 404, body: { code, message } });
const unknownChannel = notFound(10003, 'Unknown Channel');
const unknownMessage = notFound(10008, 'Unknown Message');
const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent: Reply = { status: 204 };

/** Checks the limits Discord enforces on a message body, so an adapter bug fails here as it would there. */
function invalidMessage(body: Record<string, unknown>): Reply | undefined {
  const content = typeof body['content'] === 'string' ? body['content'] : '';
  const embeds = Array.isArray(body['embeds']) ? body['embeds'] as Array<Record<string, unknown>> : [];
  const problems: string[] = [];
  if (content.length > 2000) problems.push('content: Must be 2000 or fewer in length.');
  if (embeds.length > 10) problems.push('embeds: Must be 10 or fewer in length.');
  for (const embed of embeds) {
    const fields = Array.isArray(embed['fields']) ? embed['fields'] as Array<Record<string, unknown>> : [];
    if (String(embed['title'] ?? '').length > 256) problems.push('embeds.title: Must be 256 or fewer in length.');
    if (String(embed['description'] ?? '').length > 4096) problems.push('embeds.description: Must be 4096 or fewer in length.');
    if (fields.length > 25) problems.push('embeds.fields: Must be 25 or fewer in length.');
    for (const field of fields) {
      if (String(field['name'] ?? '') === '' || String(field['value'] ?? '') === '') problems.push('embeds.fields: name and value are required.');
      if (String(field['value'] ?? '').length > 1024) problems.push('embeds.fields.value: Must be 1024 or fewer in length.');
    }
    const footer = (embed['footer'] ?? {}) as Record<string, unknown>;
    const total = String(embed['title'] ?? '').length + String(embed['description'] ?? '').length + String(footer['text'] ?? '').length
      + fields.reduce((sum, field) => sum + String(field['name'] ?? '').length + String(field['value'] ?? '').length, 0);
    if (total > 6000) problems.push('embeds: Embed size exceeds maximum size of 6000');
    if (String(footer['text'] ?? '').length > 2048) problems.push('embeds.footer.text: Must be 2048 or fewer in length.');
    if (embed['title'] === undefined && embed['description'] === undefined && fields.length === 0 && embed['footer'] === undefined) {
      problems.push('embeds: An embed needs a title, description, field or footer.');
    }
  }
  if (problems.length > 0) return { status: 400, body: { code: 50035, message: 'Invalid Form Body', errors: problems } };
  return undefined;
}

function interactionByToken(state: FakeDiscordState, token: string) {
  return [...state.interactions.values()].find((interaction) => interaction.token === token);
}

function channelMessages(state: FakeDiscordState, method: string, [channelId, messageId]: Params, body: Record<string, unknown>): Reply {
  const channel = state.channels.get(channelId ?? '');
  if (channel === undefined) return unknownChannel;
  if (messageId === undefined) {
    if (method !== 'POST') return { status: 405, body: { code: 0, message: '405: Method Not Allowed' } };
    const invalid = invalidMessage(body);
    if (invalid !== undefined) return invalid;
    if (body['content'] === undefined && !Array.isArray(body['embeds'])) return { status: 400, body: { code: 50006, message: 'Cannot send an empty message' } };
    const message = messagePayload({ id: snowflake(), channelId: channelId ?? '', author: { ...state.bot, bot: true }, body });
    state.messages.set(String(message['id']), message);
    return ok(message);
  }
  const message = state.messages.get(messageId);
  if (message === undefined || message['channel_id'] !== channelId) return unknownMessage;
  if (method === 'GET') return ok(message);
  if (method === 'PATCH') {
    const invalid = invalidMessage(body);
    if (invalid !== undefined) return invalid;
    Object.assign(message, { ...body, edited_timestamp: new Date().toISOString() });
    return ok(message);
  }
  return { status: 405, body: { code: 0, message: '405: Method Not Allowed' } };
}

function startThread(state: FakeDiscordState, [channelId, messageId]: Params, body: Record<string, unknown>): Reply {
  const parent = state.channels.get(channelId ?? '');
  if (parent === undefined) return unknownChannel;
  const root = state.messages.get(messageId ?? '');
  if (root === undefined || root['channel_id'] !== channelId) return unknownMessage;
  if (state.channels.has(messageId ?? '')) return { status: 400, body: { code: 160004, message: 'A thread has already been created for this message' } };
  const name = typeof body['name'] === 'string' ? body['name'] : '';
  if (name.length < 1 || name.length > 100) return { status: 400, body: { code: 50035, message: 'Invalid Form Body', errors: ['name: Must be between 1 and 100 in length.'] } };
  // A thread started from a message has the message's id.
  const thread = threadPayload({ id: messageId ?? '', guildId: String(parent['guild_id']), parentId: channelId ?? '', name, ownerId: state.bot.id });
  state.channels.set(messageId ?? '', thread);
  return { status: 201, body: thread };
}

function interactionCallback(state: FakeDiscordState, [id, token]: Params, body: Record<string, unknown>, query: Record<string, string>): Reply {
  const interaction = state.interactions.get(id ?? '');
  if (interaction === undefined || interaction.token !== token) return notFound(10062, 'Unknown interaction');
  if (interaction.callback !== undefined) return { status: 400, body: { code: 40060, message: 'Interaction has already been acknowledged.' } };
  if (Date.now() - interaction.sentAt > state.interactionDeadlineMs) return notFound(10062, 'Unknown interaction');
  const data = (body['data'] ?? {}) as Record<string, unknown>;
  interaction.callback = { type: Number(body['type']), data, at: Date.now() };
  if (interaction.callback.type === 4) {
    interaction.original = messagePayload({ id: snowflake(), channelId: interaction.channelId, author: state.bot, body: data, flags: Number(data['flags'] ?? 0), webhookId: state.applicationId, applicationId: state.applicationId });
  }
  if (query['with_response'] !== 'true') return noContent;
  return ok({ interaction: { id: interaction.id, type: 2, response_message_loading: interaction.callback.type === 5, response_message_ephemeral: (Number(data['flags'] ?? 0) & 64) !== 0 }, resource: { type: interaction.callback.type, ...(interaction.original ? { message: interaction.original } : {}) } });
}

function webhook(state: FakeDiscordState, method: string, [appId, token, , messageId]: Params, body: Record<string, unknown>): Reply {
  if (appId !== state.applicationId) return notFound(10015, 'Unknown Webhook');
  const interaction = interactionByToken(state, token ?? '');
  if (interaction === undefined) return notFound(10015, 'Unknown Webhook');
  if (interaction.callback === undefined) return { status: 400, body: { code: 40060, message: 'Interaction has not been acknowledged.' } };
  const invalid = invalidMessage(body);
  if (invalid !== undefined) return invalid;
  const flagsOf = (fallback: number) => Number(body['flags'] ?? fallback);
  if (method === 'POST' && messageId === undefined) {
    const followUp = messagePayload({ id: snowflake(), channelId: interaction.channelId, author: state.bot, body, flags: flagsOf(0), webhookId: state.applicationId, applicationId: state.applicationId });
    interaction.followUps.push(followUp);
    return ok(followUp);
  }
  if (messageId === '@original') {
    if (method === 'DELETE') {
      delete interaction.original;
      return noContent;
    }
    if (method !== 'PATCH' && method !== 'GET') return { status: 405, body: { code: 0, message: '405: Method Not Allowed' } };
    // A deferred response's message takes the deferral's flags (ephemeral stays ephemeral).
    interaction.original ??= messagePayload({ id: snowflake(), channelId: interaction.channelId, author: state.bot, body: {}, flags: Number(interaction.callback.data['flags'] ?? 0), webhookId: state.applicationId, applicationId: state.applicationId });
    if (method === 'PATCH') Object.assign(interaction.original, body, { flags: interaction.original['flags'], edited_timestamp: new Date().toISOString() });
    return ok(interaction.original);
  }
  const followUp = interaction.followUps.find((message) => message['id'] === messageId);
  if (followUp === undefined) return unknownMessage;
  if (method === 'PATCH') Object.assign(followUp, body, { edited_timestamp: new Date().toISOString() });
  return ok(followUp);
}

function route(state: FakeDiscordState, call: RecordedCall, gatewayUrl: string): Reply {
  const segments = call.path.split('/').filter((segment) => segment !== '');
  const [head, ...rest] = segments;
  const body = (call.body !== null && typeof call.body === 'object' ? call.body : {}) as Record<string, unknown>;
  // Interaction callbacks and webhooks are authorized by their token, everything else by the bot token.
  if (head === 'interactions' && rest[2] === 'callback' && call.method === 'POST') return interactionCallback(state, rest, body, call.query);
  if (head === 'webhooks') return webhook(state, call.method, rest, body);
  if (call.authorization !== `Bot ${state.token}`) return { status: 401, body: { code: 0, message: '401: Unauthorized' } };
  if (call.method === 'GET' && call.path === '/gateway/bot') {
    return ok({ url: gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
  }
  const key = `${call.method} ${head ?? ''}/${rest.map((segment, index) => (index % 2 === 0 ? ':' : segment)).join('/')}`;
  switch (key) {
    case 'GET users/:':
      return rest[0] === '@me' ? ok(userPayload({ ...state.bot, bot: true })) : notFound(10013, 'Unknown User');
    case 'GET channels/:':
      return state.channels.has(rest[0] ?? '') ? ok(state.channels.get(rest[0] ?? '')) : unknownChannel;
    case 'POST channels/:/messages':
    case 'GET channels/:/messages/:':
    case 'PATCH channels/:/messages/:':
      return channelMessages(state, call.method, [rest[0] ?? '', ...(rest[2] !== undefined ? [rest[2]] : [])], body);
    case 'POST channels/:/messages/:/threads':
      return startThread(state, [rest[0] ?? '', rest[2] ?? ''], body);
    case 'PUT channels/:/messages/:/reactions/:/@me': {
      if (!state.messages.has(rest[2] ?? '')) return unknownMessage;
      state.botReactions.push(`${rest[0]}/${rest[2]}/${rest[4]}`);
      return noContent;
    }
    case 'GET guilds/:': {
      const guild = state.guilds.find((candidate) => candidate.id === rest[0]);
      return guild ? ok(guildCreatePayload(guild, state.bot)) : notFound(10004, 'Unknown Guild');
    }
    case 'GET guilds/:/members/:': {
      const member = state.guilds.find((candidate) => candidate.id === rest[0])?.members.find((candidate) => candidate.id === rest[2]);
      return member ? ok(memberPayload(member)) : notFound(10007, 'Unknown Member');
    }
    case 'PUT applications/:/commands':
    case 'PUT applications/:/guilds/:/commands': {
      if (rest[0] !== state.applicationId) return { status: 403, body: { code: 50001, message: 'Missing Access' } };
      if (!Array.isArray(call.body)) return { status: 400, body: { code: 50035, message: 'Invalid Form Body' } };
      state.commands.set(call.path, call.body);
      const guildId = rest[2];
      return ok((call.body as Array<Record<string, unknown>>).map((command) => ({
        ...command, id: snowflake(), application_id: state.applicationId, version: snowflake(), default_member_permissions: null,
        ...(guildId !== undefined ? { guild_id: guildId } : {}),
      })));
    }
    default:
      return { status: 404, body: { code: 0, message: '404: Not Found' } };
  }
}

/** Reads, records and answers one REST request. Paths are taken after `/api` and `/v10`, percent-decoded. */
export async function handleRest(state: FakeDiscordState, gatewayUrl: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const url = new URL(request.url ?? '/', 'http://fake');
  const path = url.pathname.replace(/^\/api/, '').replace(/^\/v\d+/, '').split('/').map((segment) => decodeURIComponent(segment)).join('/');
  let body: unknown = null;
  if (raw !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
  }
  const call: RecordedCall = {
    method: request.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body,
    authorization: request.headers.authorization, at: Date.now(), status: 0,
  };
  state.calls.push(call);
  const reply = route(state, call, gatewayUrl);
  call.status = reply.status;
  response.writeHead(reply.status, reply.body === undefined ? {} : { 'content-type': 'application/json' });
  response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  for (const listener of state.onCall) listener(call);
}
