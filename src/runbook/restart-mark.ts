/**
 * A restart that can be checked after a crash. A worker that dies during `pm2 reload` or
 * `systemctl restart` cannot tell from its cursor whether the gateway restarted, and restarting it
 * again is a second outage. So a step just before notes on the host which process the supervisor
 * runs (pid, start time, restart count) in a small mark file, and the restart's `verify` compares
 * the process then with the mark: another process, up → done; the same one → not done; no mark,
 * no such app, or still stopping/starting after a while → unsure (the thread asks, as before).
 *
 * The mark is taken after `current` was switched, so any start since then runs the new release:
 * a crash restart by the supervisor in between counts as done, which is what the restart was for.
 */
import { PM2_READ_APP_JS } from './adopt-pm2.js';
import { command, hostStep, trimSlash, type HostContext } from './context.js';
import type { PlanStep, StepAction } from './types.js';

/** The supervised gateway: a PM2 app, or a systemd unit and how the step restarts it. */
export type Supervised =
  | { kind: 'pm2'; app: string; env: Readonly<Record<string, string>> }
  | { kind: 'systemd'; unit: string; user: boolean; verb: 'restart' | 'reload' };

/**
 * `node -e RESTART_MARK_JS mark|check <file> pm2 <app>` or `… systemd <unit> user|system restart|reload`.
 * `mark` exits 0 once the file is written (1 when the supervisor has no such app or cannot be
 * asked); `check` exits 0 (restarted, up), 1 (the noted process) or 2 (cannot tell).
 */
export const RESTART_MARK_JS = String.raw`// clawops restart mark: pid, start time, restarts (noted, then compared)
${PM2_READ_APP_JS}
const fs = require("fs");
const path = require("path");
const [mode, file, supervisor, name, scope, verb] = process.argv.slice(1);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
// The process now: id (what a restart changes), up, busy (between stop and start); null: no such app/unit.
function observe() {
  if (supervisor === "pm2") {
    const app = findApp(name);
    if (!app) return null;
    const e = app.pm2_env || {};
    // PM2 7.0.4, fork mode (measured): reload = stop + start, so pid, pm_uptime and restart_time (+1) all change; a killed "pm2 reload" CLI leaves the daemon to finish it ("stopping" meanwhile).
    return { id: { pid: app.pid || 0, started: e.pm_uptime || 0, restarts: e.restart_time || 0 }, status: e.status, up: e.status === "online", busy: ["launching", "stopping", "waiting restart"].includes(e.status) };
  }
  const props = ["LoadState", "ActiveState", "SubState", "MainPID", "ExecMainStartTimestampMonotonic", "InvocationID", "NRestarts"];
  const argv = [...(scope === "user" ? ["--user"] : []), "show", ...props.flatMap((p) => ["-p", p]), name];
  const p = {};
  for (const line of cp.execFileSync("systemctl", argv, { encoding: "utf8" }).split("\n")) { const at = line.indexOf("="); if (at > 0) p[line.slice(0, at)] = line.slice(at + 1); }
  if (p.LoadState === "not-found") return null;
  // InvocationID is new on every start; NRestarts counts only Restart= restarts.
  return { id: { pid: Number(p.MainPID) || 0, started: p.ExecMainStartTimestampMonotonic || "", invocation: p.InvocationID || "", restarts: Number(p.NRestarts) || 0 }, status: p.ActiveState + "/" + p.SubState, up: p.ActiveState === "active", busy: ["activating", "deactivating", "reloading"].includes(p.ActiveState) };
}
function read(failCode) {
  try { const now = observe(); if (now) return now; console.error(supervisor + " has no " + name); } catch (error) { console.error(String(error && error.message || error).trim()); }
  process.exit(failCode);
}
const show = (now) => name + " " + now.status + " " + JSON.stringify(now.id);
if (mode === "mark") {
  const now = read(1);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = file + ".tmp-" + process.pid;
  fs.writeFileSync(tmp, JSON.stringify(now.id) + "\n");
  fs.renameSync(tmp, file);
  console.log("noted " + show(now) + " in " + file);
  process.exit(0);
}
let mark;
try { mark = JSON.parse(fs.readFileSync(file, "utf8")); } catch { console.error("no mark " + file + ": cannot tell whether " + name + " restarted"); process.exit(2); }
// A restart the dead worker started may still be stopping the old process: wait for it to settle.
const deadline = Date.now() + 20000;
let now = read(2);
while (now.busy && Date.now() < deadline) { sleep(500); now = read(2); }
const changed = Object.keys(now.id).some((k) => now.id[k] !== mark[k]);
console.log(name + (changed ? " restarted since the mark: " : " is the process noted: ") + show(now) + " (noted " + JSON.stringify(mark) + ")");
if (now.busy) process.exit(2);
if (changed) process.exit(now.up ? 0 : 2);
// An ExecReload may reload in place and keep the process: then the same process proves nothing.
process.exit(verb === "reload" ? 2 : 1);`;

/** `<releasesDir>/.clawops/restart-<run>-<host>-<step>.json`: one per run, host and step, so no other run's mark is read. */
export function restartMarkPath(ctx: HostContext, suffix: string): string {
  const safe = (word: string) => word.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${trimSlash(ctx.host.releasesDir)}/.clawops/restart-${safe(ctx.runId)}-${safe(ctx.host.name)}-${safe(suffix)}.json`;
}

function markArgv(mode: 'mark' | 'check', file: string, target: Supervised): string[] {
  const who = target.kind === 'pm2' ? ['pm2', target.app] : ['systemd', target.unit, target.user ? 'user' : 'system', target.verb];
  return ['node', '-e', RESTART_MARK_JS, mode, file, ...who];
}

/**
 * The mark step and the restart step `<suffix>` (running `action`) with its verify. The mark is
 * safe to repeat: the restart only starts once it is done.
 */
export function markedRestartSteps(ctx: HostContext, target: Supervised, suffix: string, title: string, action: StepAction): PlanStep[] {
  const file = restartMarkPath(ctx, suffix);
  const env = target.kind === 'pm2' ? target.env : {};
  const name = target.kind === 'pm2' ? `PM2 app ${target.app}` : target.unit;
  return [
    hostStep(ctx, `${suffix}-mark`, `Note ${name}'s process (to check the ${target.kind === 'pm2' ? 'reload' : target.verb} after a crash)`, 'probe',
      command(markArgv('mark', file, target), env), { safeToRepeat: true }),
    hostStep(ctx, suffix, title, 'switch', action, { safeToRepeat: false, verify: markArgv('check', file, target), verifyEnv: env }),
  ];
}
