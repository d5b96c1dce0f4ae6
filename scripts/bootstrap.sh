#!/usr/bin/env bash
# Prepares this checkout to run: Node >= 22, npm dependencies, the pgvector extension in the local PostgreSQL,
# and a fresh build. Every step is skipped when already done, so `npm start` / `npm test` stay fast.
# Source it (`. scripts/bootstrap.sh`) so the PATH with Node 24 carries over to the caller.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "[bootstrap] $*" >&2; }

# 1. Node >= 22. The npm package node@24 ships the official binary; installed under /usr/local it comes first on PATH.
export PATH="/usr/local/bin:${PATH}"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  log "Node $(node --version 2>/dev/null || echo none) is too old; installing Node 24 from the npm registry"
  npm install -g --prefix /usr/local --no-fund --no-audit node@24 >/dev/null
  hash -r
  [ "$(node_major)" -ge 22 ] || { echo "bootstrap: could not install Node >= 22 (got $(node --version))" >&2; exit 1; }
fi

# 2. Dependencies, reinstalled only when package-lock.json changed. Nothing here builds a native addon;
# should one appear, it must compile against the running Node's headers, not npm's configured nodedir.
unset npm_config_nodedir
stamp=node_modules/.groundwork-lock-sha
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "${stamp}" ] || [ "$(cat "${stamp}")" != "${lock_sha}" ]; then
  log "installing npm dependencies"
  # `npm ci`, as the Dockerfile does: it installs exactly the lock file and fails when the lock does not match
  # package.json, so every test run checks that a deployment's install would work.
  npm ci --no-fund --no-audit --loglevel=error >/dev/null
  echo "${lock_sha}" > "${stamp}"
fi

# 3. pgvector for the local PostgreSQL server (built from Debian's source package when missing).
if [ -z "${SKIP_PGVECTOR_INSTALL:-}" ]; then
  bash scripts/ensure-pgvector.sh
fi

# 4. Build (tsc is incremental: a no-op build takes a second or two).
npm run --silent build
