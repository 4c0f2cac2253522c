/**
 * PM2 adoption steps. The app is re-created to run `<releasesDir>/current/bin/openclaw` with the
 * args, cwd and env it has today, in the one restart the upgrade makes anyway. Env values can
 * hold secrets, so they never pass through the plan, chat or Redis: a small fixed Node script
 * run on the host reads `pm2 jlist` there and writes the ecosystem file (mode 600) there.
 */
import type { StrategyConfig } from '../config/schema.js';
import type { Pm2Adoption } from './adopt.js';
import { command, hostStep, releaseBinary, trimSlash, type HostContext } from './context.js';
import type { PlanStep } from './types.js';

type Pm2Config = Extract<StrategyConfig, { kind: 'pm2' }>;

/** Shared by the host scripts that read PM2: `findApp(name)`, the app from `pm2 jlist` (PM2 may print notices before the JSON). */
export const PM2_READ_APP_JS = String.raw`const cp = require("child_process");
function findApp(name) {
  const out = cp.execFileSync("pm2", ["jlist"], { encoding: "utf8", maxBuffer: 1 << 28 });
  for (let at = out.indexOf("["); at >= 0; at = out.indexOf("[", at + 1)) {
    let list; try { list = JSON.parse(out.slice(at)); } catch { continue; }
    if (Array.isArray(list)) return list.find((p) => p && p.name === name) || null;
  }
  throw new Error("pm2 jlist printed no list");
}`;

/**
 * `node -e WRITE <app> <script> <file>`: writes `<file>` (mode 600) with the app as it runs now,
 * pointed at `<script>`, interpreter none, fork mode. Keeps the app's env as PM2 holds it, minus
 * PM2's own bookkeeping and the SSH session's variables. Safe to repeat: with the app gone (an
 * interrupted delete/start) it keeps the file it wrote before.
 */
export const PM2_WRITE_ECOSYSTEM_JS = String.raw`${PM2_READ_APP_JS}
const fs = require("fs");
const [name, script, file] = process.argv.slice(1);
const app = findApp(name);
if (!app) {
  if (fs.existsSync(file)) { console.log("pm2 has no app " + name + " now; keeping " + file); process.exit(0); }
  console.error("pm2 has no app " + name); process.exit(1);
}
const e = app.pm2_env || {};
const drop = new Set(["PM2_HOME", "PM2_USAGE", "PM2_INTERACTOR_PROCESSING", "PM2_JSON_PROCESSING", "NODE_APP_INSTANCE", "pm_id", "unique_id", "name", name, "_", "PWD", "OLDPWD", "SHLVL"]);
const env = {};
for (const [k, v] of Object.entries(e.env || {})) if (typeof v === "string" && !drop.has(k) && !k.startsWith("SSH_")) env[k] = v;
const conf = { name, script, args: e.args || [], cwd: e.pm_cwd, interpreter: "none", exec_mode: "fork", env };
for (const k of ["kill_timeout", "listen_timeout", "max_memory_restart", "autorestart", "max_restarts", "min_uptime", "restart_delay", "exp_backoff_restart_delay", "merge_logs", "log_date_format", "namespace"]) if (e[k] !== undefined) conf[k] = e[k];
if (e.pm_out_log_path) conf.out_file = e.pm_out_log_path;
if (e.pm_err_log_path) conf.error_file = e.pm_err_log_path;
const tmp = file + ".tmp-" + process.pid;
fs.writeFileSync(tmp, "module.exports = " + JSON.stringify({ apps: [conf] }, null, 2) + ";\n", { mode: 0o600 });
fs.chmodSync(tmp, 0o600);
fs.renameSync(tmp, file);
console.log("wrote " + file + ": " + name + " runs " + script + " " + [].concat(conf.args).join(" ") + " (" + Object.keys(env).length + " env variables kept)");`;

