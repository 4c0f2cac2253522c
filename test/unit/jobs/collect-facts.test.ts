import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { collectHostFacts, liveColorFromUpstream, pm2FactsFromJlist } from '../../../src/jobs/collect-facts.js';
import { parseOpenClawVersion } from '../../../src/health/probes.js';
import { configSchema } from '../../../src/config/schema.js';
import { createLocalShell } from '../../harness/local-shell.js';
import { HOST_KEY } from '../../jobs/fixtures.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'clawops-facts-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

test('openclaw --version output parses to the version', () => {
  expect(parseOpenClawVersion('OpenClaw 2026.9.5 (ec9c1a1)\n')).toEqual({ version: '2026.9.5', commit: 'ec9c1a1' });
  expect(parseOpenClawVersion('2026.9.6')).toEqual({ version: '2026.9.6' });
  expect(parseOpenClawVersion('command not found')).toBeNull();
});

test('gateway status --json gives the running process version, and none while it runs replaced files', () => {
  expect(parseOpenClawVersion('{"rpc":{"ok":true,"server":{"version":"2026.9.2"}}}')).toEqual({ version: '2026.9.2' });
  expect(parseOpenClawVersion('[gateway] probing…\n{"rpc":{"ok":true,"server":{"version":null}}}')).toBeNull();
  expect(parseOpenClawVersion('{"rpc":{"ok":false,"error":"connect ECONNREFUSED 127.0.0.1:18789"}}')).toBeNull();
});

test('the live color is the upstream server that is not commented out or a backup', () => {
  const upstream = 'upstream openclaw_backend {\n  # server 127.0.0.1:18789;\n  server 127.0.0.1:19789 max_fails=0;\n}\n';
  expect(liveColorFromUpstream(upstream, 18789, 19789)).toBe('green');
  expect(liveColorFromUpstream('upstream b {\n server 127.0.0.1:18789;\n server 127.0.0.1:19789 backup;\n}', 18789, 19789)).toBe('blue');
  expect(liveColorFromUpstream('upstream b {\n}', 18789, 19789)).toBeNull();
});

test('pm2 jlist gives the app exec mode, wait_ready and timeouts', () => {
  const json = JSON.stringify([
    { name: 'other', pm2_env: { exec_mode: 'cluster_mode' } },
    { name: 'openclaw', pm2_env: { exec_mode: 'fork_mode', wait_ready: true, listen_timeout: 20000, kill_timeout: '15000', exec_interpreter: 'none' } },
  ]);
  expect(pm2FactsFromJlist(`[PM2] warning\n${json}`, 'openclaw')).toEqual({ execMode: 'fork', waitReady: true, listenTimeoutMs: 20000, killTimeoutMs: 15000, interpreter: 'none' });
  expect(pm2FactsFromJlist(json, 'missing')).toBeNull();
});

test('facts are read from a host: current release, releases installed side by side, live color', async () => {
  const releases = join(dir, 'releases');
  const bin = join(releases, '2026.9.5', 'bin');
  await mkdir(bin, { recursive: true });
  await mkdir(join(releases, '2026.9.6', 'bin'), { recursive: true });
  await writeFile(join(bin, 'openclaw'), '#!/bin/sh\necho "OpenClaw 2026.9.5 (ec9c1a1)"\n');
  await chmod(join(bin, 'openclaw'), 0o755);
  await import('node:fs/promises').then((fs) => fs.symlink(join(releases, '2026.9.5'), join(releases, 'current')));
  const upstreamFile = join(dir, 'upstream.conf');
  await writeFile(upstreamFile, 'upstream openclaw_backend {\n  server 127.0.0.1:18789;\n}\n');
  const config = configSchema.parse({
    environments: { production: { hosts: [{
      name: 'web-1', address: '127.0.0.1', hostKey: HOST_KEY, releasesDir: releases,
      // No pm2 on this host's PATH: running it would start a PM2 daemon on the test machine.
      env: { PATH: '/usr/bin:/bin' },
      strategy: { kind: 'blue-green', publicUrl: 'http://127.0.0.1:8080', nginx: { upstreamFile } },
    }] } },
  });
  const host = config.environments.production?.hosts[0];
  if (!host) throw new Error('no host');
  const facts = await collectHostFacts(createLocalShell(), host, config.runbook);
  expect(facts).toMatchObject({ host: 'web-1', currentVersion: '2026.9.5', liveColor: 'blue' });
  expect(facts.installedVersions.sort()).toEqual(['2026.9.5', '2026.9.6']);
  expect(facts.pm2).toBeUndefined();
});
