#!/usr/bin/env bash
# PostGIS benchmarks (BENCHMARKS.md, "PostGIS"): the bulk import rate, the start-up load of the index from the
# database, PostGIS-backed vs in-memory tile latency, and diachi side by side with Martin serving the same tiles
# from the same tables.
#
#   scripts/bench-postgis.sh                  # 1M households
#   HOUSEHOLDS=full scripts/bench-postgis.sh  # the national set (26.87M addresses; ~12 GB of disk for the cluster)
#
# What it does, on 127.0.0.1 only, in target/bench-postgis/:
#   1. a throwaway cluster (scripts/pg-cluster.sh), `diachi db import` timed,
#   2. `diachi serve --database-url` (RUST_LOG=warn), the load time from its log,
#   3. Martin (`cargo install martin --no-default-features --features postgres`, into target/bench-postgis/martin,
#      once) serving the very SQL of diachi's `pg_addresses` source as a PostgreSQL function source, so that both
#      servers send PostGIS the same query and return the same tiles,
#   4. the same list of z14 address tiles against diachi's in-memory `addresses` source, diachi's `pg_addresses` and
#      Martin: every tile once uncached (curl, p50/p99), then wrk over the cached tiles (req/s, p50, p99).
# wrk, the servers and PostgreSQL share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
HOUSEHOLDS=${HOUSEHOLDS:-1000000}
SEED=${SEED:-2025}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
TILES=${TILES:-2000}
OUT=$root/target/bench-postgis
PG_PORT=${PG_PORT:-55440}
PORT=${PORT:-18090}
MARTIN_PORT=${MARTIN_PORT:-18091}
MARTIN_VERSION=${MARTIN_VERSION:-1.14.0}
BIN=target/release/diachi
mkdir -p "$OUT"
chmod 711 "$OUT"
export RUST_LOG=warn,diachi::startup=info # the start-up timings, not one line per request

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
bash scripts/ensure-postgis.sh
cargo build --release --quiet --bin diachi
martin=$OUT/martin/bin/martin
if [[ ! -x $martin ]]; then
  echo "building Martin $MARTIN_VERSION (once)" >&2
  cargo install "martin@$MARTIN_VERSION" --locked --no-default-features --features postgres --root "$OUT/martin" \
    --quiet
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bash scripts/pg-cluster.sh stop "$OUT/pg"
}
trap cleanup EXIT

# 1. cluster and import
rm -rf "$OUT/pg"
url=$(bash scripts/pg-cluster.sh start "$OUT/pg" "$PG_PORT")
import_line=$("$BIN" db import --database-url "$url" --households "$HOUSEHOLDS" --seed "$SEED" --quiet 2>/dev/null)
echo "$import_line"
psql -q "$url" -c "VACUUM ANALYZE addresses"
# the table and its indexes in memory (shared buffers and the OS cache), so that whichever server asks PostGIS first
# does not pay for reading them from disk
psql -qAt "$url" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
  -c "SELECT pg_prewarm(c) FROM unnest(ARRAY['addresses', 'addresses_geom_idx', 'wards', 'wards_pkey']) c" >/dev/null
# Martin's function source: diachi's own tile SQL as a function
{
  echo "CREATE OR REPLACE FUNCTION public.bench_pg_addresses(z integer, x integer, y integer) RETURNS bytea"
  echo "LANGUAGE sql STABLE PARALLEL SAFE AS \$fn\$"
  cat crates/db/sql/tiles/addresses.sql
  echo "\$fn\$;"
} | psql -q "$url"

# 2. diachi on the database
t0=$(date +%s.%N)
"$BIN" serve --bind "127.0.0.1:$PORT" --database-url "$url" --tile-cache-mb 512 >"$OUT/diachi.log" 2>&1 &
pids+=($!)
python3 scripts/wait-ready.py "http://127.0.0.1:$PORT/ready" "${pids[0]}" 900
ready_s=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }')

