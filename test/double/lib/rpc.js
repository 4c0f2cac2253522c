// `gateway call <method>` and `channels status`: the CLI side of the gateway RPC. The real CLI
// connects to the gateway's WebSocket on 127.0.0.1:<port>; the double posts to its private
// /__double/rpc endpoint and prints what the real one prints.
import { request } from 'node:http';
import { statusDocument, telegramAccount } from './channels.js';
import { configPath, readConfig, resolveStateDir } from './state.js';

function gatewayPort(opts, config) {
  return Number(opts.port ?? process.env.OPENCLAW_GATEWAY_PORT ?? config.gateway?.port ?? 18789);
}

/** Resolves { ok, payload } or { ok: false, error: { message } }; rejects when unreachable. */
function call(port, method, params, timeoutMs) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ method, params });
    const req = request({ host: '127.0.0.1', port, path: '/__double/rpc', method: 'POST', timeout: timeoutMs, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(new Error(`invalid gateway response: ${error.message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`gateway timeout after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function failWith(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export async function gatewayCall(method, opts) {
  let params = {};
  if (opts.params !== undefined) {
    try {
      params = JSON.parse(opts.params);
    } catch (error) {
      failWith(`Gateway call failed: --params must be valid JSON: ${error.message}`);
    }
  }
  const port = gatewayPort(opts, readConfig(configPath(resolveStateDir())).config);
  let reply;
  try {
    reply = await call(port, method, params, Number(opts.timeout ?? 10_000));
  } catch (error) {
    failWith(`Gateway call failed: gateway closed (1006): ${error.message}\nGateway target: ws://127.0.0.1:${port}`);
  }
  if (!reply.ok) failWith(reply.error?.message ?? 'gateway call failed');
  process.stdout.write(`${JSON.stringify(reply.payload, null, 2)}\n`);
}

export async function channelsStatus(opts) {
  const config = readConfig(configPath(resolveStateDir())).config;
  const port = gatewayPort({}, config);
  const timeoutMs = Number(opts.timeout ?? 10_000);
  let document;
  try {
    const reply = await call(port, 'channels.status', { probe: Boolean(opts.probe), timeoutMs }, timeoutMs);
    if (!reply.ok) throw new Error(reply.error?.message ?? 'gateway call failed');
    document = reply.payload;
  } catch (error) {
    // Like the real CLI: an unreachable gateway still gets a config-only summary (nothing running).
    process.stderr.write(`Gateway not reachable (${error.message}); showing config-only status.\n`);
    document = statusDocument(telegramAccount(config), undefined, undefined);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  const lines = ['Channels:'];
  for (const [channel, accounts] of Object.entries(document.channelAccounts)) {
    for (const account of accounts) {
      lines.push(`- ${channel} ${account.accountId}: ${account.enabled ? 'enabled' : 'disabled'}, ${account.configured ? 'configured' : 'not configured'}, ${account.running ? 'running' : 'stopped'}${account.connected ? ', connected' : ''}${account.lastError ? `, error: ${account.lastError}` : ''}`);
    }
  }
  if (lines.length === 1) lines.push('- none configured');
  process.stdout.write(`${lines.join('\n')}\n`);
}
