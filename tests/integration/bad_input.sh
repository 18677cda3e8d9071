#!/usr/bin/env bash
# bad_input.sh — invariant 7: bad input gets a clear error, never a crash.
#
# A table of malformed requests (tests/integration/bad_input.py) goes to a
# real intake over a DEALER socket: each must get {"ok":false} with its
# stable code (proto/proto.h) and the field at fault, intake must still
# answer after each, and a valid submit afterwards must succeed. The store
# must then hold exactly that one complaint: nothing malformed was written.
. "$(dirname "$0")/../lib.sh"
require_bin intake

start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer on $INTAKE_EP within 20 s"; exit 1; }

# bad_input.py checks every reply and the store (its checks are counted).
"$PY" "$ROOT/tests/integration/bad_input.py" --endpoint "$INTAKE_EP"
assert_eq "bad_input.py exit status (every case as expected)" 0 "$?"
assert_true "intake is still running after the table" service_alive intake
kill_service intake TERM
assert_eq "intake exit status on SIGTERM" 0 "$?"
