#!/usr/bin/env bash
# lifecycle.sh — the case lifecycle end to end (issue 3): real bus, intake and
# router, the real directory (deploy/org/directory.conf) with a token for
# every member of staff, every step taken with `complaintctl act` as a named
# person, and every step checked in the store (state, version, handler,
# department, case_action rows) and on the stream (event types and data).
#
#   a  closed on first contact: accept, resolve (explanation), feedback
#      satisfied, close satisfied
#   b  transferred to another department (a handler there gets it), then
#      resolved with a refund: "Closed with monetary relief" in the event;
#      the old handler can no longer act
#   c  cross-department: the router names cooperating departments, each gets
#      complaint.cooperation_requested; a cooperating handler may note and
#      see the case, not resolve it
#   d  not satisfied: review, reopen (a supervisor; the handler may not),
#      investigate, resolve, feedback satisfied, close
#   e  a duplicate rejected before acceptance (duplicate_of the first);
#      reject after accept -> invalid_transition (state and version shown)
#   f  withdrawal; nothing more on a withdrawn case
#   g  forbidden: another department's handler, a branch manager outside
#      his subtree, a manager accepting; an unknown token -> unauthenticated;
#      no token -> exit 2 naming COMPLAINTS_TOKEN; a stale --version ->
#      conflict; escalation to head office, not twice to the same level
#   h  two staff acting at once on one version: exactly one wins, the other
#      exits 1 with conflict; one case_action row (5 races)
#   i  awaiting_customer round trip (request_info, customer_replied)
#   and: queue (mine / department / all) and show (staff view vs status
#   view), free text never on the stream, one case_action row per change,
#   versions +1 per change, seqs gap-free.
# The shell starts the services; lifecycle.py runs complaintctl as each
# person and checks every step (as e2e_import.py does).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" || exit 1

start_pipeline || exit 1

"$PY" "$ROOT/tests/integration/lifecycle.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out"
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
