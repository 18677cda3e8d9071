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
# Output: one "PASS name (N checks, Ns)" or "FAIL name (...)" per test, the
# test's own report indented under it, the tail of its logs on failure, and
# one closing line "N passed, N failed" (", N skipped" when something was
# skipped). The exit status is non-zero if any test failed.
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
# TEST_TIMEOUT (seconds per integration test, default 300),
# FUZZ_SECONDS (per fuzz target, default 20), TEST_KEEP=1 (keep var/test
# and the cluster's data after the run for a post-mortem).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$ROOT/$BUILD ;; esac
BIN=$BUILD_DIR/bin
TEST_PG_PORT=${TEST_PG_PORT:-55405}
TEST_ZMQ_BASE=${TEST_ZMQ_BASE:-26140}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# A run on another port gets its own folder, so two runs from one tree (two
# people, or CI beside a developer) never stop each other's cluster.
if [ "$TEST_PG_PORT" = 55405 ]; then VAR=$ROOT/var/test; else VAR=$ROOT/var/test-$TEST_PG_PORT; fi
PGROOT=$VAR/pg
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
export ROOT BUILD BUILD_DIR BIN TEST_PG_PORT TEST_ZMQ_BASE

# The services with a built-in self-test (`BINARY --selftest`): an explicit
# list, so a self-test that stops being built or run is noticed.
SERVICE_SELFTESTS=(analytics bus intake notifier router watchdog)

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

s_record () {   # name status seconds [what was counted: "12 checks"]
    local what=${4:+$4, }
    if [ "$2" = pass ]; then
        PASSED=$((PASSED + 1))
        say "PASS $1 (${what}${3}s)"
    else
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$1")
        say "FAIL $1 (${what}${3}s)"
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
    SKIPPED=$((SKIPPED + 1))
    say "SKIP $1 ($2)"
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

# A fresh database with every migration applied. Uses the project's
# migration runner when there is one, else applies deploy/migrations/*.sql
# in order.
s_db_create () {
    local db=$1 log=$2
    dropdb --if-exists "$db" >/dev/null 2>&1
    createdb "$db" >>"$log" 2>&1 || return 1
    # A test database may shift and scale the store's clock (app_now (),
    # deploy/migrations/003_sla.sql), so days of deadlines run in seconds.
    psql -X -q -d "$db" -c "ALTER DATABASE \"$db\" SET complaints.test_clock = on" \
        >>"$log" 2>&1 || return 1
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
# own in PGDATABASE.
s_run_service_selftests () {
    local bin name
    for name in "${SERVICE_SELFTESTS[@]}"; do
        s_selected "${name}_selftest" || continue
        bin=$BIN/$name
        local dir=$VAR/${name}_selftest t0=$SECONDS rc db=test_${name}_selftest n
        rm -rf "$dir"; mkdir -p "$dir"
        if [ ! -x "$bin" ]; then
            say "    $bin is missing (make BUILD=$BUILD)"
            s_record "${name}_selftest" fail 0
            continue
        fi
        if ! s_db_create "$db" "$dir/db.log"; then
            tail -20 "$dir/db.log" | s_indent
            s_record "${name}_selftest" fail $((SECONDS - t0))
            continue
        fi
        PGDATABASE=$db timeout -k 5 120 "$bin" --selftest >"$dir/out.log" 2>&1 </dev/null
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
    done
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
    local dir=$VAR/fuzz
    rm -rf "$dir"; mkdir -p "$dir"
    local wanted=()
    for t in "${targets[@]}"; do wanted+=("$BUILD/fuzz/$t"); done  # as the Makefile spells it
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
        timeout -k 10 $((FUZZ_SECONDS + 60)) "$BUILD_DIR/fuzz/$t" \
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

s_run_integration () {
    local f name
    for f in "$ROOT"/tests/integration/*.sh; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .sh)
        s_selected "$name" || continue
        local dir=$VAR/$name t0=$SECONDS rc db
        db=test_$(printf '%s' "$name" | tr -c 'a-zA-Z0-9_' '_')
        rm -rf "$dir"; mkdir -p "$dir/pids"
        if ! s_db_create "$db" "$dir/db.log"; then
            say "    could not create database $db:"
            tail -20 "$dir/db.log" | s_indent
            s_record "$name" fail $((SECONDS - t0))
            continue
        fi
        # timeout puts the test in its own process group and signals the
        # whole group, so services the test started go down with it.
        TEST_NAME=$name TEST_DIR=$dir PGDATABASE=$db \
            timeout -k 15 "$TEST_TIMEOUT" bash "$f" >"$dir/test.out" 2>&1 </dev/null
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
    done
}

# ------------------------------------------------------------------- main

mkdir -p "$VAR"
T_START=$SECONDS
say "tests/run.sh: BUILD=$BUILD, PostgreSQL port $TEST_PG_PORT, ZeroMQ ports from $TEST_ZMQ_BASE"

s_run_selftest

need_pg=0
for f in "${SERVICE_SELFTESTS[@]}"; do
    s_selected "${f}_selftest" && need_pg=1
done
for f in "$ROOT"/tests/integration/*.sh; do
    [ -f "$f" ] && s_selected "$(basename "$f" .sh)" && need_pg=1
done
if [ $need_pg = 1 ]; then
    if ! s_pg_start; then
        s_record postgresql fail 0
        need_pg=0
    fi
fi

[ $need_pg = 1 ] && s_run_service_selftests
s_run_fuzz
[ $need_pg = 1 ] && s_run_integration

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
