#!/usr/bin/env bash
# npm test: every test tier (unit specs, integration, e2e) against the real local PostgreSQL and Redis.
# Each test file creates its own database and Redis key prefix and removes them afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh

# Tools the tests drive: qpdf (encrypted PDFs) and Chromium (the dashboard e2e).
missing=()
command -v qpdf >/dev/null || missing+=(qpdf)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[test] installing ${missing[*]} from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
node dist/scripts/check-services.js

# Lint first: a regular expression that can backtrack super-linearly on user text fails the run (STYLE.md).
npm run --silent lint

rm -rf test-artifacts && mkdir -p test-artifacts
# Files run in parallel processes (two cores); each test file is isolated by its own database.
exec node --test --test-concurrency=2 --test-reporter=spec \
  $(find dist -path dist/node_modules -prune -o \( -name '*.spec.js' -o -name '*.test.js' \) -print | sort)
