#!/usr/bin/env bash
# events_doc.sh — PROTOCOL.md's event payload tables cannot drift from the code.
#
# The part of proto/PROTOCOL.md between the "<!-- BEGIN events" and
# "<!-- END events -->" lines is printed from the one declaration of every
# event (proto/events.c) by `complaintctl events --markdown`. If the table
# changes and the page does not (or the page is edited by hand), this fails
# with the difference and the command that regenerates it.
. "$(dirname "$0")/../lib.sh"
require_bin complaintctl

"$BIN/complaintctl" events --markdown >"$TEST_DIR/events.md" 2>"$TEST_DIR/events.err"
assert_eq "complaintctl events --markdown exit status" 0 "$?"
sed -n '/^<!-- BEGIN events/,/^<!-- END events -->$/p' "$ROOT/proto/PROTOCOL.md" \
    >"$TEST_DIR/protocol-events.md"
assert_ge "lines of event tables in proto/PROTOCOL.md" 100 "$(wc -l <"$TEST_DIR/protocol-events.md")"
if diff -u "$TEST_DIR/protocol-events.md" "$TEST_DIR/events.md" >"$TEST_DIR/diff"; then
    check "proto/PROTOCOL.md's event tables match proto/events.c"
else
    sed 's/^/    /' "$TEST_DIR/diff" | head -40
    fail "proto/PROTOCOL.md's event tables are stale: replace the part between the" \
         "BEGIN/END events markers with the output of complaintctl events --markdown"
fi
