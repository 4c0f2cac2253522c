/**
 * The one way clawops makes a logger: pino, JSON lines by default, pino-pretty for a person at a
 * terminal, and secrets redacted by key wherever the common shapes put them.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Options for `createLogger`. */
export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines (pino-pretty); default: when the destination is a TTY. */
  pretty?: boolean;
  /** A file descriptor (default 1, stdout) or a stream (tests). */
  destination?: number | NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ process: 'worker' }`. */
  base?: Record<string, unknown>;
}

/** Keys whose values are secrets wherever they appear at the top level or one object down. */
const SECRET_KEYS = [
  'token', 'botToken', 'signingSecret', 'appToken', 'password', 'passphrase', 'privateKey',
  'secret', 'clientSecret', 'apiKey', 'accessToken', 'refreshToken', 'authorization', 'cookie',
];

/** What pino censors (fast-redact paths). Exported so tests and child loggers can see the contract. */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie',
  'req.headers.authorization', 'request.headers.authorization',
  // A whole config in a log line: its chat section is all tokens and channel ids; the Redis URL may hold a password.
  'config.chat.*', '*.config.chat.*', 'chat.slack', 'chat.discord',
  'config.redis.url', '*.config.redis.url', 'redis.url', 'redisUrl', '*.redisUrl',
];

export const REDACTED = '[redacted]';

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? 1;
  const pretty = options.pretty ?? isTty(destination);
  const settings = {
    level: options.level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    base: options.base ?? null,
    serializers: { err: pino.stdSerializers.err },
  };
  const stream: DestinationStream = pretty
    ? pinoPretty({ destination, sync: true, colorize: isTty(destination), ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
    : typeof destination === 'number'
      ? pino.destination({ dest: destination, sync: true })
      : destination as DestinationStream;
  return pino(settings, stream);
}

function isTty(destination: number | NodeJS.WritableStream): boolean {
  if (destination === 1) return process.stdout.isTTY === true;
  if (destination === 2) return process.stderr.isTTY === true;
  return typeof destination === 'object' && (destination as { isTTY?: unknown }).isTTY === true;
}
