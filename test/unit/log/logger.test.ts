import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../../src/log/logger.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const SECRET = 'xoxb-THIS-MUST-NOT-LEAK-4711';

describe('createLogger', () => {
  it('writes one JSON object per line with level and message', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream, pretty: false });
    logger.info({ host: 'gw-1' }, 'upgrade started');
    logger.debug('not at info level');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 30, msg: 'upgrade started', host: 'gw-1' });
  });

  it.each([
    ['a top-level token', { token: SECRET }],
    ['a nested bot token', { slack: { botToken: SECRET } }],
    ['a signing secret two levels down', { request: { body: { signingSecret: SECRET } } }],
    ['an app token', { appToken: SECRET }],
    ['a password', { ssh: { password: SECRET } }],
    ['a private key', { host: { privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----${SECRET}` } }],
    ['an authorization header', { headers: { authorization: `Bearer ${SECRET}` } }],
    ['a request authorization header', { req: { headers: { authorization: `Bot ${SECRET}` } } }],
    ['a whole config', { config: { chat: { slack: { botToken: SECRET, mode: 'socket' }, discord: { token: SECRET } }, redis: { url: `redis://:${SECRET}@db:6379` } } }],
  ])('never prints %s', (_what, fields) => {
    const out = capture();
    const logger = createLogger({ level: 'trace', destination: out.stream, pretty: false });
    logger.info(fields, 'with secret');
    logger.child({ job: '42' }).warn(fields, 'child with secret');
    const text = out.text();
    expect(text).toContain('with secret');
    expect(text).toContain(REDACTED);
    expect(text).not.toContain('THIS-MUST-NOT-LEAK');
  });

  it('redacts in pretty output too', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream, pretty: true });
    logger.info({ chat: { slack: { botToken: SECRET } }, headers: { authorization: SECRET } }, 'pretty line');
    const text = out.text();
    expect(text).toContain('pretty line');
    expect(text).not.toContain('THIS-MUST-NOT-LEAK');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('serializes errors with their message and stack', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream, pretty: false });
    logger.error({ err: new Error('disk full') }, 'failed');
    const line = JSON.parse(out.text()) as { err: { message: string; stack: string } };
    expect(line.err.message).toBe('disk full');
    expect(line.err.stack).toContain('logger.test.ts');
  });
});
