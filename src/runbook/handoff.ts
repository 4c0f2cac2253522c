/**
 * The blue-green handoff between two gateways on one host, as measured on the real OpenClaw
 * (docs/real-openclaw.md, "Blue-green handoff"): the live color's channel accounts are stopped
 * (`channels.stop`: Telegram allows one poller per bot token, so two colors must never poll at
 * once), its writes are frozen (`gateway.suspend.prepare` with drain: admitted work finishes, new
 * work waits), the final snapshot is taken and restored into the idle color, the live color's
 * process-bound database leases are cleared from that copy (2026.9.6 refuses to migrate a copy
 * whose lease names a live process: exit 78, "Agent main database is still open in process N"),
 * the idle color starts with the channels, and traffic moves while the freeze still holds.
 *
 * Every host-side part is one fixed Node script (`node -e HANDOFF_JS <mode> <file> <json>`): it
 * runs the profile's `gatewayCall` / `channelsStatus` argv (filled here, `{method}`/`{params}` on
 * the host) and keeps what later steps and a failure's cleanup need in `<backupDir>/handoff-<run>.json`
 * (the suspension id and expiry, the accounts it stopped, when the freeze began and ended).
 */
import type { StrategyConfig } from '../config/schema.js';
import { command, hostStep, trimSlash, type HostContext } from './context.js';
import { runbookCommand } from './template.js';
import type { PlanStep, StepKind } from './types.js';

type BlueGreenConfig = Extract<StrategyConfig, { kind: 'blue-green' }>;
type Color = 'blue' | 'green';

/** Modes of the host script; each is safe to repeat (it re-reads the handoff file first). */
export type HandoffMode = 'stop-channels' | 'freeze' | 'clear-leases' | 'check-channels' | 'freeze-held' | 'switched' | 'resume' | 'left-behind' | 'channels-connected';

