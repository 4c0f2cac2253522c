/** Bolt and the Slack SDKs log through this; it forwards to the clawops pino logger. */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../log/logger.js';

export function toBoltLogger(logger: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  let child = logger.child({ component: 'slack' });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]): void => {
    // The Web API client warns of every failed request; the adapter turns each into an error its
    // caller reports ("Slack auth.test failed: …"), so the SDK's own line is only detail.
    const method = level === 'warn' && typeof msg[0] === 'string' && msg[0].startsWith('http request failed') ? 'debug' : level;
    // Bolt logs whole payloads at debug on every request; never pay for formatting what pino drops.
    if (!child.isLevelEnabled(method)) return;
    child[method](msg.map((part) => (typeof part === 'string' ? part : part instanceof Error ? part.message : JSON.stringify(part))).join(' '));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    // pino's own level decides what is written; Bolt only asks so it can skip work.
    setLevel: (next) => { level = next; },
    getLevel: () => level,
    setName: (name) => { child = logger.child({ component: 'slack', name }); },
  };
}
