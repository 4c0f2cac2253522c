/**
 * Where the gateway really keeps its state must be where clawops backs up and restores: a PM2 app
 * started with its own `OPENCLAW_STATE_DIR` (or `--profile <name>`) while the config says the
 * default `~/.openclaw` would be upgraded with a backup of the wrong directory, and a restore
 * would bring back the wrong data. Refused before anything runs.
 */
import { ClawopsError } from '../errors.js';
import { DEFAULT_STATE_DIR, trimSlash, type HostContext } from './context.js';

/** The app's state dir: its OPENCLAW_STATE_DIR, else `~/.openclaw-<profile>` for `--profile`, else OpenClaw's default. */
export function appStateDir(stateDir: string | undefined, args: readonly string[] | undefined): { dir: string; source: string } {
  if (stateDir !== undefined) return { dir: trimSlash(stateDir), source: 'OPENCLAW_STATE_DIR in its env' };
  const at = (args ?? []).findIndex((arg) => arg === '--profile' || arg.startsWith('--profile='));
  const profile = at < 0 ? undefined : (args?.[at]?.includes('=') ? args[at]?.split('=')[1] : args?.[at + 1]);
  if (profile !== undefined && profile !== '') return { dir: `${DEFAULT_STATE_DIR}-${profile}`, source: `--profile ${profile}` };
  return { dir: DEFAULT_STATE_DIR, source: 'OpenClaw\'s default' };
}

/** `~/x` and `<home>/x` name the same dir; null when that cannot be told (no home known). */
function sameDir(a: string, b: string, home: string | undefined): boolean | null {
  const expand = (dir: string) => (dir === '~' || dir.startsWith('~/') ? (home === undefined ? null : `${trimSlash(home)}${dir.slice(1)}`) : dir);
  const [x, y] = [trimSlash(a), trimSlash(b)];
  if (x === y) return true;
  const [ex, ey] = [expand(x), expand(y)];
  return ex === null || ey === null ? null : trimSlash(ex) === trimSlash(ey);
}

/** Throws PLAN_INVALID when the PM2 app's state dir is not the host's configured `stateDir`. */
export function assertPm2StateDir(ctx: HostContext, app: string): void {
  const facts = ctx.facts.pm2;
  if (facts === undefined) return;
  const { dir, source } = appStateDir(facts.stateDir, facts.args);
  if (sameDir(dir, ctx.host.stateDir, facts.home) !== false) return;
  throw new ClawopsError('PLAN_INVALID', `${ctx.host.name}: PM2 app ${app} keeps its state in ${dir} (${source}), but the config says stateDir ${ctx.host.stateDir}: `
    + `the backup and any restore would miss the gateway's data. Set stateDir: ${dir} for ${ctx.host.name} in clawops.yml and plan again`,
  { host: ctx.host.name, appStateDir: dir, configStateDir: ctx.host.stateDir });
}
