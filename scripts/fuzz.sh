#!/usr/bin/env bash
# Fuzzes the address resolver with libFuzzer (cargo-fuzz) for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]      # default 60
#
# cargo-fuzz needs nightly-only compiler flags; the machine has one stable toolchain, so RUSTC_BOOTSTRAP=1 lets
# stable accept them (the fuzz crate is built apart from the main crate, in fuzz/target). The corpus grows in
# target/fuzz-corpus/resolve (not committed); it starts from the labelled set's inputs. Crashes are kept in
# fuzz/artifacts/ and make the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-60}"
if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi
CORPUS=target/fuzz-corpus/resolve
if [ ! -d "$CORPUS" ]; then
    mkdir -p "$CORPUS"
    python3 - "$CORPUS" <<'PY'
import json, sys, hashlib
out = sys.argv[1]
for i, line in enumerate(open("testdata/addresses-noisy.jsonl", encoding="utf-8")):
    if i % 20:
        continue
    text = json.loads(line)["input"].encode()
    with open(f"{out}/{hashlib.sha1(text).hexdigest()}", "wb") as f:
        f.write(b"\0" * 8 + text)
PY
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz run --fuzz-dir fuzz resolve "$CORPUS" -- -max_total_time="$SECONDS_TO_RUN" -max_len=2048 -rss_limit_mb=4096
