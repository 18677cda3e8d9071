#!/usr/bin/env bash
# hotline_desk.sh — the agent desk (issue 14 §4) through real processes: bus
# + intake + router + hotline (its own certificate: adapter, channel
# hotline), driven by a real HTTP client (hotline_desk.py: http.client,
# cookies and forms by hand) with the agents' staff tokens.
#
#   refused: a post before sign-in (401), a bad token (401), a post without
#   or with a wrong CSRF token (403), a bad field (422, the message beside
#   the field); a call registered in Chinese (201: number, query code, the
#   time with its zone; the row in the store; the same form again: the same
#   number); a call resolved on the phone (first contact: resolved, the
#   agent as actor, received/accepted/resolved on the stream); the query
#   code opens the public status view; SIGTERM: hotline exits 0.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl hotline
cd "$ROOT" || exit 1

DESK_PORT=$((TEST_ZMQ_BASE + 5))
new_key hotline --role adapter --channels hotline
issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
start_pipeline || exit 1
start_service hotline hotline --intake "$INTAKE_EP" --addr "127.0.0.1:$DESK_PORT" \
    --inbox off --spool "$TEST_DIR/spool" --wait-ms 8000
wait_for "curl -s -o /dev/null http://127.0.0.1:$DESK_PORT/" 15 \
    || fail "the desk did not answer on port $DESK_PORT within 15 s"

"$PY" "$ROOT/tests/integration/hotline_desk.py" --desk "http://127.0.0.1:$DESK_PORT" \
    --endpoint "$INTAKE_EP" --tokens "$TEST_DIR/staff/tokens.plain" --spool "$TEST_DIR/spool"

kill_service hotline TERM
assert_eq "hotline exits 0 on SIGTERM" 0 "$?"
assert_match "hotline logged its stop" "event=stopping" "$(cat "$TEST_DIR/hotline.log")"
