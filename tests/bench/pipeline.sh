#!/usr/bin/env bash
# tests/bench/pipeline.sh — the whole pipeline, end to end, as `make up` runs
# it (`make bench`, or `bash tests/bench/run.sh pipeline`).
#
# Starts the embedded pipeline of deploy/scripts/up.sh — its default
# instance counts (bus ×2, intake, router ×2, watchdog ×2, notifier ×2, analytics) and the
# local SMTP and gateway sinks — in a folder and on ports of its own (so a
# `make up` beside it is left alone), then drives it from outside with
# bench-pipeline (tests/bench/pipeline.c): complaints offered at a fixed
# rate to intake, watched on the bus (complaint.assigned, the receipt's
# notification.sent) and in the store (SLA clocks built). Three phases:
#
#   sustained  BENCH_PIPE_RATE (1000)/s for BENCH_PIPE_SECONDS (60) s: every
#              complaint acknowledged, assigned, its clocks built, its receipt
#              accepted by the SMTP sink, its handler told — and how long
#              after the last one was offered the pipeline was done;
#   latency    500/s for BENCH_PIPE_LAT_SECONDS (30) s, 100 SMS rows waiting
#              behind the gateway's rate: submit → assigned, → receipt sent;
#   backlog    the same with BENCH_PIPE_SMS (100000) SMS rows waiting: the
#              e-mail receipts must keep their latency, and a notifier claim
#              must cost what it did with 100 waiting (its mean claim time,
#              from the notifier's own /metrics histogram op="claim").
#
# Each phase prints bench-pipeline's figures (per stage CPU µs per
# complaint, service + its PostgreSQL backends, beside the machine's limit
# at that cost; lag behind the stream per stage), then a verdict against
# issue 11's targets. PostgreSQL runs as `make up` runs it (fsync on).
#
# Settings: BUILD, BENCH_PIPE_VAR (/tmp/complaints-bench-pipe), BENCH_PIPE_PG_PORT
# (55407), BENCH_PIPE_ZMQ_BASE (26170: intake, bus pub, replay, smtp, http
# sink, metrics from +10), BENCH_PIPE_RATE, BENCH_PIPE_SECONDS,
# BENCH_PIPE_LAT_SECONDS, BENCH_PIPE_SMS, BENCH_PIPE_PHASES ("sustained
# latency backlog"), BENCH_KEEP=1 (leave the pipeline running),
# BENCH_PIPE_PG_STATS=1 (load pg_stat_statements into the bench's cluster and
# print, after each phase, the statements that took the most PostgreSQL time:
# calls, total and mean ms, rows, by application; where the time goes).
set -euo pipefail

BENCH_NAME=bench-pipeline
# shellcheck source=lib/bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"

[[ -x $BIN/bench-pipeline ]] || die "$BIN/bench-pipeline is not built (make bench)"

base=${BENCH_PIPE_ZMQ_BASE:-26170}
export COMPLAINTS_VAR=${BENCH_PIPE_VAR:-/tmp/complaints-bench-pipe}
export COMPLAINTS_PG_PORT=${BENCH_PIPE_PG_PORT:-55407}
export COMPLAINTS_INTAKE_ENDPOINT=tcp://127.0.0.1:$base
export COMPLAINTS_BUS_PUB_ENDPOINT=tcp://127.0.0.1:$((base + 1))
export COMPLAINTS_BUS_REPLAY_ENDPOINT=tcp://127.0.0.1:$((base + 2))
export COMPLAINTS_SINK_SMTP_PORT=$((base + 3))
export COMPLAINTS_SINK_HTTP_PORT=$((base + 4))
export COMPLAINTS_METRICS_BASE=$((base + 10))
export COMPLAINTS_ANALYTICS_HTTP=off        # the dashboard is not what is measured
unset COMPLAINTS_SMTP_URL COMPLAINTS_SMS_URL COMPLAINTS_PUSH_URL
# The sink's mailbox on tmpfs: on this kind of VM creating and renaming a
# file on disk costs ~0.4 ms of CPU, which would make the test bed, not the
# pipeline, the thing measured (docs/BENCHMARKS.md).
export COMPLAINTS_SINK_MAIL_DIR=${BENCH_PIPE_MAIL_DIR:-/dev/shm/complaints-bench-mail}
RATE=${BENCH_PIPE_RATE:-1000}
SECONDS_SUSTAINED=${BENCH_PIPE_SECONDS:-60}
SECONDS_LATENCY=${BENCH_PIPE_LAT_SECONDS:-30}
SMS_BACKLOG=${BENCH_PIPE_SMS:-100000}
PHASES=${BENCH_PIPE_PHASES:-sustained latency backlog}
OUT=$COMPLAINTS_VAR/figures.txt

