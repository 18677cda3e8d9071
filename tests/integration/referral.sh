#!/usr/bin/env bash
# referral.sh — referred complaints end to end (issue 15 §1): a complaint
# forwarded by a regulator's hotline, the banking association or the media
# carries the referring body, its ticket and its reply-by date; the bank
# replies back to the referring body (对口回复, seed 003) as a tracked step.
#
# bus + intake + router, the real directory and routing policy, a token for
# every member of staff. referral.py submits through its own ZeroMQ client
# (tests/integration/client.py, not our C code path) and checks:
#   - a regulator referral and an association referral stored with their
#     referral (row, `complaintctl show` in the bank's zone, offset written),
#     channel regulator alone is the regulator's referral
#   - bad referral fields refused, each naming its field; nothing written
#   - the same submit again answers the first complaint
#   - complaint.received carries referral_source, never the referrer or ticket
#   - the router: the regulator's referral flagged regulator (P2), the media's
#     flagged media (major), the association's P2 by priority.conf's
#     `referral =` line
#   - reply_referrer allowed on a referral (open, and closed), refused on a
#     direct complaint (field referral) and without text; its event
#     complaint.referrer_replied carries source and ticket, never the text
#   - intake's complaints_intake_referrals_total counts the new referrals
#     by source
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl
cd "$ROOT" || exit 1

issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
# start_pipeline, with intake's metrics on a port of this test's block
METRICS_PORT=$((TEST_ZMQ_BASE + 4))
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP" --metrics-port "$METRICS_PORT"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$ROOT/deploy/org/directory.conf" --tokens "$TEST_DIR/staff/tokens"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

"$PY" "$ROOT/tests/integration/referral.py" --endpoint "$INTAKE_EP" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --metrics "http://127.0.0.1:$METRICS_PORT/metrics"
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
