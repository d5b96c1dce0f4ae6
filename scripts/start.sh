#!/usr/bin/env bash
# npm start (api + worker), npm run start:api, npm run start:worker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap.sh
node dist/scripts/check-services.js

# The worker with its runtime settings (heap caps, malloc arenas) from apps/worker/worker.env, the file
# docker-compose.yml and the tests also use; the API does not get them.
start_worker() {
  set -a
  . apps/worker/worker.env
  set +a
  exec node dist/apps/worker/src/main.js
}

case "${1:-all}" in
  api) exec node dist/apps/api/src/main.js ;;
  worker) start_worker ;;
  all)
    # One command for the whole system: the worker in the background, the API in the foreground; stopping
    # either (Ctrl-C, SIGTERM) stops both.
    (start_worker) &
    worker=$!
    node dist/apps/api/src/main.js &
    api=$!
    trap 'kill -TERM "${api}" "${worker}" 2>/dev/null; wait' INT TERM
    # `|| status=$?`: under `set -e` a failed process would end this script here, leaving the other running.
    status=0
    wait -n "${api}" "${worker}" || status=$?
    kill -TERM "${api}" "${worker}" 2>/dev/null || true
    wait || true
    exit "${status}"
    ;;
  *) echo "usage: scripts/start.sh [all|api|worker]" >&2; exit 2 ;;
esac
