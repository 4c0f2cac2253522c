#!/usr/bin/env bash
# Makes a fresh clone runnable: Debian packages for the sandbox (sshd, nginx, Redis; with --tests
# also the engines the tests start) and npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh "$@"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
