#!/usr/bin/env bash
# reject_merge.sh — issue 16 §1 "Merging": the rejection notice (不予受理)
# and merging a duplicate after acceptance (合并处理), with real daemons:
# bus, intake, router (the real directory), watchdog (the shipped policy and
# calendars), and a notifier e-mailing an smtp-sink (the messages are read
# decoded, as the customer reads them: the store keeps them sealed). Every
# action is `complaintctl act` as a named person.
#
#   reject  a duplicate rejected before acceptance: the customer's e-mail
#           (zh) says not accepted, why in words, the open complaint it
#           duplicates, and where to go if they disagree; an `outside_scope`
#           rejection (en) says why in English; no code word in either
#   merge   a duplicate found after acceptance (investigating) merged into
#           the same customer's open case: refused to its handler
#           (forbidden), without duplicate_of (the tool's check), into
#           itself, an unknown number, a case that is not open (rejected)
#           and another customer's open case (invalid_field duplicate_of,
#           nothing written); done by the supervisor: rejected, reject_reason
#           merged, duplicate_of the target; a second merge refused
#           (invalid_transition); complaint.merged carries merged_into and
#           no text; the watchdog ends every running clock cancelled
#           (acknowledge stays met); the customer's e-mail says it is handled
#           with the target and to quote the target's number; `show` of
#           either case prints the link
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_pipeline || exit 1
start_service watchdog watchdog --name wd-merge --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 200
mail_notifier_start --max-attempts 1

"$PY" "$ROOT/tests/integration/reject_merge.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --mail "$MAIL" || fail "reject_merge.py: exit status $? (a failed check, or it stopped)"
assert_true "intake alive at the end" service_alive intake
assert_true "notifier alive at the end" service_alive notifier
assert_true "watchdog alive at the end" service_alive watchdog