down () { BUILD=$BUILD bash "$ROOT/deploy/scripts/down.sh" >/dev/null 2>&1 || true; }
cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    if [[ ${BENCH_KEEP:-0} != 1 ]]; then down; rm -rf "$COMPLAINTS_SINK_MAIL_DIR"; fi
    exit "$rc"
}
down
rm -rf "$COMPLAINTS_VAR" "$COMPLAINTS_SINK_MAIL_DIR"
mkdir -p "$COMPLAINTS_VAR"
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM
if [[ ${BENCH_PIPE_PG_STATS:-0} == 1 ]]; then
    # The cluster first, with the extension preloaded, then up.sh finds it
    # running and leaves it be.
    (
        # shellcheck disable=SC1091
        . "$ROOT/deploy/scripts/lib.sh"
        pg_ensure >/dev/null
        psql -X -q -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
             -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'"
        as_pg "$(pg_bin_dir)/pg_ctl" restart -D "$PG_DATA" -w -t 60 -l "$LOG_DIR/postgresql.log" \
            -o "-p $(pg_port) -k '$RUN_DIR' -c listen_addresses=''" >/dev/null
    ) || die "could not load pg_stat_statements"
fi
say "starting the pipeline in $COMPLAINTS_VAR (PostgreSQL $COMPLAINTS_PG_PORT, intake $COMPLAINTS_INTAKE_ENDPOINT)"
BUILD=$BUILD bash "$ROOT/deploy/scripts/up.sh" >"$COMPLAINTS_VAR/up.log" 2>&1 \
    || { tail -n 20 "$COMPLAINTS_VAR/up.log" >&2; die "up.sh failed"; }
# shellcheck disable=SC1091
. "$COMPLAINTS_VAR/env"
# shellcheck disable=SC1091
. "$ROOT/deploy/scripts/lib.sh"
# The harness's own statements (lag counts, the clocks poll, psql) as the
# daemons run theirs (common/pg_session.c): no JIT, no parallel workers, so
# measuring takes as little as it can from what is measured. After up.sh:
# the daemons keep the environment they were started with.
export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0"
if [[ ${BENCH_PIPE_PG_STATS:-0} == 1 ]]; then
    psql -X -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" || die "CREATE EXTENSION pg_stat_statements failed"
fi
NOTIFIER_METRICS=$(svc_metrics_port notifier-1)

# The notifier's mean claim time so far: sum and count of its histogram.
claim_stats () {
    "$PY" - "$NOTIFIER_METRICS" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
s = c = 0.0
for line in text.splitlines():
    if line.startswith('complaints_store_round_trip_seconds_sum{op="claim"}'):
        s = float(line.split()[-1])
    if line.startswith('complaints_store_round_trip_seconds_count{op="claim"}'):
        c = float(line.split()[-1])
print(s, c)
EOF
}

