#!/usr/bin/env bash
# analytics_surge.sh — the surge rules of deploy/analytics/hotspots.conf end
# to end over eight days of history (issue 12, section 3): real bus, intake,
# router with the real directory and routing rules, and analytics with the
# shipped rules, sweeping every 300 ms.
#
#   history   the store's clock set to a fixed noon; eight earlier days of
#             complaints with the adapter's received_at (a steady baseline
#             of two causes), then today's: a surge of one cause, the other
#             at its baseline — all before analytics starts
#   surge     analytics consumes it all: exactly the surges the test
#             computes itself (λ, P(X >= x | λ) in Python), with their
#             baseline, baseline_days and p_value; none for the steady cause
#   clear     the clock moved two days: each surge cleared once (cooled)
# Every check is analytics_surge.py's; this file starts and stops processes.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router analytics complaintctl

issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
A_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
PYS="$PY $ROOT/tests/integration/analytics_surge.py --ctl $BIN/complaintctl \
     --tokens $TEST_DIR/staff/tokens.plain --out $TEST_DIR/out --a $A_EP"

start_pipeline || exit 1

$PYS history
start_service analytics analytics --name a --endpoint "$A_EP" --lock-retry-ms 200 \
    --hotspot-sweep-ms 300
wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 || fail "analytics did not answer"
$PYS surge
$PYS clear
