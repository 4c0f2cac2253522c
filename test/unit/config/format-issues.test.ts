import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssue, formatPath, formatProblem, problemsFromZodError, showValue } from '../../../src/config/format-issues.js';
import { configSchema } from '../../../src/config/schema.js';

/** Every problem line zod reports for `value`, as the loader prints them (without YAML lines). */
function lines(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value, { error: describeIssue, reportInput: true });
  if (result.success) return [];
  return problemsFromZodError(result.error).map((problem) => formatProblem({ path: formatPath(problem.at), message: problem.message }));
}

describe('formatPath', () => {
  it('joins keys with dots and puts indices in brackets', () => {
    expect(formatPath(['environments', 'production', 'hosts', 1, 'port'])).toBe('environments.production.hosts[1].port');
    expect(formatPath([0, 'name'])).toBe('[0].name');
    expect(formatPath(['env', 'a b'])).toBe('env["a b"]');
    expect(formatPath([])).toBe('');
  });
});

describe('describeIssue', () => {
  const port = z.object({ port: z.number().int().min(1).max(65535) });

  it('quotes the received value of a wrong type', () => {
    expect(lines(port, { port: '22a' })).toEqual(['port: expected a number, got "22a"']);
    expect(lines(port, { port: true })).toEqual(['port: expected a number, got true']);
    expect(lines(port, { port: null })).toEqual(['port: expected a number, got an empty value']);
    expect(lines(port, { port: [22] })).toEqual(['port: expected a number, got a list']);
  });

  it('says a field is required when it is missing', () => {
    expect(lines(port, {})).toEqual(['port: required: expected a number']);
  });

  it('gives numeric bounds with the value', () => {
    expect(lines(port, { port: 0 })).toEqual(['port: must be at least 1, got 0']);
    expect(lines(port, { port: 70000 })).toEqual(['port: must be at most 65535, got 70000']);
    expect(lines(port, { port: 2.5 })).toEqual(['port: expected an integer, got 2.5']);
    expect(lines(z.number().positive(), 0)).toEqual(['must be greater than 0, got 0']);
  });

  it('lists the allowed values of an enum', () => {
    expect(lines(z.object({ level: z.enum(['info', 'debug']) }), { level: 'loud' })).toEqual(['level: expected one of info, debug, got "loud"']);
    expect(lines(z.object({ profile: z.literal('openclaw-cli') }), { profile: 'x' })).toEqual(['profile: expected openclaw-cli, got "x"']);
  });

  it('points a bad discriminator at its key and lists the kinds', () => {
    const strategy = z.discriminatedUnion('kind', [z.object({ kind: z.literal('pm2') }), z.object({ kind: z.literal('systemd') })]);
    expect(lines(z.object({ strategy }), { strategy: { kind: 'pm3' } })).toEqual(['strategy.kind: expected one of pm2, systemd, got "pm3"']);
    expect(lines(z.object({ strategy }), { strategy: {} })).toEqual(['strategy.kind: required: expected one of pm2, systemd']);
  });

  it('keeps messages written in the schema and appends the string received', () => {
    const schema = z.object({ at: z.string().regex(/^\d\d:\d\d$/, 'expected HH:MM') });
    expect(lines(schema, { at: '2am' })).toEqual(['at: expected HH:MM, got "2am"']);
  });

  it('describes lengths of lists and strings', () => {
    expect(lines(z.object({ hosts: z.array(z.string()).min(1) }), { hosts: [] })).toEqual(['hosts: must not be empty']);
    expect(lines(z.array(z.string()).min(2), ['a'])).toEqual(['needs at least 2 items']);
    expect(lines(z.object({ name: z.string().min(1) }), { name: '' })).toEqual(['name: must not be empty']);
  });

  it('names unknown keys of strict objects', () => {
    expect(lines(z.strictObject({ a: z.number() }), { a: 1, b: 2 })).toEqual(['unknown key "b" (check its spelling and indentation)']);
    expect(lines(z.strictObject({ a: z.number() }), { a: 1, b: 2, c: 3 })).toEqual(['unknown keys "b", "c" (check their spelling and indentation)']);
  });

  it('explains a URL that is not http(s)', () => {
    expect(lines(z.object({ url: z.url({ protocol: /^https?$/ }) }), { url: 'ftp://x' })).toEqual(['url: expected an http(s) URL, got "ftp://x"']);
  });

  it('reports a bad record key with the key', () => {
    const schema = z.object({ environments: z.record(z.string().regex(/^[a-z]+$/, 'use lowercase letters'), z.number()) });
    expect(lines(schema, { environments: { Prod: 1 } })).toEqual(['environments.Prod: invalid key "Prod": use lowercase letters']);
  });
});

describe('the config schema through the formatter', () => {
  it('produces the documented line for a wrong strategy kind and a bad port', () => {
    const host = (extra: object) => ({ name: 'a', address: 'x', hostKey: `SHA256:${'A'.repeat(43)}`, strategy: { kind: 'pm2' }, ...extra });
    const config = { environments: { production: { hosts: [host({ strategy: { kind: 'pm3' } }), host({ name: 'b', port: '22a' })] } } };
    expect(lines(configSchema, config)).toEqual([
      'environments.production.hosts[0].strategy.kind: expected one of pm2, systemd, blue-green, docker-compose, docker-swarm, got "pm3"',
      'environments.production.hosts[1].port: expected a number, got "22a"',
    ]);
  });
});

describe('showValue', () => {
  it('shows structures by kind, never their contents', () => {
    expect(showValue({ token: 'secret' })).toBe('a mapping');
    expect(showValue('x')).toBe('"x"');
    expect(showValue(undefined)).toBe('undefined');
  });
});