# N SMS rows due at once to the gateway (rate-limited to 20/s by default):
# a backlog as a busy day of SMS receipts leaves it. urgent, so quiet hours
# do not move them whatever the hour this runs.
sms_backlog () {
    psql -X -q -v ON_ERROR_STOP=1 -v n="$1" <<'EOF'
INSERT INTO notification (event_seq, event_type, recipient_kind, recipient, channel, address,
                          subject, body, urgent, state, next_attempt_at)
SELECT -g, 'complaint.received', 'customer', 'customer', 'sms', '+86139' || lpad (g::text, 8, '0'),
       'backlog', 'bench backlog row ' || g, true, 'pending', app_now ()
  FROM generate_series ((SELECT coalesce (max (-event_seq), 0) + 1 FROM notification WHERE event_seq < 0),
                        (SELECT coalesce (max (-event_seq), 0) FROM notification WHERE event_seq < 0) + :n) g;
EOF
}

fig () { awk -v p="$1" -v n="$2" '$1 == p && $2 == n { print $3 }' "$OUT"; }
verdict () {   # NAME VALUE OP LIMIT UNIT
    local ok
    ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
        if (v == "") { print "no figure"; exit }
        r = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        print r ? "met" : "MISSED" }')
    printf '# target %-52s %s %s%s: %s (%s)\n' "$1" "$3" "$4" "$5" "$ok" "${2:-?}"
}

# Before a phase, the pipeline must be idle: the last phase's work all done
# (the notifier has also read past the notification.* events its own
# deliveries caused), or the phase would measure the previous one's tail.
wait_idle () {
    local i
    for ((i = 0; i < 600; i++)); do
        [[ $(psql -X -qtA -c "SELECT (SELECT count(*) FROM outbox)
              + (SELECT count(*) FROM complaint WHERE state = 'received' OR sla_dirty)
              + greatest (0, coalesce ((SELECT max (seq) FROM event_log), 0)
                          - coalesce ((SELECT min (last_seq) FROM notifier_cursor), 0) - 10)") == 0 ]] \
            && return 0
        sleep 0.5
    done
    say "the pipeline did not go idle within 300 s"
}

run_phase () {   # NAME RATE SECONDS
    wait_idle
    say "phase $1: $2/s for $3 s"
    "$BIN/bench-pipeline" --intake "$COMPLAINTS_INTAKE_ENDPOINT" --bus "$COMPLAINTS_BUS_PUB_ENDPOINT" \
        --pg "" --run-dir "$COMPLAINTS_VAR/run" --rate "$2" --seconds "$3" --drain 120 \
        --prefix "$1$(date +%s)" | tee "$COMPLAINTS_VAR/$1.txt" | sed "s/^/$1 /" >>"$OUT" || true
    sed "s/^/$1 /" "$COMPLAINTS_VAR/$1.txt" | grep -v '^[a-z]* #' >&2 || true
    if [[ ${BENCH_PIPE_PG_STATS:-0} == 1 ]]; then
        psql -X -q -P pager=off -c "SELECT s.calls,
                   round (s.total_exec_time::numeric) AS total_ms,
                   round ((s.total_exec_time / s.calls)::numeric, 3) AS mean_ms, s.rows,
                   left (regexp_replace (s.query, '\s+', ' ', 'g'), 120) AS statement
              FROM pg_stat_statements s
             ORDER BY s.total_exec_time DESC LIMIT 25" >"$COMPLAINTS_VAR/$1.statements.txt" 2>&1 || true
        psql -X -q -c "SELECT pg_stat_statements_reset ()" >/dev/null 2>&1 || true
        say "phase $1: the statements that took the most time, in $COMPLAINTS_VAR/$1.statements.txt"
        cat "$COMPLAINTS_VAR/$1.statements.txt" >&2
    fi
}

: >"$OUT"
sleep 2     # the routers' directory sync and the watchdogs' first sweep
for phase in $PHASES; do
    case $phase in
        sustained) run_phase sustained "$RATE" "$SECONDS_SUSTAINED" ;;
        latency)
            sms_backlog 100
            read -r s0 c0 <<<"$(claim_stats)"
            run_phase latency 500 "$SECONDS_LATENCY"
            read -r s1 c1 <<<"$(claim_stats)"
            awk -v a="$s0" -v b="$s1" -v x="$c0" -v y="$c1" \
                'BEGIN { if (y > x) printf "latency claim_mean %.3f ms\n", (b - a) * 1000 / (y - x) }' >>"$OUT"
            ;;
        backlog)
            say "writing $SMS_BACKLOG SMS rows due behind the gateway's rate"
            sms_backlog "$SMS_BACKLOG"
            pending=$(psql -X -qtA -c "SELECT count(*) FROM notification WHERE channel = 'sms' AND state = 'pending'")
            printf 'backlog sms_pending_at_start %s rows\n' "$pending" >>"$OUT"
            read -r s0 c0 <<<"$(claim_stats)"
            run_phase backlog 500 "$SECONDS_LATENCY"
            read -r s1 c1 <<<"$(claim_stats)"
            awk -v a="$s0" -v b="$s1" -v x="$c0" -v y="$c1" \
                'BEGIN { if (y > x) printf "backlog claim_mean %.3f ms\n", (b - a) * 1000 / (y - x) }' >>"$OUT"
            ;;
        *) die "unknown phase $phase (sustained, latency, backlog)" ;;
    esac
