#!/usr/bin/env bash
# analytics_dashboard.sh — the analytics daemon's dashboard and bulletin over
# HTTP (issue 12 §5, §6): real bus, intake, router with the real directory,
# and one analytics with --http on a port of this test's block.
#
#   1. scenario: analytics_e2e's six complaints worked by named staff, and
#      five more left assigned (open, undecided: at risk within 720 h)
#      (analytics_dashboard.py scenario)
#   2. pages over HTTP: status codes and headers, the numbers on / equal
#      the kpi answer for the page's own range (data-kpi attributes), the
#      heat map adds up to the kpi by branch and by cause, the cases at risk
#      are exactly the open undecided ones, the hot spots are the hotspots
#      answer, the bulletin hides small cells by complaintctl report's rule,
#      nothing is loaded from anywhere, and every bad parameter is a 400
#      naming it (bad method 405, body 413, long URL 414/431, no page 404)
#      (analytics_dashboard.py pages)
#   3. headless Chromium: the dashboard in zh and en loads and its rendered
#      DOM carries the kpi answer's numbers; screenshots of both and of the
#      bulletin are kept (analytics_dashboard.py browser; copied to
#      docs/img/ by hand when they should change)
#   4. complaintctl report --format pdf|html: a PDF with pages (pdfinfo),
#      the HTML the daemon serves; bad arguments exit 2, no daemon exit 3
#      (analytics_dashboard.py document)
#   5. a malformed --http exits 2; a second daemon on the taken port exits 1
#      (analytics_dashboard.py flags); SIGHUP reloads the HTTP side; SIGTERM
#      stops the daemon and its HTTP actor, exit 0
# Chromium and pdfinfo are required: without them the test fails.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router analytics complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" || exit 1
A_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
HTTP_ADDR=127.0.0.1:$((TEST_ZMQ_BASE + 4))
PYD="$PY $ROOT/tests/integration/analytics_dashboard.py"

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service analytics analytics --name a --endpoint "$A_EP" --http "$HTTP_ADDR" \
    --min-cell 5 --batch 20 --lock-retry-ms 200
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 || fail "analytics did not answer"
wait_for "grep -q event=http_listening '$TEST_DIR/analytics.log'" 15 \
    || fail "analytics did not listen on $HTTP_ADDR"

$PYD scenario --ctl "$BIN/complaintctl" --tokens "$TEST_DIR/staff/tokens.plain" \
    --out "$TEST_DIR/out" --a "$A_EP"
$PYD pages --http "http://$HTTP_ADDR" --a "$A_EP" --out "$TEST_DIR/out"
$PYD browser --http "http://$HTTP_ADDR" --a "$A_EP" --out "$TEST_DIR/out" \
    --img "$TEST_DIR/img"
$PYD document --ctl "$BIN/complaintctl" --http "$HTTP_ADDR" --a "$A_EP" \
    --out "$TEST_DIR/out" --closed-port "$((TEST_ZMQ_BASE + 5))"

$PYD flags --bin "$BIN/analytics" --http "$HTTP_ADDR" \
    --endpoint "tcp://127.0.0.1:$((TEST_ZMQ_BASE + 6))"

# SIGHUP reloads the HTTP side's targets too; the daemon keeps serving.
kill -HUP "$(service_pid analytics)"
wait_for "grep -q event=http_config_loaded '$TEST_DIR/analytics.log'" 10 \
    || fail "the HTTP side did not reload its targets on SIGHUP"
$PYD alive --http "http://$HTTP_ADDR"
kill_service analytics TERM
assert_eq "analytics exits 0 on SIGTERM (the HTTP actor stopped with it)" 0 "$?"
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
