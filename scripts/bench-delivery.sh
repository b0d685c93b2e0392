#!/usr/bin/env bash
# Delivery planning end to end (BENCHMARKS.md, "Delivery planning"): a province's 100,000-shipment batch and a
# national day of 500,000 shipments through `delivery::plan` (locate, assign, route), on the embedded 1M set.
#
#   scripts/bench-delivery.sh                              # both runs
#   DAY_HOUSEHOLDS=full scripts/bench-delivery.sh          # over the full national set
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bench delivery_day
run() { cargo bench --bench delivery_day 2>&1 | grep -v '^\s*\(Finished\|Running\|Compiling\)'; }
echo "== a province: 100,000 shipments in Hà Nội (01)"
DAY_SHIPMENTS=100000 DAY_PROVINCE=01 run
echo "== a national day: 500,000 shipments"
DAY_SHIPMENTS=500000 run
