// Telegram in the double's gateway: one long-polling "default" account per state dir, in the
// shapes the real gateway reports (channels.status / channels.start / channels.stop). Updates
// are made durable (state/ingress.json, the real channel_ingress_events queue) and the offset
// persisted before the next getUpdates confirms them, so a restarted or copied state dir
// continues where the last poller stopped and never loses an update it acknowledged.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ACCOUNT_ID = 'default';
const POLL_TIMEOUT_S = 2;
const RETRY_MS = 1_000;

function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return fallback;
  }
}

function writeJson(path, value) {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export function offsetPath(stateDir) {
  return join(stateDir, 'telegram', `update-offset-${ACCOUNT_ID}.json`);
}

export function ingressPath(stateDir) {
  return join(stateDir, 'state', 'ingress.json');
}

/** The Telegram account the config describes, or undefined when `channels.telegram` is absent. */
export function telegramAccount(config) {
  const section = config.channels?.telegram;
  if (!section || typeof section !== 'object') return undefined;
  const apiRoot = typeof section.apiRoot === 'string' ? section.apiRoot.replace(/\/+$/, '') : '';
  const botToken = typeof section.botToken === 'string' ? section.botToken : '';
  // The real default apiRoot is api.telegram.org; the double never goes there, so no apiRoot
  // means "not configured" rather than a poller that fails forever.
  return { accountId: ACCOUNT_ID, enabled: section.enabled !== false, configured: Boolean(botToken && apiRoot), botToken, apiRoot };
}

function accountStatus(account, live) {
  return {
    accountId: account.accountId, enabled: account.enabled, configured: account.configured,
    running: live?.running ?? false, connected: live?.connected ?? false,
    lifecycle: live?.running ? 'ready' : 'stopped', mode: 'polling', lastError: live?.lastError ?? null,
    ...(live?.lastInboundAt ? { lastInboundAt: live.lastInboundAt } : {}),
  };
}

/** The `channels status --json` document the real CLI prints (the keys clawops reads). */
export function statusDocument(account, live, probe) {
  const channelAccounts = {};
  const channels = {};
  const channelDefaultAccountId = {};
  if (account) {
    const status = { ...accountStatus(account, live), ...(probe ? { probe } : {}) };
    channelAccounts.telegram = [status];
    channels.telegram = { configured: status.configured, running: status.running, connected: status.connected, lastError: status.lastError };
    channelDefaultAccountId.telegram = ACCOUNT_ID;
  }
  return { ts: Date.now(), channels, channelAccounts, channelDefaultAccountId, statusIssues: [] };
}

async function callBotApi(account, method, body, signal) {
  const res = await fetch(`${account.apiRoot}/bot${account.botToken}/${method}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal,
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { ok: false, description: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * The gateway side: owns the poll loop. `skip` is OPENCLAW_SKIP_CHANNELS=1, under which the
 * real gateway never starts channels and answers channels.start with skipped/unconfigured.
 */
export function createChannels({ stateDir, readAccount, skip, log }) {
  let account = readAccount();
  const live = { running: false, connected: false, lastError: null, lastInboundAt: null };
  let loop;
  let controller;

  function persist(updates) {
    const lastUpdateId = Math.max(...updates.map((update) => update.update_id));
    // Ingress before offset: an update is on disk before the next getUpdates confirms it.
    const ingress = readJson(ingressPath(stateDir), []);
    for (const update of updates) {
      const message = update.message ?? update.edited_message ?? {};
      ingress.push({ updateId: update.update_id, chatId: message.chat?.id ?? null, text: message.text ?? null, receivedAt: new Date().toISOString() });
    }
    writeJson(ingressPath(stateDir), ingress);
    writeJson(offsetPath(stateDir), { version: 1, lastUpdateId });
    live.lastInboundAt = Date.now();
    return lastUpdateId;
  }

  async function poll(signal) {
    let lastUpdateId = readJson(offsetPath(stateDir), {}).lastUpdateId;
    while (!signal.aborted) {
      let reply;
      try {
        const offset = Number.isInteger(lastUpdateId) ? lastUpdateId + 1 : 0;
        reply = await callBotApi(account, 'getUpdates', { offset, timeout: POLL_TIMEOUT_S, limit: 100 }, AbortSignal.any([signal, AbortSignal.timeout((POLL_TIMEOUT_S + 10) * 1000)]));
      } catch (error) {
        if (signal.aborted) break;
        live.connected = false;
        live.lastError = `getUpdates failed: ${error.cause?.message ?? error.message}`;
        log(`[telegram] ${live.lastError}; retrying in ${RETRY_MS / 1000}s`);
        await sleep(RETRY_MS, signal);
        continue;
      }
      if (reply.status === 409 || !reply.body.ok) {
        live.connected = false;
        live.lastError = `getUpdates ${reply.status}: ${reply.body.description ?? 'error'}`;
        log(`[telegram] ${reply.status === 409 ? 'getUpdates conflict (409)' : live.lastError}: ${reply.body.description ?? ''}; retrying in ${RETRY_MS / 1000}s`);
        await sleep(RETRY_MS, signal);
        continue;
      }
      live.connected = true;
      live.lastError = null;
      // A server that ignores the offset must not make us answer an update twice.
      const updates = (Array.isArray(reply.body.result) ? reply.body.result : [])
        .filter((update) => Number.isInteger(update.update_id) && !(update.update_id <= lastUpdateId));
      if (updates.length === 0) continue;
      lastUpdateId = persist(updates);
      for (const update of updates) {
        const chatId = (update.message ?? update.edited_message)?.chat?.id;
        if (chatId === undefined) continue;
        try {
          await callBotApi(account, 'sendMessage', { chat_id: chatId, text: `ack ${update.update_id}` }, AbortSignal.timeout(10_000));
        } catch (error) {
          log(`[telegram] sendMessage failed for update ${update.update_id}: ${error.cause?.message ?? error.message}`);
        }
      }
    }
  }

  function start() {
    if (loop) return;
    controller = new AbortController();
    live.running = true;
    live.connected = true;
    live.lastError = null;
    log(`[telegram] [${ACCOUNT_ID}] starting provider (polling)`);
    loop = poll(controller.signal).finally(() => {
      live.running = false;
      live.connected = false;
      loop = undefined;
    });
  }

  async function stop() {
    if (!loop) return;
    log(`[telegram] [${ACCOUNT_ID}] stopping provider`);
    controller.abort();
    await loop;
  }

  const startable = () => !skip && account?.configured && account.enabled;

  return {
    boot() {
      if (startable()) start();
    },
    /** Channels that should run but do not: /readyz names them. */
    failing() {
      return startable() && !live.running ? ['telegram'] : [];
    },
    async rpcStart(params) {
      const base = { channel: params.channel, accountId: params.accountId ?? ACCOUNT_ID };
      // The operator may have written the channel into the config since boot.
      if (!loop) account = readAccount();
      if (params.channel !== 'telegram' || base.accountId !== ACCOUNT_ID || skip || !account?.configured) {
        return { ...base, started: false, outcome: { status: 'skipped', reason: 'unconfigured' } };
      }
      if (!account.enabled) return { ...base, started: false, outcome: { status: 'skipped', reason: 'disabled' } };
      if (loop) return { ...base, started: true, outcome: { status: 'already-running' } };
      start();
      return { ...base, started: true, outcome: { status: 'handed-off' } };
    },
    async rpcStop(params) {
      if (params.channel === 'telegram' && (params.accountId ?? ACCOUNT_ID) === ACCOUNT_ID) await stop();
      return { channel: params.channel, accountId: params.accountId ?? ACCOUNT_ID, stopped: true };
    },
    async rpcStatus(params) {
      let probe;
      if (params.probe && account?.configured) {
        const started = Date.now();
        try {
          const reply = await callBotApi(account, 'getMe', {}, AbortSignal.timeout(Number(params.timeoutMs) || 10_000));
          probe = reply.body.ok
            ? { ok: true, status: reply.status, error: null, elapsedMs: Date.now() - started, bot: { id: reply.body.result?.id ?? null, username: reply.body.result?.username ?? null } }
            : { ok: false, status: reply.status, error: reply.body.description ?? `HTTP ${reply.status}`, elapsedMs: Date.now() - started };
        } catch (error) {
          probe = { ok: false, status: null, error: error.cause?.message ?? error.message, elapsedMs: Date.now() - started };
        }
      }
      return statusDocument(account, live, probe);
    },
    stop,
  };
}
