#!/usr/bin/env bash
# act_protocol.sh — staff actions, queue and get-with-token on the wire.
#
# A real intake and store; tests/integration/act_protocol.py builds its own
# organisation and tokens with psql, places cases with SQL (no router), and
# checks every lifecycle action's success path (reply, state, version,
# audit row, outbox event without free text or identity), the refusals
# (unauthenticated, forbidden, invalid_transition, conflict — including two
# concurrent acts with one version: exactly one wins), transfer through
# pick_handler, and the staff and status views. Two writers, so concurrent
# acts really run on two connections.
. "$(dirname "$0")/../lib.sh"
require_bin intake

start_service intake intake --endpoint "$INTAKE_EP" --writers 2
wait_intake 20 || { fail "intake did not answer on $INTAKE_EP within 20 s"; exit 1; }

"$PY" "$ROOT/tests/integration/act_protocol.py" --endpoint "$INTAKE_EP" \
    --log "$TEST_DIR/intake.log"
assert_eq "act_protocol.py exit status (every check as expected)" 0 "$?"
assert_true "intake is still running" service_alive intake
kill_service intake TERM
assert_eq "intake exit status on SIGTERM" 0 "$?"
