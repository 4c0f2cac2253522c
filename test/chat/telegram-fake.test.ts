import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ANN, BOT_USER, CONFLICT_DESCRIPTION, identifyBySocket, startFakeTelegram, type FakeTelegram, type FakeTelegramOptions, type TelegramUpdate } from '../fakes/telegram/index.js';

const TOKEN = '123456:TEST-token_abc';

interface ApiResult {
  status: number;
  body: { ok: boolean; result?: unknown; error_code?: number; description?: string };
}

const started: FakeTelegram[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  for (const fake of started.splice(0)) await fake.stop();
});

async function start(options: Partial<FakeTelegramOptions> = {}): Promise<FakeTelegram> {
  const fake = await startFakeTelegram({ token: TOKEN, ...options });
  started.push(fake);
  return fake;
}

/** A Bot API call with fetch, JSON body, as grammY sends it. */
async function api(fake: FakeTelegram, method: string, params: Record<string, unknown> = {}, init: { signal?: AbortSignal } = {}): Promise<ApiResult> {
  const response = await fetch(`${fake.apiRoot}/bot${fake.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    ...init,
  });
  return { status: response.status, body: (await response.json()) as ApiResult['body'] };
}

/**
 * A bot with its own keep-alive connection (grammY on Node uses an http.Agent the same way):
 * two of them are two pollers, each on one socket.
 */
function bot(fake: FakeTelegram): (method: string, params?: Record<string, unknown>) => Promise<ApiResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return (method, params = {}) => new Promise((resolve, reject) => {
    const payload = JSON.stringify(params);
    const req = request(`${fake.apiRoot}/bot${fake.token}/${method}`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApiResult['body'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function updates(result: ApiResult): TelegramUpdate[] {
  expect(result.status).toBe(200);
  expect(result.body.ok).toBe(true);
  return result.body.result as TelegramUpdate[];
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('fake Telegram Bot API', () => {
  it('answers getMe (GET, token in the path) and refuses a wrong token with 401', async () => {
    const fake = await start();
    expect(fake.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const me = await fetch(`${fake.apiRoot}/bot${TOKEN}/getMe`);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ ok: true, result: BOT_USER });
    expect(BOT_USER).toEqual({ id: 999, is_bot: true, first_name: 'Claw', username: 'claw_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });

    const wrong = await fetch(`${fake.apiRoot}/bot123456:wrong/getMe`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    const nowhere = await fetch(`${fake.apiRoot}/getMe`);
    expect(nowhere.status).toBe(404);

    // Unknown and fire-and-forget methods answer true.
    expect((await api(fake, 'setMyCommands', { commands: [{ command: 'status', description: 'status' }] })).body).toEqual({ ok: true, result: true });
    expect((await api(fake, 'sendChatAction', { chat_id: 4242, action: 'typing' })).body).toEqual({ ok: true, result: true });
  });

  it('serves fed updates from the offset on, and an offset confirms and deletes the ones below it', async () => {
    // fetch spreads sequential requests over two pooled connections: one name for the one bot.
    const fake = await start({ identify: async () => 'bot' });
    const ids = [fake.feed('one'), fake.feed('two'), fake.feed('three')];
    expect(ids).toEqual([1, 2, 3]);

    const all = updates(await api(fake, 'getUpdates', { timeout: 0 }));
    expect(all.map((u) => u.update_id)).toEqual([1, 2, 3]);
    expect(all[0]).toEqual({
      update_id: 1,
      message: { message_id: expect.any(Number), date: expect.any(Number), text: 'one', from: ANN, chat: { id: 4242, type: 'private', first_name: 'Ann' } },
    });
    expect(Math.abs((all[0]?.message.date ?? 0) - Date.now() / 1000)).toBeLessThan(5);

    expect(updates(await api(fake, 'getUpdates', { offset: 2, limit: 1 })).map((u) => u.update_id)).toEqual([2]);
    let report = fake.report();
    expect(report.confirmed).toBe(1);
    expect(report.unconfirmed).toEqual([2, 3]);
    expect(report.confirmations).toEqual([{ updateId: 1, poller: 'bot', at: expect.any(Number) }]);
    // Confirmed means gone: without an offset the queue starts at 2.
    expect(updates(await api(fake, 'getUpdates')).map((u) => u.update_id)).toEqual([2, 3]);

    expect(updates(await api(fake, 'getUpdates', { offset: 4 }))).toEqual([]);
    report = fake.report();
    expect(report).toMatchObject({ fed: 3, confirmed: 3, lost: 0, unconfirmed: [], doubled: 0, conflicts: 0, pollers: ['bot'] });
  });

  it('holds a long poll until an update is fed, and answers an empty list when the timeout passes', async () => {
    const fake = await start();
    const began = Date.now();
    const poll = api(fake, 'getUpdates', { offset: 0, timeout: 10 });
    await until(() => fake.openPolls().length === 1);
    const id = fake.feed('wake up');
    const answer = updates(await poll);
    expect(answer.map((u) => u.update_id)).toEqual([id]);
    expect(Date.now() - began).toBeLessThan(10_000);

    const idle = Date.now();
    expect(updates(await api(fake, 'getUpdates', { offset: id + 1, timeout: 1 }))).toEqual([]);
    expect(Date.now() - idle).toBeGreaterThanOrEqual(900);
    expect(fake.report()).toMatchObject({ fed: 1, confirmed: 1, lost: 0 });
  });

  it('answers the older of two concurrent pollers 409 and records the conflict and the overlap', async () => {
    const names = ['blue', 'green'];
    const fake = await start({ identify: async () => names.shift() ?? 'stranger' });
    const blue = bot(fake);
    const green = bot(fake);
    const bluePoll = blue('getUpdates', { timeout: 10 });
    await until(() => fake.openPolls().join() === 'blue');
    const greenPoll = green('getUpdates', { timeout: 10 });

    const terminated = await bluePoll;
    expect(terminated).toEqual({ status: 409, body: { ok: false, error_code: 409, description: CONFLICT_DESCRIPTION } });
    await until(() => fake.openPolls().join() === 'green');
    const id = fake.feed();
    expect(updates(await greenPoll).map((u) => u.update_id)).toEqual([id]);

    const report = fake.report();
    expect(report.conflicts).toBe(1);
    expect(report.conflictEvents).toEqual([{ at: expect.any(Number), terminated: 'blue', by: 'green' }]);
    expect(report.twoPollerMs).toBeGreaterThan(0);
    expect(report.pollers).toEqual(['blue', 'green']);
    expect(report.deliveries).toEqual([{ updateId: id, poller: 'green', at: expect.any(Number) }]);
    expect(report.doubled).toBe(0);
  });

  it('sees nothing wrong with a single poller: no overlap, nothing doubled or lost, no gap', async () => {
    const fake = await start();
    fake.startFeed(20);
    let offset = 0;
    const deadline = Date.now() + 400;
    while (Date.now() < deadline) {
      const batch = updates(await api(fake, 'getUpdates', { offset, timeout: 1 }));
      if (batch.length > 0) offset = (batch.at(-1)?.update_id ?? 0) + 1;
    }
    fake.stopFeed();
    for (;;) {
      const batch = updates(await api(fake, 'getUpdates', { offset, timeout: 0 }));
      if (batch.length === 0) break;
      offset = (batch.at(-1)?.update_id ?? 0) + 1;
    }
    const report = fake.report();
    expect(report.fed).toBeGreaterThan(3);
    expect(report).toMatchObject({ confirmed: report.fed, lost: 0, unconfirmed: [], doubled: 0, conflicts: 0, twoPollerMs: 0, noPollerMs: 0 });
    expect(new Set(report.deliveries.map((d) => d.updateId)).size).toBe(report.fed);
  });

  it('counts an update delivered to one poller, unconfirmed, and then to another as doubled', async () => {
    const fake = await start();
    const a = bot(fake);
    const b = bot(fake);
    const id = fake.feed();
    expect(updates(await a('getUpdates', { timeout: 0 })).map((u) => u.update_id)).toEqual([id]);
    // a stops without confirming; b starts from the queue as Telegram keeps it.
    expect(updates(await b('getUpdates', { timeout: 0 })).map((u) => u.update_id)).toEqual([id]);
    expect(updates(await b('getUpdates', { offset: id + 1, timeout: 0 }))).toEqual([]);

    const report = fake.report();
    expect(report.pollers).toHaveLength(2);
    expect(report.doubled).toBe(1);
    expect(report.doubledIds).toEqual([id]);
    expect(report.lost).toBe(0);
    expect(report.confirmations).toEqual([{ updateId: id, poller: report.pollers[1], at: expect.any(Number) }]);
    expect(report.conflicts).toBe(0);
    expect(report.twoPollerMs).toBe(0);
  });

  it('counts a gap of more than 1 s between polls in noPollerMs, and stops measuring at stop()', async () => {
    const fake = await start();
    await api(fake, 'getUpdates', { timeout: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const gap = fake.report().noPollerMs;
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(1500);
    await api(fake, 'getUpdates', { timeout: 0 });
    await fake.stop();
    const frozen = fake.report().noPollerMs;
    expect(frozen).toBeGreaterThanOrEqual(gap);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.report().noPollerMs).toBe(frozen);
  });

  it('counts updates that never reached a poller as lost', async () => {
    const fake = await start();
    const first = fake.feed();
    expect(fake.report()).toMatchObject({ lost: 1, lostIds: [first], unconfirmed: [first] });
    // grammY's drop_pending_updates: Telegram forgets them, nobody ever sees them.
    expect((await api(fake, 'deleteWebhook', { drop_pending_updates: true })).body).toEqual({ ok: true, result: true });
    const second = fake.feed();
    updates(await api(fake, 'getUpdates', { timeout: 0 }));
    expect(fake.report()).toMatchObject({ fed: 2, lost: 1, lostIds: [first], dropped: [first], unconfirmed: [second] });
  });

  it('lets a poller that went away go without a delivery, and serves the next one', async () => {
    const fake = await start();
    const abort = new AbortController();
    const gone = api(fake, 'getUpdates', { timeout: 10 }, { signal: abort.signal });
    await until(() => fake.openPolls().length === 1);
    abort.abort();
    await expect(gone).rejects.toThrow();
    await until(() => fake.openPolls().length === 0);
    const id = fake.feed();
    expect(fake.report().deliveries).toEqual([]);
    expect(updates(await api(fake, 'getUpdates', { timeout: 10 })).map((u) => u.update_id)).toEqual([id]);
    expect(fake.report().conflicts).toBe(0);
  });

  it('takes parameters as JSON, form-encoded or in the query, and records sent messages', async () => {
    const fake = await start();
    fake.feed('a');
    fake.feed('b');
    const url = `${fake.apiRoot}/bot${TOKEN}`;
    const form = await fetch(`${url}/getUpdates`, { method: 'POST', body: new URLSearchParams({ offset: '0', limit: '1', timeout: '0', allowed_updates: '["message"]' }) });
    expect(updates({ status: form.status, body: (await form.json()) as ApiResult['body'] }).map((u) => u.update_id)).toEqual([1]);
    const query = await fetch(`${url}/getUpdates?offset=2&timeout=0`);
    expect(updates({ status: query.status, body: (await query.json()) as ApiResult['body'] }).map((u) => u.update_id)).toEqual([2]);

    const json = await api(fake, 'sendMessage', { chat_id: 4242, text: 'hello Ann' });
    expect(json.body).toEqual({
      ok: true,
      result: { message_id: expect.any(Number), date: expect.any(Number), text: 'hello Ann', from: { id: 999, is_bot: true, first_name: 'Claw', username: 'claw_bot' }, chat: { id: 4242, type: 'private', first_name: 'Ann' } },
    });
    const formSend = await fetch(`${url}/sendMessage`, { method: 'POST', body: new URLSearchParams({ chat_id: '4242', text: 'form too' }) });
    expect(((await formSend.json()) as { result: { text: string; chat: { id: number } } }).result).toMatchObject({ text: 'form too', chat: { id: 4242 } });
    const missing = await api(fake, 'sendMessage', { chat_id: 4242 });
    expect(missing).toEqual({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' } });

    expect(fake.report().sent).toEqual([
      { chatId: 4242, text: 'hello Ann', at: expect.any(Number), poller: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      { chatId: 4242, text: 'form too', at: expect.any(Number), poller: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
    ]);
  });

  it('names pollers with identify, once per connection, and falls back to address:port when it fails', async () => {
    const peers: Array<{ address: string; port: number }> = [];
    let failNext = false;
    const fake = await start({
      identify: async (peer) => {
        peers.push(peer);
        if (failNext) throw new Error('no such socket');
        return 'OPENCLAW_STATE_DIR=/srv/openclaw/blue';
      },
    });
    const blue = bot(fake);
    fake.feed();
    const first = updates(await blue('getUpdates', { timeout: 0 }));
    await blue('getUpdates', { offset: (first[0]?.update_id ?? 0) + 1, timeout: 0 });
    await blue('sendMessage', { chat_id: 4242, text: 'hi' });
    expect(peers).toHaveLength(1);
    expect(peers[0]?.address).toBe('127.0.0.1');

    failNext = true;
    await bot(fake)('getUpdates', { timeout: 0 });
    expect(peers).toHaveLength(2);
    const report = fake.report();
    expect(report.pollers).toEqual(['OPENCLAW_STATE_DIR=/srv/openclaw/blue', `127.0.0.1:${peers[1]?.port}`]);
    expect(report.deliveries.map((d) => d.poller)).toEqual(['OPENCLAW_STATE_DIR=/srv/openclaw/blue']);
    expect(report.sent.map((s) => s.poller)).toEqual(['OPENCLAW_STATE_DIR=/srv/openclaw/blue']);
  });

  it('identifyBySocket falls back to address:port for an unknown network namespace', async () => {
    const identify = identifyBySocket('clawops-no-such-netns');
    expect(await identify({ address: '198.18.0.2', port: 40123 })).toBe('198.18.0.2:40123');
  });
});
