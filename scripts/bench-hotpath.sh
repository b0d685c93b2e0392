#!/usr/bin/env bash
# The hot path against its baselines (BENCHMARKS.md, "Hot path"), one server at a time, each pinned to one core with
# the load generator (wrk) pinned to the other:
#   - a bare actix-web handler (crates/server/examples/bare_handler.rs) that answers every request with a fixed JSON
#     body of the same size as diachi's answer, against `diachi serve` in its default configuration (as
#     scripts/serve.sh starts it: info logs, one line per request, metrics on), over the hot lookups: reverse,
#     postcode of a point, digital-address decode, nearest-k, cached tiles; 8 and 64 connections;
#   - the `wards` tiles at z11–z14 never asked before (a 5×5 neighbourhood around every ward centre), diachi from
#     memory against Martin serving the same ward polygons from PostGIS (cargo-installed once into a cache folder).
# Prints the ratio tables that go into BENCHMARKS.md, with the machine and dataset size.
#
#   scripts/bench-hotpath.sh                   # everything (~6 min, plus Martin's build the first time)
#   NO_MARTIN=1 scripts/bench-hotpath.sh       # the lookups only
#   DURATION=10s HOUSEHOLDS=1000000 scripts/bench-hotpath.sh
#
# Nothing is tuned for the benchmark: the lists are the ward centres of the real geography, the server is started
# as a user starts it, and no answer is cached by query string. Output in target/bench-hotpath/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench-hotpath
DURATION=${DURATION:-10s}
HOUSEHOLDS=${HOUSEHOLDS:-1000000}
SEED=${SEED:-2025}
PORT=${PORT:-18180}
PG_PORT=${PG_PORT:-18181}
MARTIN_PORT=${MARTIN_PORT:-18182}
MARTIN_VERSION=${MARTIN_VERSION:-1.14.0}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/diachi
SERVER_CORE=${SERVER_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
mkdir -p "$OUT"

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin diachi
cargo build --release --quiet -p diachi-server --example bare_handler
bin=${CARGO_TARGET_DIR:-target}/release/diachi
bare=${CARGO_TARGET_DIR:-target}/release/examples/bare_handler

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -d $OUT/pg ]] && bash scripts/pg-cluster.sh stop "$OUT/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. request lists: the 3,321 ward centres of the real geography, the digital addresses of the generated set
"$bin" generate --households "$HOUSEHOLDS" --seed "$SEED" --format csv 2>/dev/null |
  awk -F, 'NR > 1 && NR % 301 == 2 { print $NF }' | head -3321 >"$OUT/codes.txt"
python3 - "$OUT" <<'PY'
import csv, gzip, math, sys
out = sys.argv[1]
rows = list(csv.DictReader(gzip.open("data/ward_centroids.csv.gz", "rt", encoding="utf-8")))
pts = [(float(r["lat"]), float(r["lon"])) for r in rows]
def write(name, lines):
    with open(f"{out}/{name}.txt", "w") as f:
        f.write("".join(l + "\n" for l in lines))
write("reverse", [f"/v1/reverse?lat={la:.6f}&lon={lo:.6f}" for la, lo in pts])
write("postcode", [f"/v1/postcodes?lat={la:.6f}&lon={lo:.6f}" for la, lo in pts])
write("nearest", [f"/v1/addresses/nearest?lat={la:.6f}&lon={lo:.6f}&k=5" for la, lo in pts])
write("decode", [f"/v1/digital-addresses/{c.strip()}" for c in open(f"{out}/codes.txt") if c.strip()])
def tile(la, lo, z):
    n = 2 ** z
    x = int((lo + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(la))) / math.pi) / 2 * n)
    return x, y
seen, cold = set(), []
for z in (11, 12, 13, 14):
    for la, lo in pts:
        x0, y0 = tile(la, lo, z)
        for dx in range(-2, 3):
            for dy in range(-2, 3):
                t = (z, x0 + dx, y0 + dy)
                if t not in seen:
                    seen.add(t)
                    cold.append(t)
# interleave zooms as a map client would ask them (a fixed shuffle, the same in every run)
cold.sort(key=lambda t: (t[0] * 2654435761 + t[1] * 40503 + t[2] * 97) % 1000003)
write("tiles-cold", [f"{z}/{x}/{y}" for z, x, y in cold])
write("tiles-warm", [f"/tiles/wards/{z}/{x}/{y}.pbf" for z, x, y in cold[:2000]])
PY
sed 's|^|/tiles/wards/|; s|$|.pbf|' "$OUT/tiles-cold.txt" >"$OUT/tiles-cold-diachi.txt"
sed 's|^|/wards/|' "$OUT/tiles-cold.txt" >"$OUT/tiles-cold-martin.txt"
echo "lists: $(wc -l <"$OUT/reverse.txt") points, $(wc -l <"$OUT/decode.txt") codes, $(wc -l <"$OUT/tiles-cold.txt") cold tiles" >&2

# wrk over a list: one thread on the load core; prints "req/s p50_ms p99_ms non2xx errors"
load() { # base-url list connections [duration]
  taskset -c "$LOAD_CORE" wrk -t1 -c"$3" -d"${4:-$DURATION}" --timeout 10s --latency -s scripts/bench-hotpath.lua "$1" -- "$2" 2>&1 |
    awk '/^RESULT/ { print $2, $3, $4, $5, $6 }' | sed 's/[a-z_0-9]*=//g'
}
start_diachi() { # log
  taskset -c "$SERVER_CORE" "$bin" serve --bind "127.0.0.1:$PORT" --households "$HOUSEHOLDS" --seed "$SEED" >"$1" 2>&1 &
  pids+=($!)
  python3 scripts/wait-ready.py "http://127.0.0.1:$PORT/ready" "${pids[-1]}" 600
  # the tiles' zoom bands are prepared in the background after ready: measure once they are
  for _ in $(seq 1 600); do grep -q "zoom bands prepared" "$1" && break; sleep 0.5; done
}
stop_last() {
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
}
body_bytes() { # url: the median size of the first 31 answers of a list
  head -31 "$2" | while read -r p; do curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}\n' "$1$p"; done |
    sort -n | awk '{ s[++n] = $1 } END { print s[int(n / 2) + 1] }'
}

