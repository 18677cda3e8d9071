#!/usr/bin/env bash
# hotline_fcr.sh — first-contact resolution (issue 14 §4): a complaint the
# agent solved on the call is registered, accepted and resolved in one
# intake transaction (services/intake/first_contact.c), idempotent on the
# call id.
#
# bus + intake + router; the hotline's own certificate (role adapter,
# channel hotline). hotline_fcr.py sends the submits with `first_contact`
# itself (pyzmq, CURVE as the hotline key) and checks the reply, the row,
# the audit trail and the events on the stream; a retry of the same call id,
# a bad token, a role that may not resolve, a refund without an amount, and
# that the router never touches the case.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl
cd "$ROOT" || exit 1

new_key hotline --role adapter --channels hotline
issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
start_pipeline || exit 1

"$PY" "$ROOT/tests/integration/hotline_fcr.py" --endpoint "$INTAKE_EP" \
    --tokens "$TEST_DIR/staff/tokens.plain"
