#!/usr/bin/env node
// The OpenClaw test double: the subset of the real `openclaw` CLI that clawops' default runbook
// profile drives, with the real output formats (see DESIGN.md §2). Plain Node, no dependencies.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function real(path) {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

// The real launcher only runs when it is the main module. Loaded by PM2's Node wrapper
// (`pm2 start openclaw -- gateway run`) it does nothing, and the IPC channel keeps the process
// "online" forever without listening (DESIGN §2). dist/entry.js has no such check.
if (process.argv[1] && real(process.argv[1]) === real(fileURLToPath(import.meta.url))) {
  await import('./lib/cli.js');
}
