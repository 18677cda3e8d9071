#!/usr/bin/env bash
# web_fault_kill.sh — issue 14 §1 for the web adapter: nothing a customer
# was told "accepted" (201 or 202) is lost or doubled when the web daemon
# is killed with SIGKILL while submissions are being spooled.
#
# Eight HTTP clients (web_fault_kill.py load, Python's http.client) submit
# unique Idempotency-Keys continuously; a client that meets a dead web
# retries the same key, as a real one would. Mid-stream intake is killed
# (so answers become 202 and entries pile up in the spool), then the web
# daemon gets SIGKILL with entries in its spool's new/ and requests open;
# then web and intake are restarted. Checks (web_fault_kill.py): entries
# were in the spool at the kill; every key ever answered 201 or 202 is in
# the store exactly once; the spool drains to nothing pending; every key
# finally gets its number (201) from the restarted daemon.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake web

WEB_ARGS=(--answer-wait-ms 300 --submit-burst 100000 --submit-refill-ms 1)
start_web "${WEB_ARGS[@]}" || exit 1

fault_py () {
    "$PY" "$ROOT/tests/integration/web_fault_kill.py" --url "$WEB_URL" \
        --answers "$TEST_DIR/answers.jsonl" --spool "$TEST_DIR/spool" "$@"
}
: >"$TEST_DIR/answers.jsonl"
fault_py load --clients 8 --count 400 >"$TEST_DIR/load.log" 2>&1 &
load_pid=$!
track_pid load "$load_pid"

wait_lines "$TEST_DIR/answers.jsonl" 60 60 || fail "fewer than 60 answers within 60 s"
kill_service intake KILL
# Entries pile up in the spool: wait for 40 answers of 202 (intake away).
wait_for "[ \$(grep -c '\"status\": 202' '$TEST_DIR/answers.jsonl') -ge 40 ]" 60 \
    || fail "fewer than 40 answers of 202 within 60 s of intake's kill"
kill_service web KILL
assert_true "web_fault_kill.py spooled (entries in new/ at the kill)" fault_py spooled
web_service "${WEB_ARGS[@]}"
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || fail "restarted intake did not answer within 20 s"

wait "$load_pid"
load_rc=$?
rm -f "$TEST_DIR/pids/load.pid"
cat "$TEST_DIR/load.log"
assert_eq "load driver exit status" 0 "$load_rc"
assert_true "web_fault_kill.py check (every 201/202 stored exactly once)" fault_py check
