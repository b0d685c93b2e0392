#!/usr/bin/env bash
# Runs every test of the project; CI runs exactly this (`.ci/run`). Exits non-zero if any phase fails.
#
#   fmt           cargo fmt --check
#   clippy        cargo clippy --all-targets: errors (deny-level lints, e.g. unwrap_used) fail, warnings are counted
#   tests         cargo nextest run (lib, bins, integration tests; `cargo test` if nextest is missing), the
#                 database tests included: scripts/ensure-postgis.sh installs PostgreSQL 15 + PostGIS 3 first, and
#                 each test starts its own throwaway cluster (tests/db/harness.rs)
#   doctests      cargo test --doc
#   schemathesis  scripts/schemathesis.sh: the running API against its OpenAPI document, every check
#   abuse         scripts/abuse-test.sh: hostile and normal clients against the release server for ~40 s; fails on a 5xx,
#                 a non-JSON error, a broken promise of the security fixes, RSS or probe p99 over their bounds
#   style         styles/diachi.json against the MapLibre style specification (gl-style-validate, web/ packages)
#   browser       scripts/browser-test.sh: the web map in headless Chromium against a running server
#   fuzz          scripts/fuzz.sh: the address resolver under libFuzzer (cargo-fuzz) for FUZZ_SECONDS (default 60)
#
# Every phase runs even after a failure; the last line is the count of phases passed and failed.
# Environment: ONLY="fmt clippy" runs only the phases named; VERBOSE=1 prints all clippy warnings.
set -euo pipefail
cd "$(dirname "$0")/.."

fmt_color=auto
[[ -t 1 ]] || fmt_color=never # rustfmt colours its diffs even into a log file
if [[ ${CI:-} == true ]]; then
  export CARGO_INCREMENTAL=0 # a cold build either way: incremental data would only cost time and disk
fi

passed=0
failed=0
report=()
failed_names=()
# each phase's output is also kept in target/test-logs/PHASE.log; a failed phase's tail is printed again at the end
logs=target/test-logs
mkdir -p "$logs"

run_phase() {
  local name=$1
  shift
  if [[ -n ${ONLY:-} && " $ONLY " != *" $name "* ]]; then
    return 0
  fi
  echo
  echo "=== $name"
  local start=$SECONDS status=0 log=$logs/$name.log
  set +e
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  local took=$((SECONDS - start))
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
    report+=("$(printf '  %-13s ok      %4ss' "$name" "$took")")
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    report+=("$(printf '  %-13s FAILED  %4ss  (exit %s)' "$name" "$took" "$status")")
  fi
  echo "=== $name: $([[ $status -eq 0 ]] && echo ok || echo "FAILED (exit $status)") in ${took}s"
}

clippy() {
  local log status=0
  log=$(mktemp)
  cargo clippy --workspace --all-targets --keep-going --locked --quiet >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 || -n ${VERBOSE:-} ]]; then
    cat "$log"
  else
    # warn-level lints (clippy::pedantic) are reported as a count only
    grep -E '^warning: .* generated [0-9]+ warnings?' "$log" || true
    echo "clippy: no errors, $(grep -cE '^warning' "$log" || true) warning lines (VERBOSE=1 shows them)"
  fi
  rm -f "$log"
  return "$status"
}

unit_and_integration_tests() {
  bash scripts/ensure-postgis.sh || return 1
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast --cargo-quiet
  else
    echo "cargo-nextest is not installed: running the same tests with cargo test"
    cargo test --workspace --locked --no-fail-fast --lib --bins --tests
  fi
}

# The web packages (web/package-lock.json) in web/node_modules, installed again when the lock file changes.
web_packages() {
  if [[ ! -d web/node_modules/@maplibre/maplibre-gl-style-spec ]] || ! cmp -s web/package-lock.json web/node_modules/.diachi-lock; then
    echo "installing the web packages (npm ci --prefix web)"
    npm ci --prefix web --no-audit --no-fund --loglevel=error && cp web/package-lock.json web/node_modules/.diachi-lock
  fi
}

# (`set -e` does not hold inside a phase, which runs under `||`: hence the `&&`)
style() {
  web_packages && npx --prefix web --no-install gl-style-validate styles/diachi.json &&
    echo "styles/diachi.json: valid (MapLibre style specification $(node -p 'require("./web/node_modules/@maplibre/maplibre-gl-style-spec/package.json").version'))"
}

run_phase fmt cargo fmt --all -- --check --color "$fmt_color"
run_phase clippy clippy
run_phase tests unit_and_integration_tests
run_phase doctests cargo test --workspace --locked --doc --quiet
run_phase schemathesis bash scripts/schemathesis.sh
run_phase abuse bash scripts/abuse-test.sh
run_phase style style
run_phase browser bash scripts/browser-test.sh
run_phase fuzz bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

for name in "${failed_names[@]}"; do
  echo
  echo "=== $name FAILED: what it reported ($logs/$name.log)"
  # nextest and cargo test name the failing tests; panics say why
  grep -E '^\s+(FAIL|SIGSEGV|SIGABRT|SIGKILL|TIMEOUT|LEAK) |panicked at|^failures:|^    [a-z_:]+$|FAILED|error(\[|:)' "$logs/$name.log" | tail -40 || true
  tail -25 "$logs/$name.log"
done

echo
echo "phase         result    time"
printf '%s\n' "${report[@]}"
if [[ $((passed + failed)) -eq 0 ]]; then
  echo "no phase matched ONLY=${ONLY:-}" >&2
  exit 2
fi
echo "phases: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