# 2. diachi, default configuration, each lookup at 8 and 64 connections
d=http://127.0.0.1:$PORT
start_diachi "$OUT/diachi.log"
declare -A res size
for list in reverse postcode decode nearest tiles-warm; do
  size[$list]=$(body_bytes "$d" "$OUT/$list.txt")
  [[ $list == tiles-warm ]] && load "$d" "$OUT/$list.txt" 8 3s >/dev/null # every tile once: cached
  for c in 8 64; do res[diachi-$list-$c]=$(load "$d" "$OUT/$list.txt" "$c"); done
done
log_lines=$(wc -l <"$OUT/diachi.log")
stop_last

# 3. the bare handler, one body size per lookup
for list in reverse postcode decode nearest tiles-warm; do
  taskset -c "$SERVER_CORE" "$bare" "127.0.0.1:$PORT" "${size[$list]}" 2>/dev/null &
  pids+=($!)
  until curl -fsS -o /dev/null "$d/x"; do sleep 0.1; done
  for c in 8 64; do res[bare-$list-$c]=$(load "$d" "$OUT/$list.txt" "$c"); done
  stop_last
done

# 4. cold tiles: diachi from memory (a fresh start), Martin from PostGIS on the same ward polygons
start_diachi "$OUT/diachi-cold.log"
res[cold-diachi]=$(load "$d" "$OUT/tiles-cold-diachi.txt" 8)
stop_last
if [[ -z ${NO_MARTIN:-} ]]; then
  martin=${MARTIN:-$CACHE/martin-$MARTIN_VERSION/bin/martin}
  if [[ ! -x $martin ]]; then
    echo "building Martin $MARTIN_VERSION into $CACHE (once)" >&2
    cargo install "martin@$MARTIN_VERSION" --locked --no-default-features --features postgres \
      --root "$CACHE/martin-$MARTIN_VERSION" --quiet
  fi
  bash scripts/ensure-postgis.sh
  rm -rf "$OUT/pg"
  url=$(bash scripts/pg-cluster.sh start "$OUT/pg" "$PG_PORT")
  "$bin" db import --database-url "$url" --households 1000 --seed "$SEED" --quiet >/dev/null 2>&1
  psql -qAt "$url" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "VACUUM ANALYZE wards" \
    -c "SELECT pg_prewarm(c) FROM unnest(ARRAY['wards', 'wards_geom_idx']) c" >/dev/null
  cat >"$OUT/martin.yaml" <<YAML
listen_addresses: "127.0.0.1:$MARTIN_PORT"
postgres:
  connection_string: "$url"
  auto_publish: false
  tables:
    wards:
      schema: public
      table: wards
      srid: 4326
      geometry_column: geom
      geometry_type: MULTIPOLYGON
      properties:
        code: text
        name: text
YAML
  taskset -c "$SERVER_CORE" "$martin" --config "$OUT/martin.yaml" >"$OUT/martin.log" 2>&1 &
  pids+=($!)
  until curl -fsS -o /dev/null "http://127.0.0.1:$MARTIN_PORT/health"; do
    kill -0 "${pids[-1]}" 2>/dev/null || { tail "$OUT/martin.log" >&2; exit 1; }
    sleep 0.2
  done
  res[cold-martin]=$(load "http://127.0.0.1:$MARTIN_PORT" "$OUT/tiles-cold-martin.txt" 8)
  stop_last
fi

# 5. the tables
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }'; }
{
  echo "## Hot path — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); server on core $SERVER_CORE, wrk on core $LOAD_CORE;"
  echo "$HOUSEHOLDS households (seed $SEED); $DURATION per run; diachi as \`scripts/serve.sh\` starts it ($log_lines log lines written)."
  echo
  echo "| lookup | body | conns | diachi req/s | p50 | p99 | bare req/s | p99 | ratio |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for list in reverse postcode decode nearest tiles-warm; do
    for c in 8 64; do
      read -r dr d50 d99 dbad derr <<<"${res[diachi-$list-$c]}"
      read -r br _ b99 _ _ <<<"${res[bare-$list-$c]}"
      echo "| $list | ${size[$list]} B | $c | $dr | $d50 ms | $d99 ms | $br | $b99 ms | **$(ratio "$dr" "$br")** |"
      [[ $dbad == 0 && $derr == 0 ]] || echo "| ↑ $dbad non-2xx, $derr errors | | | | | | | | |"
    done
  done
  echo
  echo "Cold \`wards\` tiles z11–z14 ($(wc -l <"$OUT/tiles-cold.txt") distinct, each asked once), 8 connections:"
  echo
  echo "| server | tiles/s | p50 | p99 |"
  echo "|---|---:|---:|---:|"
  read -r cr c50 c99 _ _ <<<"${res[cold-diachi]}"
  echo "| diachi (memory) | $cr | $c50 ms | $c99 ms |"
  if [[ -n ${res[cold-martin]:-} ]]; then
    read -r mr m50 m99 _ _ <<<"${res[cold-martin]}"
    echo "| Martin $MARTIN_VERSION (PostGIS) | $mr | $m50 ms | $m99 ms |"
    echo "| ratio | **$(ratio "$cr" "$mr")** | | |"
  fi
} | tee "$OUT/results.md"
