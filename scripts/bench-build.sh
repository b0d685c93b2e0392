#!/usr/bin/env bash
# Build times: a clean release build, then the rebuild after a one-line change (a comment appended) in an HTTP
# handler and in the resolver, for each revision given (default: HEAD), each in a worktree of its own with its own
# target folder under target/bench-build/. Prints one line per figure, in seconds of wall time.
#
#   scripts/bench-build.sh e9fdb12 HEAD      # before and after the workspace (BENCHMARKS.md, "Building")
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/bench-build
mkdir -p "$out"

# the first of the paths that exists in this revision (files moved into crates/ with the workspace)
first() { for f in "$@"; do [[ -f $f ]] && { echo "$f"; return; }; done; }

timed() { # label, command...
  local s e
  s=$(date +%s.%N)
  "${@:2}" >/dev/null 2>&1
  e=$(date +%s.%N)
  printf '%-10s %-28s %6.1f s\n' "$rev" "$1" "$(echo "$e - $s" | bc)"
}

touch_and_build() { # label, file
  cp "$2" "$2.bench-build.bak"
  echo '// bench-build' >>"$2"
  timed "$1" cargo build --release --locked
  mv "$2.bench-build.bak" "$2"
}

for rev in "${@:-HEAD}"; do
  tree=$out/$rev
  rm -rf "$tree"
  git worktree prune
  git worktree add --detach --force "$tree" "$rev" >/dev/null
  (
    cd "$tree"
    export CARGO_TARGET_DIR=$tree/target
    cargo fetch --locked >/dev/null
    timed "clean release build" cargo build --release --locked
    touch_and_build "one line in a handler" "$(first crates/server/src/http/routes/postcodes.rs src/http/routes/postcodes.rs)"
    touch_and_build "one line in the resolver" "$(first crates/resolve/src/parse.rs src/resolve/parse.rs)"
  )
  git worktree remove --force "$tree"
done
