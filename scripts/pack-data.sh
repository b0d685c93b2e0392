#!/usr/bin/env bash
# Rebuilds data/ from the shared, licence-checked dataset (../shared/vn by default).
# The output is compressed deterministically (gzip -n: no name, no timestamp), so the same input gives the same bytes.
set -euo pipefail
src=${1:-../shared/vn}
out=$(dirname "$0")/../data
for f in wards.geojson provinces.geojson admin_mapping.csv ward_centroids.csv; do
  gzip -9 -n -c "$src/$f" > "$out/$f.gz"
done
cp "$src/postcode_prefixes.csv" "$out/postcode_prefixes.csv"
ls -l "$out"
