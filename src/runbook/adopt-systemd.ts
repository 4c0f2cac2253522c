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
 * The drop-in, written directly when the SSH user may (a user unit, or no sudo configured), else
 * staged under releasesDir and put in place by `sudo -n install` (the write-file action has no sudo).
 */
export function systemdAdoptSteps(ctx: HostContext, config: SystemdConfig, adoption: SystemdAdoption): PlanStep[] {
  const target = dropInPath(config);
  const content = dropInText(adoption);
  const title = `Drop-in ${target}: ExecStart runs ${adoption.newExecStart}`;
  if (config.user || !config.sudo) {
    return [hostStep(ctx, 'adopt-dropin', title, 'install', { type: 'write-file', path: target, content }, { safeToRepeat: true })];
  }
  const staged = `${trimSlash(ctx.host.releasesDir)}/systemd-${DROP_IN_NAME}`;
  return [
    hostStep(ctx, 'adopt-dropin-stage', `Stage the drop-in in ${staged}`, 'install', { type: 'write-file', path: staged, content }, { safeToRepeat: true }),
    hostStep(ctx, 'adopt-dropin', title, 'install', command(['sudo', '-n', 'install', '-D', '-m', '0644', staged, target]), { safeToRepeat: true }),
  ];
}

/** The plan's line saying what changes in the unit. */
export function systemdAdoptionWarning(ctx: HostContext, config: SystemdConfig, adoption: SystemdAdoption): string {
  return `${ctx.host.name}: adopts systemd unit ${adoption.unit}: ExecStart runs ${adoption.execStart} today; after this upgrade ${dropInPath(config)} `
    + `makes it ${adoption.newExecStart} (the unit file is not edited; delete the drop-in to undo), then daemon-reload and restart. `
    + `${ctx.fromVersion ?? 'The running version'} is installed under ${ctx.host.releasesDir} too, so a rollback is a switch back`;
}
