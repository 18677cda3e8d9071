#!/usr/bin/env bash
# followup.sh — issue 16 §2 "After the answer" (docs/followup.md), with real
# daemons: bus, intake, router (the real directory) and TWO watchdogs on the
# shipped policy (clock callback 3wd, attempts callback 3). Every staff
# action is `complaintctl act` as a named person; the store's clock is
# shifted as the SLA tests shift it (app_clock_set).
#
#   callback   attempts logged (callback no_answer: audit row, event, state
#              stays resolved); a result that cannot carry an answer refused;
#              the callback clock's row (stage callback, 3wd from the
#              decision, policy.conf's line)
#   period     the store's clock shifted past the call-back period: the case
#              is closed as no_answer exactly once, by the watchdog (actor
#              watchdog, role system) through intake, though two watchdogs
#              run; one complaint.closed; the breach fired once
#   attempts   three unanswered attempts on three days (the clock shifted a
#              day between them): closed as no_answer on the third, before
#              the period ends
#   survey     the call-back reached the customer: not satisfied, score 2:
#              complaint.callback_attempted and complaint.survey_answered
#              (channel callback), the text on neither; a second score
#              refused; closing as satisfied refused, as referred_mediation
#              done; the callback clock met
#   determine  the valid-complaint determination: a handler refused, the
#              complaint office's recorded (complaint.determined), a second
#              refused; not from an open case
#   key        intake's side of the watchdog's request, by the test's own
#              client (client.py) with the watchdog's CURVE key: another key
#              without a token refused (missing_field token), the watchdog's
#              key refused any other action or reason (forbidden), two
#              closes at once: one commits, the other is refused
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_pipeline || exit 1
for wd in wd-a wd-b; do
    start_service "$wd" watchdog --name "$wd" --bus "$BUS_PUB_EP" --intake "$INTAKE_EP" \
        --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" \
        --sweep-ms 200
done

"$PY" "$ROOT/tests/integration/followup.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --logs "$TEST_DIR" || fail "followup.py: exit status $? (a failed check, or it stopped)"
assert_true "intake alive at the end" service_alive intake
assert_true "watchdog wd-a alive at the end" service_alive wd-a
assert_true "watchdog wd-b alive at the end" service_alive wd-b
