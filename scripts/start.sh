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

# Keeps a worker running: a worker that dies (out of memory, killed) is started again after a delay that doubles
# from 1 s up to 60 s and starts over once a worker has run for 5 minutes, so a worker that crashes at once
# does not spin. Runs until it gets SIGTERM, which it passes on to the worker.
supervise_worker() {
  local delay=1 started status worker_pid
  trap 'kill -TERM $(jobs -p) 2>/dev/null || true; wait; exit 0' TERM
  while :; do
    started=${SECONDS}
    (start_worker) &
    worker_pid=$!
    status=0
    wait "${worker_pid}" || status=$?
    # This script itself was killed (SIGKILL leaves no trap to run): nobody would stop a restarted worker.
    kill -0 "$$" 2>/dev/null || exit "${status}"
    if ((SECONDS - started >= 300)); then delay=1; fi
    if ((status > 128)); then
      echo "groundwork: the worker (pid ${worker_pid}) was killed by SIG$(kill -l $((status - 128))) (status ${status}); restarting it in ${delay} s" >&2
    else
      echo "groundwork: the worker (pid ${worker_pid}) exited with code ${status}; restarting it in ${delay} s" >&2
    fi
    # In the background and waited for, so that SIGTERM ends the delay at once (bash runs traps between commands).
    sleep "${delay}" &
    wait $! || true
    delay=$((delay * 2 > 60 ? 60 : delay * 2))
  done
}

case "${1:-all}" in
  api) exec node dist/apps/api/src/main.js ;;
  worker) start_worker ;;
  all)
    # One command for the whole system: the worker (restarted when it dies) in the background, the API in the
    # foreground. The API stopping, Ctrl-C or SIGTERM stops both.
    supervise_worker &
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
