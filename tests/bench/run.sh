#!/usr/bin/env bash
# tests/bench/run.sh — the benchmarks on a private PostgreSQL cluster.
#
#     make bench                          # builds, then runs this
#     BUILD=build bash tests/bench/run.sh # the same, binaries already built
#     bash tests/bench/run.sh watchdog    # only some of them: intake watchdog analytics pipeline adapters
#
# analytics (after watchdog, in its own database): a real bus and analytics
# daemon, driven by bench-analytics (tests/bench/analytics.c).
# BENCH_AN_COMPLAINTS (default 1,000,000) complaints' lifecycles received over
# BENCH_AN_DAYS (365) days are written into the outbox and sequenced by the
# bus (~5.4 events a complaint); `analytics --rebuild --once` ingests them
# through replay (rate); then BENCH_AN_RATE (5000) events/s of new
# complaints for BENCH_AN_SECONDS (30) s with analytics running (ingest lag
# p50/p90/p99 from each 10 ms transaction's commit to analytics' cursor);
# then the kpi and series queries a dashboard asks, BENCH_AN_REPEAT (100)
# times each (p50/p99/max); the store's floor beside them (a round trip, the
# raw write rate) and analytics' peak memory. BENCH_AN_PG_STATS=1 prints
# the statements that took the most time in each phase. Figures in
# $DIR/analytics-figures.txt. About half an hour at a million.
#
# pipeline (last; tests/bench/pipeline.sh, its own cluster and ports): the
# whole `make up` pipeline end to end, driven from outside by bench-pipeline:
# 1000 complaints/s sustained for 60 s, 500/s for the latency targets, and
# again with 100,000 SMS rows waiting behind the gateway's rate. About five
# minutes. Its figures go to /tmp/complaints-bench-pipe/figures.txt.
#
# adapters (after pipeline; each its own `make up` pipeline, cluster and
# ports): the channel adapters against intake's own rate measured in the
# same run — tests/bench/web.sh (web submissions/s back to back and at a
# stated offered rate with p50/p99), mail.sh (messages/s from the Maildir to
# acknowledged complaints), hotline.sh (export rows/s). A few minutes.
#
# watchdog (after intake, in its own databases): for each size in
# BENCH_WD_SIZES (default "10000 1000000" open cases) a fresh database is
# populated (bench-watchdog populate), a real watchdog is started on it, and
# bench-watchdog fire makes BENCH_WD_DUE (default 1000) clocks due at once and
# measures the tick, the cost per fired timer, the firing delay and the
# machine's raw limit for the same writes. The two sizes are then set side by
# side: a tick must cost what is due, not what is open. About three minutes,
# most of it writing the million cases.
#
# What it does, in order: creates a throw-away PostgreSQL cluster (owned by
# the postgres user when run as root; Unix socket inside its own folder; no
# TCP listener) with fsync on and synchronous_commit at its default — the
# durability intake promises — creates a fresh database and applies every
# migration, starts intake from $BUILD/bin with a random pseudonym key, runs
# bench-intake (throughput, batch, latency, raw limit, ZeroMQ limit), stops
# intake and the cluster (also on error or Ctrl-C), and prints the figures
# with a verdict against issue 2's targets. About a minute and a half.
#
# Settings (environment):
#   BENCH_PG_PORT   cluster port (default 55406)
#   BENCH_ZMQ_BASE  intake listens on +0, the ZeroMQ-limit echo server on +1
#                   (default 26150)
#   BENCH_DIR       cluster, logs and figures (default /tmp/complaints-bench-PORT;
#                   short, because the socket path must fit in 107 bytes)
#   BENCH_KEEP=1    keep the cluster's data folder afterwards (logs are kept always)
#   BENCH_AN_REUSE=1  analytics only: start the cluster BENCH_KEEP=1 kept and
#                   reuse its ingested analytics_bench (same migrations):
#                   skip populate and ingest, measure live, queries, limit
#                   (minutes instead of half an hour at a million)
#   BENCH_INTAKE_ARGS  extra flags for intake (e.g. "--batch 2000")
#   COMPLAINTS_CURVE   on (default: every socket CURVE, keys in $BENCH_DIR/keys)
#                   or off (plaintext on loopback: the cost of CURVE is the
#                   difference)
#   BENCH_*         bench-intake's own settings (bench-intake --help):
#                   BENCH_CLIENTS, BENCH_WINDOW, BENCH_SECONDS, BENCH_RATE, ...
#   COMPLAINTS_PG_BIN  PostgreSQL server bin folder (default: newest installed)
set -euo pipefail

