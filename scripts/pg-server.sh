#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests (used by .ci/run and by hand):
#   eval "$(bash scripts/pg-server.sh start)"   -> exports TEST_POSTGRES_URL
#   bash scripts/pg-server.sh stop
set -euo pipefail
dir="${PG_TEST_DIR:-/tmp/open-enroll-pg}"
port="${PG_TEST_PORT:-54329}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
        as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust >/dev/null
      fi
      as_pg "$bin/pg_ctl" -D "$dir" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" -l "$dir/server.log" -w start >/dev/null
    fi
    echo "export TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop) as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true ;;
esac
