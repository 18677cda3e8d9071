#!/usr/bin/env bash
# hotline_import.sh — the call centre's CSV export from a watched folder
# (issue 14 §4), through real processes: bus + intake + router + hotline
# (--inbox, its own certificate; --import-token-file for rows resolved on
# the call). hotline_import.py writes the files and checks; bash starts,
# kills and restarts.
#
#   small    an export with Chinese text, a quoted field over three lines,
#            a row resolved on the call, a bad caller number, a short row:
#            the good rows once each, the bad ones in the rejects file with
#            line, call id, field and reason; the file in done/
#   again    the same file dropped again and an overlapping export: every
#            call id still once
#   big      5,000 rows; while they are read the desk still answers at once
#            (the file is read in slices); hotline SIGKILLed while the file is half taken,
#            started again: every row exactly once, the file in done/; its
#            /metrics count the rows and the file, /healthz is 200
#   outage   intake stopped: an export is still taken (in done/, nothing in
#            the store); intake started again: every row arrives, once
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl hotline
cd "$ROOT" || exit 1

new_key hotline --role adapter --channels hotline
issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
( umask 077; staff_token zhao_min >"$TEST_DIR/import.token" )
start_pipeline || exit 1

METRICS_PORT=$((TEST_ZMQ_BASE + 6))
DESK_PORT=$((TEST_ZMQ_BASE + 7))
hotline () {
    start_service hotline hotline --intake "$INTAKE_EP" --addr "127.0.0.1:$DESK_PORT" \
        --metrics-port "$METRICS_PORT" \
        --inbox "$TEST_DIR/inbox" --spool "$TEST_DIR/spool" --settle-ms 300 --scan-ms 100 \
        --import-token-file "$TEST_DIR/import.token"
    # The daemon makes its inbox as it starts; the checker drops files into
    # it at once, so wait for it (a drop before it raced the start: ENOENT).
    wait_for "[ -d '$TEST_DIR/inbox' ]" 20 || fail "hotline made no inbox within 20 s"
}
checker () {
    "$PY" "$ROOT/tests/integration/hotline_import.py" --inbox "$TEST_DIR/inbox" \
        --spool "$TEST_DIR/spool" --metrics "http://127.0.0.1:$METRICS_PORT" \
        --desk "http://127.0.0.1:$DESK_PORT" "$@"
}

hotline
checker small
checker again
checker big-start
kill_service hotline KILL
hotline
checker big-end
kill_service intake TERM
checker outage-drop
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || fail "intake did not answer within 20 s after its restart"
checker outage-end
kill_service hotline TERM
assert_eq "hotline exits 0 on SIGTERM" 0 "$?"
