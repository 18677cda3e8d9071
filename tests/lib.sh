# shellcheck shell=bash
# tests/lib.sh — sourced by every tests/integration/*.sh.
#
# The runner (tests/run.sh) gives each test: ROOT, BUILD_DIR, BIN, TEST_NAME,
# TEST_DIR (a fresh scratch folder, var/test/<name>/), TEST_ZMQ_BASE, and the
# PG* variables of a fresh database with every migration applied. A test can
# also be run by hand once those are set (see docs/testing.md).
#
# What this file adds:
#   endpoints    INTAKE_EP, BUS_PUB_EP, BUS_REPLAY_EP from TEST_ZMQ_BASE
#                (+0, +1, +2), exported as the COMPLAINTS_* variables every
#                binary reads; a test's private extra ports are +3 .. +9
#   services     start_service NAME BINARY ARGS... / kill_service NAME [SIG] /
#                service_alive NAME / service_pid NAME / stop_all (on exit)
#   waiting      wait_for 'shell condition' TIMEOUT_S
#   the store    psql_value SQL [var=value ...]   (psql :'var' parameters)
#   time         clock_shift SPAN (move the store's clock, app_now (), by SPAN:
#                "25h", "2d", "90m", or interval text "2 days 3 hours"; every
#                watchdog wakes at once), clock_reset (back to real time,
#                scale 1). The test cluster allows it (tests/run.sh grants
#                complaints_test_clock to complaintctl's login and to the
#                tests' superuser); both go through `complaintctl clock`
#                and fail the test when the store refuses
#   roles        every service (and complaintctl) logs in as its own role:
#                COMPLAINTS_<SERVICE>_PG=user=complaints_<service>_login
#   keys         CURVE on every endpoint, as in production: a fresh keys
#                directory $TEST_DIR/keys made by `complaintctl keys init`
#                (the servers', the services' and the operator's identities),
#                exported as COMPLAINTS_KEYS; every daemon uses its own
#                identity (its service name), complaintctl and client.py the
#                operator's. A test needing more identities makes them:
#                new_key NAME --role ROLE [--channels C] [--status]
#   clients      ctl ARGS... (complaintctl), pyclient ARGS... (client.py)
#   staff        issue_tokens DIR [DIRECTORY] (a token for every staff id),
#                staff_token ID, as_staff ID ARGS... (complaintctl as ID)
#   checks       check, assert_eq, assert_ne, assert_ge, assert_le,
#                assert_match, assert_true, fail — each prints what it
#                checked and the figures; a failed one marks the test failed
#                (the test goes on, so one run shows every broken invariant)
#                and the test exits 1 at the end. They are counted: at exit
#                "PASSED FAILED lib.sh" goes to $TEST_DIR/checks, beside the
#                Python checkers' lines (checks.py), and tests/run.sh fails
#                a test with no passed check. New assertions belong in a
#                Python checker (checks.py) or C; bash starts and stops
#                processes. invariants ARGS runs invariants.py.
#   sanitizers   at exit every service log is searched for AddressSanitizer
#                and UBSan reports; one fails the test
#   events       at exit every event in the event log and the outbox is
#                checked against its declaration (proto/events.c) by
#                `complaintctl events --check`; one that does not match
#                fails the test
#
# Never use the first python3 in PATH (a pyenv shim here): the drivers need
# Debian's python3-zmq and python3-msgpack, so they run under /usr/bin/python3.

set -u

: "${ROOT:?tests/lib.sh: ROOT is not set (run through tests/run.sh)}"
: "${TEST_DIR:?tests/lib.sh: TEST_DIR is not set (run through tests/run.sh)}"
BIN=${BIN:-$ROOT/build/bin}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
TEST_ZMQ_BASE=${TEST_ZMQ_BASE:-26140}
PY=/usr/bin/python3
PYCLIENT=$ROOT/tests/integration/client.py

