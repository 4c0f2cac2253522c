/**
 * A local Telegram Bot API for long polling, built to measure a blue-green handoff of real
 * OpenClaw gateways (and the test double): they reach it through
 * `channels.telegram.apiRoot: "http://<addr>:<port>"` and call `<apiRoot>/bot<TOKEN>/<method>`
 * (grammY: GET with a query, POST with JSON, form or multipart bodies).
 *
 * It keeps Telegram's semantics where the handoff can go wrong:
 * - `getUpdates` answers the pending updates with `update_id >= offset`; an `offset` confirms
 *   (deletes) every update below it; with nothing pending it holds the request up to `timeout`
 *   seconds and answers as soon as an update is fed.
 * - One poller per token: a `getUpdates` arriving while another is held answers the older one
 *   with 409 "Conflict: terminated by other getUpdates request; ..." and proceeds.
 * and records who received and confirmed which update, so a test can tell how long two gateways
 * polled at once, whether any update was lost (never delivered) or consumed twice (delivered to
 * two pollers), and how long nobody polled.
 *
 * A "poller" is the name `identify(peer)` gives the TCP connection (see identify.ts: the
 * gateway's OPENCLAW_STATE_DIR), looked up once per socket as it connects, else
 * `address:port`. Without identify one client can look like several pollers: Node's fetch
 * (undici) spreads even sequential requests over two pooled connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The client end of a TCP connection, as the fake sees it. */
export interface Peer {
  address: string;
  port: number;
}

export interface FakeTelegramOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  /** The bot token; any other `/bot<token>/` answers 401. */
  token: string;
  /** Names the poller behind a connection; default (and on failure) `address:port`. */
  identify?: (peer: Peer) => Promise<string>;
  /** When set, updates are fed at this interval from the start (as `startFeed`). */
  feedIntervalMs?: number;
}

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export interface TelegramChat {
  id: number | string;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  first_name?: string;
  title?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  text: string;
  from: TelegramUser;
  chat: TelegramChat;
  edit_date?: number;
}

export interface TelegramUpdate {
  update_id: number;
  message: TelegramMessage;
}

/** An update handed to a poller in a `getUpdates` answer, or confirmed by its `offset`. */
export interface UpdateEvent {
  updateId: number;
  poller: string;
  /** Date.now(). */
  at: number;
}

export interface ConflictEvent {
  /** Date.now(). */
  at: number;
  /** The poller whose held getUpdates was answered 409. */
  terminated: string;
  /** The poller whose getUpdates terminated it. */
  by: string;
}

export interface SentMessage {
  chatId: number | string;
  text: string;
  /** Date.now(). */
  at: number;
  poller: string;
}

/** Every API call, in arrival order (answered or not). */
export interface TelegramCall {
  method: string;
  poller: string;
  /** Date.now() on arrival. */
  at: number;
  params: Record<string, unknown>;
}

export interface TelegramReport {
  /** Updates fed. */
  fed: number;
  /** Updates confirmed by a getUpdates `offset`. */
  confirmed: number;
  /**
   * Updates never delivered to any poller, as of this report: still pending, dropped
   * (`drop_pending_updates`, a negative `offset`) or confirmed by an offset past them unseen.
   * Report once the pollers had their chance (after the handoff settled).
   */
  lost: number;
  lostIds: number[];
  /** Ids still pending (fed, neither confirmed nor dropped), delivered or not. */
  unconfirmed: number[];
  /** Updates delivered to more than one distinct poller (consumed twice). */
  doubled: number;
  doubledIds: number[];
  /** Ids dropped without an offset confirming them (`drop_pending_updates`, negative offset). */
  dropped: number[];
  deliveries: UpdateEvent[];
  confirmations: UpdateEvent[];
  /** getUpdates requests answered 409 because a newer one arrived. */
  conflicts: number;
  conflictEvents: ConflictEvent[];
  /**
   * Total time two different pollers had a getUpdates request open at once (each request from
   * its arrival to its answer, or until its client went away).
   */
  twoPollerMs: number;
  /**
   * Total time, from the first getUpdates to this report (or `stop()`), during which no
   * getUpdates was open and none had been answered within the last 1 s: i.e. the gaps longer
   * than 1 s between polls, each counted beyond its first second. A poller answered at once and
   * re-polling promptly never adds to it.
   */
  noPollerMs: number;
  /** Pollers in the order of their first getUpdates. */
  pollers: string[];
  sent: SentMessage[];
  calls: TelegramCall[];
}

