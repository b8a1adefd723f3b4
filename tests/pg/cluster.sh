#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks, from Debian's
# packages (`postgresql`), nothing assumed running.
#
#   tests/pg/cluster.sh start DIR [PORT]   initdb + start; prints the database URL
#   tests/pg/cluster.sh restart DIR        an immediate (crash-like) restart
#   tests/pg/cluster.sh stop DIR           stop, and remove DIR
#
# The server runs as the `postgres` user when this runs as root (PostgreSQL
# refuses root), listens on 127.0.0.1 only, and trusts local connections.
# For tests it runs with fsync=off; PG_DURABLE=1 (benchmarks) keeps fsync on,
# as SQLite's synchronous=FULL, with memory and WAL room for bulk loads.
set -euo pipefail
cmd=${1:?start|restart|stop}
dir=${2:?cluster directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  port=${3:-54329}
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -A trust -U solieu -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300"
  if [ "${PG_DURABLE:-0}" = 1 ]; then
    opts="$opts -c shared_buffers=2GB -c max_wal_size=4GB -c maintenance_work_mem=512MB"
  else
    opts="$opts -c fsync=off"
  fi
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U solieu solieu_test
  echo "$port" > "$dir/port"
  echo "postgres://solieu@127.0.0.1:$port/solieu_test"
  ;;
restart)
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 restart >/dev/null
  ;;
stop)
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