done

{
    printf '# pipeline: %s cores, %s\n' "$(nproc)" "$(date -u +%FT%TZ)"
    if [[ $PHASES == *sustained* ]]; then
        verdict "sustained: done / offered at ${RATE}/s" \
            "$(awk -v d="$(fig sustained done)" -v o="$(fig sustained offered)" 'BEGIN { if (o > 0) printf "%.3f", d / o }')" ">=" 1 ""
        verdict "sustained: backlog after offering stopped" "$(fig sustained backlog_after_offer)" "<=" 5 " s"
        b=$(fig sustained backlog_after_offer)
        [[ $b == -1.00 ]] && printf '#   (-1: not every complaint was done within the drain)\n'
    fi
    if [[ $PHASES == *latency* ]]; then
        verdict "latency: submit -> assigned p99 at 500/s" "$(fig latency assigned_p99)" "<=" 100 " ms"
        verdict "latency: submit -> receipt sent p99 at 500/s" "$(fig latency receipt_sent_p99)" "<=" 2000 " ms"
    fi
    if [[ $PHASES == *backlog* ]]; then
        verdict "backlog: receipt sent p99, ${SMS_BACKLOG} SMS waiting" "$(fig backlog receipt_sent_p99)" "<=" 2000 " ms"
        if [[ $PHASES == *latency* ]]; then
            verdict "backlog: claim time, ${SMS_BACKLOG} / 100 SMS waiting" \
                "$(awk -v a="$(fig latency claim_mean)" -v b="$(fig backlog claim_mean)" 'BEGIN { if (a > 0) printf "%.2f", b / a }')" "<=" 2 "x"
        fi
    fi
    for phase in $PHASES; do
        printf '# %s: CPU us per complaint (service + its PostgreSQL backends):' "$phase"
        for s in intake bus router watchdog notifier analytics sinks postgres; do
            printf ' %s %s' "$s" "$(fig "$phase" "cpu_$s")"
        done
        printf '; total %s, machine limit at this cost %s/s\n' "$(fig "$phase" cpu_total)" \
            "$(fig "$phase" machine_limit_at_this_cost)"
        # Another tenant on the machine moves every figure: said beside them.
        printf '# %s: the machine: the pipeline %s %%, the load generator %s us/complaint,' \
            "$phase" "$(fig "$phase" cpu_busy)" "$(fig "$phase" cpu_load_generator)"
        printf ' others %s %% of the cores (a run with others above a few %% measured a shared machine)\n' \
            "$(fig "$phase" cpu_others)"
    done
} | tee -a "$OUT"
say "figures in $OUT, logs in $COMPLAINTS_VAR/log"