export const HANDOFF_JS = String.raw`const cp = require("child_process");
const fs = require("fs");
const path = require("path");
const [mode, file, argsJson] = process.argv.slice(1);
// Paths in this JSON keep the plan's "~/" (the SSH executor only expands whole argv elements).
const home = (v) => typeof v === "string" && v.startsWith("~/") ? require("os").homedir() + v.slice(1) : v;
const a = JSON.parse(argsJson, (k, v) => home(v));
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const tail = (text) => String(text || "").trim().split("\n").slice(-4).join(" | ");
function load() { try { return JSON.parse(fs.readFileSync(file, "utf8")); } catch { return {}; } }
function save(h) { const tmp = file + ".tmp-" + process.pid; fs.writeFileSync(tmp, JSON.stringify(h, null, 2) + "\n", { mode: 0o600 }); fs.renameSync(tmp, file); }
function run(argv) { return cp.spawnSync(argv[0], argv.slice(1), { encoding: "utf8", maxBuffer: 1 << 26, timeout: 60000 }); }
function parse(out) {
  for (let at = out.indexOf("{"); at >= 0; at = out.indexOf("{", at + 1)) { try { return JSON.parse(out.slice(at)); } catch {} }
  throw new Error("no JSON in: " + tail(out));
}
function call(method, params) {
  const argv = a.call.map((w) => w === "{method}" ? method : w === "{params}" ? JSON.stringify(params) : w);
  const r = run(argv);
  if (r.status !== 0) throw new Error(method + " failed (exit " + r.status + "): " + tail(r.stderr || r.stdout || (r.error && r.error.message)));
  return parse(r.stdout);
}
function accounts() {
  const r = run(a.status);
  if (r.status !== 0) throw new Error("channels status failed (exit " + r.status + "): " + tail(r.stderr || r.stdout || (r.error && r.error.message)));
  const s = parse(r.stdout);
  if (s.status === "starting") return null;
  const out = [];
  for (const [channel, list] of Object.entries(s.channelAccounts || {})) for (const x of list || []) out.push({ channel, accountId: x.accountId, wanted: x.enabled !== false && x.configured !== false, running: x.running === true, connected: x.connected !== false, lifecycle: x.lifecycle, lastError: x.lastError || null, probeOk: x.probe ? x.probe.ok !== false : true });
  return out;
}
const names = (list) => list.map((x) => x.channel + "/" + x.accountId).join(", ");
// Polls until every account pick(list) names runs, is connected and probes fine (the accounts, or
// null after a.waitMs with what is down on stderr).
function waitConnected(pick) {
  const deadline = Date.now() + a.waitMs;
  for (;;) {
    const list = accounts();
    if (list !== null) {
      const want = pick(list);
      const find = (w) => list.find((x) => x.channel === w.channel && x.accountId === w.accountId);
      const down = want.filter((w) => { const x = find(w); return !(x && x.running && x.connected && x.probeOk); });
      if (down.length === 0) return want;
      if (Date.now() > deadline) { console.error("not connected: " + down.map((w) => { const x = find(w); return w.channel + "/" + w.accountId + " (" + (x ? (x.lifecycle || "stopped") + (x.lastError ? ": " + x.lastError : "") : "not listed") + ")"; }).join(", ")); return null; }
    } else if (Date.now() > deadline) { console.error("the gateway is still starting"); return null; }
    sleep(1000);
  }
}
function main() {
  const h = load();
  const now = Date.now();
  if (mode === "stop-channels") {
    const live = accounts() || [];
    const known = new Set((h.accounts || []).map((x) => x.channel + "/" + x.accountId));
    h.accounts = (h.accounts || []).concat(live.filter((x) => x.running && !known.has(x.channel + "/" + x.accountId)).map((x) => ({ channel: x.channel, accountId: x.accountId })));
    save(h);
    // channels.stop answers from the account's runtime snapshot after stopping: no second status call
    // (each CLI call costs 1.5 s or more of start-up, and every second here is a second nobody polls).
    const still = h.accounts.filter((x) => call("channels.stop", { channel: x.channel, accountId: x.accountId }).stopped !== true);
    if (still.length > 0) { console.error("still running after channels.stop: " + names(still)); return 1; }
    h.channelsStoppedAt = h.channelsStoppedAt || now; save(h);
    console.log(h.accounts.length === 0 ? "no channel account runs here" : "stopped " + h.accounts.length + " channel account(s): " + names(h.accounts));
    return 0;
  }
  if (mode === "freeze") {
    const deadline = now + a.drainMs;
    let r = call("gateway.suspend.prepare", { requestId: a.requestId, terminalPolicy: "terminate", drain: true });
    if (r.suspensionId) { h.suspensionId = r.suspensionId; save(h); }
    while (r.status !== "ready") {
      if (Date.now() > deadline) {
        if (h.suspensionId) call("gateway.suspend.resume", { suspensionId: h.suspensionId });
        console.error("still busy after " + Math.round(a.drainMs / 1000) + " s (" + (r.blockers || []).map((b) => b.message || b.kind).join("; ") + "); writes resumed, nothing changed");
        return 1;
      }
      sleep(Math.min(Math.max(Number(r.retryAfterMs) || 500, 200), 1000));
      r = r.status === "busy" || !h.suspensionId
        ? call("gateway.suspend.prepare", { requestId: a.requestId, terminalPolicy: "terminate", drain: true })
        : call("gateway.suspend.status", { suspensionId: h.suspensionId });
      if (r.suspensionId) { h.suspensionId = r.suspensionId; save(h); }
    }
    h.expiresAtMs = r.expiresAtMs; h.frozenAt = h.frozenAt || Date.now(); save(h);
    console.log("writes frozen at " + new Date(h.frozenAt).toISOString() + " (lapses by itself at " + new Date(h.expiresAtMs).toISOString() + " unless resumed)");
    return 0;
  }
  if (mode === "clear-leases") {
    const db = path.join(a.stateDir, "state", "openclaw.sqlite");
    if (!fs.existsSync(db)) { console.log("no " + db + ": no lease to clear"); return 0; }
    const head = Buffer.alloc(16); const fd = fs.openSync(db, "r"); fs.readSync(fd, head, 0, 16, 0); fs.closeSync(fd);
    if (head.toString("latin1") !== "SQLite format 3\u0000") { console.log(db + " is not an SQLite database: no lease tables to clear"); return 0; }
    let sqlite; try { sqlite = require("node:sqlite"); } catch { console.error("node " + process.version + " has no node:sqlite (22.5 or newer is needed) to clear the copied leases in " + db); return 1; }
    const d = new sqlite.DatabaseSync(db);
    const cleared = [];
    for (const table of ["agent_database_leases", "state_leases"]) {
      if (!d.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(table)) continue;
      const owners = d.prepare("select * from " + table).all().map((row) => row.owner_pid || row.owner).filter(Boolean);
      const n = d.prepare("delete from " + table).run().changes;
      if (n > 0) cleared.push(n + " " + table + " row(s)" + (owners.length ? " (owner " + [...new Set(owners)].join(", ") + ")" : ""));
    }
    d.close();
    console.log(cleared.length === 0 ? "the copy holds no lease" : "cleared from the copy: " + cleared.join("; "));
    return 0;
  }
  if (mode === "check-channels") {
    const want = h.accounts || [];
    if (want.length === 0) { console.log("no channel account to hand over"); return 0; }
    if (!waitConnected(() => want)) return 1;
    h.channelsUpAt = h.channelsUpAt || Date.now(); save(h);
    console.log("channels up here: " + names(want));
    return 0;
  }
  if (mode === "channels-connected") {
    // The guide's "verify all channels have reconnected": every enabled, configured account.
    const want = waitConnected((list) => list.filter((x) => x.wanted));
    if (!want) return 1;
    console.log(want.length === 0 ? "no channel account configured" : "connected: " + names(want));
    return 0;
  }
  if (mode === "freeze-held") {
    if (!h.frozenAt) { console.error("no freeze is recorded in " + file); return 1; }
    const left = h.expiresAtMs - now;
    if (left < a.marginMs) { console.error("the freeze lapses in " + Math.round(left / 1000) + " s: the old color may take writes again, so traffic is not moved"); return 1; }
    console.log("frozen for " + ((now - h.frozenAt) / 1000).toFixed(1) + " s so far; lapses in " + Math.round(left / 1000) + " s");
    return 0;
  }
  if (mode === "switched") {
    h.switchedAt = h.switchedAt || now; save(h);
    const frozen = h.frozenAt ? ((h.switchedAt - h.frozenAt) / 1000).toFixed(1) + " s" : "not frozen";
    const dark = h.channelsStoppedAt && h.channelsUpAt ? "; channels handed over in " + ((h.channelsUpAt - h.channelsStoppedAt) / 1000).toFixed(1) + " s (messages waited at the provider)" : "";
    console.log("write freeze " + frozen + " (freeze to traffic switch)" + dark);
    return 0;
  }
  if (mode === "resume") {
    const done = [];
    if (h.suspensionId) { const r = call("gateway.suspend.resume", { suspensionId: h.suspensionId }); done.push(r.resumed ? "writes resumed" : "no freeze held any more"); }
    for (const x of h.accounts || []) { const r = call("channels.start", { channel: x.channel, accountId: x.accountId }); done.push(x.channel + "/" + x.accountId + (r.started ? " started" : " not started (" + ((r.outcome && (r.outcome.reason || r.outcome.status)) || "?") + ")")); }
    if (done.length === 0) done.push("nothing was stopped or frozen");
    console.log(done.join("; "));
    return 0;
  }
  if (mode === "left-behind") {
    let since = h.frozenAt || h.channelsStoppedAt;
    if (a.sinceDir) {
      // A rollback: since the upgrade's handoff moved traffic (its record is the newest with that suffix).
      const records = fs.readdirSync(a.sinceDir).filter((n) => n.startsWith("handoff-") && n.endsWith(a.sinceSuffix)).map((n) => { try { return JSON.parse(fs.readFileSync(path.join(a.sinceDir, n), "utf8")); } catch { return {}; } }).filter((r) => r.switchedAt).sort((x, y) => y.switchedAt - x.switchedAt);
      since = records.length > 0 ? records[0].switchedAt : undefined;
    }
    if (!since) { console.log("no handoff recorded"); return 0; }
    const files = [];
    const walk = (dir, rel) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) { const p = path.join(dir, e.name); const r = rel ? rel + "/" + e.name : e.name; if (e.isDirectory()) { if (!["tmp", "logs", "cache"].includes(r)) walk(p, r); } else if (e.isFile() && !/\.(sqlite(-wal|-shm|-journal)?|lock|log)$/.test(e.name) && fs.statSync(p).mtimeMs > since) files.push(r); } };
    try { walk(a.stateDir, ""); } catch (error) { console.error(String(error)); return 1; }
    let inbound = "inbound messages not counted (no state database)";
    const db = path.join(a.stateDir, "state", "openclaw.sqlite");
    if (fs.existsSync(db)) {
      try { const d = new (require("node:sqlite").DatabaseSync)(db, { readOnly: true }); const row = d.prepare("select count(*) as n from channel_ingress_events where received_at > ?").get(since); d.close(); inbound = row.n + " inbound message(s)"; }
      catch (error) { inbound = "inbound messages not counted (" + String(error.message || error).split("\n")[0] + ")"; }
    }
 console.log((a.sinceDir ? "written since it took over: " : "written by the old color after the handoff began (not in the new one): ") + inbound + ", " + files.length + " file(s)" + (files.length ? ": " + files.slice(0, 5).join(", ") : ""));
    return 0;
  }
  console.error("unknown mode " + mode);
  return 2;
}
try { process.exitCode = main(); } catch (error) { console.error(String(error && error.message || error)); process.exitCode = 1; }`;

