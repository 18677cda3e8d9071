#!/usr/bin/env bash
# tests/run.sh — the test runner behind `make test` (and `make asan`).
#
#   BUILD=build bash tests/run.sh            every test
#   BUILD=build bash tests/run.sh NAME...    only the tests named (globs work:
#                                            'fault_*', 'fuzz_*')
#
# What it runs, each counted as one test:
#   selftest          $BUILD/bin/selftest: every class's self-test
#   NAME_selftest     `$BUILD/bin/NAME --selftest` for each service named in
#                     SERVICE_SELFTESTS below (a listed binary that is not
#                     built fails; a new service with a self-test is added
#                     to the list, not found by searching binaries)
#   fuzz_<target>     each libFuzzer target in tests/fuzz/, ~20 s over a copy
#                     of its seed corpus (skipped, with a note, without clang)
#   <name>            each tests/integration/<name>.sh, in its own database
#                     and scratch dir var/test/<name>/, with a time limit
#
# The store is a private PostgreSQL cluster created for this run under
# var/test/pg (var/test-PORT/pg when TEST_PG_PORT is not 55405) (owned by the postgres user, Unix socket only, port
# TEST_PG_PORT, default 55405) and stopped on exit, pass or fail. Services
# started by integration tests use ZeroMQ ports from TEST_ZMQ_BASE (default
# 26140), so a run never collides with `make up` on 5550/5560/5561/55432.
# Below 32768 on purpose: Linux hands out outgoing ports from 32768-60999,
# and a listener there fails now and then with "Address already in use"
# when some client's connection happens to hold its port.
#
# Concurrency (TEST_JOBS, default 2; TEST_JOBS=1 runs one test at a time,
# in the listed order, as the runner always did). An integration test
# spends most of its time waiting — for processes to start, for deadlines,
# for a SIGKILLed service to come back — so TEST_JOBS tests run at once:
# the service self-tests, the fuzz targets (one job: they run one after
# another, each is CPU-bound and two at once on 2 cores gain nothing) and
# the integration tests share a pool of TEST_JOBS job slots. What a running
# test must not share, it has its own of:
#   ZeroMQ ports  slot k (0 .. TEST_JOBS-1) gets the block TEST_ZMQ_BASE +
#                 20*k .. +20*k+19 as its TEST_ZMQ_BASE; a test uses +0 .. +9
#                 of it (tests/lib.sh), the rest is headroom. The next test
#                 in the slot gets the same ports at once, while the last
#                 one's connections may be in TIME_WAIT: a listener a test
#                 opens itself sets SO_REUSEADDR (ZeroMQ's, smtp-sink and
#                 http_sink.py do)
#   store         its own database test_<name> (the cluster is shared: no
#                 test may change the cluster itself, see below)
#   files         its own scratch dir var/test/<name>/, and nothing else
#                 under var/, /tmp or /dev/shm at a fixed path
# A test that must run with nothing else in flight (one that would stop or
# restart the cluster, change its settings with ALTER SYSTEM, or terminate
# sessions of other databases) says so with a line beginning
# "# run.sh: alone" and a reason; the runner waits until every running job
# is done, runs it by itself, then goes on. None needs it today:
# fault_pg_outage cuts only its own database (ALLOW_CONNECTIONS false and
# pg_terminate_backend of that database's sessions). docs/testing.md says
# how to choose TEST_JOBS.
#
# Output: one "PASS name (N checks, Ns)" or "FAIL name (...)" per test, the
# test's own report indented under it, the tail of its logs on failure, and
# one closing line "N passed, N failed" (", N skipped" when something was
# skipped) — always the last line. A job's output is kept in a file and
# printed whole when the job ends, so blocks never interleave; with
# TEST_JOBS > 1 they come in the order the tests finish. The exit status
# is non-zero if any test failed.
#
# Interrupted (Ctrl-C, SIGTERM), the runner stops every running job: each
# test runs under `timeout` in a process group of its own, and the runner
# signals that group (TERM: the test's exit trap stops its services; KILL
# 20 s later for whatever is left), kills any pid the test recorded, then
# stops the cluster. A runner killed with SIGKILL cannot clean up: its
# running tests go on to their end (or TEST_TIMEOUT) and stop their own
# services, and the next run on the same port stops the cluster it left.
#
# Checks are counted, and a test that made none fails, whatever its exit
# status: a test that checks nothing proves nothing, and a test whose
# assertions were skipped by a mistake (a wrong path, an empty loop, an
# early `exit 0`) must not pass. Where the count comes from:
#   selftest, NAME_selftest   the binary's "N passed, M failed" line (czmq
#                     style " * class: OK" lines when it prints no such line)
#   fuzz_<target>     the inputs the fuzzer ran
#   <name>            $TEST_DIR/checks: every checker appends one line
#                     "PASSED FAILED SOURCE" when it ends (tests/lib.sh for
#                     the bash helpers, tests/integration/checks.py for the
#                     Python checkers); a test passes only with exit status
#                     0, at least one passed check and no failed one
#
# Settings (environment): BUILD, TEST_PG_PORT, TEST_ZMQ_BASE,
# TEST_JOBS (tests at once, default 2),
# TEST_TIMEOUT (seconds per integration test, default 300),
# FUZZ_SECONDS (per fuzz target, default 10), TEST_KEEP=1 (keep var/test
# and the cluster's data after the run for a post-mortem).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$ROOT/$BUILD ;; esac
# The fuzz targets' own tree, whatever BUILD is (the Makefile's FUZZ_BUILD).
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
case $FUZZ_BUILD in /*) FUZZ_BUILD_DIR=$FUZZ_BUILD ;; *) FUZZ_BUILD_DIR=$ROOT/$FUZZ_BUILD ;; esac
BIN=$BUILD_DIR/bin
TEST_PG_PORT=${TEST_PG_PORT:-55405}
TEST_ZMQ_BASE=${TEST_ZMQ_BASE:-26140}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
TEST_JOBS=${TEST_JOBS:-2}
# ZeroMQ ports per job slot: a test uses +0 .. +9 of its block (tests/lib.sh).
SLOT_PORTS=20
if ! [[ $TEST_JOBS =~ ^[1-9][0-9]*$ ]]; then
    printf 'tests/run.sh: TEST_JOBS must be a number of jobs, 1 or more (not "%s")\n' "$TEST_JOBS"
    exit 2
fi
if [ $((TEST_ZMQ_BASE + TEST_JOBS * SLOT_PORTS)) -gt 32768 ]; then
    printf 'tests/run.sh: TEST_JOBS=%s slots of %s ports from TEST_ZMQ_BASE=%s reach past 32767\n' \
        "$TEST_JOBS" "$SLOT_PORTS" "$TEST_ZMQ_BASE"
    exit 2
fi
# A run on another port gets its own folder, so two runs from one tree (two
# people, or CI beside a developer) never stop each other's cluster.
if [ "$TEST_PG_PORT" = 55405 ]; then VAR=$ROOT/var/test; else VAR=$ROOT/var/test-$TEST_PG_PORT; fi
PGROOT=$VAR/pg
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
export ROOT BUILD BUILD_DIR BIN TEST_PG_PORT TEST_ZMQ_BASE

# The services with a built-in self-test (`BINARY --selftest`): an explicit
# list, so a self-test that stops being built or run is noticed.
SERVICE_SELFTESTS=(analytics bus hotline intake mail notifier router watchdog web)

PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()
FILTERS=("$@")

say () { printf '%s\n' "$*"; }

# Does the user's filter select this test?
s_selected () {
    local name=$1 pat
    [ ${#FILTERS[@]} -eq 0 ] && return 0
    for pat in "${FILTERS[@]}"; do
        # shellcheck disable=SC2053
        [[ $name == $pat ]] && return 0
    done
    return 1
}

# Count a result: status (pass, fail, skip) and name. Inside a job the
# counts are the runner's, not the job's: the job also writes the result to
# $JOB_RESULTS, which the runner reads when the job ends (s_job_collect).
s_count () {
    case $1 in
        pass) PASSED=$((PASSED + 1)) ;;
        skip) SKIPPED=$((SKIPPED + 1)) ;;
        *)    FAILED=$((FAILED + 1)); FAILED_NAMES+=("$2") ;;
    esac
    if [ -n "${JOB_RESULTS:-}" ]; then printf '%s %s\n' "$1" "$2" >>"$JOB_RESULTS"; fi
}

s_record () {   # name status seconds [what was counted: "12 checks"]
    local what=${4:+$4, }
    if [ "$2" = pass ]; then
        say "PASS $1 (${what}${3}s)"
        s_count pass "$1"
    else
        say "FAIL $1 (${what}${3}s)"
        s_count fail "$1"
    fi
}

# The checks a self-test binary reports in its output: the last "N passed"
# (its summary line), else its czmq-style " * class: OK" lines.
s_selftest_checks () {
    local n
    n=$(grep -Eo '[0-9]+ passed' "$1" | tail -1 | grep -Eo '^[0-9]+')
    if [ -z "$n" ]; then
        n=$(grep -Ec '^ \* .*: OK$' "$1")
    fi
    echo "${n:-0}"
}

# An integration test's checks: the sums of $TEST_DIR/checks's columns,
# "passed failed".
s_test_checks () {
    if [ -f "$1" ]; then
        awk '{ p += $1; f += $2 } END { printf "%d %d\n", p, f }' "$1"
    else
        echo "0 0"
    fi
}

s_skip () {
    say "SKIP $1 ($2)"
    s_count skip "$1"
}

s_indent () { sed 's/^/    /'; }

# ---------------------------------------------------------------- PostgreSQL

PG_STARTED=0

# PostgreSQL refuses to run as root: as root the cluster belongs to the
# postgres user and its tools run through runuser; anyone else runs them.
as_pg () {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

s_pg_stop () {
    if [ "$PG_STARTED" = 1 ] && [ -f "$PGROOT/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w -t 30 stop \
            >/dev/null 2>&1 \
        || as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop \
            >/dev/null 2>&1
    fi
    PG_STARTED=0
    if [ -n "${PGSOCK_TMP:-}" ]; then rm -rf "$PGSOCK_TMP"; fi
}

s_cleanup () {
    s_jobs_stop
    s_pg_stop
    if [ "${TEST_KEEP:-0}" != 1 ]; then
        rm -rf "$PGROOT"
    fi
}
trap s_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

s_pg_start () {
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
        say "tests/run.sh: no PostgreSQL server binaries under /usr/lib/postgresql (make deps)"
        return 1
    fi
    # A cluster left by an interrupted run may still be up: stop it first.
    if [ -f "$PGROOT/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$PGROOT"
    mkdir -p "$PGROOT"
    [ "$(id -u)" = 0 ] && chown postgres "$PGROOT"
    chmod 700 "$PGROOT"
    # The postgres user must be able to reach its folder inside our tree.
    local d=$VAR
    while [ "$d" != / ]; do
        chmod o+x "$d" 2>/dev/null || true
        d=$(dirname "$d")
    done
    # A Unix socket path is limited to 107 bytes; a deep checkout puts the
    # socket in a private /tmp folder instead.
    PGSOCK=$PGROOT
    if [ ${#PGSOCK} -gt 80 ]; then
        PGSOCK_TMP=$(mktemp -d /tmp/complaints-test-pg.XXXXXX)
        [ "$(id -u)" = 0 ] && chown postgres "$PGSOCK_TMP"
        PGSOCK=$PGSOCK_TMP
    fi
    if ! as_pg "$PGBIN/initdb" -D "$PGROOT/data" -A trust -U postgres \
            -E UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1; then
        say "tests/run.sh: initdb failed:"; tail -20 "$PGROOT/initdb.log" | s_indent
        return 1
    fi
    PG_STARTED=1
    if ! as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
            -o "-p $TEST_PG_PORT -k $PGSOCK -c listen_addresses='' -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
        say "tests/run.sh: PostgreSQL did not start on port $TEST_PG_PORT:"
        tail -20 "$PGROOT/server.log" | s_indent
        return 1
    fi
    export PGHOST=$PGSOCK PGPORT=$TEST_PG_PORT PGUSER=postgres
    unset PGDATABASE PGPASSWORD PGSERVICE
    export COMPLAINTS_PG=""
}

# A fresh database with every migration applied: a copy of the template
# database s_roles_create migrated once for the run (CREATE DATABASE ...
# TEMPLATE copies its files: a fraction of a second, where running the
# migrations took seconds for each of the suite's sixty databases). Before
# the template exists, or without it: the project's migration runner,
# else deploy/migrations/*.sql in order.
TEMPLATE_DB=test__template
s_db_create () {
    local db=$1 log=$2
    dropdb --if-exists "$db" >/dev/null 2>&1
    if [ -n "${TEMPLATE_READY:-}" ]; then
        createdb -T "$TEMPLATE_DB" "$db" >>"$log" 2>&1
        return
    fi
    createdb "$db" >>"$log" 2>&1 || return 1
    if [ -f "$ROOT/deploy/scripts/migrate.sh" ]; then
        PGDATABASE=$db COMPLAINTS_PG="dbname=$db" \
            bash "$ROOT/deploy/scripts/migrate.sh" >>"$log" 2>&1 || return 1
    else
        local f
        for f in "$ROOT"/deploy/migrations/*.sql; do
            [ -f "$f" ] || continue
            PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 -f "$f" >>"$log" 2>&1 || return 1
        done
    fi
}

# The cluster's login roles, once per run (deploy/scripts/roles.sh): one per
# service, each a member of the group role migration 020 makes, so the
# services a test starts log in as themselves (tests/lib.sh exports each
# one's COMPLAINTS_<SERVICE>_PG) and the suite proves their GRANTs are
# enough. The group roles come from a migration, so one scratch database is
# migrated first. In this cluster only, complaints_test_clock goes to the
# tests' own superuser (psql_value ... app_clock_set) and complaintctl's
# login (clock_shift): a test database may shift and scale the store's
# clock (app_now (), 003 and 020), so days of deadlines run in seconds.
#
# That migrated database stays, untouched, as the template every test's
# database is copied from (s_db_create): nothing connects to it again, as
# CREATE DATABASE ... TEMPLATE requires.
s_roles_create () {
    local db=$TEMPLATE_DB log=$VAR/roles.log
    : >"$log"
    unset TEMPLATE_READY
    if ! s_db_create "$db" "$log" \
       || ! PGDATABASE=$db bash "$ROOT/deploy/scripts/roles.sh" \
                --test-clock postgres complaints_ctl_login >>"$log" 2>&1; then
        say "tests/run.sh: could not create the login roles:"
        tail -20 "$log" | s_indent
        return 1
    fi
    TEMPLATE_READY=1
}

# Kill whatever an integration test left running: every pid lib.sh recorded.
s_reap () {
    local dir=$1 f pid
    for f in "$dir"/pids/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
            say "    (runner killed leftover process $(basename "$f" .pid) pid $pid)"
        fi
    done
}

# ---------------------------------------------------------------- job pool
#
# Up to TEST_JOBS jobs run at once, each a runner function in a background
# subshell whose output goes to $JOBS_DIR/LABEL.out; the runner prints that
# file whole when the job ends, then counts the results the job wrote to
# $JOBS_DIR/LABEL.results. A job runs in a slot (0 .. TEST_JOBS-1) and gets
# its slot's block of ZeroMQ ports as TEST_ZMQ_BASE.

JOBS_DIR=$VAR/jobs
SLOT_PID=()         # slot -> pid of the job's subshell, unset when free
SLOT_LABEL=()       # slot -> the job's label
RUNNING=0

# s_job_start LABEL FUNCTION ARGS... — start FUNCTION ARGS in a free slot,
# after waiting for one when all are busy.
s_job_start () {
    local label=$1 slot; shift
    while [ "$RUNNING" -ge "$TEST_JOBS" ]; do s_job_collect; done
    for ((slot = 0; slot < TEST_JOBS; slot++)); do
        [ -z "${SLOT_PID[slot]:-}" ] && break
    done
    rm -f "$JOBS_DIR/$label.out" "$JOBS_DIR/$label.results" "$JOBS_DIR/$label.group"
    (
        JOB_RESULTS=$JOBS_DIR/$label.results
        JOB_GROUP=$JOBS_DIR/$label.group
        TEST_ZMQ_BASE=$((TEST_ZMQ_BASE + slot * SLOT_PORTS))
        "$@"
    ) >"$JOBS_DIR/$label.out" 2>&1 </dev/null &
    SLOT_PID[slot]=$!
    SLOT_LABEL[slot]=$label
    RUNNING=$((RUNNING + 1))
}

# s_job_collect — wait for the next job to end; print its output, count its
# results. A job that ended without a result (killed, a bug in the runner)
# is a failure under its label.
s_job_collect () {
    local pid= rc slot label status name n=0
    wait -n -p pid
    rc=$?
    if [ -z "$pid" ]; then
        # No child left (wait -n found none): the books must say so too.
        SLOT_PID=(); SLOT_LABEL=(); RUNNING=0
        return
    fi
    for slot in "${!SLOT_PID[@]}"; do
        [ "${SLOT_PID[slot]}" = "$pid" ] && break
    done
    [ "${SLOT_PID[slot]:-}" = "$pid" ] || return 0     # not a job's
    label=${SLOT_LABEL[slot]}
    unset "SLOT_PID[slot]" "SLOT_LABEL[slot]"
    RUNNING=$((RUNNING - 1))
    cat "$JOBS_DIR/$label.out"
    if [ -f "$JOBS_DIR/$label.results" ]; then
        while read -r status name; do
            s_count "$status" "$name"
            n=$((n + 1))
        done <"$JOBS_DIR/$label.results"
    fi
    if [ $n = 0 ]; then
        say "    the runner's job for $label ended (status $rc) without a result"
        s_record "$label" fail 0
    fi
}

# s_job_alone LABEL FUNCTION ARGS... — run it with nothing else in flight.
s_job_alone () {
    s_jobs_wait
    s_job_start "$@"
    s_jobs_wait
}

s_jobs_wait () { while [ "$RUNNING" -gt 0 ]; do s_job_collect; done; }

# s_timed LIMIT GRACE COMMAND... — `timeout -k GRACE LIMIT COMMAND`, whose
# process group (timeout makes one, the command and everything it starts
# are in it) is written to $JOB_GROUP, so an interrupted runner can stop
# the lot (s_jobs_stop). Returns the command's status (124 when timed out).
s_timed () {
    local limit=$1 grace=$2 pid; shift 2
    timeout -k "$grace" "$limit" "$@" &
    pid=$!
    if [ -n "${JOB_GROUP:-}" ]; then echo "$pid" >"$JOB_GROUP"; fi
    wait "$pid"
}

# The runner was interrupted: stop every running job — its subshell first,
# so it starts nothing more, then its process group (TERM; a test's exit
# trap stops its services; KILL after 20 s), then any pid the test
# recorded (s_reap).
s_jobs_stop () {
    local slot label pg deadline alive groups=()
    [ "$RUNNING" -gt 0 ] || return 0
    say "tests/run.sh: interrupted, stopping ${SLOT_LABEL[*]}"
    for slot in "${!SLOT_PID[@]}"; do
        kill -TERM "${SLOT_PID[slot]}" 2>/dev/null
    done
    for slot in "${!SLOT_LABEL[@]}"; do
        pg=$(cat "$JOBS_DIR/${SLOT_LABEL[slot]}.group" 2>/dev/null)
        if [ -n "$pg" ]; then
            groups+=("$pg")
            kill -TERM -- "-$pg" 2>/dev/null
        fi
    done
    deadline=$((SECONDS + 20))
    while [ ${#groups[@]} -gt 0 ] && [ $SECONDS -lt $deadline ]; do
        alive=0
        for pg in "${groups[@]}"; do kill -0 -- "-$pg" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.2
    done
    for pg in "${groups[@]}"; do kill -KILL -- "-$pg" 2>/dev/null; done
    for slot in "${!SLOT_LABEL[@]}"; do
        label=${SLOT_LABEL[slot]}
        [ -d "$VAR/$label/pids" ] && s_reap "$VAR/$label"
    done
    wait 2>/dev/null
    SLOT_PID=(); SLOT_LABEL=(); RUNNING=0
}

# ------------------------------------------------------------------- tests

s_run_selftest () {
    s_selected selftest || return 0
    local dir=$VAR/selftest t0=$SECONDS rc
    rm -rf "$dir"; mkdir -p "$dir"
    if [ ! -x "$BIN/selftest" ]; then
        say "    $BIN/selftest is missing (make BUILD=$BUILD)"
        s_record selftest fail 0
        return
    fi
    timeout -k 5 120 "$BIN/selftest" >"$dir/out.log" 2>&1
    rc=$?
    s_indent <"$dir/out.log" | tail -40
    local n; n=$(s_selftest_checks "$dir/out.log")
    if [ $rc = 0 ] && [ "$n" -gt 0 ]; then s_record selftest pass $((SECONDS - t0)) "$n checks"
    else
        [ $rc = 0 ] && say "    no checks reported: a test that checks nothing fails"
        [ $rc = 0 ] || say "    exit status $rc"
        s_record selftest fail $((SECONDS - t0)) "$n checks"
    fi
}

# Services with a built-in self-test (`BINARY --selftest`, czmq style), the
# ones SERVICE_SELFTESTS names: each runs as NAME_selftest, from the project
# root (rules files are found there) with a fresh migrated database of its
# own in PGDATABASE; each is a job of the pool.
s_run_service_selftests () {
    local name
    for name in "${SERVICE_SELFTESTS[@]}"; do
        s_selected "${name}_selftest" || continue
        s_job_start "${name}_selftest" s_service_selftest "$name"
    done
}

s_service_selftest () {     # NAME (a job)
    local name=$1 bin=$BIN/$1
    local dir=$VAR/${name}_selftest t0=$SECONDS rc db=test_${name}_selftest n
    rm -rf "$dir"; mkdir -p "$dir"
    if [ ! -x "$bin" ]; then
        say "    $bin is missing (make BUILD=$BUILD)"
        s_record "${name}_selftest" fail 0
        return
    fi
    if ! s_db_create "$db" "$dir/db.log"; then
        tail -20 "$dir/db.log" | s_indent
        s_record "${name}_selftest" fail $((SECONDS - t0))
        return
    fi
    PGDATABASE=$db s_timed 120 5 "$bin" --selftest >"$dir/out.log" 2>&1 </dev/null
    rc=$?
    tail -40 "$dir/out.log" | s_indent
    n=$(s_selftest_checks "$dir/out.log")
    if [ $rc = 0 ] && [ "$n" -gt 0 ]; then
        s_record "${name}_selftest" pass $((SECONDS - t0)) "$n checks"
    else
        [ $rc = 0 ] && say "    no checks reported: a test that checks nothing fails"
        [ $rc = 0 ] || say "    exit status $rc"
        s_record "${name}_selftest" fail $((SECONDS - t0)) "$n checks"
    fi
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
}

# Print a crashing input as hex, the form the report and an issue need.
s_hex () { od -An -tx1 -v "$1" | tr -d ' \n' | head -c 2048; echo; }

s_run_fuzz () {
    local targets=() t
    for t in "$ROOT"/tests/fuzz/fuzz_*.c; do
        [ -f "$t" ] || continue
        t=$(basename "$t" .c)
        s_selected "$t" && targets+=("$t")
    done
    [ ${#targets[@]} -eq 0 ] && return 0
    if ! command -v clang >/dev/null 2>&1; then
        for t in "${targets[@]}"; do s_skip "$t" "clang is not installed: no libFuzzer"; done
        return 0
    fi
    s_job_start fuzz s_fuzz_targets "${targets[@]}"
}

# The fuzz targets, one after another (a job): each is CPU-bound, so two at
# once on 2 cores would gain nothing; the job runs beside the integration
# tests, which mostly wait.
s_fuzz_targets () {     # TARGET...
    local targets=("$@") t
    local dir=$VAR/fuzz
    rm -rf "$dir"; mkdir -p "$dir"
    local wanted=()
    for t in "${targets[@]}"; do wanted+=("$FUZZ_BUILD/fuzz/$t"); done  # as the Makefile spells it
    if ! make -C "$ROOT" --no-print-directory BUILD="$BUILD" "${wanted[@]}" >"$dir/build.log" 2>&1; then
        say "    make fuzz failed:"
        tail -30 "$dir/build.log" | s_indent
        for t in "${targets[@]}"; do s_record "$t" fail 0; done
        return 0
    fi
    for t in "${targets[@]}"; do
        local t0=$SECONDS work=$dir/$t rc
        mkdir -p "$work/corpus" "$work/artifacts"
        # Copy the seeds so the inputs the fuzzer adds never dirty the tree.
        if [ -d "$ROOT/tests/fuzz/corpus/$t" ]; then
            cp -r "$ROOT/tests/fuzz/corpus/$t/." "$work/corpus/"
        fi
        s_timed $((FUZZ_SECONDS + 60)) 10 "$FUZZ_BUILD_DIR/fuzz/$t" \
            -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
            -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
            "$work/corpus" >"$work/fuzz.log" 2>&1
        rc=$?
        local runs
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/fuzz.log" | grep -o '[0-9]*$')
        local n_corpus
        n_corpus=$(find "$work/corpus" -type f | wc -l)
        if [ $rc = 0 ] && [ "${runs:-0}" -gt 0 ]; then
            say "    $t: $runs inputs in ${FUZZ_SECONDS}s, corpus $n_corpus files, no crash"
            s_record "$t" pass $((SECONDS - t0)) "$runs inputs"
        elif [ $rc = 0 ]; then
            say "    $t: the fuzzer reported no input run: a test that checks nothing fails"
            s_record "$t" fail $((SECONDS - t0))
        else
            say "    $t: exit status $rc after ${runs:-?} inputs"
            grep -E 'ERROR|SUMMARY|runtime error|Assertion|#[0-9]+ 0x' "$work/fuzz.log" | head -25 | s_indent
            local a
            for a in "$work"/artifacts/*; do
                [ -f "$a" ] || continue
                say "    input $(basename "$a") ($(stat -c %s "$a") bytes), hex:"
                s_hex "$a" | s_indent
            done
            s_record "$t" fail $((SECONDS - t0))
        fi
    done
}

# Each integration test is a job; one marked "# run.sh: alone" (see the
# header) runs with nothing else in flight.
# Longest first: with TEST_JOBS slots the run ends when its last test does,
# so the tests that take longest start first (the classic LPT schedule),
# as tests/durations.txt records them ("NAME SECONDS" from a CI run; a test
# not in it counts as S_DURATION_UNKNOWN seconds). Ties in name order.
S_DURATION_UNKNOWN=30
s_integration_order () {
    local f name
    for f in "$ROOT"/tests/integration/*.sh; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .sh)
        printf '%s %s\n' "$(awk -v n="$name" -v d="$S_DURATION_UNKNOWN" \
            '$1 == n { d = $2 } END { print d }' "$ROOT/tests/durations.txt" 2>/dev/null \
            || echo "$S_DURATION_UNKNOWN")" "$f"
    done | sort -k1,1nr -k2,2 | cut -d' ' -f2-
}

s_run_integration () {
    local f name
    for f in $(s_integration_order); do
        [ -f "$f" ] || continue
        name=$(basename "$f" .sh)
        s_selected "$name" || continue
        if grep -q '^# run.sh: alone' "$f"; then
            s_job_alone "$name" s_integration_test "$name" "$f"
        else
            s_job_start "$name" s_integration_test "$name" "$f"
        fi
    done
}

s_integration_test () {     # NAME FILE (a job)
    local name=$1 f=$2
    local dir=$VAR/$name t0=$SECONDS rc db
    db=test_$(printf '%s' "$name" | tr -c 'a-zA-Z0-9_' '_')
    rm -rf "$dir"; mkdir -p "$dir/pids"
    if ! s_db_create "$db" "$dir/db.log"; then
        say "    could not create database $db:"
        tail -20 "$dir/db.log" | s_indent
        s_record "$name" fail $((SECONDS - t0))
        return
    fi
    # timeout puts the test in its own process group and signals the
    # whole group, so services the test started go down with it.
    TEST_NAME=$name TEST_DIR=$dir PGDATABASE=$db \
        s_timed "$TEST_TIMEOUT" 15 bash "$f" >"$dir/test.out" 2>&1 </dev/null
    rc=$?
    s_reap "$dir"
    s_indent <"$dir/test.out" | tail -60
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        say "    timed out after ${TEST_TIMEOUT}s"
    fi
    local npass nfail
    read -r npass nfail <<<"$(s_test_checks "$dir/checks")"
    if [ $rc = 0 ] && [ "$npass" = 0 ]; then
        say "    no check was recorded in $dir/checks: a test that checks nothing fails"
        rc=1
    elif [ $rc = 0 ] && [ "$nfail" != 0 ]; then
        say "    $nfail failed check(s) recorded, yet exit status 0"
        rc=1
    fi
    local what="$npass checks"
    [ "$nfail" = 0 ] || what="$npass checks, $nfail failed"
    if [ $rc = 0 ]; then
        s_record "$name" pass $((SECONDS - t0)) "$what"
    else
        [ $rc = 124 ] || [ $rc = 137 ] || say "    exit status $rc"
        local log
        for log in "$dir"/*.log; do
            [ -f "$log" ] || continue
            case $(basename "$log") in db.log) continue ;; esac
            say "    --- tail of $(basename "$log")"
            tail -15 "$log" | s_indent
        done
        s_record "$name" fail $((SECONDS - t0)) "$what"
    fi
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------- main

mkdir -p "$VAR"
rm -rf "$JOBS_DIR"; mkdir -p "$JOBS_DIR"
T_START=$SECONDS
say "tests/run.sh: BUILD=$BUILD, PostgreSQL port $TEST_PG_PORT, ZeroMQ ports from $TEST_ZMQ_BASE, $TEST_JOBS jobs at once"

s_run_selftest

need_pg=0
for f in "${SERVICE_SELFTESTS[@]}"; do
    s_selected "${f}_selftest" && need_pg=1
done
for f in "$ROOT"/tests/integration/*.sh; do
    [ -f "$f" ] && s_selected "$(basename "$f" .sh)" && need_pg=1
done
if [ $need_pg = 1 ]; then
    if ! s_pg_start || ! s_roles_create; then
        s_record postgresql fail 0
        need_pg=0
    fi
fi

# The pool: the service self-tests (short), the fuzz targets (the longest
# job, so it starts early), then the integration tests longest first.
[ $need_pg = 1 ] && s_run_service_selftests
s_run_fuzz
[ $need_pg = 1 ] && s_run_integration
s_jobs_wait

say ""
if [ ${#FILTERS[@]} -gt 0 ] && [ $((PASSED + FAILED + SKIPPED)) = 0 ]; then
    say "tests/run.sh: no test matches: ${FILTERS[*]}"
    FAILED=1
    FAILED_NAMES+=("(no match)")
fi
if [ $FAILED -gt 0 ]; then
    say "failed: ${FAILED_NAMES[*]}"
fi
say "total time $((SECONDS - T_START))s"
if [ $SKIPPED -gt 0 ]; then
    say "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
    say "$PASSED passed, $FAILED failed"
fi
[ $FAILED = 0 ]
