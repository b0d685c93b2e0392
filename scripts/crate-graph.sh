#!/usr/bin/env bash
# Prints the workspace's crate graph as ARCHITECTURE.md shows it: each diachi crate, bottom layer first, with the
# diachi crates it depends on (normal dependencies; dev-dependencies are left out). tests/architecture.rs checks that
# ARCHITECTURE.md holds exactly these lines.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --no-deps --format-version 1 --offline | python3 -c '
import json, sys
pkgs = {p["name"]: sorted(d["name"] for d in p["dependencies"] if d["name"].startswith("diachi") and d["kind"] is None)
        for p in json.load(sys.stdin)["packages"]}
depth = {}
def d(n):
    if n not in depth:
        depth[n] = 1 + max((d(x) for x in pkgs[n]), default=-1)
    return depth[n]
for n in sorted(pkgs, key=lambda n: (d(n), n)):
    print(n, "->", ", ".join(pkgs[n]) or "(none)")
'
