/** The one-line description `clawops config check` prints for a valid config. Pure. */
import type { ClawopsConfig } from './schema.js';

/** e.g. `2 environments (staging: 1 host, production: 2 hosts), strategies pm2, blue-green; slack: off, discord: off` */
export function summarizeConfig(config: ClawopsConfig): string {
  const environments = Object.entries(config.environments);
  const perEnvironment = environments.map(([name, env]) => `${name}: ${count(env.hosts.length, 'host')}`).join(', ');
  const strategies = [...new Set(environments.flatMap(([, env]) => env.hosts.map((host) => host.strategy.kind)))];
  const slack = config.chat.slack ? `on (${config.chat.slack.mode} mode)` : 'off';
  const discord = config.chat.discord ? 'on' : 'off';
  return `${count(environments.length, 'environment')} (${perEnvironment}), ${strategies.length === 1 ? 'strategy' : 'strategies'} ${strategies.join(', ')}; slack: ${slack}, discord: ${discord}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
