#!/usr/bin/env bash
# npm run bench:<name> -- [options]: builds, then runs bench/<name>.ts, which prints JSON figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name="$1"
shift
. scripts/bootstrap.sh >&2
node dist/scripts/check-services.js
exec node "dist/bench/${name}.js" "$@"
