#!/usr/bin/env bash
# The service and its web map (http://127.0.0.1:8080/ by default): installs the web map's packages (MapLibre GL JS,
# from web/package-lock.json) when they are missing or stale, then runs `diachi serve` with the arguments given,
# e.g. `scripts/serve.sh --households 200000 --bind 127.0.0.1:8099`.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci writes web/node_modules/.package-lock.json; a copy of the lock file beside it tells whether it is current
if [[ ! -f web/node_modules/maplibre-gl/dist/maplibre-gl.js ]] || ! cmp -s web/package-lock.json web/node_modules/.diachi-lock; then
  echo "installing the web map's packages (npm ci --prefix web)" >&2
  npm ci --prefix web --no-audit --no-fund
  cp web/package-lock.json web/node_modules/.diachi-lock
fi
exec cargo run --release -- serve "$@"
