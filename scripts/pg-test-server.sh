#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (CTest fixture pg in tests/CMakeLists.txt).
#
#   scripts/pg-test-server.sh start DIR   initdb + start on a free 127.0.0.1 port; DIR/url gets
#                                          postgresql://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-test-server.sh stop DIR    stop it (fast) and remove DIR
#   scripts/pg-test-server.sh restart DIR pg_ctl restart (same port): every client connection drops
#
# CAREHUB_TEST_PG_URL set: `start` only writes that URL to DIR/url and `stop` does nothing.
# Server binaries: PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else initdb on PATH.
# As root the server runs as the postgres user (PostgreSQL refuses root); otherwise as the caller.
# The data directory is DIR/pg/data unless the postgres user cannot reach DIR (or the socket path
# would be too long); then it lives in a mktemp -d under /tmp. DIR/datadir records where.
set -euo pipefail

die() {
  echo "pg-test-server: $*" >&2
  exit 1
}

[[ $# -eq 2 && ($1 == start || $1 == stop || $1 == restart) ]] || {
  echo "usage: $0 start|stop|restart DIR" >&2
  exit 2
}
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

find_bindir() {
  if [[ -n ${PG_BINDIR:-} ]]; then
    echo "$PG_BINDIR"
    return
  fi
  local candidate
  candidate=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [[ -n $candidate && -x $candidate/initdb ]]; then
    echo "$candidate"
    return
  fi
  if command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  die "no PostgreSQL server binaries (initdb, pg_ctl) found; run scripts/install-deps.sh"
}

# Runs a command as the server's owner.
as_pg() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# free_port comes from scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_server() {
  [[ -f $dir/datadir ]] || return 0
  local data base
  data=$(<"$dir/datadir")
  base=$(dirname "$data")
  if [[ -f $data/postmaster.pid ]]; then
    local bindir
    bindir=$(find_bindir)
    as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null ||
      echo "pg-test-server: pg_ctl stop failed (server already gone?)" >&2
  fi
  # Only ever delete what start created.
  case "$base" in
    "$dir/pg" | /tmp/carehub-pg.*) rm -rf "$base" ;;
    *) echo "pg-test-server: not removing unexpected directory $base" >&2 ;;
  esac
  rm -f "$dir/datadir" "$dir/url"
}

if [[ $action == restart ]]; then
  [[ -f $dir/datadir ]] || die "no server started in $dir"
  as_pg "$(find_bindir)/pg_ctl" restart -D "$(<"$dir/datadir")" -m fast -w -t 60 >/dev/null
  echo "pg-test-server: restarted"
  exit 0
fi

if [[ $action == stop ]]; then
  [[ -n ${CAREHUB_TEST_PG_URL:-} ]] && exit 0
  stop_server
  rm -rf "$dir"
  echo "pg-test-server: stopped"
  exit 0
fi

# start
if [[ -n ${CAREHUB_TEST_PG_URL:-} ]]; then
  printf '%s\n' "$CAREHUB_TEST_PG_URL" >"$dir/url"
  echo "pg-test-server: using CAREHUB_TEST_PG_URL"
  exit 0
fi

stop_server # idempotent: a leftover server from an earlier run is replaced

bindir=$(find_bindir)
if ((EUID == 0)); then
  getent passwd postgres >/dev/null || die "running as root needs a 'postgres' user (package postgresql creates it)"
fi

# The socket path must fit in sun_path (107 bytes): base/.s.PGSQL.NNNNN.
base=$dir/pg
if ((EUID == 0)) && ! runuser -u postgres -- test -x "$dir"; then
  base=""
elif ((${#dir} > 80)); then
  base=""
fi
if [[ -z $base ]]; then
  base=$(mktemp -d /tmp/carehub-pg.XXXXXX)
  chmod 755 "$base"
else
  rm -rf "$base"
  mkdir -p "$base"
fi
data=$base/data
((EUID == 0)) && chown postgres: "$base"
printf '%s\n' "$data" >"$dir/datadir"

as_pg "$bindir/initdb" -D "$data" -A trust -U postgres --no-sync --no-locale -E UTF8 \
  >"$base/initdb.log" 2>&1 || {
  cat "$base/initdb.log" >&2
  die "initdb failed"
}

log=$base/log
for attempt in 1 2 3; do
  port=$(free_port)
  if as_pg "$bindir/pg_ctl" start -D "$data" -w -t 60 -l "$log" \
    -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    >/dev/null; then
    url="postgresql://postgres@127.0.0.1:$port/postgres"
    printf '%s\n' "$url" >"$dir/url"
    echo "pg-test-server: running at $url (data $data, log $log)"
    exit 0
  fi
  echo "pg-test-server: start on port $port failed (attempt $attempt)" >&2
done
tail -n 20 "$log" >&2 || true
die "could not start PostgreSQL; see $log"
