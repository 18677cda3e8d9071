#!/usr/bin/env bash
# analytics_hotspot.sh — the analytics daemon detects hot spots end to end
# (issue 12, section 3): real bus, intake, router with the real directory
# and routing rules, and analytics with the shipped hotspots.conf, sweeping
# every 300 ms.
#
#   burst      three complaints about one outlet's rude staff: exactly one
#              analytics.hotspot, one open hot spot in the query
#   more       two more while it is hot: no second event
#   dead       analytics killed with SIGKILL; two more complaints; restarted:
#   restarted  still one event, the count follows
#   clear      the store's clock moved past the 30-day window: exactly one
#              analytics.hotspot_cleared
#   again      SIGKILL + restart, then `analytics --rebuild --once`: still one
#              event of each type (a rebuild keeps the hot spots' state)
#   badquery, ctl   the query's errors; complaintctl hotspots
#   reopen     three more at the outlet from one customer: a new outlet hot
#              spot and a repeat-customer one
#   removed    outlet_cause_30d removed from hotspots.conf, SIGHUP: its open
#              hot spot cleared once (reason rule_removed), the other stays
#   changed    repeat_customer_90d's name given to an outlet rule, SIGHUP: the
#              customer's hot spot cleared once (rule_changed), the new one opens
#   branches   complaint.assigned's outlet: an outlet that cooperates, named
#              in English; a branch the directory does not know
# Every check is analytics_hotspot.py's; this file starts and stops processes.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router analytics complaintctl

issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
A_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
R_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 4))
HOTSPOTS=$TEST_DIR/hotspots.conf
cp "$ROOT/deploy/analytics/hotspots.conf" "$HOTSPOTS"
PYH="$PY $ROOT/tests/integration/analytics_hotspot.py --ctl $BIN/complaintctl \
     --tokens $TEST_DIR/staff/tokens.plain --out $TEST_DIR/out --a $A_EP"
analytics_start () {
    start_service analytics analytics --name a --endpoint "$A_EP" --batch 20 \
        --lock-retry-ms 200 --hotspot-sweep-ms 300 --hotspots "$HOTSPOTS"
    wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 || fail "analytics did not answer"
}

start_pipeline || exit 1
analytics_start

$PYH burst
$PYH more
kill_service analytics KILL >/dev/null
$PYH dead
analytics_start
$PYH restarted
$PYH clear
kill_service analytics KILL >/dev/null
analytics_start
$PYH again
kill_service analytics TERM >/dev/null
if timeout 120 "$BIN/analytics" --name rebuild --endpoint "$R_EP" --rebuild --once \
        --hotspot-sweep-ms 300 >>"$TEST_DIR/rebuild.log" 2>&1; then
    $PYH again
else
    fail "analytics --rebuild --once failed: $(tail -3 "$TEST_DIR/rebuild.log")"
fi
analytics_start
$PYH badquery
$PYH ctl
$PYH reopen
grep -v '^outlet ' "$ROOT/deploy/analytics/hotspots.conf" >"$HOTSPOTS"
kill -HUP "$(service_pid analytics)"
$PYH removed
sed -e 's/^outlet .*/outlet branch_cause count 3 window 30d clear 1 name repeat_customer_90d/' \
    -e '/^repeat_customer /d' "$ROOT/deploy/analytics/hotspots.conf" >"$HOTSPOTS"
kill -HUP "$(service_pid analytics)"
$PYH changed
$PYH branches
