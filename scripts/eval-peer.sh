#!/usr/bin/env bash
# Peer evaluation: run a labelled address set through the PyPI package
# `vietnamadminunits` and score it against our new (post-2025) ward codes.
#
#   scripts/eval-peer.sh [LABELLED.jsonl] [--geocode] [--limit N] [--out-dir DIR]
#
# Creates a venv under target/eval-peer/venv on first use (needs Python >= 3.11
# and pip access to PyPI), installs a pinned vietnamadminunits there, and runs
# scripts/eval-peer.py with the given arguments. Outputs go to target/eval-peer/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# No cd: relative paths in the arguments stay relative to the caller's directory.

VAU_VERSION="1.0.4"
# Its dependencies, pinned too so the numbers are reproducible.
PINNED=(
  "vietnamadminunits==${VAU_VERSION}"
  "Unidecode==1.4.0"
  "geopy==2.5.0"
  "geographiclib==2.1"
  "shapely==2.2.0"
  "numpy==2.4.6"
  "tqdm==4.70.1"
)

VENV="$ROOT/target/eval-peer/venv"
STAMP="$VENV/.eval-peer-installed"
WANT="$(printf '%s\n' "${PINNED[@]}")"

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  for c in python3.11 python3.12 python3.13 python3; do
    if command -v "$c" >/dev/null 2>&1; then PY="$c"; break; fi
  done
fi
[[ -n "$PY" ]] || { echo "eval-peer: no python3 found" >&2; exit 1; }

if [[ ! -x "$VENV/bin/python" ]]; then
  mkdir -p "$(dirname "$VENV")"
  echo "eval-peer: creating venv $VENV with $("$PY" --version 2>&1)" >&2
  "$PY" -m venv "$VENV"
fi

if [[ ! -f "$STAMP" ]] || [[ "$(cat "$STAMP")" != "$WANT" ]]; then
  echo "eval-peer: installing ${PINNED[*]}" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINNED[@]}"
  printf '%s' "$WANT" > "$STAMP"
fi

exec "$VENV/bin/python" "$ROOT/scripts/eval-peer.py" "$@"
