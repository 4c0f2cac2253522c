import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { quoteArg, toShellCommand } from '../../../src/remote/quote.js';
import { isClawopsError } from '../../../src/errors.js';

/** Runs the quoted command in a real shell and splits printf's NUL-terminated output back into argv. */
function roundTrip(shell: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string[] {
  const command = toShellCommand(['printf', '%s\\0', ...args]);
  // bash treats a socket on stdin (Node's pipes) like an sshd session and reads ~/.bashrc unless --norc.
  const shellArgs = shell === 'bash' ? ['--norc', '-c', command] : ['-c', command];
  const out = execFileSync(shell, shellArgs, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  return out.toString('utf8').split('\0').slice(0, -1);
}

const nasty = fc.constantFrom("'", '"', '$(reboot)', '`id`', '*', '?', '[a]', '\n', '\\', '$HOME', '~', '~/', ' ', '\t', ';', '&&', '|', '>', '!', '#', '{a,b}', '%s', '-n', '🦞', 'ü');
const word = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0')),
  fc.array(nasty, { maxLength: 6 }).map((parts) => parts.join('')).filter((s) => !s.startsWith('~')),
);

describe('toShellCommand', () => {
  for (const shell of ['sh', 'bash']) {
    test(`${shell} -c gives back exactly the argv for random strings`, () => {
      fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), (args) => {
        expect(roundTrip(shell, args)).toEqual(args);
      }), { numRuns: 150 });
    });
  }

  test('a leading ~/ becomes the remote home; the rest stays quoted', () => {
    const got = roundTrip('sh', ['~/a b/$(x)', '~', 'x~/y', '--o=~/z'], { HOME: '/home/it' });
    expect(got).toEqual(['/home/it/a b/$(x)', '/home/it', 'x~/y', '--o=~/z']);
    expect(quoteArg('~/a', false)).toBe("'~/a'");
  });

  test('env and cwd are applied and quoted', () => {
    const command = toShellCommand(['sh', '-c', 'printf "%s|%s|%s" "$A" "$B" "$PWD"'], { env: { A: "it's $(id)", B: '~/x' }, cwd: '/' });
    const out = execFileSync('sh', ['-c', command], { env: { HOME: '/h', PATH: process.env.PATH ?? '/usr/bin:/bin' } }).toString();
    expect(out).toBe("it's $(id)|/h/x|/");
  });

  test('bad env names, NUL bytes and empty argv are refused with PLAN_INVALID', () => {
    for (const bad of [() => toShellCommand(['x'], { env: { 'A-B': '1' } }), () => toShellCommand(['x'], { env: { '1A': '1' } }),
      () => toShellCommand(['x\0y']), () => toShellCommand([])]) {
      expect(bad).toThrow();
      try { bad(); } catch (error) { expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true); }
    }
  });
});
