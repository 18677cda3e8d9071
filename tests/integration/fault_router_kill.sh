#!/usr/bin/env bash
# fault_router_kill.sh — invariant 5: a router's claim is the row lock of its
# open transaction. Another router skips what it holds; a router killed
# mid-work frees its claims at once, one that hangs has them taken away by
# the server after --lease-ms; each complaint is assigned exactly once.
#
# Part 1, a hung router: 60 complaints are stored; router A runs with the
# test-only COMPLAINTS_ROUTER_HOLD_MS=60000 (it claims a batch of 20, then
# sits on it) and --lease-ms 1500. Router B starts and routes the rest at
# once; A's 20 only after the server has ended A's transaction (1.5 s idle),
# never before. A is killed afterwards.
#
# Part 2, a killed router: B is stopped, 150 more complaints are stored;
# router C holds a batch with a long --lease-ms (120 s); router D starts and
# must leave C's claims alone while C lives; C gets SIGKILL, and D routes
# its claims straight away (no lease to run out).
# The shell starts and kills the routers; the checks are fault_router_kill.py's.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router

checker () { "$PY" "$ROOT/tests/integration/fault_router_kill.py" "$@"; }
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }

# --- part 1: a hung router
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count 60 --seconds 60 --grace 10 \
    --prefix frk1 --out "$TEST_DIR/acks1.txt"
checker stored 60
SERVICE_ENV="COMPLAINTS_ROUTER_HOLD_MS=60000" \
    start_service routerA router --name routerA --batch 20 --lease-ms 1500 --bus "$BUS_PUB_EP"
checker claimed hung
start_service routerB router --name routerB --bus "$BUS_PUB_EP"
checker taken-after-timeout hung 60
kill_service routerA KILL
kill_service routerB TERM

# --- part 2: a killed router
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count 150 --seconds 60 --grace 10 \
    --prefix frk2 --out "$TEST_DIR/acks2.txt"
checker stored 210
SERVICE_ENV="COMPLAINTS_ROUTER_HOLD_MS=60000" \
    start_service routerC router --name routerC --lease-ms 120000 --bus "$BUS_PUB_EP"
checker claimed killed
start_service routerD router --name routerD --bus "$BUS_PUB_EP"
checker skipped killed 210
kill_service routerC KILL
checker finished killed 210 "$(now_ms)"
assert_true "router D is still running" service_alive routerD
