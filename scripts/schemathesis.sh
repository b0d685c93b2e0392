#!/usr/bin/env bash
# Property-based conformance of the HTTP API to its own OpenAPI document (schemathesis, every check): builds the
# release binary, serves a small synthetic set on a free loopback port, waits for /ready, runs `st run` against
# /openapi.json, stops the server. Exits non-zero on any failure. The server runs on PostGIS (a throwaway cluster,
# scripts/pg-cluster.sh, with the set imported by `diachi db import`) with a fresh PII key, and schemathesis carries an
# API key with every scope, no rate limit and the loosest identity level (so that every level the schema allows is
# accepted) (`diachi keys create`), so that the address writes
# (POST/PATCH/DELETE /v1/addresses), the registry and identity endpoints and the PostGIS tile sources are exercised
# for real. The legacy admin token is set too (it carries the admin scope only).
#
# Settings: scripts/schemathesis.toml. Environment:
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 50)
#   SCHEMATHESIS_SEED          a number, or `random` for new inputs (default: the fixed seed of the .toml)
#   SCHEMATHESIS_HOUSEHOLDS    size of the served set (default 20000)
#   VENV                       where the Python tools live (default .venv-test/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${VENV:-$root/.venv-test}
requirements=$root/scripts/requirements-test.txt
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
households=${SCHEMATHESIS_HOUSEHOLDS:-20000}
ready_timeout_s=180

# 1. Python tools, reinstalled only when the pinned list changes.
if [[ ! -x $venv/bin/st ]] || ! cmp -s "$requirements" "$venv/.requirements"; then
  echo "installing schemathesis into ${venv#"$root"/}"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's system Python keeps `venv` (ensurepip) in a package of its own
    rm -rf "$venv"
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  cp "$requirements" "$venv/.requirements"
fi
echo "$("$venv/bin/st" --version)"

# 2. The server, from a private copy of the binary (a concurrent `cargo build` may replace target/release/diachi).
cargo build --release --quiet --bin diachi
work=$(mktemp -d)
chmod 711 "$work" # the cluster runs as the `postgres` user when this script runs as root
cp target/release/diachi "$work/diachi"
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
pg_port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash scripts/ensure-postgis.sh
db_url=$(PG_SHARED_BUFFERS=128MB bash scripts/pg-cluster.sh start "$work/pg" "$pg_port")
"$work/diachi" db import --database-url "$db_url" --households "$households" --quiet
token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))')
api_key=$("$work/diachi" keys create --database-url "$db_url" --name schemathesis --rate-limit 0 \
  --scope address:validate --scope registry:write --scope registry:admin --scope identity:verify --scope admin \
  --scope delivery:plan --identity-level province --identity-daily-quota 0)
pii_key=$("$work/diachi" keys pii-key)
# schemathesis asks about the same few citizens thousands of times: the per-citizen daily limit of identity checks
# (10) is lifted here, or every schema-valid check after the tenth would be a 429 (tests/security.rs tests the limit)
DIACHI_IDENTITY_CHECKS_PER_CITIZEN_PER_DAY=0 \
  DIACHI_ADMIN_TOKEN=$token DIACHI_PII_KEY=$pii_key "$work/diachi" serve --bind "127.0.0.1:$port" --database-url "$db_url" \
  >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  bash scripts/pg-cluster.sh stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 3. Wait for /ready (the index is built in the background), up to a deadline; stop early if the server dies.
if ! "$venv/bin/python" "$root/scripts/wait-ready.py" "$base/ready" "$server" "$ready_timeout_s"; then
  echo "--- server log"
  tail -n 50 "$work/server.log"
  exit 1
fi
echo "server ready on port $port ($households households, on PostGIS)"

# 4. Every check, every phase (examples, coverage, fuzzing, stateful). Run from the scratch directory so that
# nothing schemathesis writes lands in the work tree.
seed_args=()
case ${SCHEMATHESIS_SEED:-} in
  "") ;;
  random) seed_args=(--seed "$RANDOM$RANDOM") ;;
  *) seed_args=(--seed "$SCHEMATHESIS_SEED") ;;
esac
status=0
# the NDJSON deserializer (scripts/schemathesis_hooks.py)
export SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}"
(cd "$work" && "$venv/bin/st" --config-file "$root/scripts/schemathesis.toml" --no-color run "$base/openapi.json" \
  --checks all --max-examples "$max_examples" --request-timeout 10 -H "Authorization: Bearer $api_key" \
  "${seed_args[@]}") || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- schemathesis failed (exit $status); last lines of the server log:"
  tail -n 20 "$work/server.log"
fi
exit "$status"
