#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for scripts (benchmarks, the schemathesis run): `start DIR PORT` runs initdb in
# DIR (as the `postgres` user when run as root, which initdb refuses) and starts the server on 127.0.0.1:PORT with
# trust authentication; `stop DIR` stops it. Prints nothing on success but the URL (postgres://postgres@…/postgres).
# Settings favour speed over durability: never point it at data you want to keep.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg-cluster.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?data directory}")
as=()
[[ $(id -u) -eq 0 ]] && as=(runuser -u postgres --)
case $cmd in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -N -E UTF8 --locale=C >/dev/null
    fi
    "${as[@]}" "$bin/pg_ctl" start -w -t 120 -D "$dir/data" -l "$dir/log" -o "-p $port -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=8GB -c shared_buffers=${PG_SHARED_BUFFERS:-1GB} \
      -c work_mem=64MB -c maintenance_work_mem=1GB -c max_connections=200" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    "${as[@]}" "$bin/pg_ctl" stop -w -m fast -D "$dir/data" >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: pg-cluster.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
