import { describe, expect, it } from 'vitest';
import { fleetUpdateType, parseVersion, updateType } from '../../../src/runbook/version.js';

describe('parseVersion', () => {
  it('reads `openclaw --version` output, image refs and bare versions', () => {
    expect(parseVersion('OpenClaw 2026.9.5 (ec9c1a1)\n')).toBe('2026.9.5');
    expect(parseVersion('openclaw/openclaw:2026.9.6@sha256:abc')).toBe('2026.9.6');
    expect(parseVersion('v2026.10.0-beta.2')).toBe('2026.10.0-beta.2');
  });

  it('returns null for nothing version-like', () => {
    expect(parseVersion('command not found')).toBeNull();
    expect(parseVersion(null)).toBeNull();
  });
});

describe('updateType', () => {
  it.each([
    ['2026.9.5', '2027.1.0', 'major'],
    ['2026.9.5', '2026.10.0', 'minor'],
    ['2026.9.5', '2026.9.6', 'patch'],
    ['2026.9.5', '2026.9.6-beta.1', 'prerelease'],
    ['2026.9.6', '2026.9.6', 'none'],
    ['2026.9.6', '2026.9.5', 'downgrade'],
  ] as const)('%s → %s is %s', (from, to, expected) => {
    expect(updateType(from, to)).toBe(expected);
  });

  it('measures a fleet from its oldest host, and calls any newer host a downgrade', () => {
    expect(fleetUpdateType(['2026.9.6', '2026.8.1'], '2026.9.6')).toBe('minor');
    expect(fleetUpdateType(['2026.9.5', '2026.9.7'], '2026.9.6')).toBe('downgrade');
    expect(fleetUpdateType(['2026.9.6', '2026.9.6'], '2026.9.6')).toBe('none');
  });
});
