#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for local runs and tests, from Debian's
# postgresql package (no Docker). Tuned for speed, not durability.
#
#   deploy/local/postgres.sh start|stop|status
#
# Env: DATABASE_URL (a postgresql:// URL: `start` uses that server, starts
#      nothing), BATON_PG_PORT (55432), BATON_STATE_DIR (<repo>/.run).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state="${BATON_STATE_DIR:-$repo/.run}"
state="$(mkdir -p "$state" && cd "$state" && pwd)" # absolute: we cd / below
port="${BATON_PG_PORT:-55432}"
url="postgresql://baton@127.0.0.1:$port/baton"
# The postgres user (see below) may not be allowed into the caller's cwd.
cd /

die() { echo "postgres.sh: $*" >&2; exit 1; }

# Server binaries: Debian keeps them off PATH, in /usr/lib/postgresql/<v>/bin.
bindir=""
if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
  bindir="$(pg_config --bindir)"
else
  bindir="$(find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)"
  bindir="${bindir%/initdb}"
fi
[[ -n "$bindir" ]] || die "PostgreSQL server binaries not found; install them: apt-get install -y postgresql"

# initdb and postgres refuse to run as root. As root we run them as the
# `postgres` OS user, which must be able to reach the data directory. If it
# cannot (e.g. the repo lives under /root, mode 700), the data goes to a
# directory under /tmp and $state/postgres becomes a symlink to it, which
# records where it went for later start/stop/status calls.
as_pg=()
pgdir="$state/postgres"
if [[ "$(id -u)" == 0 ]]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql postgres
  as_pg=(runuser -u postgres --)
  if [[ -L "$pgdir" ]]; then
    pgdir="$(readlink "$pgdir")"
  elif [[ "${1:-}" == start ]]; then
    mkdir -p "$pgdir"
    chown postgres: "$pgdir"
    if ! runuser -u postgres -- test -w "$pgdir"; then
      rmdir "$pgdir"
      ln -s "$(mktemp -d "/tmp/baton-pg-$port.XXXXXX")" "$pgdir"
      pgdir="$(readlink "$pgdir")"
    fi
  fi
fi
pgdata="$pgdir/data"
logfile="$pgdir/postgres.log"

pg() { "${as_pg[@]}" "$bindir/$1" "${@:2}"; }
running() { [[ -f "$pgdata/PG_VERSION" ]] && pg pg_ctl status -D "$pgdata" >/dev/null 2>&1; }

start() {
  if [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?(\+[a-z0-9]+)?:// ]]; then
    echo "postgres.sh: DATABASE_URL is set; using that server, starting nothing"
    return
  fi
  if running; then
    echo "postgres.sh: already running"
  else
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      die "port $port is already in use by another process (set BATON_PG_PORT)"
    fi
    # The dir may be gone (e.g. /tmp wiped); recreate it, owned by the server's user.
    mkdir -p "$pgdir"
    [[ ${#as_pg[@]} == 0 ]] || chown postgres: "$pgdir"
    if [[ ! -f "$pgdata/PG_VERSION" ]]; then
      # Trust auth: a throwaway cluster that only listens on 127.0.0.1.
      pg initdb -D "$pgdata" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
      echo "include = 'baton.conf'" >>"$pgdata/postgresql.conf"
    fi
    # Rewritten on every start, so a changed port takes effect.
    # fsync & co off: much faster, and we never need the data after a crash.
    cat >"$pgdata/baton.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pgdir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    [[ ${#as_pg[@]} == 0 ]] || chown postgres: "$pgdata/baton.conf"
    echo "postgres.sh: starting PostgreSQL on 127.0.0.1:$port (log: $logfile)"
    if ! pg pg_ctl start -D "$pgdata" -l "$logfile" -w -t 60 >/dev/null; then
      tail -n 50 "$logfile" >&2 || true
      die "PostgreSQL did not start (log above, full log: $logfile)"
    fi
  fi
  for _ in $(seq 60); do
    pg pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  pg pg_isready -q -h 127.0.0.1 -p "$port" || die "PostgreSQL does not accept connections (log: $logfile)"
  # Role and database `baton`, created once (\gexec runs a query's output).
  pg psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT 'CREATE ROLE baton SUPERUSER LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'baton')\gexec
SELECT 'CREATE DATABASE baton OWNER baton' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'baton')\gexec
SQL
  echo "DATABASE_URL=$url"
}

stop() {
  if running; then
    pg pg_ctl stop -D "$pgdata" -m fast -w >/dev/null
    echo "postgres.sh: stopped"
  else
    echo "postgres.sh: not running"
  fi
}

status() {
  if running; then
    echo "postgres.sh: running at 127.0.0.1:$port ($url)"
  else
    echo "postgres.sh: not running"
    return 1
  fi
}

case "${1:-}" in
  start | stop | status) "$1" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
