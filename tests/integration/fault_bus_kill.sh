#!/usr/bin/env bash
# fault_bus_kill.sh — invariant 4: kill -9 of the active bus; the standby
# takes over within 5 s and no seq is lost or repeated.
#
# Two bus instances run on the same endpoints; one wins the advisory-lock
# election (its log says event=elected). Submissions flow continuously; a
# `complaintctl tail --from 0` subscriber is started before the kill. The
# active bus gets SIGKILL; the standby must log event=elected within 5 s.
# At the end: event_log seqs are exactly 1..N, the outbox is empty, every
# complaint has its complaint.received once, and the subscriber printed
# seqs 1..N with no gap and no repeat.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake complaintctl

start_service bus1 bus --name bus1
wait_for 'grep -q event=elected "$TEST_DIR/bus1.log"' 15 || fail "bus1 was not elected within 15 s"
start_service bus2 bus --name bus2
wait_for 'grep -q event=standby "$TEST_DIR/bus2.log"' 10 || note "bus2 logged no event=standby within 10 s"
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 10 || fail "bus replay did not answer within 10 s"

"$BIN/complaintctl" tail --from 0 >"$TEST_DIR/tail.out" 2>"$TEST_DIR/tail.log" &
track_pid tail $!

pyclient load --endpoint "$INTAKE_EP" --workers 2 --seconds 9 --grace 10 \
    --prefix fbk --out "$TEST_DIR/acks.txt" >"$TEST_DIR/load.log" 2>&1 &
load_pid=$!
track_pid load "$load_pid"

# Kill the active bus once events are flowing (20 logged), however fast the
# machine.
wait_sql "select count(*) >= 20 from event_log" 30 \
    || fail "fewer than 20 events logged within 30 s of the load's start"
active=$(elected_bus)
assert_ne "active bus (elected)" "" "$active"
standby=bus2; [ "$active" = bus2 ] && standby=bus1
kill_service "$active" KILL
killed_at=$(now_ms)
if wait_for 'grep -q event=elected "$TEST_DIR/$standby.log"' 15; then
    took=$(( $(now_ms) - killed_at ))
    assert_le "ms from SIGKILL of $active to $standby elected" 5000 "$took"
else
    fail "$standby was not elected within 15 s of killing $active"
fi

wait "$load_pid"; load_rc=$?
rm -f "$TEST_DIR/pids/load.pid"
cat "$TEST_DIR/load.log"
assert_eq "load driver exit status" 0 "$load_rc"

# The store (invariants.py): outbox drained, each complaint received once,
# seqs 1..N; every acknowledged ref stored under its number.
invariants stream --wait 30
invariants acks "$TEST_DIR/acks.txt"

# The subscriber must have caught up to the end, gap-free, across the
# takeover: wait until it printed every logged event, then check its seqs.
max_seq=$(psql_value "select coalesce(max(seq), 0) from event_log")
wait_lines "$TEST_DIR/tail.out" "$max_seq" 20 \
    || note "tail printed $(grep -c '^{' "$TEST_DIR/tail.out") events within 20 s, event_log has $max_seq"
kill_service tail TERM
if report=$(pyclient seqcheck "$TEST_DIR/tail.out" 2>"$TEST_DIR/seqcheck.err"); then
    read -r n first last <<<"$report"
    assert_eq "tail subscriber: events printed, seqs 1..N in order (first $first, last $last)" "$max_seq" "$n"
else
    fail "tail subscriber stream is not 1..N: $report $(cat "$TEST_DIR/seqcheck.err")"
fi
