/**
 * systemd adoption steps: a drop-in that resets ExecStart and sets the same line with the binary
 * replaced by `<releasesDir>/current/bin/openclaw`; the unit file itself is left as it is, so
 * removing the drop-in undoes the adoption.
 */
import type { StrategyConfig } from '../config/schema.js';
import type { SystemdAdoption } from './adopt.js';
import { command, hostStep, trimSlash, type HostContext } from './context.js';
import type { PlanStep } from './types.js';

type SystemdConfig = Extract<StrategyConfig, { kind: 'systemd' }>;

export const DROP_IN_NAME = 'clawops-release.conf';

/** `/etc/systemd/system/<unit>.service.d/clawops-release.conf`, or under `~/.config/systemd/user` for a user unit. */
export function dropInPath(config: SystemdConfig): string {
  const unit = /\.[a-z]+$/.test(config.unit) ? config.unit : `${config.unit}.service`;
  const base = config.user ? '~/.config/systemd/user' : '/etc/systemd/system';
  return `${base}/${unit}.d/${DROP_IN_NAME}`;
}

export function dropInText(adoption: SystemdAdoption): string {
  return [
    '# Written by clawops: runs the release <releasesDir>/current points at.',
    `# Before: ExecStart=${adoption.execStart}`,
    '[Service]',
    'ExecStart=',
    `ExecStart=${adoption.newExecStart}`,
    '',
  ].join('\n');
}

/**
 * Makes the drop-in's ExecStart absolute in place: systemd refuses a `~/` program ("bad unit file
 * setting", seen on systemd 252 with the default `~/.clawops/releases`), and `%h` is root's home
 * for a system unit, not the SSH user's. `$1` is `~/`, which the remote shell expands to the SSH
 * user's home (src/remote/quote.ts); only the program after `ExecStart=` and its prefixes changes.
 */
export const HOME_IN_EXEC_START_SH = `awk -v home="$1" '{ if (match($0, /^ExecStart=[-@:+!]*~\\//)) $0 = substr($0, 1, RLENGTH - 2) home substr($0, RLENGTH + 1); print }' "$2" > "$2.tmp" && mv -f "$2.tmp" "$2"`;

/**
 * The drop-in: staged under releasesDir (the write-file action has no sudo), its `~/` resolved as
 * the SSH user, then put in place by `install` (`sudo -n install` when the config says sudo).
 */
export function systemdAdoptSteps(ctx: HostContext, config: SystemdConfig, adoption: SystemdAdoption): PlanStep[] {
  const target = dropInPath(config);
  const staged = `${trimSlash(ctx.host.releasesDir)}/systemd-${DROP_IN_NAME}`;
  const sudo = config.sudo && !config.user ? ['sudo', '-n'] : [];
  const resolve = adoption.newExecStart.replace(/^[-@:+!]*/, '').startsWith('~/')
    ? [hostStep(ctx, 'adopt-dropin-home', `Resolve ~ in the staged drop-in (systemd needs an absolute ExecStart)`, 'install',
      command(['sh', '-c', HOME_IN_EXEC_START_SH, 'sh', '~/', staged]), { safeToRepeat: true })]
    : [];
  return [
    hostStep(ctx, 'adopt-dropin-stage', `Stage the drop-in in ${staged}`, 'install', { type: 'write-file', path: staged, content: dropInText(adoption) }, { safeToRepeat: true }),
    ...resolve,
    hostStep(ctx, 'adopt-dropin', `Drop-in ${target}: ExecStart runs ${adoption.newExecStart}`, 'install',
      command([...sudo, 'install', '-D', '-m', '0644', staged, target]), { safeToRepeat: true }),
  ];
}

/** The plan's line saying what changes in the unit. */
export function systemdAdoptionWarning(ctx: HostContext, config: SystemdConfig, adoption: SystemdAdoption): string {
  return `${ctx.host.name}: adopts systemd unit ${adoption.unit}: ExecStart runs ${adoption.execStart} today; after this upgrade ${dropInPath(config)} `
    + `makes it ${adoption.newExecStart} (the unit file is not edited; delete the drop-in to undo), then daemon-reload and restart. `
    + `${ctx.fromVersion ?? 'The running version'} is installed under ${ctx.host.releasesDir} too, so a rollback is a switch back`;
}
