// `gateway run` (foreground HTTP server with the real probes, start-up migrations, state lock and
// a draining SIGTERM, the RPC methods of the blue-green handoff) and `gateway status --json`
// (probes a running gateway for its version).
import { randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import { describeBuild, versionOnDisk } from './build.js';
import { createChannels, telegramAccount } from './channels.js';
import {
  acquireLock, backupBeforeMigration, configPath, databasePath, ensureState, readConfig, readDatabase, readLock,
  openSidecars, resolveStateDir, SCHEMA_DOCS_URL, writeDatabase,
} from './state.js';

const EX_CONFIG = 78;
const BIND_HOSTS = { loopback: '127.0.0.1', lan: '0.0.0.0', auto: '127.0.0.1' };

function numberFromEnv(name, fallback) {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function fail(message, code) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function log(message) {
  process.stdout.write(`${new Date().toISOString()} [gateway] ${message}\n`);
}

export async function gatewayRun(opts, build) {
  const stateDir = resolveStateDir();
  const cfgPath = configPath(stateDir);
  const cfg = readConfig(cfgPath);
  if (!cfg.valid) fail(`OpenClaw config is invalid: ${cfgPath}\n${cfg.error}`, EX_CONFIG);
  const port = Number(opts.port ?? process.env.OPENCLAW_GATEWAY_PORT ?? cfg.config.gateway?.port ?? 18789);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`Invalid --port: ${opts.port}`, 1);
  const bind = opts.bind ?? cfg.config.gateway?.bind ?? 'loopback';
  const host = BIND_HOSTS[bind];
  if (!host) fail(`Invalid --bind: ${bind} (use loopback, lan, auto, tailnet or custom)`, 1);

  const owner = readLock(stateDir);
  if (owner) {
    fail(`Another gateway (pid ${owner.pid}) already owns this state directory; refusing to run automatic startup migrations or report the gateway ready. Stop it with "openclaw gateway stop" (or select a different OPENCLAW_STATE_DIR), then retry startup.`, EX_CONFIG);
  }
  ensureState(stateDir, cfgPath);
  const lock = acquireLock(stateDir, { createdAt: new Date().toISOString(), configPath: cfgPath, stateDir, port });
  if (!lock.acquired) {
    fail(`Another gateway (pid ${lock.owner.pid}) already owns this state directory; refusing to run automatic startup migrations or report the gateway ready. Stop it with "openclaw gateway stop" (or select a different OPENCLAW_STATE_DIR), then retry startup.`, EX_CONFIG);
  }
  process.on('exit', lock.release);

  const dbPath = databasePath(stateDir);
  const db = readDatabase(dbPath);
  if (db.error) fail(`Gateway failed to start: ${db.error}. Run openclaw doctor --fix to repair and restart it.`, 1);
  if (db.version !== null && db.version > build.schema) {
    const writer = db.appVersion ? `; writer build ${db.appVersion}` : '';
    fail(`Gateway failed to start: This OpenClaw build cannot open your existing data.\nstate database ${dbPath} uses newer schema version ${db.version}; this build supports ${build.schema}${writer}.\nRefused by ${describeBuild(build)}.\nUse a build that supports schema ${db.version} or newer with this state directory. To start fresh with this build, point OPENCLAW_STATE_DIR at a separate directory.\nSee ${SCHEMA_DOCS_URL}.. Start the Gateway with a build that supports these database schemas. This install cannot repair a newer database.`, EX_CONFIG);
  }
  if (db.version === null) {
    writeDatabase(dbPath, build.schema, build.version);
  } else if (db.version < build.schema) {
    const backup = backupBeforeMigration(dbPath);
    log(`state database schema ${db.version} -> ${build.schema}: running startup migrations (backup: ${backup})`);
    await new Promise((resolve) => setTimeout(resolve, numberFromEnv('OPENCLAW_DOUBLE_MIGRATION_MS', 0)));
    if (build.migrationFails) {
      fail(`Gateway failed to start: OpenClaw state database schema migration failed at ${dbPath} (schema ${db.version} -> ${build.schema}): SQLITE_CONSTRAINT: UNIQUE constraint failed: agent_databases.agent_id. The pre-migration backup is ${backup}. Run openclaw doctor --fix to repair and restart it.`, 1);
    }
    writeDatabase(dbPath, build.schema, build.version, db.doc);
  }
  process.on('exit', openSidecars(dbPath));

  const channels = createChannels({
    stateDir, log, skip: process.env.OPENCLAW_SKIP_CHANNELS === '1',
    readAccount: () => telegramAccount(readConfig(cfgPath).config),
  });
  await serve({ host, port, bind, build, channels, startupDelayMs: numberFromEnv('OPENCLAW_DOUBLE_STARTUP_MS', build.startupDelayMs ?? 300) });
}

/**
 * gateway.suspend.*: a held suspension closes admission (/readyz 503 gateway-draining) until it
 * is resumed or lapses at expiresAtMs, so a crashed orchestrator cannot leave a gateway shut.
 */
function createSuspension() {
  const ttlMs = numberFromEnv('OPENCLAW_DOUBLE_SUSPEND_TTL_MS', 120_000);
  let held;
  let timer;
  const release = () => {
    clearTimeout(timer);
    held = undefined;
  };
  return {
    held: () => held !== undefined,
    prepare(params) {
      if (typeof params.requestId !== 'string' || !params.requestId) throw new Error('invalid gateway.suspend.prepare params: requestId required');
      if (held && held.requestId !== params.requestId) throw new Error(`gateway is already suspended by request ${held.requestId}`);
      if (!held) {
        held = { requestId: params.requestId, suspensionId: randomUUID(), expiresAtMs: Date.now() + ttlMs };
        log(`suspended (${held.suspensionId}, terminalPolicy=${params.terminalPolicy ?? 'terminate'}, drain=${params.drain !== false})`);
        timer = setTimeout(() => { log(`suspension ${held.suspensionId} lapsed`); release(); }, ttlMs);
      }
      return { status: 'ready', suspensionId: held.suspensionId, expiresAtMs: held.expiresAtMs, activeCount: 0, blockers: [] };
    },
    status(params) {
      return held && held.suspensionId === params.suspensionId ? { status: 'ready', expiresAtMs: held.expiresAtMs } : { status: 'running' };
    },
    resume(params) {
      const resumed = Boolean(held && held.suspensionId === params.suspensionId);
      if (resumed) {
        log(`resumed (${held.suspensionId})`);
        release();
      }
      return { ok: true, status: 'running', resumed };
    },
  };
}

function serve({ host, port, bind, build, channels, startupDelayMs }) {
  const bootId = randomUUID();
  let phase = 'starting';
  const suspension = createSuspension();
  const methods = {
    'system.info': () => ({ pid: process.pid, version: build.version }),
    'channels.status': (params) => channels.rpcStatus(params),
    'channels.start': (params) => channels.rpcStart(params),
    'channels.stop': (params) => channels.rpcStop(params),
    'gateway.suspend.prepare': (params) => suspension.prepare(params),
    'gateway.suspend.status': (params) => suspension.status(params),
    'gateway.suspend.resume': (params) => suspension.resume(params),
  };
  // The real CLI speaks these over the gateway's WebSocket; the double's CLI posts them here.
  const rpc = (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        const { method, params } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
        if (!handler) return json(res, 200, { ok: false, error: { code: 'INVALID_REQUEST', message: `unknown method: ${method}` } });
        return json(res, 200, { ok: true, payload: await handler(params ?? {}) });
      } catch (error) {
        return json(res, 200, { ok: false, error: { code: 'INVALID_REQUEST', message: error.message } });
      }
    });
  };
  const inFlight = new Set();
  const json = (res, status, body) => {
    if (phase === 'draining') res.setHeader('Connection', 'close');
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/healthz') return json(res, 200, { ok: true, status: 'live' });
    if (url.pathname === '/readyz') {
      // Draining (SIGTERM or a held suspension) is the one reason given, as the real one does.
      if (phase === 'draining' || suspension.held()) return json(res, 503, { ready: false, failing: ['gateway-draining'] });
      if (phase !== 'ready') return json(res, 503, { ready: false, failing: ['startup-sidecars'] });
      const failing = channels.failing();
      return json(res, failing.length ? 503 : 200, { ready: failing.length === 0, failing });
    }
    if (url.pathname === '/__double/rpc' && req.method === 'POST') {
      if (phase === 'draining') return json(res, 503, { ok: false, error: { code: 'UNAVAILABLE', message: 'gateway is shutting down' } });
      return rpc(req, res);
    }
    if (url.pathname === '/__openclaw/status') {
      // The real probe is a WebSocket hello; the double answers the same `server` block over HTTP.
      // After npm replaced our files the running process cannot name its version (DESIGN §2).
      const version = versionOnDisk() === build.version ? build.version : null;
      return json(res, 200, { type: 'hello-ok', protocol: 4, server: { version, bootId, connId: randomUUID() } });
    }
    if (url.pathname === '/' || url.pathname === '/v1/echo') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const delayMs = Math.min(Number(url.searchParams.get('delayMs')) || 0, 30_000);
        setTimeout(() => json(res, 200, { ok: true, version: build.version, pid: process.pid, method: req.method, path: url.pathname, bytes: Buffer.concat(chunks).length }), delayMs);
      });
      return undefined;
    }
    return json(res, 404, { error: { type: 'not_found', message: 'Not Found' } });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve) => {
    server.once('error', (error) => {
      if (error.code === 'EADDRINUSE') fail(`Gateway failed to start: another gateway instance is already listening on ws://${host}:${port}`, 1);
      fail(`Gateway failed to start: ${error.message}`, 1);
    });
    server.listen(port, host, () => {
      log(`listening on ws://${host}:${port} (bind=${bind}, PID ${process.pid}, ${describeBuild(build)})`);
      channels.boot();
      if (!build.neverReady) {
        setTimeout(() => {
          if (phase !== 'starting') return;
          phase = 'ready';
          log('ready');
        }, startupDelayMs);
      }
    });
    const drainMs = numberFromEnv('OPENCLAW_DOUBLE_DRAIN_MS', 100);
    const shutdown = (signal) => {
      if (phase === 'draining') return;
      phase = 'draining';
      log(`received ${signal}; draining`);
      // Polling stops first: while this process still has a getUpdates open, the next color's
      // poll is answered 409, and updates it fetched now could no longer be answered.
      void channels.stop();
      // Keep answering (503 on /readyz, Connection: close everywhere) for a moment, then refuse.
      setTimeout(() => {
        server.close(() => { log('stopped'); resolve(); process.exit(0); });
        server.closeIdleConnections();
      }, drainMs);
      setTimeout(() => {
        server.closeAllConnections();
        process.exit(0);
      }, drainMs + 900).unref();
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}

function probe(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve({ ok: res.statusCode === 200, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          resolve({ ok: false, error: `invalid probe response: ${error.message}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', (error) => resolve({ ok: false, error: error.message }));
    req.end();
  });
}

export async function gatewayStatus(opts, build) {
  const stateDir = resolveStateDir();
  const cfgPath = configPath(stateDir);
  const cfg = readConfig(cfgPath);
  const owner = readLock(stateDir);
  const port = Number(opts.port ?? process.env.OPENCLAW_GATEWAY_PORT ?? cfg.config.gateway?.port ?? owner?.port ?? 18789);
  const bindMode = cfg.config.gateway?.bind ?? 'loopback';
  const probeUrl = opts.url ?? `ws://127.0.0.1:${port}`;
  const httpUrl = `${probeUrl.replace(/^ws/, 'http').replace(/\/$/, '')}/__openclaw/status`;
  const result = await probe(httpUrl, Number(opts.timeout ?? 10_000));
  const server = result.ok ? result.body.server : undefined;
  const rpc = result.ok
    ? { ok: true, kind: 'connect', capability: 'read_only', server, ...(server.version != null ? { version: server.version } : {}), url: probeUrl }
    : { ok: false, kind: 'connect', error: `gateway closed (1006): ${result.error}`, url: probeUrl };
  const status = {
    cli: { version: build.version, entrypoint: `${build.root}/openclaw.js` },
    service: { label: 'systemd', loaded: false, loadedText: 'enabled', notLoadedText: 'disabled', targetRole: 'target', command: null, runtime: { status: 'unknown' } },
    config: { cli: { path: cfgPath, exists: cfg.exists, valid: cfg.valid }, daemon: { path: cfgPath, exists: cfg.exists, valid: cfg.valid } },
    gateway: { bindMode, bindHost: BIND_HOSTS[bindMode] ?? '127.0.0.1', port, portSource: opts.port ? 'cli' : 'config', probeUrl, version: server?.version ?? null },
    port: { port, status: result.ok ? 'busy' : 'free', listeners: owner && result.ok ? [{ pid: owner.pid, address: `127.0.0.1:${port}` }] : [] },
    rpc,
    extraServices: [],
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else {
    process.stdout.write(`Service: systemd (disabled)\nConfig (cli): ${cfgPath}\nGateway: bind=${bindMode}, port=${port}\nProbe target: ${probeUrl}\n`);
    process.stdout.write(rpc.ok ? `Connectivity probe: ok\nGateway version: ${server.version ?? 'unknown'}\n` : `Connectivity probe: failed\n${rpc.error}\n`);
  }
  if (opts.requireRpc && !rpc.ok) process.exit(1);
}
