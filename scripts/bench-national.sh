#!/usr/bin/env bash
# National-scale timing: the full synthetic set (26,870,079 households) generated, written as CSV, and indexed.
#
#   scripts/bench-national.sh            # HOUSEHOLDS=full by default
#   HOUSEHOLDS=10000000 scripts/bench-national.sh
#
# 1. `diachi generate --households full --format csv --out /dev/null` under /usr/bin/time -v
#    (geography + generation + CSV formatting; the file itself is not written);
# 2. `examples/build_national full` under /usr/bin/time -v: geography, generation and `NationalIndex::build`
#    timed separately, bytes per address, and peak RSS (VmHWM) — the start-up of `diachi serve` without serving —
#    then 200,000 nearest-address lookups on one thread (per wall second and per CPU second of that thread).
# Goals (issue): generated + indexed in < 60 s, < 4 GB; ≥ 1M addresses/s generated; < 100 bytes/address.
# Results: stdout and target/bench-national/results.txt. Everything is bounded (timeout 900 s per step).
set -euo pipefail

cd "$(dirname "$0")/.."
HOUSEHOLDS=${HOUSEHOLDS:-full}
OUT=${OUT:-target/bench-national}
mkdir -p "$OUT"

cargo build --release --bin diachi --example build_national

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "households: $HOUSEHOLDS"
} | tee "$OUT/results.txt"

# the fields of /usr/bin/time -v that matter
timev() { grep -E "Elapsed \(wall|Maximum resident|Percent of CPU|User time|System time" "$1" | sed 's/^\s*/  /'; }

echo "--- diachi generate --format csv --out /dev/null" | tee -a "$OUT/results.txt"
RUST_LOG=info timeout 900 /usr/bin/time -v target/release/diachi generate --households "$HOUSEHOLDS" --format csv \
  --out /dev/null >"$OUT/generate.log" 2>&1
sed 's/\x1b\[[0-9;]*m//g' "$OUT/generate.log" | grep -o 'generated .*' | sed 's/^/  /' | tee -a "$OUT/results.txt"
timev "$OUT/generate.log" | tee -a "$OUT/results.txt"

echo "--- examples/build_national (geography + generation + index, no serving)" | tee -a "$OUT/results.txt"
timeout 900 /usr/bin/time -v target/release/examples/build_national "$HOUSEHOLDS" >"$OUT/build.log" 2>&1
grep -E '^[a-z_]+=' "$OUT/build.log" | grep -v '^json=' | sed 's/^/  /' | tee -a "$OUT/results.txt"
timev "$OUT/build.log" | tee -a "$OUT/results.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/results.txt"

# goals
val() { sed -n "s/^$1=//p" "$OUT/build.log"; }
total=$(val total_s)
peak=$(val peak_rss_gib)
bpa=$(val bytes_per_address)
rate=$(val generate_addresses_per_s)
k1=$(val nearest_k1_per_cpu_s)
awk -v t="$total" -v p="$peak" -v b="$bpa" -v r="$rate" -v k="$k1" 'BEGIN {
  printf "goal generate+index < 60 s: %s s -> %s\n", t, (t < 60 ? "met" : "MISSED")
  printf "goal peak memory < 4 GB (3.73 GiB): %s GiB -> %s\n", p, (p * 1.073741824 < 4 ? "met" : "MISSED")
  printf "goal >= 1M addresses/s generated: %.2fM/s -> %s\n", r / 1e6, (r >= 1e6 ? "met" : "MISSED")
  printf "goal < 100 bytes/address (columns + R-tree): %s -> %s\n", b, (b < 100 ? "met" : "MISSED")
  printf "goal >= 1M nearest lookups/s/core (k = 1, per CPU second of one thread): %.2fM/s -> %s\n", k / 1e6, (k >= 1e6 ? "met" : "MISSED")
}' | tee -a "$OUT/results.txt"