/**
 * `node -e CHECK <app> <script> <gone-ok>`: exit 0 when the app runs `<script>` (or, with
 * gone-ok `1`, when no app has that name), 1 when not, 2 when pm2 cannot be asked.
 */
export const PM2_CHECK_SCRIPT_JS = String.raw`${PM2_READ_APP_JS}
const [name, script, goneOk] = process.argv.slice(1);
let app; try { app = findApp(name); } catch (error) { console.error(String(error)); process.exit(2); }
if (!app) { console.log("pm2 has no app " + name); process.exit(goneOk === "1" ? 0 : 1); }
const runs = (app.pm2_env || {}).pm_exec_path;
console.log(name + " runs " + runs);
process.exit(runs === script ? 0 : 1);`;

/** Where the adopted app's definition is kept on the host. */
export function pm2EcosystemPath(ctx: HostContext, app: string): string {
  return `${trimSlash(ctx.host.releasesDir)}/pm2-${app.replace(/[^A-Za-z0-9._-]/g, '_')}.config.cjs`;
}

function checkArgv(app: string, link: string, goneOk: boolean): string[] {
  return ['node', '-e', PM2_CHECK_SCRIPT_JS, app, link, goneOk ? '1' : '0'];
}

/**
 * Instead of `pm2 reload`: write the new definition, `pm2 delete` + `pm2 start` it (the gateway's
 * one restart), check it runs the link, `pm2 save` so a reboot resurrects the new definition.
 */
export function pm2AdoptSteps(ctx: HostContext, config: Pm2Config, env: Readonly<Record<string, string>>): PlanStep[] {
  const app = config.app;
  const link = releaseBinary(ctx.host, 'current');
  const file = pm2EcosystemPath(ctx, app);
  return [
    hostStep(ctx, 'adopt-config', `Write ${file}: ${app} on ${link}, same args, cwd and env`, 'install',
      command(['node', '-e', PM2_WRITE_ECOSYSTEM_JS, app, link, file], env), { safeToRepeat: true }),
    hostStep(ctx, 'adopt-delete', `pm2 delete ${app} (the gateway stops)`, 'switch', command(['pm2', 'delete', app], env), {
      safeToRepeat: false, verify: checkArgv(app, link, true), verifyEnv: env,
    }),
    hostStep(ctx, 'adopt-start', `pm2 start ${file} (${app} on ${link})`, 'switch', command(['pm2', 'start', file], env), {
      safeToRepeat: false, verify: checkArgv(app, link, false), verifyEnv: env,
    }),
    hostStep(ctx, 'adopt-check', `PM2 runs ${link}`, 'verify', command(checkArgv(app, link, false), env), { safeToRepeat: true }),
    hostStep(ctx, 'pm2-save', 'pm2 save (a reboot resurrects the new definition)', 'install', command(['pm2', 'save'], env), { safeToRepeat: true }),
  ];
}

/** The plan's line saying what changes in PM2's config. */
export function pm2AdoptionWarning(ctx: HostContext, adoption: Pm2Adoption): string {
  const link = releaseBinary(ctx.host, 'current');
  // Only names: the values stay on the host. PM2 also holds the inherited shell environment; that is kept too.
  const names = adoption.envNames.length === 0 ? '' : ` (${adoption.envNames.join(', ')})`;
  const args = adoption.args.length === 0 ? 'none' : adoption.args.join(' ');
  return `${ctx.host.name}: adopts PM2 app ${adoption.app}: runs ${adoption.script} today; after this upgrade it runs ${link} `
    + `(args kept: ${args}; env kept: ${adoption.envNames.length} variables${names} and the inherited environment; interpreter none, fork mode), `
    + `re-created from ${pm2EcosystemPath(ctx, adoption.app)} by pm2 delete + pm2 start in the upgrade's one restart; pm2 save. `
    + `${ctx.fromVersion ?? 'The running version'} is installed under ${ctx.host.releasesDir} too, so a rollback is a switch back`;
}
