import { expect, test } from 'vitest';
import { redactSecretsInText } from '../../../src/log/redact-text.js';

test.each([
  ['telegram botToken in JSON', '{"botToken": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1", "mode": "polling"}', '123456789:AAH'],
  ['env style', 'OPENCLAW_GATEWAY_TOKEN=3f9a0c77e1 started', '3f9a0c77e1'],
  ['bearer', 'GET /v1/x Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def', 'eyJhbGciOiJIUzI1NiJ9'],
  ['slack', 'slack: using xoxb-1234-5678-abcdefghijkl', 'xoxb-1234'],
  ['url credentials', 'redis://default:hunter2hunter2@10.0.0.5:6379', 'hunter2'],
  ['openai key', 'provider openai key sk-proj-abcdefghijklmnopqrstuv', 'sk-proj-abc'],
])('%s is redacted', (_name, line, secret) => {
  const out = redactSecretsInText(line);
  expect(out).not.toContain(secret);
  expect(out).toContain('[redacted]');
});

test('an ordinary failure line is kept as it is', () => {
  const line = 'Gateway failed to start: state database /root/.openclaw/state/openclaw.sqlite uses newer schema version 18; this build supports 17.';
  expect(redactSecretsInText(line)).toBe(line);
});
