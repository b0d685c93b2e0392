#!/usr/bin/env bash
# Browser test of the web map (web/test/browser.mjs): the system Chromium, headless with software WebGL
# (SwiftShader), loads the page from a freshly built server and checks what the map renders at the national view,
# over Hà Nội and at an address, the search box, the click popup and a delivery plan (web/test/fixtures/plan.geojson);
# screenshots go to target/browser/*.png.
#
# Installs what it needs: Chromium (Debian package `chromium`, with sudo when not root) and the web packages
# (npm ci --prefix web). Without Chromium it fails under CI=true and skips (exit 0, with a message) elsewhere.
# Environment: CHROMIUM (default /usr/bin/chromium), BROWSER_HOUSEHOLDS (default 1000000, the
# service's default: fewer leave central Hà Nội's streets too short to hold their names), CARGO_TARGET_DIR (where
# cargo builds the binary, default target/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
chromium=${CHROMIUM:-/usr/bin/chromium}
households=${BROWSER_HOUSEHOLDS:-1000000}
ready_timeout_s=240
test_timeout_s=240

# 1. Chromium, from Debian
if [[ ! -x $chromium ]]; then
  echo "installing chromium (Debian package)"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
  if command -v apt-get >/dev/null; then
    "${sudo[@]}" apt-get update -qq || true
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
      >/dev/null || true
  fi
  if [[ ! -x $chromium ]]; then
    if [[ ${CI:-} == true ]]; then
      echo "chromium could not be installed ($chromium is missing): the browser test cannot run" >&2
      exit 1
    fi
    echo "SKIPPED: chromium could not be installed ($chromium is missing; apt-get install chromium, or set CHROMIUM)"
    exit 0
  fi
fi
"$chromium" --version 2>/dev/null || true

# 2. The web packages (MapLibre GL JS, puppeteer-core), when missing or stale
if [[ ! -d web/node_modules/puppeteer-core ]] || ! cmp -s web/package-lock.json web/node_modules/.diachi-lock; then
  echo "installing the web packages (npm ci --prefix web)"
  npm ci --prefix web --no-audit --no-fund --loglevel=error
  cp web/package-lock.json web/node_modules/.diachi-lock
fi

# 3. The server, from a private copy of the binary (a concurrent `cargo build` may replace target/release/diachi)
cargo build --release --quiet --bin diachi
work=$(mktemp -d)
cp "${CARGO_TARGET_DIR:-target}/release/diachi" "$work/diachi"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# run from the repository: the server reads web/node_modules/maplibre-gl/dist/ relative to its working directory
"$work/diachi" serve --bind "127.0.0.1:$port" --households "$households" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 4. Wait for /ready, up to a deadline; stop early if the server dies
if ! python3 "$root/scripts/wait-ready.py" "$base/ready" "$server" "$ready_timeout_s"; then
  echo "--- server log"
  tail -n 50 "$work/server.log"
  exit 1
fi
echo "server ready on port $port ($households households)"

# 5. The test
status=0
CHROMIUM=$chromium SCREENSHOTS=$root/target/browser timeout --kill-after=10 "$test_timeout_s" \
  node web/test/browser.mjs "$base" || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- browser test failed (exit $status); last lines of the server log:"
  tail -n 20 "$work/server.log"
fi
exit "$status"