/** Where the host keeps one run's handoff record. */
export function handoffFile(ctx: HostContext, color: Color): string {
  return `${trimSlash(ctx.host.backupDir)}/handoff-${ctx.runId}-${color}.json`;
}

/** The env that points the openclaw CLI at one color's state and running gateway. */
export function colorEnv(config: BlueGreenConfig, color: Color): Record<string, string> {
  return { OPENCLAW_STATE_DIR: config[color].stateDir, OPENCLAW_GATEWAY_PORT: String(config[color].port) };
}

interface HandoffStepSpec {
  suffix: string;
  title: string;
  kind: StepKind;
  mode: HandoffMode;
  /** The color whose gateway the CLI talks to. */
  color: Color;
  /** The color whose handoff record is read and written (the one handing over). */
  record: Color;
  binary: readonly string[];
  extra?: Record<string, string | number>;
  timeoutMs?: number;
}

/** The profile's CLI argv the host script runs (`{method}` and `{params}` are filled there). */
function cliArgs(ctx: HostContext, binary: readonly string[]): { call: string[]; status: string[] } {
  return {
    call: runbookCommand(ctx.config, 'gatewayCall', { method: '{method}', params: '{params}' }, binary),
    status: runbookCommand(ctx.config, 'channelsStatus', {}, binary),
  };
}

