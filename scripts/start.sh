#!/usr/bin/env bash
# npm start (api + worker), npm run start:api, npm run start:worker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh
node dist/scripts/check-services.js

case "${1:-all}" in
  api) exec node dist/apps/api/src/main.js ;;
  worker) exec node --max-semi-space-size=8 dist/apps/worker/src/main.js ;;
  all)
    # One command for the whole system: the worker in the background, the API in the foreground; stopping
    # either (Ctrl-C, SIGTERM) stops both.
    node --max-semi-space-size=8 dist/apps/worker/src/main.js &
    worker=$!
    node dist/apps/api/src/main.js &
    api=$!
    trap 'kill -TERM "${api}" "${worker}" 2>/dev/null; wait' INT TERM
    wait -n "${api}" "${worker}"
    status=$?
    kill -TERM "${api}" "${worker}" 2>/dev/null || true
    wait || true
    exit "${status}"
    ;;
  *) echo "usage: scripts/start.sh [all|api|worker]" >&2; exit 2 ;;
esac
