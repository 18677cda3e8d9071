#!/usr/bin/env bash
# fault_intake_kill.sh — invariants 1, 3, 6: kill -9 of intake while four
# clients submit concurrently loses no acknowledged complaint, and each
# stored complaint is on the stream exactly once.
#
# Four submitters (client.py load) send unique refs continuously, one request
# in flight each, logging every acknowledgement (ref -> complaint_no). Mid-
# stream intake gets SIGKILL and is restarted; the submitters resend what was
# not acknowledged, with the same ref (idempotent: a complaint committed just
# before the kill comes back as a duplicate with its first number). Then:
# every acknowledged ref is in the complaint table with the acknowledged
# number, every complaint has exactly one complaint.received in event_log,
# and event_log seqs are 1..N.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_for 'grep -q event=elected "$TEST_DIR/bus.log"' 15 || fail "bus was not elected within 15 s"

pyclient load --endpoint "$INTAKE_EP" --workers 4 --seconds 9 --grace 20 --retry-ms 1000 \
    --prefix fik --out "$TEST_DIR/acks.txt" >"$TEST_DIR/load.log" 2>&1 &
load_pid=$!
track_pid load "$load_pid"

sleep 3
before=$(wc -l <"$TEST_DIR/acks.txt" 2>/dev/null || echo 0)
assert_ge "acks before the kill" 50 "$before"
kill_service intake KILL
killed_at=$(now_ms)
sleep 1
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || fail "restarted intake did not answer within 20 s"
note "intake back after $(( $(now_ms) - killed_at )) ms"

wait "$load_pid"
load_rc=$?
rm -f "$TEST_DIR/pids/load.pid"
cat "$TEST_DIR/load.log"
assert_eq "load driver exit status (no request rejected)" 0 "$load_rc"
after=$(wc -l <"$TEST_DIR/acks.txt")
assert_ge "acks after the restart (total $after)" $((before + 50)) "$after"

wait_outbox_empty 30 || fail "outbox not drained within 30 s: $(psql_value 'select count(*) from outbox') rows left"

read -r acked distinct missing wrong dups <<<"$(ack_report "$TEST_DIR/acks.txt")"
note "acknowledged $acked (distinct refs $distinct), acked as duplicate after a retry: $dups"
assert_eq "acked refs, each acknowledged once by the driver" "$acked" "$distinct"
assert_eq "acknowledged complaints missing from the store" 0 "$missing"
assert_eq "acknowledged complaints stored under another number" 0 "$wrong"

read -r complaints received bad <<<"$(received_report)"
note "complaints stored $complaints (acknowledged $acked; the rest committed but unacknowledged), complaint.received events $received"
assert_ge "stored complaints >= acknowledged" "$acked" "$complaints"
assert_eq "complaints without exactly one complaint.received" 0 "$bad"
assert_eq "complaint.received events = complaints" "$complaints" "$received"
assert_eq "duplicate (channel, ref) rows" 0 \
    "$(psql_value "select count(*) from (select channel, ref from complaint group by 1, 2 having count(*) > 1) d")"
assert_gap_free
