#!/usr/bin/env bash
# analytics_e2e.sh — the analytics daemon end to end (issue 12): real bus,
# intake, router with the real directory, and two analytics instances (A
# and B: one consumes, both answer queries).
#
#   1. scenario: six complaints worked by named staff (accept, transfer,
#      resolve with outcomes and amounts, feedback satisfied / not, review,
#      reopen, close, reject, withdraw); A's kpi equals what the checker
#      counts itself, B answers the same, the rollups equal a GROUP BY over
#      the facts, bad queries name the field, a ten-year range is bounded
#      (analytics_e2e.py scenario)
#      complaintctl kpi/series/report print the same figures for people
#      (--json: the answer itself), small cells hidden, bad arguments exit 2
#      (analytics_e2e.py cli)
#      every outcome of a decision, the valid-complaint determination and
#      the survey's scores: three cases more, the kpi, facts, rollups,
#      complaintctl kpi/report (analytics_outcomes.py; issue 16 follow-up)
#   2. kill -9 mid-stream: 300 more complaints from a load driver while A
#      consumes in batches of 20; A gets SIGKILL halfway (B takes the
#      consumer's lock), then is started again; every figure is kept
#   3. --rebuild: everything stopped, `analytics --rebuild --once` empties
#      the tables and recomputes from seq 1 through replay; every figure
#      and every row equals the snapshot of 2 (analytics_e2e.py compare)
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router analytics complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" || exit 1
A_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
B_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 4))
R_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 5))
PYA="$PY $ROOT/tests/integration/analytics_e2e.py"

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service analytics-a analytics --name a --endpoint "$A_EP" --batch 20 --lock-retry-ms 200
start_service analytics-b analytics --name b --endpoint "$B_EP" --batch 20 --lock-retry-ms 200
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 || fail "analytics A did not answer"
wait_for "pyclient ping --server analytics --endpoint $B_EP --timeout 500" 15 || fail "analytics B did not answer"

# 1. the scenario
$PYA scenario --ctl "$BIN/complaintctl" --tokens "$TEST_DIR/staff/tokens.plain" \
    --out "$TEST_DIR/out" --a "$A_EP" --b "$B_EP"
# ... and complaintctl kpi, series, report over it
$PYA cli --ctl "$BIN/complaintctl" --out "$TEST_DIR/out" --a "$A_EP" \
    || fail "analytics_e2e.py cli did not finish"
# issue 16 follow-up (analytics2): every outcome, valid complaints, survey
# scores (three more cases; the --rebuild of 3 replays them too)
$PY "$ROOT/tests/integration/analytics_outcomes.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --out "$TEST_DIR/out" --a "$A_EP" --b "$B_EP" \
    || fail "analytics_outcomes.py did not finish"

# 2. SIGKILL of the consumer mid-stream
before=$(psql_value "select last_seq from analytics_cursor")
pyclient load --endpoint "$INTAKE_EP" --workers 4 --count 300 --seconds 60 \
    --out "$TEST_DIR/acks" --prefix an-load >"$TEST_DIR/load.log" 2>&1 &
track_pid loader $!
consumer=analytics-a
grep -q 'event=consuming' "$TEST_DIR/analytics-b.log" && consumer=analytics-b
wait_sql "select last_seq > $before + 100 from analytics_cursor" 60 \
    || fail "the consumer did not move 100 events within 60 s"
kill_service "$consumer" KILL
wait_lines "$TEST_DIR/acks" 300 90 || fail "the load driver did not get 300 acks"
if [ "$consumer" = analytics-a ]; then
    start_service analytics-a analytics --name a --endpoint "$A_EP" --batch 20 --lock-retry-ms 200
else
    start_service analytics-b analytics --name b --endpoint "$B_EP" --batch 20 --lock-retry-ms 200
fi
wait_outbox_empty 60 || fail "the outbox did not drain"
$PYA snapshot restarted --a "$A_EP"

# 3. --rebuild gives the same figures
for s in analytics-a analytics-b; do
    kill_service "$s" TERM
    assert_eq "$s exits 0 on SIGTERM" 0 "$?"
done
if timeout 120 "$BIN/analytics" --name rebuild --endpoint "$R_EP" --rebuild --once \
        >>"$TEST_DIR/rebuild.log" 2>&1; then
    check "analytics --rebuild --once exited 0"
else
    fail "analytics --rebuild --once failed: $(tail -3 "$TEST_DIR/rebuild.log")"
fi
assert_match "the rebuild emptied the tables" 'event=rebuild' "$(cat "$TEST_DIR/rebuild.log")"
start_service analytics-a analytics --name a --endpoint "$A_EP" --batch 20 --lock-retry-ms 200
wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 || fail "analytics A did not answer"
$PYA snapshot rebuilt --a "$A_EP"
$PYA compare restarted rebuilt
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
