/**
 * A local Slack: the Web API methods clawops calls (real wire format, recorded), the
 * `response_url` hook, and a Socket Mode WebSocket (hello, envelopes, acks). The real
 * @slack/bolt client runs against it via `clientOptions.slackApiUrl`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One recorded Web API call (or `response_url` post). */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The bearer token it was sent with. */
  token?: string;
  /** Date.now() on arrival. */
  at: number;
  /** performance.now() on arrival, for latency measured in the same process (benchmarks). */
  hrAt: number;
  /** What the fake answered (e.g. the `ts` of a posted message). */
  response?: Record<string, unknown>;
}

export interface FakeUserGroup {
  id: string;
  handle: string;
  users: string[];
}

export interface FakeSlackOptions {
  usergroups?: FakeUserGroup[];
  /** users.info display names by user id; unknown users answer `user_not_found`. */
  users?: Record<string, string>;
  botUserId?: string;
  botId?: string;
  /** Make these methods answer `{ok: false, error}`. */
  failures?: Record<string, string>;
}

export interface FakeSlack {
  /** Web API base, ending in `/api/` (what `slackApiUrl` expects). */
  apiUrl: string;
  baseUrl: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Resolves with the first call to method (already made or future) that matches. */
  waitForCall(method: string, match?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /** A fresh `response_url` pointing at this fake. */
  responseUrl(): string;
  /** Socket Mode: connected clients. */
  socketClients(): number;
  waitForSocketClient(timeoutMs?: number): Promise<void>;
  /** Sends one envelope to every Socket Mode client; resolves with the ack the client sends back. */
  sendEnvelope(type: 'slash_commands' | 'events_api' | 'interactive', payload: Record<string, unknown>, timeoutMs?: number): Promise<{ envelope_id: string; payload?: unknown; ackMs: number }>;
  setUserGroups(groups: FakeUserGroup[]): void;
  close(): Promise<void>;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const waiters: Array<{ method: string; match: (call: SlackCall) => boolean; resolve: (call: SlackCall) => void }> = [];
  const acks = new Map<string, (message: { envelope_id: string; payload?: unknown }) => void>();
  const sockets = new Set<WebSocket>();
  let usergroups = options.usergroups ?? [];
  let tsCounter = 0;
  let envelopeCounter = 0;
  let responseCounter = 0;
  const botUserId = options.botUserId ?? 'U0BOT';
  const botId = options.botId ?? 'B0BOT';

  function record(call: SlackCall): void {
    calls.push(call);
    for (const waiter of [...waiters]) {
      if (waiter.method === call.method && waiter.match(call)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    }
  }

  function nextTs(): string {
    tsCounter += 1;
    return `1767225600.${String(tsCounter).padStart(6, '0')}`;
  }

  function answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const failure = options.failures?.[method];
    if (failure !== undefined) return { ok: false, error: failure };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://clawops.slack.invalid/', team: 'clawops', user: 'clawops', team_id: 'T0001', user_id: botUserId, bot_id: botId };
      case 'apps.connections.open':
        return { ok: true, url: `${baseUrl.replace(/^http/, 'ws')}/link?ticket=${Date.now()}` };
      case 'chat.postMessage': {
        const ts = nextTs();
        return { ok: true, channel: args.channel, ts, message: { type: 'message', user: botUserId, bot_id: botId, text: args.text, ts, ...(args.thread_ts === undefined ? {} : { thread_ts: args.thread_ts }) } };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'reactions.add':
        return { ok: true };
      case 'users.info': {
        const name = options.users?.[String(args.user)];
        if (name === undefined) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { id: args.user, name: name.toLowerCase(), real_name: name, profile: { display_name: name, real_name: name } } };
      }
      case 'usergroups.list':
        return { ok: true, usergroups: usergroups.map((group) => ({ id: group.id, handle: group.handle, name: group.handle, ...(args.include_users === true || args.include_users === 'true' ? { users: group.users } : {}) })) };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', baseUrl);
    const auth = request.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const args = parseBody(raw, request.headers['content-type'] ?? '');
    if (url.pathname.startsWith('/response/')) {
      record({ method: 'response_url', args: { ...args, path: url.pathname }, at: Date.now(), hrAt: performance.now() });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      response.writeHead(404).end();
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const call: SlackCall = { method, args, ...(token === undefined ? {} : { token }), at: Date.now(), hrAt: performance.now() };
    call.response = answer(method, args);
    record(call);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(call.response));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    if (!(request.url ?? '').startsWith('/link')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      // Slack pings well inside the client's 30 s server-ping timeout.
      const ping = setInterval(() => ws.ping(), 10_000);
      ws.on('close', () => { clearInterval(ping); sockets.delete(ws); });
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        if (message.envelope_id !== undefined) acks.get(message.envelope_id)?.(message as { envelope_id: string });
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0CLAWOPS' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    waitForCall(method, match = () => true, timeoutMs = 5000) {
      const found = calls.find((call) => call.method === method && match(call));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { method, match, resolve: (call: SlackCall) => { clearTimeout(timer); resolve(call); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no ${method} call within ${timeoutMs} ms; calls: ${calls.map((call) => call.method).join(', ')}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    responseUrl() {
      responseCounter += 1;
      return `${baseUrl}/response/${responseCounter}`;
    },
    socketClients: () => sockets.size,
    async waitForSocketClient(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (sockets.size === 0) {
        if (Date.now() > deadline) throw new Error('no Socket Mode client connected');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    sendEnvelope(type, payload, timeoutMs = 5000) {
      envelopeCounter += 1;
      const envelopeId = `env-${envelopeCounter}`;
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { acks.delete(envelopeId); reject(new Error(`envelope ${envelopeId} not acked within ${timeoutMs} ms`)); }, timeoutMs);
        acks.set(envelopeId, (message) => {
          clearTimeout(timer);
          acks.delete(envelopeId);
          resolve({ ...message, ackMs: performance.now() - started });
        });
        const envelope = { envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' };
        for (const socket of sockets) socket.send(JSON.stringify(envelope));
      });
    },
    setUserGroups(groups) { usergroups = groups; },
    async close() {
      for (const socket of sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Web API calls arrive form-encoded with JSON strings for nested values (blocks), or as JSON. */
function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