/** One run of the host script as a plan step. */
export function handoffStep(ctx: HostContext, config: BlueGreenConfig, spec: HandoffStepSpec): PlanStep {
  const args = { ...cliArgs(ctx, spec.binary), ...spec.extra };
  const step = hostStep(ctx, spec.suffix, spec.title, spec.kind,
    command(['node', '-e', HANDOFF_JS, spec.mode, handoffFile(ctx, spec.record), JSON.stringify(args)], colorEnv(config, spec.color)),
    { safeToRepeat: true, ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }) });
  step.report = true;
  return step;
}

/**
 * "Channels: every configured account connected" on a gateway (`channels status --probe`), shown
 * in the checklist with the account names: the guide's "verify all channels have reconnected".
 */
export function channelsConnectedStep(ctx: HostContext, binary: readonly string[], stateDir: string, port: number, suffix: string): PlanStep {
  const waitMs = ctx.config.runbook.timeouts.readySeconds * 1000;
  const args = { ...cliArgs(ctx, binary), waitMs };
  const step = hostStep(ctx, suffix, 'Health: channels connected (channels status --probe)', 'verify',
    command(['node', '-e', HANDOFF_JS, 'channels-connected', '-', JSON.stringify(args)], { OPENCLAW_STATE_DIR: stateDir, OPENCLAW_GATEWAY_PORT: String(port) }),
    { safeToRepeat: true, timeoutMs: waitMs + 60_000 });
  step.report = true;
  return step;
}

/** How long the freeze may wait for the live color's admitted work to finish. */
export const DRAIN_MS = 60_000;
/** Traffic moves only while the freeze has at least this long left (OpenClaw lapses it after ~120 s). */
export const FREEZE_MARGIN_MS = 10_000;