export interface FakeTelegram {
  /** `http://host:port`, what `channels.telegram.apiRoot` takes. */
  apiRoot: string;
  token: string;
  /** Adds one inbound private message from Ann (4242); returns its update_id. */
  feed(text?: string): number;
  /** Feeds an update every intervalMs (default: the `feedIntervalMs` option, else 1000). */
  startFeed(intervalMs?: number): void;
  stopFeed(): void;
  report(): TelegramReport;
  /** Pollers with a getUpdates open right now (held or being answered), in arrival order. */
  openPolls(): string[];
  /** Stops the feed, closes held requests and every connection, and the server. */
  stop(): Promise<void>;
}

export const BOT_USER = {
  id: 999,
  is_bot: true,
  first_name: 'Claw',
  username: 'claw_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
} as const;

export const ANN: TelegramUser = { id: 4242, is_bot: false, first_name: 'Ann' };

export const CONFLICT_DESCRIPTION = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

interface UpdateRecord {
  update: TelegramUpdate;
  deliveredTo: Set<string>;
  state: 'pending' | 'confirmed' | 'dropped';
}

/** One getUpdates request, from arrival (performance.now()) to answer. */
interface PollInterval {
  start: number;
  end?: number;
  /** Known once the connection is identified. */
  poller?: string;
}

interface HeldPoll {
  poller: string;
  offset: number | undefined;
  limit: number;
  respond: (status: number, body: unknown) => boolean;
  deliver: (updates: UpdateRecord[]) => void;
  timer: NodeJS.Timeout;
}

/** An answer to send, or 'handled' when the method answered (or held) the request itself. */
type ApiAnswer = { status: number; body: unknown } | 'handled';

