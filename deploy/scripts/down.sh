#!/usr/bin/env bash
# down.sh — stop the embedded pipeline (`make down`).
#
# SIGTERM to every service named by a pid file in var/run (only when that pid
# still runs that service's program: a reused pid is left alone), up to 10 s
# for them to finish or release their work, SIGKILL for what remains; then
# the notifier's local sinks (sink-smtp, sink-http), and PostgreSQL last (pg_ctl stop -m fast: open transactions roll back, nothing
# committed is lost), so services never lose their store while they drain.
# Safe to run when nothing runs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT=${STOP_TIMEOUT:-10}

# stop_group services|sinks — every service with a pid file (sinks: the
# sink-* ones, services: the others): SIGTERM to all, wait, SIGKILL what
# remains.
stop_group () {
    local group=$1 f name pid i alive
    local -A pids=()
    shopt -s nullglob
    for f in "$RUN_DIR"/*.pid; do
        name=$(basename "$f" .pid)
        case $name in
            sink-*) [[ $group == sinks ]] || continue ;;
            *)      [[ $group == services ]] || continue ;;
        esac
        pid=$(svc_pid "$name")
        if [[ -n $pid ]]; then
            pids[$name]=$pid
            kill -TERM "$pid" 2>/dev/null || true
        else
            rm -f "$f"
        fi
    done
    shopt -u nullglob
    (( ${#pids[@]} > 0 )) || return 0
    say "stopping ${!pids[*]}"
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        alive=0
        for name in "${!pids[@]}"; do
            [[ -n $(svc_pid "$name") ]] && alive=$((alive + 1))
        done
        (( alive == 0 )) && break
        sleep 0.1
    done
    for name in "${!pids[@]}"; do
        pid=$(svc_pid "$name")
        if [[ -n $pid ]]; then
            warn "$name (pid $pid) still runs after ${STOP_TIMEOUT}s; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$RUN_DIR/$name.pid"
    done
}

# The services (a notifier finishing a delivery still has its sink), then
# the local sinks.
stop_group services
stop_group sinks

if pg_cluster_running; then
    say "stopping PostgreSQL"
    as_pg "$(pg_bin_dir)/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
fi
say "stopped"
