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
# The shell starts and kills the routers; the checks are fault_router_kill.py's.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router

N=150
checker () { "$PY" "$ROOT/tests/integration/fault_router_kill.py" "$@"; }
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count $N --seconds 60 --grace 10 \
    --prefix frk --out "$TEST_DIR/acks.txt"
checker stored $N

SERVICE_ENV="COMPLAINTS_ROUTER_HOLD_MS=60000" \
    start_service routerA router --name routerA --lease-ms 2000 --bus "$BUS_PUB_EP"
checker claimed
kill_service routerA KILL
killed_at=$(now_ms)

start_service routerB router --name routerB --bus "$BUS_PUB_EP"
checker finished $N "$killed_at"
assert_true "router B is still running" service_alive routerB
