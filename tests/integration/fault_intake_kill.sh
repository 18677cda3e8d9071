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

# Kill once the load is well under way (50 acks), however fast the machine.
wait_lines "$TEST_DIR/acks.txt" 50 30 || fail "fewer than 50 acks within 30 s of the load's start"
before=$(wc -l <"$TEST_DIR/acks.txt")
note "acks before the kill: $before"
kill_service intake KILL
killed_at=$(now_ms)
sleep 1     # the outage: submitters meet a dead intake and must resend
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || fail "restarted intake did not answer within 20 s"
note "intake back after $(( $(now_ms) - killed_at )) ms"

wait "$load_pid"
load_rc=$?
rm -f "$TEST_DIR/pids/load.pid"
cat "$TEST_DIR/load.log"
assert_eq "load driver exit status (no request rejected)" 0 "$load_rc"

# The checks (invariants.py): 50 more acks after the restart, each acked ref
# stored under its number once; each complaint on the stream once, gap-free.
invariants acks "$TEST_DIR/acks.txt" --min $((before + 50))
invariants stream --wait 30
