/**
 * Slack end to end: signed slash commands and reactions over Bolt's HTTP receiver, the real
 * engine upgrading the sandbox hosts, and the thread as the fake Slack shows it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ALICE, BOB, DAVE, SLACK, startChatStack, type ChatStack } from './chat-stack.js';

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ prefix: 'e2e-chat-slack', versions: ['1.2.0', '1.3.0', '1.3.1-breaking'] });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);


test('a production upgrade typed in Slack runs staging then blue-green production, approved by a reaction; the thread tells the whole story', async () => {
  const started = performance.now();
  const before = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('upgrade 1.3.0 production', ALICE, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.calls.indexOf(call) >= 0
    && stack.slack.callsTo('chat.postMessage').indexOf(call) >= before && call.args['thread_ts'] === undefined && call.args['channel'] === SLACK.origin, 30_000);
  const rootTs = String(root.response?.['ts']);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  expect(upgradeId).toMatch(/^up-/);
  expect(String(root.args['text'])).toContain('Upgrade plan: production → 1.3.0');

  const waiting = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 90_000);
  if (waiting.type !== 'gate-waiting') throw new Error('unreachable');
  expect(waiting.gateId).toBe('prod-1:switch-traffic');
  // Staging went first, on its own: it runs 1.3.0 while production still serves 1.2.0.
  expect(await stack.version('staging')).toBe('1.3.0');
  const gate = await stack.ref(upgradeId, 'slack', SLACK.origin, `gate:${waiting.gateId}`);
  expect(gate.thread).toBe(rootTs);
  // The request carries the reactions to click.
  await expect.poll(() => stack.slack.callsTo('reactions.add').filter((call) => call.args['timestamp'] === gate.message).map((call) => call.args['name'])).toEqual(['white_check_mark', 'x']);
  const parkedAt = performance.now();

  await stack.slackReact(BOB, SLACK.origin, gate.message);
  const finished = await stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 90_000);
  expect(finished).toMatchObject({ outcome: 'succeeded' });
  expect(await stack.version('production')).toBe('1.3.0');
  expect(await stack.sandbox.nginx.readUpstream()).toEqual(['127.0.0.1:19789']);

  const checklist = await stack.ref(upgradeId, 'slack', SLACK.origin, 'checklist');
  const report = await stack.ref(upgradeId, 'slack', SLACK.origin, 'report');
  await expect.poll(() => stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === checklist.message)?.text ?? '', { timeout: 5000 }).toMatch(/Checklist \((\d+)\/\1 done\)/);
  const thread = stack.slackThread(SLACK.origin, rootTs);
  // One root: the plan summary; everything else is a reply in its thread.
  expect(thread[0]?.id).toBe(rootTs);
  expect(thread[0]?.text).toContain('staging-1');
  const checklistText = thread.find((m) => m.id === checklist.message)?.text ?? '';
  const stepLines = checklistText.split('\n').filter((line) => /^(✅|⬜|⏳|❌|⏭️)/u.test(line) && !line.includes('Approv'));
  expect(stepLines.length).toBeGreaterThan(5);
  expect(stepLines.filter((line) => !line.startsWith('✅'))).toEqual([]);
  expect(checklistText).toContain('Approved: ');
  // The checklist was edited in place, never posted twice.
  expect(stack.slack.callsTo('chat.update').filter((call) => call.args['ts'] === checklist.message).length).toBeGreaterThan(3);
  expect(thread.filter((m) => m.text.includes('Checklist (')).length).toBe(1);
  expect(thread.filter((m) => m.text.includes('✅ approved by @Bob on Slack'))).toHaveLength(1);
  const reportText = thread.find((m) => m.id === report.message)?.text ?? '';
  expect(reportText).toContain('Upgrade succeeded');
  expect(reportText).toContain('@Bob (Slack)');
  // The approval request was mirrored to Discord's approvals channel when the gate opened.
  expect(stack.discordThread(await stack.ref(upgradeId, 'discord', '920000000000000002', 'plan').then((ref) => ref.message)).some((m) => m.text.includes('Approval needed'))).toBe(true);
  process.stdout.write(`[timing] slack production upgrade: ${Math.round(parkedAt - started)} ms to the gate, ${Math.round(performance.now() - parkedAt)} ms after it\n`);
}, 120_000);

test('bad input gets a private reply with the specific error and the help line; nothing is posted in the channel', async () => {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  const reply = await stack.slash('upgrade', ALICE);
  expect(reply).toContain('upgrade needs a version, e.g. 2026.9.6 or latest');
  expect(reply).toContain('/openclaw upgrade <version>');
  const typo = await stack.slash('upgrde 1.3.0', ALICE);
  expect(typo).toMatch(/upgrade/);
  expect(stack.slack.callsTo('chat.postMessage').length).toBe(posts);
}, 30_000);

test('a refused command is answered privately and recorded as a refusal in the audit log', async () => {
  const posts = stack.slack.callsTo('chat.postMessage').length;
  const reply = await stack.slash('upgrade 1.3.0 staging', DAVE);
  expect(reply).toContain('you may not run upgrade in staging');
  const history = await stack.runtime().engine.audit.listHistory('staging', 5);
  expect(history[0]).toMatchObject({ type: 'refusal', command: 'upgrade 1.3.0 staging', requester: { platform: 'slack', userId: DAVE } });
  expect(stack.slack.callsTo('chat.postMessage').length).toBe(posts);
  expect(await stack.runtime().engine.queue.getJobCounts('active', 'delayed', 'waiting')).toEqual({ active: 0, delayed: 0, waiting: 0 });
}, 30_000);

test('a gateway restarted mid-upgrade edits the same thread messages instead of posting them again', async () => {
  await stack.idle();
  const posts = stack.slack.callsTo('chat.postMessage').length;
  await stack.slash('upgrade 1.3.1-breaking staging', ALICE, 0);
  const root = await stack.slack.waitForCall('chat.postMessage', (call) => stack.slack.callsTo('chat.postMessage').indexOf(call) >= posts && call.args['thread_ts'] === undefined, 30_000);
  const rootTs = String(root.response?.['ts']);
  const upgradeId = /upgrade (up-[\w-]+)/.exec(JSON.stringify(root.args['blocks']))?.[1] ?? '';
  const waiting = await stack.waitForEvent(upgradeId, (event) => event.type === 'gate-waiting', 30_000);
  expect(waiting).toMatchObject({ gateId: 'breaking-change' });
  const gate = await stack.ref(upgradeId, 'slack', SLACK.origin, 'gate:breaking-change');
  const checklist = await stack.ref(upgradeId, 'slack', SLACK.origin, 'checklist');
  await stack.runtime().bot?.flush(upgradeId);
  const keysBefore = Object.keys((await stack.threads().get(upgradeId, 'slack', SLACK.origin))?.refs ?? {});
  expect(keysBefore).toEqual(expect.arrayContaining(['plan', 'checklist', 'gate:breaking-change']));

  const restartedAt = performance.now();
  await stack.restartGateway();
  const restartMs = performance.now() - restartedAt;
  await stack.slackReact(BOB, SLACK.origin, gate.message);
  await expect(stack.waitForEvent(upgradeId, (event) => event.type === 'finished', 60_000)).resolves.toMatchObject({ outcome: 'succeeded' });
  expect(await stack.version('staging')).toBe('1.3.1-breaking');
  const report = await stack.ref(upgradeId, 'slack', SLACK.origin, 'report');
  await expect.poll(() => stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === report.message)?.text ?? '').toContain('Upgrade succeeded');
  await expect.poll(() => stack.slackThread(SLACK.origin, rootTs).find((m) => m.id === checklist.message)?.text ?? '').toMatch(/Checklist \((\d+)\/\1 done\)/);

  const thread = stack.slackThread(SLACK.origin, rootTs);
  // No second root for this upgrade, and the restarted gateway posted only what is new: the approval note and the report.
  const roots = stack.slack.callsTo('chat.postMessage').filter((call) => call.args['thread_ts'] === undefined && JSON.stringify(call.args['blocks']).includes(upgradeId) && call.args['channel'] === SLACK.origin);
  expect(roots).toHaveLength(1);
  expect(thread.filter((m) => m.text.includes('Checklist ('))).toHaveLength(1);
  expect(thread.filter((m) => m.text.includes('🔐 Approval needed'))).toHaveLength(1);
  // Every message in the thread is one saved slot: the restarted gateway posted only slots it had not posted yet.
  const refs = (await stack.threads().get(upgradeId, 'slack', SLACK.origin))?.refs ?? {};
  expect(thread.map((m) => m.id).sort()).toEqual(Object.values(refs).map((ref) => ref.message).sort());
  expect(Object.keys(refs)).toEqual(expect.arrayContaining([...keysBefore, 'report']));
  expect(thread.find((m) => m.id === gate.message)?.text).toContain('Approved: ');
  process.stdout.write(`[timing] gateway restart: ${Math.round(restartMs)} ms\n`);
}, 90_000);
