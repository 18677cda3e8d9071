#!/usr/bin/env bash
# status.sh — what runs of the embedded pipeline (`make status`): each
# service running or stopped with its pid, PostgreSQL, and a few counts
# from the store (complaints by state, outbox backlog, last event seq, SLA
# clocks by state, breached and overdue clocks, notifications by state and
# channel), and the notifier's local sinks when they run.
#
#     status.sh            always exits 0 (it reports, it does not judge)
#     status.sh --check    exits 1 unless every service and PostgreSQL run
set -uo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check=0
[[ ${1:-} == --check ]] && check=1
s_exit () { (( check )) && exit "$1"; exit 0; }

all_up=1
for name in "${SERVICES[@]}"; do
    pid=$(svc_pid "$name")
    if [[ -n $pid ]]; then
        printf '%-10s running  pid %s\n' "$name" "$pid"
    else
        printf '%-10s stopped\n' "$name"
        all_up=0
    fi
done

# The local sinks run only when no real server was named (lib.sh
# notify_load): shown when running, never counted as missing.
for name in "${SINKS[@]}"; do
    pid=$(svc_pid "$name")
    [[ -n $pid ]] && printf '%-10s running  pid %s\n' "$name" "$pid"
done

if ! pg_cluster_running; then
    if [[ -f $PG_DATA/PG_VERSION ]]; then
        printf '%-10s stopped  (%s)\n' postgres "$PG_DATA"
    else
        printf '%-10s absent   (make up creates it in %s)\n' postgres "$PG_DATA"
    fi
    s_exit 1
fi

export PGHOST=$RUN_DIR PGPORT PGUSER=postgres PGDATABASE=complaints
PGPORT=$(pg_running_port)
printf '%-10s running  pid %s, port %s, socket %s\n' postgres \
    "$(sed -n 1p "$PG_DATA/postmaster.pid")" "$PGPORT" "$PGHOST"

if [[ -z $(psql_q "SELECT to_regclass('complaint')") ]]; then
    echo "store:     not migrated yet"
    s_exit 1
fi
printf 'complaints %s (%s)\n' "$(psql_q 'SELECT count(*) FROM complaint')" \
    "$(psql_q "SELECT coalesce(string_agg(state || ' ' || n, ', ' ORDER BY state), 'none')
               FROM (SELECT state, count(*) AS n FROM complaint GROUP BY state) s")"
printf 'outbox     %s waiting\n' "$(psql_q 'SELECT count(*) FROM outbox')"
printf 'event_log  last seq %s\n' "$(psql_q 'SELECT coalesce(max(seq), 0) FROM event_log')"
if [[ -n $(psql_q "SELECT to_regclass('sla_clock')") ]]; then
    # Open clocks by state; breached = open clocks past their deadline;
    # overdue = timers due that no watchdog has fired yet (should be ~0).
    printf 'sla clocks %s\n' "$(psql_q "SELECT coalesce(string_agg(state || ' ' || n, ', ' ORDER BY state), 'none')
               FROM (SELECT state, count(*) AS n FROM sla_clock GROUP BY state) s")"
    printf 'sla        %s breached open, %s timers overdue, %s cases to recompute\n' \
        "$(psql_q "SELECT count(*) FROM sla_clock WHERE state = 'breached'")" \
        "$(psql_q 'SELECT count(*) FROM sla_clock WHERE next_fire_at <= app_now ()')" \
        "$(psql_q 'SELECT count(*) FROM complaint WHERE sla_dirty')"
fi
if [[ -n $(psql_q "SELECT to_regclass('notification')") ]]; then
    # Rows by state, each with its channels; due = pending or failed rows
    # whose time has come (a backlog when it stays above 0).
    printf 'notify     %s\n' "$(psql_q "SELECT coalesce(string_agg(state || ' ' || n || ' (' || channels || ')',
                   ', ' ORDER BY state), 'none')
               FROM (SELECT state, sum(n) AS n,
                            string_agg(channel || ' ' || n, ', ' ORDER BY channel) AS channels
                       FROM (SELECT state, channel, count(*) AS n FROM notification
                              GROUP BY 1, 2) c GROUP BY state) s")"
    printf 'notify     %s due now, %s dead\n' \
        "$(psql_q "SELECT count(*) FROM notification WHERE state IN ('pending', 'failed')
                   AND next_attempt_at <= app_now ()")" \
        "$(psql_q "SELECT count(*) FROM notification WHERE state = 'dead'")"
fi
(( all_up )) || s_exit 1
s_exit 0
