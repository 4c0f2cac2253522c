import { describe, expect, it } from 'vitest';
import { analyzeChangelogs, parseChangelog } from '../../../src/runbook/changelog.js';
import { CHANGELOG_2026_9_2, CHANGELOG_2026_9_6 } from './fixtures.js';

const REPO_CHANGELOG = `# Changelog

All notable changes to OpenClaw.

## 2026.9.4

### Breaking Changes

- Config: \`channels.slack.token\` moved to \`channels.slack.botToken\`.

### Fixes

- Gateway: close idle WebSockets after 10 minutes.

## 2026.9.3

### Changes

- Doctor: reports stale plugin caches.

## 2026.9.1

### Changes

- **Breaking — Plugins:** the v1 plugin API was removed.
`;

describe('parseChangelog', () => {
  it('reads a per-release tarball CHANGELOG.md: sections, bullets and wrapped lines', () => {
    const [release, ...rest] = parseChangelog(CHANGELOG_2026_9_6);
    expect(rest).toEqual([]);
    expect(release?.version).toBe('2026.9.6');
    expect(release?.bullets.map((bullet) => bullet.section)).toEqual(['Highlights', 'Highlights', 'Changes', 'Changes', 'Fixes']);
    expect(release?.bullets.at(-1)?.text).toBe('Fixed a crash when a skill returned an empty reply while the channel was reconnecting.');
  });

  it('splits the repo file into releases', () => {
    expect(parseChangelog(REPO_CHANGELOG).map((release) => release.version)).toEqual(['2026.9.4', '2026.9.3', '2026.9.1']);
  });
});

describe('analyzeChangelogs', () => {
  it('flags a **Breaking…** bullet, a schema migration, a Node requirement and a new config option', () => {
    const findings = analyzeChangelogs({ '2026.9.6': CHANGELOG_2026_9_6 }, '2026.9.5', '2026.9.6');
    expect(findings.breaking).toEqual(['2026.9.6: **Breaking — Node runtime:** OpenClaw now requires Node 24.16 or newer; Node 22 is no longer supported.']);
    expect(findings.migrations).toEqual(['2026.9.6: Sessions database: a schema migration runs on first start and keeps a `.pre-startup-migration-*.bak` copy.']);
    expect(findings.runtime).toEqual(['2026.9.6: **Breaking — Node runtime:** OpenClaw now requires Node 24.16 or newer; Node 22 is no longer supported.']);
    expect(findings.newConfig).toEqual(['2026.9.6: Gateway: added a new config option `gateway.http.maxBodyBytes` to cap request bodies.']);
  });

  it('finds nothing in a plain fixes release', () => {
    expect(analyzeChangelogs({ '2026.9.2': CHANGELOG_2026_9_2 }, '2026.9.1', '2026.9.2')).toEqual({ breaking: [], migrations: [], runtime: [], newConfig: [] });
  });

  it('treats every bullet under a Breaking heading as breaking, and keeps only releases in (from, to]', () => {
    const findings = analyzeChangelogs({ repo: REPO_CHANGELOG }, '2026.9.1', '2026.9.4');
    expect(findings.breaking).toEqual(['2026.9.4: Config: `channels.slack.token` moved to `channels.slack.botToken`.']);
  });

  it('stitches per-version files in version order', () => {
    const findings = analyzeChangelogs({ '2026.9.6': CHANGELOG_2026_9_6, repo: REPO_CHANGELOG }, '2026.9.0', '2026.9.6');
    expect(findings.breaking.map((entry) => entry.split(':')[0])).toEqual(['2026.9.1', '2026.9.4', '2026.9.6']);
  });

  it('uses the file key as the version when the text has no heading', () => {
    const findings = analyzeChangelogs({ '2026.9.6': '### Changes\n\n- **Breaking:** drops the legacy webhook path.\n' }, '2026.9.5', '2026.9.6');
    expect(findings.breaking).toEqual(['2026.9.6: **Breaking:** drops the legacy webhook path.']);
  });
});