INTAKE_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 0))
BUS_PUB_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 1))
BUS_REPLAY_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 2))
export COMPLAINTS_INTAKE_ENDPOINT=$INTAKE_EP
export COMPLAINTS_BUS_PUB_ENDPOINT=$BUS_PUB_EP
export COMPLAINTS_BUS_REPLAY_ENDPOINT=$BUS_REPLAY_EP
export COMPLAINTS_PSEUDONYM_KEY=${COMPLAINTS_PSEUDONYM_KEY:-integration-test-pseudonym-key-0001}
# The customer identity key (common/identity_seal.h): a 0600 file of the
# test's own, outside the database, for intake and the notifier.
if [ -z "${COMPLAINTS_IDENTITY_KEY_FILE:-}" ]; then
    COMPLAINTS_IDENTITY_KEY_FILE=$TEST_DIR/identity.key
    [ -s "$COMPLAINTS_IDENTITY_KEY_FILE" ] || ( umask 077
        printf '1 %s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$COMPLAINTS_IDENTITY_KEY_FILE" )
fi
export COMPLAINTS_IDENTITY_KEY_FILE
# Tests ask for unknown numbers on purpose, all from 127.0.0.1: intake's
# limits on failed status queries (status_view.sh tests them) stay out of
# their way unless a test sets its own.
export COMPLAINTS_INTAKE_STATUS_FAILURES=${COMPLAINTS_INTAKE_STATUS_FAILURES:-1000}
export COMPLAINTS_INTAKE_STATUS_CASE_FAILURES=${COMPLAINTS_INTAKE_STATUS_CASE_FAILURES:-1000}
export COMPLAINTS_PG=${COMPLAINTS_PG:-}
# Each service logs in as its own role (deploy/scripts/roles.sh made them in
# this cluster), so every test proves the GRANTs of migration 020 are enough;
# the PG* variables give the rest (socket, port, the test's database). The
# test's own psql (psql_value, the Python checkers) stays the superuser.
for s_svc in intake router watchdog notifier analytics bus ctl; do
    s_var=COMPLAINTS_${s_svc^^}_PG
    export "$s_var=${!s_var:-user=complaints_${s_svc}_login}"
done
unset s_svc s_var
# CURVE (docs/security.md "Transport (CURVE)"): on, unless a test turns it
# off itself. Keys of this test only, made before anything starts.
export COMPLAINTS_KEYS=$TEST_DIR/keys
unset COMPLAINTS_CURVE COMPLAINTS_KEY
if [ ! -e "$COMPLAINTS_KEYS/operator.cert_secret" ]; then
    if ! "$BIN/complaintctl" keys init --keys "$COMPLAINTS_KEYS" 2>"$TEST_DIR/keys-init.err"; then
        echo "tests/lib.sh: complaintctl keys init failed: $(cat "$TEST_DIR/keys-init.err")" >&2
        exit 1
    fi
fi
# new_key NAME ARGS... — one more identity (complaintctl keys new); prints
# nothing, fails the test when refused.
new_key () {
    "$BIN/complaintctl" keys new "$@" >/dev/null || fail "complaintctl keys new $* failed"
}
# The analytics dashboard binds 127.0.0.1:5571 by default: a fixed port that
# two tests at once (or make up) would fight over. Off in tests, unless a test
# gives its own port from its block (analytics_dashboard.sh: --http).
export COMPLAINTS_ANALYTICS_HTTP=${COMPLAINTS_ANALYTICS_HTTP:-off}
# ASan: report leaks as errors only where the binary exits by itself; keep
# going past a report in a daemon would hide it, so abort and log it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$TEST_DIR/pids"
ASSERT_FAILED=0
ASSERT_PASSED=0

# ------------------------------------------------------------------ output

note () { printf '%s\n' "$*"; }

fail () {
    ASSERT_FAILED=$((ASSERT_FAILED + 1))
    printf 'FAILED: %s\n' "$*"
}

# check DESCRIPTION — print a passed check with its figures.
check () {
    ASSERT_PASSED=$((ASSERT_PASSED + 1))
    printf 'ok: %s\n' "$*"
}

# assert_eq DESCRIPTION EXPECTED ACTUAL
assert_eq () {
    if [ "$2" = "$3" ]; then check "$1 = $3"
    else fail "$1: expected '$2', got '$3'"; fi
}

assert_ne () {
    if [ "$2" != "$3" ]; then check "$1 = $3 (not '$2')"
    else fail "$1: expected anything but '$2'"; fi
}

# assert_ge DESCRIPTION MIN ACTUAL  (integers)
assert_ge () {
    if [ -n "$3" ] && [ "$3" -ge "$2" ] 2>/dev/null; then check "$1 = $3 (>= $2)"
    else fail "$1: expected >= $2, got '$3'"; fi
}

assert_le () {
    if [ -n "$3" ] && [ "$3" -le "$2" ] 2>/dev/null; then check "$1 = $3 (<= $2)"
    else fail "$1: expected <= $2, got '$3'"; fi
}

# assert_match DESCRIPTION ERE ACTUAL
assert_match () {
    if printf '%s' "$3" | grep -Eq -- "$2"; then check "$1 matches /$2/"
    else fail "$1: '$3' does not match /$2/"; fi
}

# assert_true DESCRIPTION COMMAND...
assert_true () {
    local desc=$1; shift
    if "$@"; then check "$desc"
    else fail "$desc (command failed: $*)"; fi
}

# ---------------------------------------------------------------- services

s_bin () {
    case $1 in
        */*) printf '%s' "$1" ;;
        *)   printf '%s' "$BIN/$1" ;;
    esac
}

# start_service NAME BINARY ARGS... — in the background; stdout and stderr
# appended to $TEST_DIR/NAME.log (a restart keeps the earlier lines), pid in
# $TEST_DIR/pids/NAME.pid. Extra environment: prefix the call with env VAR=..
# is not possible for a function, so set SERVICE_ENV="VAR=x VAR2=y".
start_service () {
    local name=$1 bin; bin=$(s_bin "$2"); shift 2
    if [ ! -x "$bin" ]; then
        fail "start_service $name: $bin is not built"
        return 1
    fi
    printf -- '--- %s start: %s %s\n' "$(date +%T.%N | cut -c1-12)" "$bin" "$*" >>"$TEST_DIR/$name.log"
    # shellcheck disable=SC2086
    env ${SERVICE_ENV:-} "$bin" "$@" >>"$TEST_DIR/$name.log" 2>&1 &
    echo $! >"$TEST_DIR/pids/$name.pid"
    note "started $name (pid $!): $(basename "$bin") $*"
}

service_pid () { cat "$TEST_DIR/pids/$1.pid" 2>/dev/null; }

service_alive () {
    local pid; pid=$(service_pid "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# kill_service NAME [SIGNAL] — signal it (default TERM) and wait until it is
# gone (KILL after 10 s). Returns the process's exit status.
kill_service () {
    local name=$1 sig=${2:-TERM} pid rc=0
    pid=$(service_pid "$name")
    [ -n "$pid" ] || return 0
    # stderr off for the whole wait: bash would print its own "Killed" line.
    {
        kill -"$sig" "$pid" || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" || break
            sleep 0.1
        done
        if kill -0 "$pid"; then
            echo "$name (pid $pid) still up 10 s after SIG$sig: KILL" >&3
            kill -9 "$pid" || true
        fi
        wait "$pid"; rc=$?
    } 3>&1 2>/dev/null
    rm -f "$TEST_DIR/pids/$name.pid"
    note "stopped $name (pid $pid) with SIG$sig, exit status $rc"
    return $rc
}

# Stop every service still running (TERM, then KILL) and extra pids a test
# registered with track_pid NAME PID (e.g. background python drivers).
stop_all () {
    local f name pid
    for f in "$TEST_DIR"/pids/*.pid; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .pid)
        pid=$(cat "$f")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for f in "$TEST_DIR"/pids/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        { kill -9 "$pid"; wait "$pid"; } 2>/dev/null
        rm -f "$f"
    done
}

track_pid () { echo "$2" >"$TEST_DIR/pids/$1.pid"; }

# Sanitizer reports in any service log fail the test.
s_sanitizer_check () {
    local log hits
    for log in "$TEST_DIR"/*.log; do
        [ -f "$log" ] || continue
        hits=$(grep -E -c 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$log" 2>/dev/null)
        if [ "${hits:-0}" -gt 0 ]; then
            fail "$(basename "$log") holds $hits sanitizer report(s):"
            grep -E -A12 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$log" | head -30
        fi
    done
}

# Every event the test's services wrote — published (event_log) or still in
# the outbox — against its declaration (proto/events.c): a C check,
# `complaintctl events --check`. Tests without a store, or without
# events, check nothing here.
s_events_check () {
    [ -x "$BIN/complaintctl" ] || return 0
    local n out
    n=$(psql_value "select (select count(*) from event_log) + (select count(*) from outbox)") \
        || return 0
    [ -n "$n" ] && [ "$n" -gt 0 ] 2>/dev/null || return 0
    if out=$(psql_value "select encode(event, 'hex') from event_log order by seq;
                         select type || ' ' || encode(data, 'hex') from outbox order by id" \
             | "$BIN/complaintctl" events --check 2>&1); then
        check "every event the test wrote ($n) matches its declaration (proto/events.c)"
    else
        fail "events that do not match their declaration (proto/events.c):"
        printf '%s\n' "$out" | head -20
    fi
}

s_on_exit () {
    local rc=$?
    trap - EXIT
    stop_all
    s_sanitizer_check
    s_events_check
    printf '%d checks passed, %d failed\n' "$ASSERT_PASSED" "$ASSERT_FAILED"
    # The runner adds up every checker's line and fails a test with none.
    printf '%d %d lib.sh\n' "$ASSERT_PASSED" "$ASSERT_FAILED" >>"$TEST_DIR/checks"
    if [ "$ASSERT_FAILED" -gt 0 ] && [ "$rc" = 0 ]; then rc=1; fi
    exit "$rc"
}
trap s_on_exit EXIT
trap 'note "interrupted"; exit 143' TERM INT

# ----------------------------------------------------------------- waiting

# wait_for 'CONDITION' TIMEOUT_S — evaluate the shell condition every 0.2 s
# until it holds (return 0) or the time is up (return 1).
wait_for () {
    local cond=$1 timeout=${2:-10} deadline
    deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
    while true; do
        if eval "$cond" >/dev/null 2>&1; then return 0; fi
        if [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ]; then return 1; fi
        sleep 0.2
    done
}

now_ms () { echo $(( $(date +%s%N) / 1000000 )); }

# wait_lines FILE N TIMEOUT_S — until FILE has at least N lines (a load
# driver's acknowledgements, a subscriber's output): the condition a test
# waits for instead of sleeping and then counting.
wait_lines () {
    local file=$1 n=$2 deadline=$(( $(now_ms) + ${3:-30} * 1000 ))
    until [ "$(wc -l <"$file" 2>/dev/null || echo 0)" -ge "$n" ]; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# wait_sql 'SQL yielding t or f' TIMEOUT_S — until the store says t.
wait_sql () {
    local sql=$1 deadline=$(( $(now_ms) + ${2:-30} * 1000 ))
    until [ "$(psql_value "$sql")" = t ]; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# invariants ARGS... — tests/integration/invariants.py (the store-side
# checks the fault tests share: acknowledged means stored, each complaint
# on the stream once, seqs gap-free); its checks are counted.
invariants () { "$PY" "$ROOT/tests/integration/invariants.py" "$@"; }

# ---------------------------------------------------------------- the store

# psql_value SQL [name=value ...] — one value (or rows, '|'-separated), with
# psql variables as parameters: psql_value "select 1 where x = :'v'" v=abc
psql_value () {
    local sql=$1; shift
    local args=() kv
    for kv in "$@"; do args+=(-v "$kv"); done
    printf '%s\n' "$sql" | psql -X -A -t -q -v ON_ERROR_STOP=1 "${args[@]}" 2>>"$TEST_DIR/psql.err"
}

# --------------------------------------------------------------------- time

# clock_shift SPAN — the store's clock jumps by SPAN (complaintctl clock shift).
clock_shift () {
    if "$BIN/complaintctl" clock shift "$1" >>"$TEST_DIR/clock.log" 2>&1; then
        return 0
    fi
    fail "complaintctl clock shift $1 failed: $(tail -3 "$TEST_DIR/clock.log")"
    return 1
}

# clock_set TIME — the store's clock at TIME ("2026-11-24 10:00+08"), running
# on from there (complaintctl clock set).
clock_set () {
    if "$BIN/complaintctl" clock set "$1" >>"$TEST_DIR/clock.log" 2>&1; then
        return 0
    fi
    fail "complaintctl clock set $1 failed: $(tail -3 "$TEST_DIR/clock.log")"
    return 1
}

# clock_reset — the store's clock back to real time at scale 1.
clock_reset () {
    if "$BIN/complaintctl" clock reset >>"$TEST_DIR/clock.log" 2>&1; then
        return 0
    fi
    fail "complaintctl clock reset failed: $(tail -3 "$TEST_DIR/clock.log")"
    return 1
}

# -------------------------------------------------------------------- clients

ctl () { "$BIN/complaintctl" "$@"; }

# A probe (ping, replay, one request) is bounded as a whole, not only by its
# --timeout: CI once saw a test hang for its full 300 s in wait_bus or an
# analytics ping (no reply in any log, the checker never started), and a
# probe that never returns turns wait_for's deadline into none. Killed, it
# counts as "not yet" and wait_for tries again. A load run is not a probe.
pyclient () {
    case $1 in
        ping|replay|request) timeout 20 "$PY" "$PYCLIENT" "$@" ;;
        *) "$PY" "$PYCLIENT" "$@" ;;
    esac
}

# wait_intake TIMEOUT_S — until intake answers a request (any reply).
wait_intake () { wait_for "pyclient ping --endpoint $INTAKE_EP --timeout 500" "${1:-15}"; }

# wait_bus TIMEOUT_S — until the bus answers a replay request.
wait_bus () { wait_for "pyclient replay --endpoint $BUS_REPLAY_EP --from 0 --limit 1 --timeout 500 --count" "${1:-15}"; }

# The bus instance that won the election: its log says so.
elected_bus () {
    local f name
    for f in "$TEST_DIR"/pids/bus*.pid; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .pid)
        if service_alive "$name" && grep -q -i 'elected' "$TEST_DIR/$name.log"; then
            echo "$name"
            return 0
        fi
    done
    return 1
}

# seq_report — the event log's shape as "count min max distinct".
seq_report () {
    psql_value "select count(*), coalesce(min(seq),0), coalesce(max(seq),0), count(distinct seq) from event_log" | tr '|' ' '
}

# assert_gap_free — event_log holds exactly seqs 1..N.
assert_gap_free () {
    local n lo hi d
    read -r n lo hi d <<<"$(seq_report)"
    if [ "$n" -gt 0 ] && [ "$lo" = 1 ] && [ "$hi" = "$n" ] && [ "$d" = "$n" ]; then
        check "event_log seqs are exactly 1..$n (count $n, min $lo, max $hi, distinct $d)"
    else
        fail "event_log seqs not gap-free: count $n, min $lo, max $hi, distinct $d"
    fi
}

# ack_report FILE — compare a load driver's acknowledgements ("ref no dup"
# lines) with the store. Prints "acked distinct_refs missing wrong_no dups":
# acked lines, distinct refs among them, acked refs with no complaint row,
# acked refs whose row has another number, acks that said duplicate.
ack_report () {
    local file=$1
    psql -X -A -t -q -v ON_ERROR_STOP=1 2>>"$TEST_DIR/psql.err" <<SQL | tr '|' ' '
create temp table acks (ref text, complaint_no text, dup int);
\\copy acks from '$file' with (format text, delimiter ' ')
select (select count(*) from acks),
       (select count(distinct ref) from acks),
       (select count(*) from acks a where not exists
            (select 1 from complaint c where c.channel = 'web' and c.ref = a.ref)),
       (select count(*) from acks a join complaint c on c.channel = 'web' and c.ref = a.ref
            where c.complaint_no <> a.complaint_no),
       (select count(*) from acks where dup = 1);
SQL
}

# received_report — "complaints received_events complaints_without_exactly_one":
# every complaint must have exactly one complaint.received in event_log.
received_report () {
    psql_value "select (select count(*) from complaint),
                       (select count(*) from event_log where type = 'complaint.received'),
                       (select count(*) from complaint c where
                           (select count(*) from event_log e where e.complaint_no = c.complaint_no
                              and e.type = 'complaint.received') <> 1)" | tr '|' ' '
}

# wait_outbox_empty TIMEOUT_S — the bus has drained everything committed.
wait_outbox_empty () { wait_for '[ "$(psql_value "select count(*) from outbox")" = 0 ]' "${1:-30}"; }

# require_bin NAME... — fail the test at once when a binary is not built.
require_bin () {
    local b missing=0
    for b in "$@"; do
        if [ ! -x "$BIN/$b" ]; then
            fail "$BIN/$b is not built"
            missing=1
        fi
    done
    [ $missing = 0 ] || exit 1
}

# ------------------------------------------------------------------- staff

# issue_tokens DIR [DIRECTORY] — a token for every staff id in the directory
# (default deploy/org/directory.conf: its `staff ID ...` lines), each issued
# by `complaintctl token new`. Writes DIR/tokens, the router's tokens file
# ("ID SHA256HEX" lines: pass it with --tokens), and DIR/tokens.plain ("ID
# TOKEN", mode 0600), which staff_token and as_staff read. Prints how many.
issue_tokens () {
    local dir=$1 directory=${2:-$ROOT/deploy/org/directory.conf} id token n=0
    mkdir -p "$dir"
    : >"$dir/tokens"
    : >"$dir/tokens.plain"
    chmod 600 "$dir/tokens.plain"
    for id in $(awk '$1 == "staff" { print $2 }' "$directory"); do
        if ! token=$("$BIN/complaintctl" token new "$id" --tokens-file "$dir/tokens"); then
            fail "issue_tokens: complaintctl token new $id failed"
            return 1
        fi
        printf '%s %s\n' "$id" "$token" >>"$dir/tokens.plain"
        n=$((n + 1))
    done
    STAFF_TOKENS_DIR=$dir
    note "issued $n staff tokens into $dir/tokens"
}

# start_pipeline — bus, intake and router (the real directory, the tokens
# issue_tokens wrote into $TEST_DIR/staff), then wait until intake and the
# bus's replay answer. Returns 1 when intake does not answer.
start_pipeline () {
    start_service bus bus --name bus
    start_service intake intake --endpoint "$INTAKE_EP"
    start_service router router --name router --bus "$BUS_PUB_EP" \
        --directory "$ROOT/deploy/org/directory.conf" --tokens "$TEST_DIR/staff/tokens"
    wait_intake 20 || { fail "intake did not answer within 20 s"; return 1; }
    wait_bus 15 || fail "bus replay did not answer within 15 s"
}

# staff_token ID — the plaintext token issue_tokens made for ID.
staff_token () {
    awk -v id="$1" '$1 == id { print $2; exit }' "${STAFF_TOKENS_DIR:?issue_tokens first}/tokens.plain"
}

# as_staff ID ARGS... — complaintctl ARGS... with COMPLAINTS_TOKEN set to ID's
# token (fails at once, exit 2, when ID has none).
as_staff () {
    local id=$1 token; shift
    token=$(staff_token "$id")
    if [ -z "$token" ]; then
        echo "as_staff: no token for $id" >&2
        return 2
    fi
    COMPLAINTS_TOKEN=$token "$BIN/complaintctl" "$@"
}

# start_web ARGS... — the web adapter's tests' pipeline: its own adapter key
# (web, --channels web), bus, intake, and web (web_service ARGS); waits
# until intake answers and web listens.
# web_service ARGS... — (re)start web on WEB_URL (127.0.0.1:TEST_ZMQ_BASE+3)
# with its spool in $TEST_DIR/spool and ARGS.
WEB_PORT=$((TEST_ZMQ_BASE + 3))
WEB_URL=http://127.0.0.1:$WEB_PORT
web_service () {
    start_service web web --addr "127.0.0.1:$WEB_PORT" --spool "$TEST_DIR/spool" \
        --calendars "$ROOT/deploy/calendars" "$@"
}
start_web () {
    new_key web --role adapter --channels web
    start_service bus bus --name bus
    start_service intake intake --endpoint "$INTAKE_EP"
    web_service "$@"
    wait_intake 20 || { fail "intake did not answer within 20 s"; return 1; }
    wait_for "curl -s -o /dev/null $WEB_URL/" 15 || { fail "web did not listen"; return 1; }
}

# mail_notifier_start ARGS... — what the customer reads: an smtp-sink on
# SMTP_PORT (TEST_ZMQ_BASE+3) keeping every message in $MAIL (the store keeps
# a customer's message sealed; checks.mail_texts decodes them), and a
# notifier e-mailing it with the shipped rules, the real calendars (times in
# the case's zone) and ARGS.
mail_notifier_start () {
    SMTP_PORT=$((TEST_ZMQ_BASE + 3))
    MAIL=$TEST_DIR/mail
    start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
    wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
    start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
        --smtp-from complaints@bank.example --poll-ms 100 --calendars "$ROOT/deploy/calendars" "$@"
}
