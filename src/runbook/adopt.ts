/**
 * Adopting an install clawops did not lay out: OpenClaw installed "the usual way" (`npm i -g`
 * into a global prefix) and a PM2 app or systemd unit that runs it from there. The first upgrade
 * of such a host also moves it under `releasesDir` (see adopt-pm2.ts, adopt-systemd.ts); this
 * module decides whether a host needs that, and refuses, before anything runs, what cannot be
 * adopted, saying what to do instead.
 */
import { ClawopsError } from '../errors.js';
import type { HostConfig } from '../config/schema.js';
import { currentLink, releaseBinary, type HostContext } from './context.js';
import { isOpenclawScript, parseExecStart } from './adopt-exec-start.js';

export { isNodeBinary, isOpenclawScript } from './adopt-exec-start.js';

/** A PM2 app that runs openclaw from somewhere else than `<releasesDir>/current`. */
export interface Pm2Adoption {
  supervisor: 'pm2';
  app: string;
  /** What PM2 runs today (`pm_exec_path`). */
  script: string;
  /** argv prefix that runs the installed openclaw today (the script, or interpreter + script). */
  runningBinary: string[];
  args: string[];
  envNames: string[];
}

/** A systemd unit whose ExecStart runs openclaw from somewhere else than `<releasesDir>/current`. */
export interface SystemdAdoption {
  supervisor: 'systemd';
  unit: string;
  execStart: string;
  /** The same line with the binary replaced by `<releasesDir>/current/bin/openclaw`. */
  newExecStart: string;
  runningBinary: string[];
}

export type Adoption = Pm2Adoption | SystemdAdoption;

/** What a host needs: nothing (runs the link, or the facts cannot tell), adoption, or a refusal with the fix. */
export type AdoptionCheck =
  | { needed: false }
  | { needed: true; adoption: Adoption }
  | { needed: true; refusal: string };

/**
 * Whether `path` lies under `<releasesDir>/current`. A config path `~/x` is compared by what
 * follows the home (the plan does not know the remote $HOME; PM2 and systemd report absolute paths).
 */
export function runsLink(path: string, host: HostConfig): boolean {
  const link = releaseBinary(host, 'current');
  const dir = currentLink(host);
  if (path === link || path.startsWith(`${dir}/`)) return true;
  if (!dir.startsWith('~/') || !path.startsWith('/')) return false;
  return path.includes(`${dir.slice(1)}/`);
}

function pm2Check(ctx: HostContext, app: string): AdoptionCheck {
  const name = ctx.host.name;
  const facts = ctx.facts.pm2;
  if (facts === undefined) {
    // pm2 jlist failed or was not read: today's warning (pm2Warnings) says so; nothing to refuse on.
    if (ctx.facts.pm2Apps === undefined) return { needed: false };
    const listed = ctx.facts.pm2Apps.length === 0 ? 'it lists no apps' : `it lists ${ctx.facts.pm2Apps.join(', ')}`;
    return { needed: true, refusal: `${name}: PM2 has no app "${app}" (pm2 jlist: ${listed}): set strategy.app of ${name} in the fleet config to the app that runs the gateway (or start it under PM2 as "${app}"), then plan again` };
  }
  const script = facts.script;
  if (script === undefined || runsLink(script, ctx.host)) return { needed: false };
  if (facts.execMode === 'cluster') {
    return { needed: true, refusal: `${name}: PM2 app ${app} runs in cluster mode, which OpenClaw cannot do (a second instance exits 78) and clawops does not adopt: pm2 delete ${app}, start it again in fork mode with interpreter none (pm2 start openclaw --name ${app} --interpreter none -- gateway run …), pm2 save, then plan again` };
  }
  if (!isOpenclawScript(script)) {
    return { needed: true, refusal: `${name}: PM2 app ${app} runs ${script}, which is not an openclaw binary, so clawops cannot tell what to replace: point the app at openclaw's bin/openclaw (interpreter none), or set strategy.app to the app that runs the gateway, then plan again` };
  }
  const interpreter = facts.interpreter;
  const runningBinary = interpreter === undefined || interpreter === 'none' ? [script] : [interpreter, script];
  if (ctx.fromVersion === null) {
    return { needed: true, refusal: `${name}: the version of the running OpenClaw is unknown (${[...runningBinary, '--version'].join(' ')} gave none), so clawops cannot install it side by side for a rollback: make that command work for the SSH user ${ctx.host.user}, then plan again` };
  }
  return { needed: true, adoption: { supervisor: 'pm2', app, script, runningBinary, args: [...(facts.args ?? [])], envNames: [...(facts.envNames ?? [])] } };
}

function systemdCheck(ctx: HostContext, unit: string): AdoptionCheck {
  const name = ctx.host.name;
  const execStart = ctx.facts.systemdExecStart;
  if (execStart === undefined) return { needed: false };
  const parsed = parseExecStart(execStart);
  if (parsed !== null && runsLink(parsed.program, ctx.host)) return { needed: false };
  const openclaw = parsed?.openclaw;
  if (parsed === null || openclaw === undefined) {
    return { needed: true, refusal: `${name}: ${unit} ExecStart does not run openclaw (${execStart}), so clawops cannot tell what to replace: make ExecStart run openclaw's bin/openclaw (e.g. /usr/local/bin/openclaw gateway run --port 18789), or set strategy.unit to the gateway's unit, then plan again` };
  }
  if (ctx.fromVersion === null) {
    return { needed: true, refusal: `${name}: the version of the running OpenClaw is unknown (${[...openclaw.binary, '--version'].join(' ')} gave none), so clawops cannot install it side by side for a rollback: make that command work for the SSH user ${ctx.host.user}, then plan again` };
  }
  const newExecStart = `${parsed.prefix}${releaseBinary(ctx.host, 'current')}${openclaw.rest}`;
  return { needed: true, adoption: { supervisor: 'systemd', unit, execStart, newExecStart, runningBinary: openclaw.binary } };
}

/** Whether the host's supervisor runs `<releasesDir>/current/bin/openclaw`, and if not, whether clawops can make it. */
export function checkAdoption(ctx: HostContext): AdoptionCheck {
  const strategy = ctx.host.strategy;
  if (strategy.kind === 'pm2') return pm2Check(ctx, strategy.app);
  if (strategy.kind === 'systemd') return systemdCheck(ctx, strategy.unit);
  return { needed: false };
}

/** The adoption this host's upgrade makes, null when none; throws PLAN_INVALID (with the fix) when it cannot be adopted. */
export function adoptionFor(ctx: HostContext): Adoption | null {
  const check = checkAdoption(ctx);
  if (!check.needed) return null;
  if ('refusal' in check) throw new ClawopsError('PLAN_INVALID', check.refusal, { host: ctx.host.name });
  return check.adoption;
}

/** The argv prefix that runs the openclaw serving now: the adopted install's own binary, else the link. */
export function runningBinary(ctx: HostContext): string[] {
  const check = checkAdoption(ctx);
  return check.needed && 'adoption' in check ? [...check.adoption.runningBinary] : [releaseBinary(ctx.host, 'current')];
}
