#!/usr/bin/env bash
# tests/bench/run.sh — the intake benchmark on a private PostgreSQL cluster.
#
#     make bench                          # builds, then runs this
#     BUILD=build bash tests/bench/run.sh # the same, binaries already built
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
#                   (default 56150)
#   BENCH_DIR       cluster, logs and figures (default /tmp/complaints-bench-PORT;
#                   short, because the socket path must fit in 107 bytes)
#   BENCH_KEEP=1    keep the cluster's data folder afterwards (logs are kept always)
#   BENCH_INTAKE_ARGS  extra flags for intake (e.g. "--batch 2000")
#   BENCH_*         bench-intake's own settings (bench-intake --help):
#                   BENCH_CLIENTS, BENCH_WINDOW, BENCH_SECONDS, BENCH_RATE, ...
#   COMPLAINTS_PG_BIN  PostgreSQL server bin folder (default: newest installed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bin
PORT=${BENCH_PG_PORT:-55406}
ZMQ_BASE=${BENCH_ZMQ_BASE:-56150}
DIR=${BENCH_DIR:-/tmp/complaints-bench-$PORT}
INTAKE_EP=tcp://127.0.0.1:$ZMQ_BASE
ECHO_EP=tcp://127.0.0.1:$((ZMQ_BASE + 1))

say () { printf 'bench: %s\n' "$*" >&2; }
die () { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for b in intake bench-intake; do
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
cleanup () {
    local rc=$?
    trap - EXIT INT TERM
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
as_pg "$PGBIN/pg_ctl" start -D "$DIR/data" -w -t 60 -l "$DIR/postgresql.log" \
    -o "-p $PORT -k $DIR" >/dev/null || { tail -n 20 "$DIR/postgresql.log" >&2; die "PostgreSQL did not start"; }

export PGHOST=$DIR PGPORT=$PORT PGUSER=postgres PGDATABASE=complaints
export COMPLAINTS_PG=
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE complaints'
for m in "$ROOT"/deploy/migrations/*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 -f "$m" >/dev/null || die "migration $m failed"
done

# --------------------------------------------------------------- intake
export COMPLAINTS_PSEUDONYM_KEY
COMPLAINTS_PSEUDONYM_KEY=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
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
"$BIN/bench-intake" all --endpoint "$INTAKE_EP" --intake-pid "$INTAKE_PID" \
    --zmq-endpoint "$ECHO_EP" | tee "$DIR/figures.txt"

# intake's own account of its batches, from its final stats line
kill -TERM "$INTAKE_PID" 2>/dev/null || true
wait "$INTAKE_PID" 2>/dev/null || true
INTAKE_PID=
stats=$(grep 'event=stats' "$DIR/intake.log" | tail -n 1 | sed 's/.*event=stats //')
printf '# intake stats: %s\n' "$stats" | tee -a "$DIR/figures.txt"

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
{
    verdict "acknowledged complaints/s" "$(fig throughput_ack)" ">=" 25000 "/s"
    verdict "acknowledged / best raw limit" "$(fig ack_to_best_raw_ratio)" ">=" 0.5 ""
    verdict "p99 latency at $(fig latency_offered)/s offered" "$(fig latency_p99)" "<=" 5 "ms"
} | tee -a "$DIR/figures.txt"
say "figures in $DIR/figures.txt, logs in $DIR"
