import { describe, expect, it } from 'vitest';
import { fillTemplate, resolveOpenclaw } from '../../../src/runbook/template.js';
import { isClawopsError } from '../../../src/errors.js';
import { thrown } from './fixtures.js';

describe('fillTemplate', () => {
  it('fills each element on its own: a value with spaces or quotes stays one argument', () => {
    const argv = fillTemplate(['openclaw', 'backup', 'create', '--output', '{backupFile}'], { backupFile: "/b/it's a file; rm -rf ~.tar.gz" });
    expect(argv).toEqual(['openclaw', 'backup', 'create', '--output', "/b/it's a file; rm -rf ~.tar.gz"]);
  });

  it('fills several placeholders inside one element', () => {
    expect(fillTemplate(['npm', 'view', 'openclaw@{version}', '{a}{b}'], { version: '2026.9.6', a: 'x', b: 'y' })).toEqual(['npm', 'view', 'openclaw@2026.9.6', 'xy']);
  });

  it('rejects a placeholder with no value, naming it and the known ones', () => {
    const error = thrown(() => fillTemplate(['openclaw', '--port', '{prot}'], { port: '1' }, 'gatewayRun'));
    expect(isClawopsError(error, 'PLAN_INVALID')).toBe(true);
    expect((error as Error).message).toContain('{prot}');
    expect((error as Error).message).toContain('{port}');
    expect((error as Error).message).toContain('gatewayRun');
  });

  it('does not take a placeholder from the object prototype', () => {
    expect(isClawopsError(thrown(() => fillTemplate(['{toString}'], {})), 'PLAN_INVALID')).toBe(true);
  });

  it('rejects an unclosed placeholder', () => {
    expect(isClawopsError(thrown(() => fillTemplate(['--output', '{backupFile'], { backupFile: 'x' })), 'PLAN_INVALID')).toBe(true);
  });

  it('rejects an empty template', () => {
    expect(isClawopsError(thrown(() => fillTemplate([], {})), 'PLAN_INVALID')).toBe(true);
  });

  it('leaves Go template braces alone', () => {
    expect(fillTemplate(['docker', 'ps', '--format', '{{.ID}}\\t{{.Image}}'], {})).toEqual(['docker', 'ps', '--format', '{{.ID}}\\t{{.Image}}']);
  });
});

describe('resolveOpenclaw', () => {
  it('replaces argv[0] "openclaw" with the release binary', () => {
    expect(resolveOpenclaw(['openclaw', '--version'], ['~/r/current/bin/openclaw'])).toEqual(['~/r/current/bin/openclaw', '--version']);
  });

  it('can expand to several elements (docker compose exec)', () => {
    expect(resolveOpenclaw(['openclaw', 'doctor'], ['docker', 'compose', 'exec', '-T', 'oc', 'openclaw'])).toEqual(['docker', 'compose', 'exec', '-T', 'oc', 'openclaw', 'doctor']);
  });

  it('leaves other commands and later "openclaw" words as written', () => {
    expect(resolveOpenclaw(['node', '/opt/openclaw/entry.js', 'openclaw'], ['/x'])).toEqual(['node', '/opt/openclaw/entry.js', 'openclaw']);
    expect(resolveOpenclaw(['npm', 'install', 'openclaw'], ['/x'])).toEqual(['npm', 'install', 'openclaw']);
  });
});
