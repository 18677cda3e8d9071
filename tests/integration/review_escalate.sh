#!/usr/bin/env bash
# review_escalate.sh — issue 15's staff actions with real daemons: bus,
# intake, router (the real directory) and the notifier (its SMTP server
# absent: the rows are what is checked, not the delivery). Every action is
# `complaintctl act` as a named person; time moves with the store's clock.
#
#   a  contact (via phone; the text stays in the trail, off the stream),
#      mark_complex (once), appraisal_start / _end out of order refused, a
#      handler may not open one, one open at a time; new_material while
#      awaiting the customer resumes the investigation; the customer is told
#      of the appraisal (its kind), its end and the new material
#   b  escalation from resolved moves the case to the head office's
#      complaint office and its supervisor (yang_lei); the notifier writes
#      his row; the branch's handler no longer has it
#   c  the superior approver: extension 2 of an outlet's case (policy rule
#      approver 'superior', inserted as the watchdog would) refused to the
#      outlet's supervisor and the complaint office, done by the branch's
#      manager
#   d  review 29 days after the decision (clock shifted): allowed, from
#      resolved and after closure; the case goes to the complaint office (a
#      head-office department decided) or to the branch (an outlet
#      decided); the deciding department's handler and supervisor are
#      refused the decision, the complaint office / the branch's supervisor
#      take it; reopen gives the case back; the customer is told (reopened,
#      closed as review_upheld)
#   e  review 31 days after the decision: refused, naming the window
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier complaintctl

SMTP_PORT=$((TEST_ZMQ_BASE + 3))        # nothing listens: rows stay pending
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_pipeline || exit 1
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --batch 10 --max-attempts 1 \
    --backoff-ms 100 --backoff-cap-ms 200 --smtp-timeout-ms 1000

"$PY" "$ROOT/tests/integration/review_escalate.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out"
assert_true "intake alive at the end" service_alive intake
assert_true "notifier alive at the end" service_alive notifier
