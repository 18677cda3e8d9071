#!/usr/bin/env bash
# pg.sh — the embedded PostgreSQL cluster: create it under var/pg if absent,
# start it if stopped (Unix socket in var/run only, port 55432 or
# COMPLAINTS_PG_PORT), wait until it is ready, create the `complaints`
# database if absent. Prints the PG* variables that reach it.
#
#     bash deploy/scripts/pg.sh          # ensure it runs
#     bash deploy/scripts/pg.sh stop     # stop it (pg_ctl stop -m fast)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case ${1:-start} in
    start)
        pg_ensure
        say "ready: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE"
        ;;
    stop)
        if pg_cluster_running; then
            say "stopping PostgreSQL"
            as_pg "$(pg_bin_dir)/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
        else
            say "PostgreSQL is not running"
        fi
        ;;
    *)
        die "usage: pg.sh [start|stop]"
        ;;
esac
