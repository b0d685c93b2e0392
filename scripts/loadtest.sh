#!/usr/bin/env bash
# HTTP load test of `diachi serve` on loopback with wrk (Debian package `wrk`, installed when missing).
#
#   scripts/loadtest.sh                      # 1M households, 2 wrk threads, 64 connections, 10 s per endpoint
#   HOUSEHOLDS=full DURATION=20s scripts/loadtest.sh
#   CONNECTIONS=16 THREADS=1 RUST_LOG=warn scripts/loadtest.sh
#
# What it does, all bounded in time and on 127.0.0.1 only:
#   1. builds the release binary when missing (or BUILD=1),
#   2. writes the request lists: addresses of the same set (same seed and size as the server) from
#      `diachi generate`, moved by a deterministic 0–100 m, for /v1/reverse and /v1/digital-addresses/encode;
#      their real digital addresses for /v1/digital-addresses/{code},
#   3. starts `diachi serve`, waits for /ready (bounded), runs wrk against
#      (a) /health — the baseline of the same run, (b) /v1/reverse, (c) /v1/digital-addresses/{code},
#      (d) /v1/digital-addresses/encode, (e) vector tiles (z6–z14 over the same addresses): each once uncached,
#      timed by curl, then with wrk from the cache, gzip accepted, and stops the server.
# wrk and the server share the machine's cores: with 2 cores, every figure is "server + load generator on 2 cores".
# Results: a Markdown table on stdout and in $OUT/results.md; raw wrk output in $OUT/wrk-*.txt.
set -euo pipefail

cd "$(dirname "$0")/.."
PORT=${PORT:-18080}
HOUSEHOLDS=${HOUSEHOLDS:-1000000}
SEED=${SEED:-2025}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WORKERS=${WORKERS:-0}           # server workers; 0 = one per core
POINTS=${POINTS:-10000}         # distinct request paths per endpoint
READY_TIMEOUT=${READY_TIMEOUT:-300}
OUT=${OUT:-target/loadtest}
export RUST_LOG=${RUST_LOG:-info} # the server's default: one log line per request
BIN=target/release/diachi
WRK_HEADER=()

mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.log "$OUT"/results.md
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..." >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null
  fi
fi
if [ ! -x "$BIN" ] || [ "${BUILD:-0}" = 1 ]; then
  cargo build --release --bin diachi
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "port $PORT is in use; set PORT=..." >&2
  exit 1
fi

# --- request lists ------------------------------------------------------------------------------------------------
# Every k-th address of the generated set (CSV: ..., lon, lat, digital_address are the last three fields, never
# quoted). The jitter is an integer hash of the row number, so the lists are the same on every machine.
echo "writing request lists from $HOUSEHOLDS households..." >&2
# the CSV is streamed, never written (it is ~130 bytes per address); the set has exactly HOUSEHOLDS addresses
case "$HOUSEHOLDS" in full) total=26870079 ;; *) total=${HOUSEHOLDS//_/} ;; esac
step=$(((total + POINTS - 1) / POINTS))
[ "$step" -ge 1 ] || step=1
timeout 600 "$BIN" generate --households "$HOUSEHOLDS" --seed "$SEED" --format csv 2>/dev/null |
  awk -F, -v step="$step" -v out="$OUT" 'NR > 1 && (NR - 2) % step == 0 {
    i = NR - 1
    dx = ((i * 2654435761) % 2001 - 1000) / 1e6   # -0.001 .. 0.001 degree (about ±100 m)
    dy = ((i * 40503) % 2001 - 1000) / 1e6
    lon = $(NF - 2) + dx; lat = $(NF - 1) + dy
    printf "/v1/reverse?lat=%.7f&lon=%.7f\n", lat, lon > out "/reverse.txt"
    printf "/v1/digital-addresses/encode?lat=%.7f&lon=%.7f\n", lat, lon > out "/encode.txt"
    printf "/v1/digital-addresses/%s\n", $NF > out "/codes.txt"
  }'
echo "/health" >"$OUT/health.txt"
# vector tiles over the same addresses: z6, z8, z10, z12 and z14 tiles of the map (distinct, at most TILES of them)
awk -F'[=&]' -v out="$OUT" 'function tile(z, lon, lat,   n, r) {
    n = 2 ^ z; r = lat * 3.141592653589793 / 180
    printf "/tiles/vietnam/%d/%d/%d.mvt\n", z, int((lon + 180) / 360 * n),
      int((1 - log(sin(r) / cos(r) + 1 / cos(r)) / 3.141592653589793) / 2 * n) > out "/tiles.all"
  }
  { lat = $2; lon = $4; tile(6, lon, lat); tile(8, lon, lat); tile(10, lon, lat); tile(12, lon, lat); tile(14, lon, lat) }' \
  "$OUT/reverse.txt"
