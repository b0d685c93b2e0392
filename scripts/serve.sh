#!/usr/bin/env bash
# The service and its web map (http://127.0.0.1:8080/ by default): installs the web map's runtime package (MapLibre
# GL JS, from web/package-lock.json, ~20 MB; not the test tools) when it is missing or stale, builds the release binary
# (~5-9 min the first time on 2 cores, ~1.5 GB in target/), then runs `diachi serve` with the arguments given, e.g.
# `scripts/serve.sh --households 200000 --bind 127.0.0.1:8099`. The server logs "ready: open http://…/ for the map".
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci writes web/node_modules/.package-lock.json; a copy of the lock file beside it tells whether it is current
if [[ ! -f web/node_modules/maplibre-gl/dist/maplibre-gl.js ]] || ! cmp -s web/package-lock.json web/node_modules/.diachi-lock; then
  echo "installing the web map's package (npm ci --prefix web --omit=dev)" >&2
  npm ci --prefix web --omit=dev --no-audit --no-fund
  cp web/package-lock.json web/node_modules/.diachi-lock
fi
if [[ ! -x target/release/diachi ]]; then
  echo "building the release binary: the first build takes ~5-9 min on 2 cores (later ones seconds to ~1 min)" >&2
fi
exec cargo run --release -- serve "$@"
