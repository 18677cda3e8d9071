#!/usr/bin/env bash
# fault_router_kill.sh — invariant 5: a router killed mid-work leaves only
# leases that expire; another router finishes its claims, and each complaint
# is assigned exactly once.
#
# 150 complaints are stored first. Router A runs with a 2 s lease and the
# test-only COMPLAINTS_ROUTER_HOLD_MS=60000, so it claims a batch (the
# complaint rows get lease_owner set) and then sits on it. A gets SIGKILL;
# router B (normal) starts. Every complaint must end up assigned with a
# department, with exactly one complaint.assigned in event_log, including the
# ones A had claimed, which B can take only once their lease has run out.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router

N=150
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count $N --seconds 60 --grace 10 \
    --prefix frk --out "$TEST_DIR/acks.txt"
assert_eq "complaints stored before any router runs" $N "$(psql_value 'select count(*) from complaint')"

SERVICE_ENV="COMPLAINTS_ROUTER_HOLD_MS=60000" \
    start_service routerA router --name routerA --lease-ms 2000 --bus "$BUS_PUB_EP"
if ! wait_for '[ "$(psql_value "select count(*) from complaint where lease_owner is not null")" -gt 0 ]' 20; then
    fail "router A claimed nothing within 20 s"
fi
claimed_a=$(psql_value "select count(*) from complaint where lease_owner is not null and state = 'received'")
owner_a=$(psql_value "select min(lease_owner) from complaint where lease_owner is not null")
psql_value "select complaint_no from complaint where lease_owner is not null order by 1" >"$TEST_DIR/claimed_by_a.txt"
lease_until_a=$(psql_value "select min(lease_until) from complaint where lease_owner is not null")
assert_ge "complaints claimed and held by router A (owner $owner_a)" 1 "$claimed_a"
assert_eq "assignments before the kill (A holds its claims)" 0 \
    "$(psql_value "select count(*) from event_log where type = 'complaint.assigned'")"
kill_service routerA KILL
killed_at=$(now_ms)

start_service routerB router --name routerB --bus "$BUS_PUB_EP"
if wait_for '[ "$(psql_value "select count(*) from complaint where state = '"'received'"'")" = 0 ]' 60; then
    note "all $N complaints left state received $(( $(now_ms) - killed_at )) ms after the kill (A's lease: 2000 ms)"
else
    fail "$(psql_value "select count(*) from complaint where state = 'received'") complaints still received 60 s after the kill"
fi
wait_outbox_empty 30 || fail "outbox not drained"

assert_eq "complaints without a department" 0 \
    "$(psql_value "select count(*) from complaint where department is null")"
assert_eq "complaints still leased" 0 \
    "$(psql_value "select count(*) from complaint where lease_owner is not null")"
assert_eq "complaint.assigned events" $N \
    "$(psql_value "select count(*) from event_log where type = 'complaint.assigned'")"
assert_eq "complaints without exactly one complaint.assigned" 0 \
    "$(psql_value "select count(*) from complaint c where (select count(*) from event_log e
                    where e.complaint_no = c.complaint_no and e.type = 'complaint.assigned') <> 1")"
claimed_list=$(paste -sd, "$TEST_DIR/claimed_by_a.txt")
assert_eq "of A's $claimed_a claims, assigned exactly once" "$claimed_a" \
    "$(psql_value "select count(*) from complaint c where c.complaint_no = any(string_to_array(:'list', ','))
                    and c.state <> 'received' and (select count(*) from event_log e where
                    e.complaint_no = c.complaint_no and e.type = 'complaint.assigned') = 1" list="$claimed_list")"
# B must have respected A's lease: none of A's claims changed before it ran out.
early=$(psql_value "select count(*) from complaint where complaint_no = any(string_to_array(:'list', ','))
                    and updated_at < :'until'::timestamptz" list="$claimed_list" until="$lease_until_a")
assert_eq "A's claims finished before A's lease ran out ($lease_until_a)" 0 "$early"
assert_gap_free
assert_true "router B is still running" service_alive routerB