# 3. Martin with the same query (its default in-memory tile cache on, as diachi's)
cat >"$OUT/martin.yaml" <<YAML
listen_addresses: "127.0.0.1:$MARTIN_PORT"
postgres:
  connection_string: "$url"
  pool_size: 20
  auto_publish: false
  functions:
    pg_addresses:
      schema: public
      function: bench_pg_addresses
      minzoom: 14
      maxzoom: 14
YAML
"$martin" --config "$OUT/martin.yaml" >"$OUT/martin.log" 2>&1 &
pids+=($!)
until curl -fsS "http://127.0.0.1:$MARTIN_PORT/health" >/dev/null 2>&1; do
  kill -0 "${pids[1]}" 2>/dev/null || { tail "$OUT/martin.log"; exit 1; }
  sleep 0.2
done

# 4. the tile list: z14 tiles of addresses spread over the set (same for every server)
psql -qAt "$url" -c "
  SELECT DISTINCT format('14/%s/%s',
    floor((ST_X(geom) + 180) / 360 * 16384)::int,
    floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 16384)::int)
  FROM addresses WHERE id % (SELECT greatest(1, (max(id) / ($TILES * 3))::bigint) FROM addresses) = 0" |
  shuf -n "$TILES" --random-source=<(yes) >"$OUT/tiles.txt"
echo "$(wc -l <"$OUT/tiles.txt") distinct z14 tiles" >&2

uncached() { # name url-prefix
  while read -r t; do
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{http_code} %{time_total} %{size_download}\n' "$2/$t"
  done <"$OUT/tiles.txt" >"$OUT/uncached-$1.txt"
  awk '{ print $2 }' "$OUT/uncached-$1.txt" | sort -g | awk -v name="$1" '{ t[++n] = $1; s += $1 }
    END { printf "| %s | %d | %.2f ms | %.2f ms | %.2f ms |\n", name, n, t[int(n * 0.5) + 1] * 1000, t[int(n * 0.99) + 1] * 1000, s / n * 1000 }'
}
cached() { # name url-prefix path-prefix encoding
  sed "s|^|/${3}|" "$OUT/tiles.txt" >"$OUT/paths-$1.txt"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency -H "Accept-Encoding: $4" \
    -s scripts/loadtest.lua "$2" -- "$OUT/paths-$1.txt" >"$OUT/wrk-$1-$4.txt" 2>&1
  awk -v name="$1" -v enc="$4" '/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
    /Non-2xx/ { bad = $NF } END { printf "| %s | %s | %s | %s | %s | %d |\n", name, enc, rps, p50, p99, bad }' \
    "$OUT/wrk-$1-$4.txt"
}
d=http://127.0.0.1:$PORT
m=http://127.0.0.1:$MARTIN_PORT
{
  echo "## PostGIS benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $HOUSEHOLDS households, $(nproc) cores shared"
  echo
  echo "import: $import_line"
  log=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/diachi.log")
  echo "serve --database-url ready after ${ready_s} s: $(grep -o 'load_ms=[0-9]*' <<<"$log" | head -1), $(grep -o 'index_ms=[0-9]*' <<<"$log" | head -1)"
  echo
  echo "First request of each tile (uncached: rendered in memory, or by PostGIS):"
  echo
  echo "| source | tiles | p50 | p99 | mean |"
  echo "|---|---:|---:|---:|---:|"
  uncached memory "$d/tiles/addresses"
  uncached diachi-postgis "$d/tiles/pg_addresses"
  uncached martin-postgis "$m/pg_addresses"
  echo
  echo "The same tiles again, cached (wrk, $THREADS threads, $CONNECTIONS connections, $DURATION each), with gzip"
  echo "accepted (what browsers and MapLibre send) and without:"
  echo
  echo "| server | Accept-Encoding | req/s | p50 | p99 | non-2xx |"
  echo "|---|---|---:|---:|---:|---:|"
  for enc in gzip identity; do
    cached memory "$d" tiles/addresses/ "$enc"
    cached diachi-postgis "$d" tiles/pg_addresses/ "$enc"
    cached martin-postgis "$m" pg_addresses/ "$enc"
  done
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/results.md"
