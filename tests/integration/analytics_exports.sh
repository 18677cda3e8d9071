#!/usr/bin/env bash
# analytics_exports.sh — the regulators' exports end to end (issue 12
# section 5): real bus, intake, router with the real directory, one
# analytics. Complaints with and without the customer's consent to publish
# their text go in through intake, staff work them, and analytics_exports.py
# checks `complaintctl export cfpb` (the bureau's 18 columns, row by row,
# narratives only with consent and scrubbed, pages), `export jrt` (counts by
# JR/T 0169 code = a GROUP BY over the facts, small cells "<5", the codes'
# names), the queries' errors, and the names `report` prints.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router analytics complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" || exit 1
A_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
# The names complaintctl prints come from the deploy files, wherever it runs.
export COMPLAINTS_DIRECTORY=$DIRECTORY
export COMPLAINTS_ROUTER_JRT=$ROOT/deploy/routing/jrt0169.conf
export COMPLAINTS_LABELS=$ROOT/deploy/routing/labels.conf

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service analytics analytics --name a --endpoint "$A_EP" --batch 20
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 || fail "analytics did not answer"

"$PY" "$ROOT/tests/integration/analytics_exports.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --out "$TEST_DIR" --a "$A_EP" scenario \
    || fail "analytics_exports.py scenario failed"
for s in bus intake router analytics; do
    assert_true "$s is still running" service_alive "$s"
done