sort -u "$OUT/tiles.all" | awk -v max="${TILES:-3000}" 'NR <= max' >"$OUT/tiles.txt" && rm -f "$OUT/tiles.all"
echo "$(wc -l <"$OUT/reverse.txt") points, $(wc -l <"$OUT/codes.txt") codes" >&2

# --- server -------------------------------------------------------------------------------------------------------
"$BIN" serve --bind "127.0.0.1:$PORT" --households "$HOUSEHOLDS" --seed "$SEED" --workers "$WORKERS" \
  >"$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() {
  if kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

URL="http://127.0.0.1:$PORT"
start=$(date +%s)
until curl -fsS --max-time 2 "$URL/ready" >/dev/null 2>&1; do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "server exited; log:" >&2
    tail -20 "$OUT/server.log" >&2
    exit 1
  fi
  if [ $(($(date +%s) - start)) -ge "$READY_TIMEOUT" ]; then
    echo "not ready after ${READY_TIMEOUT}s" >&2
    exit 1
  fi
  sleep 0.5
done
echo "ready after $(($(date +%s) - start)) s" >&2

# sanity: one request of each kind must answer 200
for f in reverse codes encode; do
  p=$(head -1 "$OUT/$f.txt")
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL$p")
  [ "$code" = 200 ] || { echo "GET $p answered $code" >&2; exit 1; }
done

# CPU seconds (user + system) of a process, from /proc/PID/stat
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

printf '| endpoint | req/s | p50 | p99 | non-2xx | errors | server CPU s / wall s |\n' >"$OUT/results.md"
printf '|---|---:|---:|---:|---:|---:|---:|\n' >>"$OUT/results.md"
run() {
  local name=$1 file=$2
  local c0 c1
  c0=$(cpu_s "$SERVER")
  timeout 300 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency "${WRK_HEADER[@]}" \
    -s scripts/loadtest.lua "$URL" -- "$OUT/$file" >"$OUT/wrk-$name.txt" 2>&1
  c1=$(cpu_s "$SERVER")
  awk -v name="$name" -v cpu="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }')" -v dur="${DURATION%s}" '
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
    /Non-2xx/ { non2xx = $NF }
    /Socket errors/ { err = $0; sub(/.*Socket errors: /, "", err) }
    END { printf "| %s | %s | %s | %s | %s | %s | %s / %s |\n", name, rps, p50, p99, non2xx + 0, (err == "" ? "0" : err), cpu, dur }
  ' "$OUT/wrk-$name.txt" >>"$OUT/results.md"
}

log0=$(stat -c %s "$OUT/server.log")
run health health.txt
run reverse reverse.txt
run digital-address codes.txt
run encode encode.txt

# tiles: first every tile once (uncached renders, timed by curl), then wrk on the now cached tiles with gzip
: >"$OUT/tiles-uncached.txt"
while read -r p; do
  curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{http_code} %{time_total} %{size_download}\n' "$URL$p"
done <"$OUT/tiles.txt" >>"$OUT/tiles-uncached.txt"
bad=$(awk '$1 != 200 && $1 != 204 { n++ } END { print n + 0 }' "$OUT/tiles-uncached.txt")
awk '{ print $2 }' "$OUT/tiles-uncached.txt" | sort -g | awk -v bad="$bad" '{ t[++n] = $1 }
  END { printf "tiles: %d distinct, first (uncached) request p50 %.1f ms, p99 %.1f ms, non-200/204: %d\n", n, t[int(n * 0.5) + 1] * 1000, t[int(n * 0.99) + 1] * 1000, bad }' \
  >"$OUT/tiles-uncached.md"
WRK_HEADER=(-H 'Accept-Encoding: gzip')
run tiles-cached tiles.txt
WRK_HEADER=()

log1=$(stat -c %s "$OUT/server.log")
# the server logs one line per request at RUST_LOG=info: keep the tail only, report the volume
tail -n 100 "$OUT/server.log" >"$OUT/server.tail.log" && rm -f "$OUT/server.log"
{
  echo
  cat "$OUT/tiles-uncached.md"
  echo "server log written during the runs: $(((log1 - log0) / 1048576)) MiB (RUST_LOG=${RUST_LOG})"
  echo "wrk ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION} per endpoint; server workers=${WORKERS} (0 = per core);"
  echo "${HOUSEHOLDS} households, seed ${SEED}; RUST_LOG=${RUST_LOG}; $(nproc) cores shared by wrk and the server;"
  echo "$(date -u +%Y-%m-%dT%H:%MZ); load average before: ${LOAD0}, after: $(cut -d" " -f1-3 /proc/loadavg)"
} >>"$OUT/results.md"
cat "$OUT/results.md"
