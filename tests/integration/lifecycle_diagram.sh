#!/usr/bin/env bash
# lifecycle_diagram.sh — the drawing cannot drift from the code.
#
# docs/lifecycle.dot is printed from the one declaration of the case
# lifecycle (proto/lifecycle.c) by `complaintctl lifecycle --dot`. If the
# table changes and the checked-in diagram does not, this fails with the
# difference and the command that regenerates it.
. "$(dirname "$0")/../lib.sh"
require_bin complaintctl

"$BIN/complaintctl" lifecycle --dot >"$TEST_DIR/lifecycle.dot" 2>"$TEST_DIR/lifecycle.err"
assert_eq "complaintctl lifecycle --dot exit status" 0 "$?"
if diff -u "$ROOT/docs/lifecycle.dot" "$TEST_DIR/lifecycle.dot" >"$TEST_DIR/diff"; then
    check "docs/lifecycle.dot matches proto/lifecycle.c"
else
    sed 's/^/    /' "$TEST_DIR/diff" | head -40
    fail "docs/lifecycle.dot is stale: complaintctl lifecycle --dot > docs/lifecycle.dot," \
         "then dot -Tsvg docs/lifecycle.dot -o docs/lifecycle.svg"
fi
