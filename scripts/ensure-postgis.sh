#!/usr/bin/env bash
# Makes sure PostgreSQL 15 with PostGIS 3 is installed for the database tests (tests/db), which start their own
# throwaway clusters: installs the Debian package `postgresql-15-postgis-3` (with sudo when not root) when missing.
# Without it the database tests fail under CI=true and skip (with a message) elsewhere.
set -euo pipefail
control=/usr/share/postgresql/15/extension/postgis.control
if [[ -f $control && -x /usr/lib/postgresql/15/bin/initdb ]]; then
  echo "PostGIS: $(grep -m1 default_version "$control" | tr -d "'" | awk '{print $3}') (PostgreSQL 15)"
  exit 0
fi
echo "installing postgresql-15-postgis-3 (Debian package)"
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql-15 postgresql-15-postgis-3 >/dev/null
}
if command -v apt-get >/dev/null; then
  install || { "${sudo[@]}" apt-get update -qq && install; } || true
fi
if [[ ! -f $control ]]; then
  echo "PostGIS could not be installed: the database tests will $([[ ${CI:-} == true ]] && echo fail || echo skip)" >&2
  [[ ${CI:-} == true ]] && exit 1
fi
exit 0