BENCH_NAME=bench
# shellcheck source=lib/bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/bench.sh"
PORT=${BENCH_PG_PORT:-55406}
ZMQ_BASE=${BENCH_ZMQ_BASE:-26150}
DIR=${BENCH_DIR:-/tmp/complaints-bench-$PORT}
INTAKE_EP=tcp://127.0.0.1:$ZMQ_BASE
ECHO_EP=tcp://127.0.0.1:$((ZMQ_BASE + 1))


PHASES=("$@")
[[ ${#PHASES[@]} -gt 0 ]] || PHASES=(intake watchdog analytics pipeline adapters)
want () { local p; for p in "${PHASES[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }
for p in "${PHASES[@]}"; do
    [[ $p == intake || $p == watchdog || $p == analytics || $p == pipeline || $p == adapters ]] \
        || die "unknown benchmark '$p' (intake, watchdog, analytics, pipeline, adapters)"
done
# The channel adapters' benchmarks, each on a `make up` pipeline of its own.
bench_adapters () {
    local a rc=0
    for a in web mail hotline; do
        say "adapters: $a (tests/bench/$a.sh)"
        BUILD=$BUILD bash "$ROOT/tests/bench/$a.sh" || { rc=1; say "adapters: $a failed"; }
    done
    return $rc
}
# The pipeline and the adapters need none of the cluster below: each runs its own.
if [[ ${PHASES[*]} == pipeline ]]; then
    exec env BUILD="$BUILD" bash "$ROOT/tests/bench/pipeline.sh"
fi
if [[ ${PHASES[*]} == adapters ]]; then
    bench_adapters
    exit
fi
need=()
want intake && need+=(intake bench-intake complaintctl)
want watchdog && need+=(watchdog bench-watchdog)
want analytics && need+=(bus analytics bench-analytics complaintctl)
want pipeline && need+=(bus intake router watchdog notifier complaintctl bench-pipeline)
want adapters && need+=(bus intake web mail hotline complaintctl bench-intake)
for b in "${need[@]}"; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is not built (run: make bench)"
done
if [[ -n ${COMPLAINTS_PG_BIN:-} ]]; then
    PGBIN=$COMPLAINTS_PG_BIN
else
    PGBIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x $PGBIN/pg_ctl ]] || die "no PostgreSQL server under /usr/lib/postgresql (run: make deps)"

# PostgreSQL refuses to run as root: then the cluster belongs to postgres.
as_pg () {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

INTAKE_PID=
WATCHDOG_PID=
BUS_PID=
AN_PID=
REBUILD_PID=
cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    for p in $AN_PID $REBUILD_PID $BUS_PID; do
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [[ -n $WATCHDOG_PID ]] && kill -0 "$WATCHDOG_PID" 2>/dev/null; then
        kill -KILL "$WATCHDOG_PID" 2>/dev/null || true
        wait "$WATCHDOG_PID" 2>/dev/null || true
    fi
    if [[ -n $INTAKE_PID ]] && kill -0 "$INTAKE_PID" 2>/dev/null; then
        kill -TERM "$INTAKE_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$INTAKE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$INTAKE_PID" 2>/dev/null || true
        wait "$INTAKE_PID" 2>/dev/null || true
    fi
    if [[ -f $DIR/data/postmaster.pid ]]; then
        as_pg "$PGBIN/pg_ctl" stop -D "$DIR/data" -m fast -w -t 60 >/dev/null 2>&1 || true
    fi
    if [[ ${BENCH_KEEP:-0} != 1 ]]; then rm -rf "$DIR/data"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

# ------------------------------------------------------------ the cluster
if [[ -f $DIR/data/postmaster.pid ]]; then
    as_pg "$PGBIN/pg_ctl" stop -D "$DIR/data" -m fast -w >/dev/null 2>&1 || true
fi
REUSE=0
if [[ ${BENCH_AN_REUSE:-0} == 1 ]]; then
    [[ ${PHASES[*]} == analytics ]] || die "BENCH_AN_REUSE=1 is for the analytics phase alone"
    [[ -d $DIR/data ]] || die "BENCH_AN_REUSE=1: no kept cluster in $DIR (run once with BENCH_KEEP=1)"
    REUSE=1
fi
if [[ $REUSE == 1 ]]; then
    say "reusing the kept cluster in $DIR (port $PORT)"
else
rm -rf "$DIR"
mkdir -p "$DIR"
if [[ $(id -u) -eq 0 ]]; then chown postgres "$DIR"; fi
say "creating a PostgreSQL cluster in $DIR (port $PORT, fsync on)"
as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --locale C.UTF-8 \
    >"$DIR/initdb.log" 2>&1 || die "initdb failed: see $DIR/initdb.log"
# Only durability is pinned; everything else stays at PostgreSQL's defaults,
# so the figures describe an untuned server.
cat >>"$DIR/data/postgresql.conf" <<EOF

# --- tests/bench/run.sh ---
listen_addresses = ''
fsync = on
synchronous_commit = on
EOF
if [[ ${BENCH_AN_PG_STATS:-0} == 1 ]]; then
    printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = 'all'\n" \
        >>"$DIR/data/postgresql.conf"
fi
fi
as_pg "$PGBIN/pg_ctl" start -D "$DIR/data" -w -t 60 -l "$DIR/postgresql.log" \
    -o "-p $PORT -k $DIR" >/dev/null || { tail -n 20 "$DIR/postgresql.log" >&2; die "PostgreSQL did not start"; }

export PGHOST=$DIR PGPORT=$PORT PGUSER=postgres PGDATABASE=complaints
export COMPLAINTS_PG=
if [[ $REUSE == 0 ]]; then
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE complaints'
    for m in "$ROOT"/deploy/migrations/*.sql; do
        psql -X -q -v ON_ERROR_STOP=1 -f "$m" >/dev/null || die "migration $m failed"
    done
fi

# -------------------------------------------------------------- verdict
fig () { awk -v n="$1" '$1 == n { print $2 }' "$DIR/figures.txt"; }
verdict () {   # NAME VALUE OP LIMIT UNIT
    local ok
    ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
        if (v == "") { print "no figure"; exit }
        r = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        print r ? "met" : "MISSED" }')
    printf '# target %-34s %s %s%s: %s (%s)\n' "$1" "$3" "$4" "$5" "$ok" "${2:-?}"
}

# CURVE on every endpoint, as in production (docs/security.md "Transport
# (CURVE)"): the keys of this run in $DIR/keys. COMPLAINTS_CURVE=off
# measures plaintext on loopback instead (docs/BENCHMARKS.md "CURVE").
if want intake || want analytics; then
    export COMPLAINTS_KEYS=$DIR/keys
    "$BIN/complaintctl" keys init --keys "$COMPLAINTS_KEYS" 2>/dev/null \
        || die "complaintctl keys init --keys $COMPLAINTS_KEYS failed"
    say "transport: CURVE ${COMPLAINTS_CURVE:-on}, keys in $COMPLAINTS_KEYS"
fi

if want intake; then
# --------------------------------------------------------------- intake
export COMPLAINTS_PSEUDONYM_KEY
COMPLAINTS_PSEUDONYM_KEY=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
# the identity key file intake requires (0600, docs/security.md)
export COMPLAINTS_IDENTITY_KEY_FILE=$DIR/identity.key
( umask 077; printf '1 %s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
      >"$COMPLAINTS_IDENTITY_KEY_FILE" )
# shellcheck disable=SC2086
"$BIN/intake" --endpoint "$INTAKE_EP" ${BENCH_INTAKE_ARGS:-} 2>"$DIR/intake.log" &
INTAKE_PID=$!
for _ in $(seq 100); do
    grep -q 'event=started' "$DIR/intake.log" 2>/dev/null && break
    kill -0 "$INTAKE_PID" 2>/dev/null || { cat "$DIR/intake.log" >&2; die "intake exited"; }
    sleep 0.1
done
grep -q 'event=started' "$DIR/intake.log" || die "intake did not start; see $DIR/intake.log"
say "intake running (pid $INTAKE_PID) on $INTAKE_EP; running bench-intake"

# ------------------------------------------------------------ the phases
printf '# transport CURVE %s\n' "${COMPLAINTS_CURVE:-on}" | tee "$DIR/figures.txt"
"$BIN/bench-intake" all --endpoint "$INTAKE_EP" --intake-pid "$INTAKE_PID" \
    --zmq-endpoint "$ECHO_EP" | tee -a "$DIR/figures.txt"

# intake's own account of its batches, from its final stats line
kill -TERM "$INTAKE_PID" 2>/dev/null || true
wait "$INTAKE_PID" 2>/dev/null || true
INTAKE_PID=
stats=$(grep 'event=stats' "$DIR/intake.log" | tail -n 1 | sed 's/.*event=stats //')
printf '# intake stats: %s\n' "$stats" | tee -a "$DIR/figures.txt"

{
    verdict "acknowledged complaints/s" "$(fig throughput_ack)" ">=" 25000 "/s"
    verdict "acknowledged / best raw limit" "$(fig ack_to_best_raw_ratio)" ">=" 0.5 ""
    verdict "p99 latency at $(fig latency_offered)/s offered" "$(fig latency_p99)" "<=" 5 "ms"
} | tee -a "$DIR/figures.txt"
fi

# ------------------------------------------------------------- watchdog
if want watchdog; then
    : >"$DIR/watchdog-figures.txt"
    for size in ${BENCH_WD_SIZES:-10000 1000000}; do
        db=watchdog_$size
        psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
        for m in "$ROOT"/deploy/migrations/*.sql; do
            PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 -f "$m" >/dev/null || die "migration $m failed"
        done
        say "watchdog: writing $size open cases with their clocks into $db"
        PGDATABASE=$db "$BIN/bench-watchdog" populate --open "$size" \
            | sed "s/^/$size /" | tee -a "$DIR/watchdog-figures.txt"
        log=$DIR/watchdog-$size.log
        PGDATABASE=$db "$BIN/watchdog" --name "bench-watchdog-$size" \
            --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" \
            --bus "tcp://127.0.0.1:$((ZMQ_BASE + 2))" 2>"$log" &
        WATCHDOG_PID=$!
        for _ in $(seq 100); do
            grep -q 'event=started' "$log" 2>/dev/null && break
            kill -0 "$WATCHDOG_PID" 2>/dev/null || { cat "$log" >&2; die "watchdog exited"; }
            sleep 0.1
        done
        grep -q 'event=started' "$log" || die "watchdog did not start; see $log"
        sleep 2                       # its first sweeps find nothing to do
        say "watchdog: $size open cases, ${BENCH_WD_DUE:-1000} due at once"
        PGDATABASE=$db "$BIN/bench-watchdog" fire --due "${BENCH_WD_DUE:-1000}" \
            --watchdog-pid "$WATCHDOG_PID" --watchdog-log "$log" \
            | sed "s/^/$size /" | tee -a "$DIR/watchdog-figures.txt" \
            || say "watchdog: not every timer fired at $size (see $log)"
        kill -TERM "$WATCHDOG_PID" 2>/dev/null || true
        wait "$WATCHDOG_PID" 2>/dev/null || true
        WATCHDOG_PID=
        psql -X -q -d postgres -c "DROP DATABASE $db" || true
    done
    wfig () { awk -v s="$1" -v n="$2" '$1 == s && $2 == n { print $3 }' "$DIR/watchdog-figures.txt"; }
    read -r small large <<<"$(echo ${BENCH_WD_SIZES:-10000 1000000})"
    {
        printf '# watchdog: %s open vs %s open cases, %s due\n' "$small" "$large" "${BENCH_WD_DUE:-1000}"
        for f in idle_tick_probes_median tick_mean per_fired_timer firing_delay_p99 raw_per_timer; do
            printf '#   %-26s %10s  vs %10s\n' "$f" "$(wfig "$small" $f)" "$(wfig "$large" $f)"
        done
        ratio=$(awk -v a="$(wfig "$small" per_fired_timer)" -v b="$(wfig "$large" per_fired_timer)" \
            'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a }')
        verdict "per fired timer, large / small" "$ratio" "<=" 2 "x"
        verdict "firing delay p99 ($large open)" "$(wfig "$large" firing_delay_p99)" "<=" 1000 "ms"
    } | tee -a "$DIR/watchdog-figures.txt"
fi

# ------------------------------------------------------------ analytics
if want analytics; then
    db=analytics_bench
    if [[ $REUSE == 0 ]]; then
        psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
        for m in "$ROOT"/deploy/migrations/*.sql; do
            PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 -f "$m" >/dev/null || die "migration $m failed"
        done
    fi
    export PGDATABASE=$db
    AN_EP=tcp://127.0.0.1:$((ZMQ_BASE + 5))
    BUS_PUB=tcp://127.0.0.1:$((ZMQ_BASE + 3))
    BUS_REPLAY=tcp://127.0.0.1:$((ZMQ_BASE + 4))
    n=${BENCH_AN_COMPLAINTS:-1000000}
    # BENCH_AN_PG_STATS=1: where the store's time goes, per phase (the
    # statements that took the most, from pg_stat_statements).
    pg_stats () {
        [[ ${BENCH_AN_PG_STATS:-0} == 1 ]] || return 0
        if [[ $1 != reset ]]; then
            say "analytics: the statements that took the most time ($1)"
            psql -X -q -P pager=off -c "SELECT s.calls, round (s.total_exec_time::numeric) AS total_ms,
                       round ((s.total_exec_time / s.calls)::numeric, 3) AS mean_ms, s.rows,
                       left (regexp_replace (s.query, '\s+', ' ', 'g'), 90) AS query
                  FROM pg_stat_statements s ORDER BY s.total_exec_time DESC LIMIT 12" >&2 || true
        fi
        psql -X -q -c "SELECT pg_stat_statements_reset ()" >/dev/null 2>&1 || true
    }
    if [[ ${BENCH_AN_PG_STATS:-0} == 1 ]]; then
        psql -X -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
    fi
    out=$DIR/analytics-figures.txt
    : >"$out"
    "$BIN/bus" --name bench-bus --pub "$BUS_PUB" --replay "$BUS_REPLAY" --batch 10000 \
        2>"$DIR/bus.log" &
    BUS_PID=$!
    an_args=(--endpoint "$AN_EP" --bus "$BUS_PUB" --replay "$BUS_REPLAY"
             --targets "$ROOT/deploy/analytics/targets.conf" --hotspots "$ROOT/deploy/analytics/hotspots.conf"
             --calendars "$ROOT/deploy/calendars")
    if [[ $REUSE == 1 ]]; then
        echo "# reused: the store BENCH_KEEP=1 kept ($(psql -X -Atq -c 'SELECT max (seq) FROM event_log') events in the log)" | tee -a "$out"
    else
    say "analytics: $n complaints' lifecycles over ${BENCH_AN_DAYS:-365} days into the outbox (the bus sequences them)"
    "$BIN/bench-analytics" populate --complaints "$n" --days "${BENCH_AN_DAYS:-365}" | tee -a "$out"
    for _ in $(seq 36000); do
        [[ $(psql -X -Atq -c 'SELECT count (*) FROM outbox') == 0 ]] && break
        sleep 0.1
    done
    last=$(psql -X -Atq -c 'SELECT max (seq) FROM event_log')
    say "analytics: $last events in the log; analytics --rebuild --once (ingest through replay)"
    "$BIN/analytics" --name bench-rebuild "${an_args[@]}" --rebuild --once 2>"$DIR/analytics-rebuild.log" &
    REBUILD_PID=$!
    pg_stats reset
    "$BIN/bench-analytics" wait --seq "$last" --timeout 7200 | tee -a "$out"
    wait "$REBUILD_PID" || say "analytics --rebuild exited with $?"
    pg_stats "ingest through replay"
    psql -X -q -c 'VACUUM ANALYZE' || true
    fi
    psql -X -Atq -c "SELECT 'store_fact_rows ' || count (*) FROM analytics_fact" | tee -a "$out"
    psql -X -Atq -c "SELECT 'store_rollup_rows ' || count (*) FROM analytics_rollup" | tee -a "$out"
    psql -X -Atq -c "SELECT 'store_analytics_size ' || pg_size_pretty (sum (pg_total_relation_size (oid)))
                       FROM pg_class WHERE relname LIKE 'analytics%' AND relkind = 'r'" | tee -a "$out"
    "$BIN/analytics" --name bench-live "${an_args[@]}" 2>"$DIR/analytics.log" &
    AN_PID=$!
    # Steady state: a new consumer's first sweep is a full one (a GROUP BY
    # over each window rule's whole window, about a second at a million
    # complaints: docs/analytics.md "When"), once at start and then every
    # tenth sweep; the live phase measures the lag after it.
    for _ in $(seq 600); do grep -q 'event=hotspot_sweep' "$DIR/analytics.log" 2>/dev/null && break; sleep 0.1; done
    grep -m1 'event=hotspot_sweep' "$DIR/analytics.log" | sed 's/^/bench: analytics: first sweep: /' >&2 || true
    say "analytics: ${BENCH_AN_RATE:-5000} events/s live for ${BENCH_AN_SECONDS:-30} s"
    "$BIN/bench-analytics" live --rate "${BENCH_AN_RATE:-5000}" --seconds "${BENCH_AN_SECONDS:-30}" \
        | tee -a "$out" || say "analytics: not every tick was covered"
    pg_stats "live"
    say "analytics: queries over the store"
    "$BIN/bench-analytics" query --endpoint "$AN_EP" --repeat "${BENCH_AN_REPEAT:-100}" \
        --days "${BENCH_AN_DAYS:-365}" | tee -a "$out" || say "analytics: some queries failed"
    pg_stats "queries"
    "$BIN/bench-analytics" limit | tee -a "$out"
    awk '/VmHWM/ { print "analytics_peak_rss " $2 " kB" }' "/proc/$AN_PID/status" | tee -a "$out"
    kill -TERM "$AN_PID" "$BUS_PID" 2>/dev/null || true
    wait "$AN_PID" "$BUS_PID" 2>/dev/null || true
    afig () { awk -v n="$1" '$1 == n { print $2 }' "$out"; }
    {
        verdict "ingest lag p99 at ${BENCH_AN_RATE:-5000} events/s" "$(afig live_lag_p99)" "<=" 1000 " ms"
        for q in kpi_all kpi_by_branch kpi_30d_by_branch series_day_received series_day_received_by_cause series_hour_received_7d; do
            verdict "$q p99" "$(afig ${q}_p99)" "<=" 200 " ms"
        done
    } | tee -a "$out"
    unset PGDATABASE
fi

say "figures in $DIR/figures.txt, logs in $DIR"

if want pipeline; then
    BUILD=$BUILD bash "$ROOT/tests/bench/pipeline.sh"
fi
if want adapters; then
    bench_adapters || true
fi
