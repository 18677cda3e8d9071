#!/usr/bin/env bash
# tests/bench/web.sh — the web adapter's submissions/s and latency, beside
# intake's own submit rate in the same run. Not part of `make test` or CI
# (nor of tests/bench/run.sh's default set): run it by hand,
#
#     BUILD=build bash tests/bench/web.sh
#
# Starts the embedded pipeline as `make up` runs it (deploy/scripts/up.sh:
# bus ×2, intake, router ×2, watchdog ×2, notifier ×2, analytics, the sinks,
# and web) in a folder and on ports of its own, with the web adapter's
# per-address limits lifted (every request comes from 127.0.0.1). Then:
#
#   intake   bench-intake throughput (tests/bench/intake.c): 4 clients, 128
#            in flight each, straight to intake over CURVE for
#            BENCH_WEB_SECONDS — the rate the channel adapters share;
#   closed   web_load.py closed: BENCH_WEB_CLIENTS keep-alive HTTP clients
#            submitting back to back through the web adapter — the most it
#            answers 201 (each answer waits for intake's number: spool fsync,
#            submit, group commit, reply);
#   open     web_load.py open: BENCH_WEB_RATE submissions/s offered on a
#            fixed schedule, latency (p50/p99/max) from the scheduled time.
#
# The figures are `name value unit` lines (in $BENCH_WEB_VAR/figures.txt).
# The load client is Python on the same machine and its CPU time is
# printed: on a small machine it competes with what it measures.
#
# Settings: BUILD, BENCH_WEB_VAR (/tmp/complaints-bench-web), BENCH_WEB_PG_PORT
# (55408), BENCH_WEB_BASE (26190: intake, bus pub, replay, analytics, its
# HTTP, smtp and http sinks, web at +0..+7, metrics from +10),
# BENCH_WEB_SECONDS (15), BENCH_WEB_CLIENTS (16), BENCH_WEB_RATE (200),
# BENCH_KEEP=1 (leave the pipeline running).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) BIN=$BUILD/bin ;; *) BIN=$ROOT/$BUILD/bin ;; esac
VAR_DIR=${BENCH_WEB_VAR:-/tmp/complaints-bench-web}
BASE=${BENCH_WEB_BASE:-26190}
SECONDS_EACH=${BENCH_WEB_SECONDS:-15}
CLIENTS=${BENCH_WEB_CLIENTS:-16}
RATE=${BENCH_WEB_RATE:-200}
PY=/usr/bin/python3

say () { printf 'bench-web: %s\n' "$*" >&2; }
die () { printf 'bench-web: error: %s\n' "$*" >&2; exit 1; }
[[ -x $BIN/bench-intake ]] || die "$BIN/bench-intake is missing (make BUILD=$BUILD $BUILD/bin/bench-intake)"

export COMPLAINTS_VAR=$VAR_DIR
export COMPLAINTS_PG_PORT=${BENCH_WEB_PG_PORT:-55408}
export COMPLAINTS_INTAKE_ENDPOINT=tcp://127.0.0.1:$((BASE + 0))
export COMPLAINTS_BUS_PUB_ENDPOINT=tcp://127.0.0.1:$((BASE + 1))
export COMPLAINTS_BUS_REPLAY_ENDPOINT=tcp://127.0.0.1:$((BASE + 2))
export COMPLAINTS_ANALYTICS_ENDPOINT=tcp://127.0.0.1:$((BASE + 3))
export COMPLAINTS_ANALYTICS_HTTP=127.0.0.1:$((BASE + 4))
export COMPLAINTS_SINK_SMTP_PORT=$((BASE + 5))
export COMPLAINTS_SINK_HTTP_PORT=$((BASE + 6))
export COMPLAINTS_WEB_ADDR=127.0.0.1:$((BASE + 7))
export COMPLAINTS_METRICS_BASE=$((BASE + 10))
# One address sends everything here: lift the per-address limits.
export COMPLAINTS_WEB_SUBMIT_BURST=1000000 COMPLAINTS_WEB_SUBMIT_REFILL_MS=1
export COMPLAINTS_WEB_PER_CLIENT_CONNECTIONS=10000

down () { BUILD=$BUILD bash "$ROOT/deploy/scripts/down.sh" >/dev/null 2>&1 || true; }
cleanup () { [[ ${BENCH_KEEP:-0} == 1 ]] || down; }
trap cleanup EXIT
down
rm -rf "$VAR_DIR"
say "starting the pipeline in $VAR_DIR (make up's up.sh)"
BUILD=$BUILD bash "$ROOT/deploy/scripts/up.sh" >"$VAR_DIR.up.log" 2>&1 || { tail -20 "$VAR_DIR.up.log"; die "up.sh failed"; }
# shellcheck disable=SC1091
. "$VAR_DIR/env"

OUT=$VAR_DIR/figures.txt
{
    printf '# bench-web %s, %s cores, %s\n' "$(date -u +%FT%TZ)" "$(nproc)" "$(uname -r)"
    printf '# the whole make-up pipeline running (routers, watchdogs, notifiers, analytics consume each complaint)\n'
    printf '# PostgreSQL fsync on, synchronous_commit default; web --answer-wait-ms 3000 (a 201 waits for intake)\n'
    printf '# intake: bench-intake throughput, 4 clients x 128 in flight, %s s\n' "$SECONDS_EACH"
} >"$OUT"
say "intake's own rate (bench-intake throughput, $SECONDS_EACH s)"
COMPLAINTS_KEY=operator "$BIN/bench-intake" throughput --endpoint "$COMPLAINTS_INTAKE_ENDPOINT" \
    --seconds "$SECONDS_EACH" 2>&1 | grep -v '^#' | sed 's/^/intake_/' >>"$OUT" || true
say "web, closed loop ($CLIENTS clients, $SECONDS_EACH s)"
"$PY" "$ROOT/tests/bench/web_load.py" --url "http://$COMPLAINTS_WEB_ADDR" closed \
    --clients "$CLIENTS" --seconds "$SECONDS_EACH" >>"$OUT"
say "web, open loop ($RATE/s offered, $SECONDS_EACH s)"
"$PY" "$ROOT/tests/bench/web_load.py" --url "http://$COMPLAINTS_WEB_ADDR" open \
    --rate "$RATE" --seconds "$SECONDS_EACH" >>"$OUT"
{
    printf 'web_peak_rss %s kB\n' "$(awk '/VmHWM/ { print $2 }' "/proc/$(cat "$VAR_DIR/run/web.pid")/status")"
} >>"$OUT"
cat "$OUT"
