#!/usr/bin/env bash
# status.sh — what runs of the embedded pipeline (`make status`): each
# service running or stopped with its pid, its /healthz answer and a few
# key metrics from its /metrics (127.0.0.1:svc_metrics_port, lib.sh),
# PostgreSQL, and a few counts
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

# http_get PORT PATH — print the body; the status code on stderr's last
# line is not needed: /healthz says "ok" or why not.
http_get () {
    if command -v curl >/dev/null 2>&1; then
        curl -s -m 2 "http://127.0.0.1:$1$2"
    else
        /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=2).read().decode(), end="")
except urllib.error.HTTPError as e:
    print(e.read().decode(), end="")
except OSError:
    pass
PY
    fi
}

# The metrics worth a glance, per kind of service: NAME=metric pairs
# (labelled families are summed over their series).
key_metrics () {
    case $1 in
        bus-*)      echo "active=complaints_bus_active published=complaints_bus_events_published_total outbox_lag_s=complaints_bus_outbox_lag_seconds last_seq=complaints_bus_last_seq" ;;
        intake*)    echo "requests=complaints_intake_requests_total errors=complaints_intake_errors_total writers_busy=complaints_intake_writers_busy" ;;
        router-*)   echo "claimed=complaints_router_claimed_total assigned=complaints_router_assigned_total lost=complaints_router_lost_total" ;;
        watchdog-*) echo "fired=complaints_watchdog_firings_total recomputed=complaints_watchdog_recomputed_total" ;;
        analytics) echo "events=complaints_analytics_events_total cursor=complaints_analytics_cursor_seq lag=complaints_analytics_lag_events" ;;
        notifier-*) echo "deliveries=complaints_notifier_deliveries_total consume_lag=complaints_notifier_consume_lag_events" ;;
    esac
}

# service_metrics NAME PORT — "healthz ok  k=v ... last_pass=Ns ago".
service_metrics () {
    local name=$1 port=$2 health text pair out="" v last
    health=$(http_get "$port" /healthz | head -1)
    [[ -n $health ]] || { printf 'metrics 127.0.0.1:%s not answering' "$port"; return; }
    text=$(http_get "$port" /metrics)
    for pair in $(key_metrics "$name"); do
        v=$(awk -v m="${pair#*=}" '$1 == m || index($1, m "{") == 1 { s += $NF; n++ }
                                   END { if (n) printf "%g", s; else printf "-" }' <<<"$text")
        out+=" ${pair%%=*}=$v"
    done
    last=$(awk '$1 == "complaints_last_pass_timestamp_seconds" { print $2 }' <<<"$text")
    if [[ -n $last && $last != 0 ]]; then
        out+=" last_pass=$(awk -v t="$last" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1fs ago", now - t }')"
    fi
    printf 'healthz %s %s' "$health" "$out"
}

all_up=1
for name in "${SERVICES[@]}"; do
    pid=$(svc_pid "$name")
    if [[ -n $pid ]]; then
        printf '%-10s running  pid %-7s %s\n' "$name" "$pid" \
            "$(service_metrics "$name" "$(svc_metrics_port "$name")")"
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