export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const { token } = options;
  const host = options.host ?? '127.0.0.1';
  const records: UpdateRecord[] = [];
  let pending: UpdateRecord[] = [];
  const deliveries: UpdateEvent[] = [];
  const confirmations: UpdateEvent[] = [];
  const conflictEvents: ConflictEvent[] = [];
  const doubled = new Set<number>();
  const intervals: PollInterval[] = [];
  const pollers: string[] = [];
  const sent: SentMessage[] = [];
  const calls: TelegramCall[] = [];
  const identities = new WeakMap<Socket, Promise<string>>();
  let held: HeldPoll | undefined;
  let webhookUrl = '';
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let feedTimer: NodeJS.Timeout | undefined;
  /** performance.now() at stop(); measurements end there. */
  let stoppedAt: number | undefined;
  const clock = (): number => stoppedAt ?? performance.now();

  function feed(text?: string): number {
    const id = nextUpdateId++;
    const update: TelegramUpdate = {
      update_id: id,
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        text: text ?? `message ${id}`,
        from: { ...ANN },
        chat: { id: ANN.id, type: 'private', first_name: ANN.first_name },
      },
    };
    const record: UpdateRecord = { update, deliveredTo: new Set(), state: 'pending' };
    records.push(record);
    pending.push(record);
    if (held !== undefined && (held.offset === undefined || id >= held.offset)) {
      const poll = held;
      held = undefined;
      clearTimeout(poll.timer);
      poll.deliver(pendingFrom(poll.offset, poll.limit));
    }
    return id;
  }

  /** Telegram's offset: confirm (delete) everything below it; a negative one keeps the last -offset. */
  function applyOffset(offset: number, poller: string): void {
    if (offset < 0) {
      const keep = -offset;
      for (const record of pending.slice(0, Math.max(0, pending.length - keep))) record.state = 'dropped';
      pending = pending.slice(Math.max(0, pending.length - keep));
      return;
    }
    const at = Date.now();
    for (const record of pending) {
      if (record.update.update_id >= offset) continue;
      record.state = 'confirmed';
      confirmations.push({ updateId: record.update.update_id, poller, at });
    }
    pending = pending.filter((record) => record.state === 'pending');
  }

  function pendingFrom(offset: number | undefined, limit: number): UpdateRecord[] {
    const from = offset !== undefined && offset > 0 ? offset : 0;
    return pending.filter((record) => record.update.update_id >= from).slice(0, limit);
  }

  function dropPending(): void {
    for (const record of pending) record.state = 'dropped';
    pending = [];
  }

  function getUpdates(params: Record<string, unknown>, poller: string, respond: HeldPoll['respond'], response: ServerResponse): ApiAnswer {
    if (webhookUrl !== '') return error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    if (!pollers.includes(poller)) pollers.push(poller);
    const offset = integer(params.offset);
    const limit = Math.min(100, Math.max(1, integer(params.limit) ?? 100));
    // Seconds; capped where setTimeout would overflow.
    const timeout = Math.min(2_000_000, Math.max(0, number(params.timeout) ?? 0));
    // Only one poller per token: the newer request wins, the held one is told so.
    if (held !== undefined) {
      const older = held;
      held = undefined;
      clearTimeout(older.timer);
      conflictEvents.push({ at: Date.now(), terminated: older.poller, by: poller });
      older.respond(409, { ok: false, error_code: 409, description: CONFLICT_DESCRIPTION });
    }
    if (offset !== undefined) applyOffset(offset, poller);
    const deliver = (updates: UpdateRecord[]): void => {
      if (!respond(200, { ok: true, result: updates.map((record) => record.update) })) return;
      const at = Date.now();
      for (const record of updates) {
        record.deliveredTo.add(poller);
        if (record.deliveredTo.size > 1) doubled.add(record.update.update_id);
        deliveries.push({ updateId: record.update.update_id, poller, at });
      }
    };
    const ready = pendingFrom(offset, limit);
    if (ready.length > 0 || timeout === 0 || response.destroyed) {
      deliver(ready);
      return 'handled';
    }
    const poll: HeldPoll = {
      poller,
      offset,
      limit,
      respond,
      deliver,
      timer: setTimeout(() => {
        if (held === poll) held = undefined;
        deliver([]);
      }, timeout * 1000),
    };
    held = poll;
    response.on('close', () => {
      if (held !== poll) return;
      held = undefined;
      clearTimeout(poll.timer);
    });
    return 'handled';
  }

  function sendMessage(params: Record<string, unknown>, poller: string): ApiAnswer {
    const chatId = chatIdOf(params.chat_id);
    if (chatId === undefined) return error(400, 'Bad Request: chat_id is empty');
    const text = params.text === undefined ? '' : String(params.text);
    if (text.length === 0) return error(400, 'Bad Request: message text is empty');
    sent.push({ chatId, text, at: Date.now(), poller });
    const message: TelegramMessage = { message_id: nextMessageId++, from: botUser(), chat: chatOf(chatId), date: Math.floor(Date.now() / 1000), text };
    return ok(message);
  }

  function answer(method: string, params: Record<string, unknown>, poller: string, respond: HeldPoll['respond'], response: ServerResponse): ApiAnswer {
    switch (method) {
      case 'getme':
        return ok({ ...BOT_USER });
      case 'getupdates':
        return getUpdates(params, poller, respond, response);
      case 'sendmessage':
        return sendMessage(params, poller);
      case 'editmessagetext': {
        const chatId = chatIdOf(params.chat_id);
        if (chatId === undefined) return ok(true);
        const now = Math.floor(Date.now() / 1000);
        return ok({ message_id: integer(params.message_id) ?? 0, from: botUser(), chat: chatOf(chatId), date: now, edit_date: now, text: String(params.text ?? '') });
      }
      case 'deletewebhook':
        if (truthy(params.drop_pending_updates)) dropPending();
        webhookUrl = '';
        return ok(true);
      case 'setwebhook':
        if (truthy(params.drop_pending_updates)) dropPending();
        webhookUrl = params.url === undefined ? '' : String(params.url);
        return ok(true);
      case 'getwebhookinfo':
        return ok({ url: webhookUrl, has_custom_certificate: false, pending_update_count: pending.length });
      case 'getmycommands':
        return ok([]);
      default:
        // setMyCommands, deleteMyCommands, sendChatAction, setMessageReaction, ...
        return ok(true);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const at = Date.now();
    const url = new URL(request.url ?? '/', 'http://telegram.invalid');
    const match = /^\/bot([^/]+)\/([^/]+)$/.exec(url.pathname);
    const authorized = match !== null && safeDecode(match[1] ?? '') === token;
    const methodName = match?.[2] ?? '';
    const method = methodName.toLowerCase();
    // A poll is open from its arrival: its body and its poller's name come later.
    let interval: PollInterval | undefined;
    if (authorized && method === 'getupdates' && stoppedAt === undefined) {
      const opened: PollInterval = { start: arrived };
      interval = opened;
      intervals.push(opened);
      response.on('close', () => { opened.end ??= clock(); });
    }
    const respond = (status: number, body: unknown): boolean => {
      if (response.destroyed || response.writableEnded) return false;
      if (interval !== undefined) interval.end ??= clock();
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return true;
    };
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (match === null) {
      respond(404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    if (!authorized) {
      respond(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }
    let params: Record<string, unknown>;
    try {
      params = { ...Object.fromEntries(url.searchParams), ...parseBody(Buffer.concat(chunks), request.headers['content-type'] ?? '') };
    } catch {
      respond(400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON" });
      return;
    }
    const poller = await (identities.get(request.socket) ?? Promise.resolve(fallbackName(peerOf(request.socket))));
    if (interval !== undefined) interval.poller = poller;
    calls.push({ method: methodName, poller, at, params });
    const result = answer(method, params, poller, respond, response);
    if (result !== 'handled') respond(result.status, result.body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: false, error_code: 500, description: `Internal Server Error: ${String(err)}` }));
    });
  });
  // Telegram keeps connections alive far longer than Node's 5 s default; fewer reconnects, fewer lookups.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on('connection', (socket: Socket) => {
    // Identify while the connection is certainly established; keep-alive requests reuse the answer.
    const peer = peerOf(socket);
    const fallback = fallbackName(peer);
    const identify = options.identify;
    identities.set(socket, identify === undefined
      ? Promise.resolve(fallback)
      : identify(peer).then((name) => (name === '' ? fallback : name), () => fallback));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const apiRoot = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function startFeed(intervalMs?: number): void {
    stopFeed();
    feedTimer = setInterval(() => feed(), intervalMs ?? options.feedIntervalMs ?? 1000);
  }

  function stopFeed(): void {
    if (feedTimer !== undefined) clearInterval(feedTimer);
    feedTimer = undefined;
  }

  if (options.feedIntervalMs !== undefined) startFeed(options.feedIntervalMs);

  function report(): TelegramReport {
    const now = clock();
    const lost = records.filter((record) => record.deliveredTo.size === 0).map((record) => record.update.update_id);
    const doubledIds = [...doubled].sort((a, b) => a - b);
    return {
      fed: records.length,
      confirmed: records.filter((record) => record.state === 'confirmed').length,
      lost: lost.length,
      lostIds: lost,
      unconfirmed: pending.map((record) => record.update.update_id),
      doubled: doubledIds.length,
      doubledIds,
      dropped: records.filter((record) => record.state === 'dropped').map((record) => record.update.update_id),
      deliveries: [...deliveries],
      confirmations: [...confirmations],
      conflicts: conflictEvents.length,
      conflictEvents: [...conflictEvents],
      twoPollerMs: twoPollerMs(intervals, now),
      noPollerMs: noPollerMs(intervals, now),
      pollers: [...pollers],
      sent: [...sent],
      calls: [...calls],
    };
  }

  return {
    apiRoot,
    token,
    feed,
    startFeed,
    stopFeed,
    report,
    openPolls: () => intervals.filter((i) => i.end === undefined).map((i) => i.poller ?? '(identifying)'),
    async stop() {
      stopFeed();
      if (stoppedAt !== undefined) return;
      stoppedAt = performance.now();
      if (held !== undefined) clearTimeout(held.timer);
      held = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Time during which at least two different pollers had a getUpdates open (sweep over the intervals). */
function twoPollerMs(intervals: readonly PollInterval[], now: number): number {
  const events: Array<{ t: number; delta: 1 | -1; poller: string }> = [];
  for (const interval of intervals) {
    if (interval.poller === undefined) continue;
    events.push({ t: interval.start, delta: 1, poller: interval.poller });
    events.push({ t: Math.min(interval.end ?? now, now), delta: -1, poller: interval.poller });
  }
  // Ends before starts at the same instant: touching requests do not overlap.
  events.sort((a, b) => a.t - b.t || a.delta - b.delta);
  const open = new Map<string, number>();
  let total = 0;
  let last = 0;
  for (const event of events) {
    if (open.size >= 2) total += event.t - last;
    last = event.t;
    const count = (open.get(event.poller) ?? 0) + event.delta;
    if (count <= 0) open.delete(event.poller);
    else open.set(event.poller, count);
  }
  return total;
}

/**
 * Time since the first getUpdates not covered by any request's span from its arrival to 1 s
 * after its answer (an open request covers up to now): the gaps longer than 1 s between polls.
 */
function noPollerMs(intervals: readonly PollInterval[], now: number): number {
  if (intervals.length === 0) return 0;
  const spans = intervals
    .map((interval) => [interval.start, interval.end === undefined ? now : interval.end + 1000] as const)
    .sort((a, b) => a[0] - b[0]);
  let covered = spans[0]?.[0] ?? now;
  let gaps = 0;
  for (const [start, end] of spans) {
    if (start > covered) gaps += start - covered;
    covered = Math.max(covered, Math.min(end, now));
  }
  if (now > covered) gaps += now - covered;
  return gaps;
}

function ok(result: unknown): ApiAnswer {
  return { status: 200, body: { ok: true, result } };
}

function error(status: number, description: string): ApiAnswer {
  return { status, body: { ok: false, error_code: status, description } };
}

function botUser(): TelegramUser {
  return { id: BOT_USER.id, is_bot: true, first_name: BOT_USER.first_name, username: BOT_USER.username };
}

function chatOf(chatId: number | string): TelegramChat {
  if (chatId === ANN.id) return { id: ANN.id, type: 'private', first_name: ANN.first_name };
  if (typeof chatId === 'string') return { id: chatId, type: 'channel', title: chatId };
  return chatId > 0 ? { id: chatId, type: 'private', first_name: 'User' } : { id: chatId, type: 'supergroup', title: 'Group' };
}

function chatIdOf(value: unknown): number | string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return integer(value) ?? String(value);
}

function peerOf(socket: Socket): Peer {
  return { address: (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, ''), port: socket.remotePort ?? 0 };
}

function fallbackName(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

function number(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** JSON, form-encoded (nested values as JSON strings) or multipart text fields, as grammY sends them. */
function parseBody(raw: Buffer, contentType: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  const type = contentType.toLowerCase();
  if (type.includes('application/json')) return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  const fields: Array<[string, string]> = [];
  if (type.includes('multipart/form-data')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (boundary === undefined) return {};
    for (const part of raw.toString('utf8').split(`--${boundary}`)) {
      const split = part.indexOf('\r\n\r\n');
      const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part.slice(0, split))?.[1];
      if (split < 0 || name === undefined) continue;
      fields.push([name, part.slice(split + 4).replace(/\r\n$/, '')]);
    }
  } else {
    fields.push(...new URLSearchParams(raw.toString('utf8')));
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of fields) params[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  return params;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
