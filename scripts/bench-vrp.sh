#!/usr/bin/env bash
# Route quality of the courier router on the academic VRPTW instances (BENCHMARKS.md, "Delivery planning"):
# the 56 Solomon (100 customers) and 60 Gehring–Homberger (200 customers) instances against their best-known
# results, every solution checked by `vrp::check` before it counts.
#
#   scripts/bench-vrp.sh                       # both sets, 40,000 iterations, each solve capped at 0.95 s so that reading, solving and checking stay within 1 s
#   VRP_SET=solomon VRP_ITERATIONS=15000 scripts/bench-vrp.sh
#
# VRP_DIR names the folder holding solomon/ and homberger_200/ (default ../shared/vrp: the instances are not in the
# repository; see that folder's README for their source and licence). Solve times by size: `cargo bench --bench vrp`.
set -euo pipefail
cd "$(dirname "$0")/.."
export VRP_DIR=${VRP_DIR:-$PWD/../shared/vrp}
export VRP_ITERATIONS=${VRP_ITERATIONS:-40000}
export VRP_SECONDS=${VRP_SECONDS:-0.95}
[[ -d $VRP_DIR/solomon ]] || { echo "no instances in $VRP_DIR (set VRP_DIR)" >&2; exit 2; }
cargo bench --bench vrp_instances
