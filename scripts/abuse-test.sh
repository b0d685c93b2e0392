#!/usr/bin/env bash
# The abuse test (issue 16): the release server on the default embedded set (1M households, as the README starts it,
# logging on), keys in a keys file (two delivery:plan tenants and an address:validate key, no rate limit so that the
# quotas themselves are tested), then scripts/abuse.py: hostile requests and normal lookups from several client
# processes for ABUSE_SECONDS (default 40) beside a probe of /health and /v1/reverse, loopback only. Fails unless the
# server stays up, answers no 5xx and only JSON errors, keeps every promise of the fixes (no eviction of another
# tenant's plan, no header in the style, bounded area queries…), keeps its RSS under ABUSE_RSS_MB (default 1024) and
# the probe's p99 under ABUSE_P99_MS (default 20). The summary goes to target/abuse/summary.json (ABUSE_SUMMARY to
# change it). ABUSE_BINARY=path runs another build of diachi (for example an older commit's) instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${ABUSE_SECONDS:-40}
rss_mb=${ABUSE_RSS_MB:-1024}
p99_ms=${ABUSE_P99_MS:-20}

work=$(mktemp -d)
mkdir -p target/abuse
if [[ -n ${ABUSE_BINARY:-} ]]; then
  cp "$ABUSE_BINARY" "$work/diachi" # another build, e.g. an older commit's, for a before/after comparison
else
  cargo build --release --quiet --bin diachi
  cp target/release/diachi "$work/diachi" # a private copy: a concurrent build may replace target/release/diachi
fi
keys=$work/keys.jsonl
plan_a=$("$work/diachi" keys create --keys-file "$keys" --name tenant-a --rate-limit 0 --scope delivery:plan)
plan_b=$("$work/diachi" keys create --keys-file "$keys" --name tenant-b --rate-limit 0 --scope delivery:plan)
validate=$("$work/diachi" keys create --keys-file "$keys" --name batch --rate-limit 0 --scope address:validate)
printf '{"plan_a":"%s","plan_b":"%s","validate":"%s"}\n' "$plan_a" "$plan_b" "$validate" >"$work/keys.json"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DIACHI_KEYS_FILE=$keys "$work/diachi" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  cp "$work/server.log" target/abuse/server.log 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
python3 scripts/wait-ready.py "http://127.0.0.1:$port/ready" "$server" 300
status=0
python3 scripts/abuse.py --base "http://127.0.0.1:$port" --pid "$server" --keys "$work/keys.json" --seconds "$seconds" \
  --rss-mb "$rss_mb" --p99-ms "$p99_ms" --json "${ABUSE_SUMMARY:-target/abuse/summary.json}" || status=$?
if grep -q 'panicked' "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -m5 -A3 'panicked' "$work/server.log" >&2
  status=1
fi
exit "$status"
