import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { guildCreatePayload, snowflake, userPayload } from './payloads.js';
import type { FakeDiscordState } from './state.js';

/** One gateway connection and where it is in the handshake. */
interface Session {
  socket: WebSocket;
  sessionId?: string;
  sequence: number;
}

/** What the fake gateway saw of the client. */
export interface GatewayLog {
  /** IDENTIFY payloads' `d` (token, intents, properties, shard…). */
  identifies: Array<Record<string, unknown>>;
  heartbeats: number;
}

/**
 * Discord's gateway protocol (v10, JSON, no compression): HELLO with a heartbeat interval,
 * heartbeat ACKs, IDENTIFY -> READY (guilds unavailable) then one GUILD_CREATE per guild,
 * RESUME -> INVALID_SESSION (re-identify), and dispatches to every identified session.
 */
export class FakeGateway {
  readonly log: GatewayLog = { identifies: [], heartbeats: 0 };
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private readonly readyWaiters = new Set<() => void>();

  constructor(server: Server, private readonly state: FakeDiscordState, private readonly options: { heartbeatIntervalMs: number; url: () => string }) {
    this.wss = new WebSocketServer({ server });
    this.wss.on('connection', (socket) => this.accept(socket));
  }

  /** Identified sessions. */
  get identified(): number {
    return [...this.sessions].filter((session) => session.sessionId !== undefined).length;
  }

  /** Resolves once at least one session has identified (READY sent). */
  async waitForIdentify(): Promise<void> {
    if (this.identified > 0) return;
    await new Promise<void>((resolve) => this.readyWaiters.add(resolve));
  }

  /** Sends a DISPATCH to every identified session. */
  dispatch(event: string, data: unknown): void {
    for (const session of this.sessions) {
      if (session.sessionId !== undefined) this.send(session, { op: 0, t: event, s: ++session.sequence, d: data });
    }
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.socket.terminate();
    this.sessions.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private send(session: Session, payload: unknown): void {
    if (session.socket.readyState === session.socket.OPEN) session.socket.send(JSON.stringify(payload));
  }

  private accept(socket: WebSocket): void {
    const session: Session = { socket, sequence: 0 };
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
    socket.on('message', (raw) => this.receive(session, raw.toString()));
    this.send(session, { op: 10, s: null, t: null, d: { heartbeat_interval: this.options.heartbeatIntervalMs } });
  }

  private receive(session: Session, raw: string): void {
    let payload: { op?: number; d?: Record<string, unknown> | null };
    try {
      payload = JSON.parse(raw) as typeof payload;
    } catch {
      session.socket.close(4002, 'Error while decoding payload.');
      return;
    }
    switch (payload.op) {
      case 1:
        this.log.heartbeats += 1;
        this.send(session, { op: 11, s: null, t: null, d: null });
        return;
      case 2:
        this.identify(session, payload.d ?? {});
        return;
      case 6:
        // Sessions are not kept: make the client identify again, as Discord does for an expired one.
        this.send(session, { op: 9, s: null, t: null, d: false });
        return;
      case 3:
      case 4:
      case 8:
        return;
      default:
        session.socket.close(4001, 'Unknown opcode.');
    }
  }

  private identify(session: Session, data: Record<string, unknown>): void {
    this.log.identifies.push(data);
    if (data['token'] !== this.state.token) {
      session.socket.close(4004, 'Authentication failed.');
      return;
    }
    if (session.sessionId !== undefined) {
      session.socket.close(4005, 'Already authenticated.');
      return;
    }
    session.sessionId = snowflake();
    const { state } = this;
    this.send(session, {
      op: 0, t: 'READY', s: ++session.sequence,
      d: {
        v: 10, user: userPayload({ ...state.bot, bot: true }), session_id: session.sessionId, resume_gateway_url: this.options.url(),
        guilds: state.guilds.map((guild) => ({ id: guild.id, unavailable: true })), shard: data['shard'] ?? [0, 1],
        application: { id: state.applicationId, flags: 0 }, private_channels: [], relationships: [], presences: [],
        user_settings: {}, guild_join_requests: [], geo_ordered_rtc_regions: [],
      },
    });
    for (const guild of state.guilds) {
      const active = [...state.channels.values()].filter((channel) => channel['type'] === 11 && channel['guild_id'] === guild.id
        && (channel['thread_metadata'] as { archived?: boolean } | undefined)?.archived !== true);
      this.send(session, { op: 0, t: 'GUILD_CREATE', s: ++session.sequence, d: guildCreatePayload(guild, state.bot, active) });
    }
    for (const resolve of this.readyWaiters) resolve();
    this.readyWaiters.clear();
  }
}
