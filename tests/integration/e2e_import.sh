#!/usr/bin/env bash
# e2e_import.sh — the spine end to end (invariants 1, 3, 4, 6, 8).
#
# bus + intake + router; `complaintctl import` of the CFPB sample
# (tests/data/cfpb_complaints_sample.csv, see tests/data/README.md). The
# checks are e2e_import.py's:
#   - every row is acknowledged with a complaint number (none duplicate);
#   - the stream (complaintctl replay --from 0) holds, for each complaint,
#     exactly one complaint.received and one complaint.assigned, with seqs
#     1..2N consecutive, and nothing else; the test's own replay client
#     (client.py) sees the same;
#   - the stream carries no customer name ("CFPB consumer" appears nowhere)
#     but a 32-hex "customer" pseudonym in each complaint.received;
#   - `complaintctl get NO` with a complaint office token (the staff view)
#     shows the full identity; without a token (the status view) it does not;
#   - importing again: every row duplicate, the same numbers, no new events
#     (up to a sentinel complaint submitted after it: no sleep, a barrier).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

issue_tokens "$TEST_DIR/staff" || exit 1
start_pipeline || exit 1

"$PY" "$ROOT/tests/integration/e2e_import.py" --csv "$ROOT/tests/data/cfpb_complaints_sample.csv" \
    --ctl "$BIN/complaintctl" --tokens "$TEST_DIR/staff/tokens.plain" \
    --intake "$INTAKE_EP" --replay "$BUS_REPLAY_EP" --out "$TEST_DIR"
assert_eq "e2e_import.py exit status (every check as expected)" 0 "$?"
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
