#!/usr/bin/env bash
# evidence.sh — issue 16 §3, a case's evidence, with real daemons: bus,
# intake and the router (the real directory). Staff hand documents and a
# recording's reference in with `complaintctl evidence add`, take them back
# out with `evidence get`, and see them in `show`; the limits and the scope
# rule are tried through the tool and with a raw request (evidence.py says
# what is checked).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_pipeline || exit 1

"$PY" "$ROOT/tests/integration/evidence.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --endpoint "$INTAKE_EP"
assert_true "intake alive at the end" service_alive intake
