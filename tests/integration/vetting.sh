#!/usr/bin/env bash
# vetting.sh — issue 16 §1 "Vetting", "Outcomes", "The answer to the
# customer" (审核; seed 003: "如不符合要求那么退回…重新处理"), with real
# daemons: bus, intake (the shipped vetting policy, deploy/vetting/policy.conf,
# through its environment variable), router (the real directory), watchdog
# (the shipped SLA policy and calendars), and a notifier e-mailing an
# smtp-sink (messages read decoded, as people read them). Every action is
# `complaintctl act` as a named person.
#
#   plain   a complex case: propose (two outcomes, a customer_text) -> the
#           complaint office is told; return with a reason -> the handler is
#           told why; propose again (refund, apology, goodwill); a supervisor
#           may not vet (the policy's vetter is the complaint office); the
#           office approves -> resolved; the customer's e-mail states the
#           outcomes with the amount, the reasons as customer_text says,
#           and the routes (review within the window, the bank's line,
#           mediation, arbitration, the regulator), never the internal text;
#           the solution clock met by the first proposal, resolution by the
#           approval; show lists the outcomes and the customer text
#   major   a major complaint (media): a direct resolve is refused (must be
#           vetted), the proposer (complaint office) may not approve their
#           own proposal, another officer does
#   limits  a refund over the handler's limit (500) is refused naming
#           amount and the limit; proposed at 60000 (over the office's
#           50000): the office's approval is refused (amount), the head
#           office's manager approves; a direct resolve within the limit
#           (the single outcome/amount of older clients) still works
#   call    first-contact resolution (a hotline adapter's submit): a refund
#           of 600 granted on the call by a handler is refused
#           (first_contact.amount, over the limit), 300 is resolved
#   issue 16 follow-up (vetting2), in plain/major/limits: the round's
#           columns (proposed_by/_at, approved_by/_at, returned_by/_at) set
#           by each action; a returned proposal's outcomes listed apart (get,
#           show) and replaced by the next; show and the case file (HTML,
#           JSON) read the columns; the proposer's decoded e-mail on approval
#           (recipient kind proposer), none on a direct resolve
#   backfill  migration 050's UPDATE, run again on cleared columns, rebuilds
#           every case's round from the audit trail (one left returned)
#   reload  the policy edited to vet every priority, SIGHUP: a plain case's
#           direct resolve is now refused; a broken policy, SIGHUP: refused
#           and logged, the previous one kept (still refused)
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
POLICY=$TEST_DIR/vetting.conf
cp "$ROOT/deploy/vetting/policy.conf" "$POLICY"
export COMPLAINTS_INTAKE_VETTING_POLICY=$POLICY
new_key hotline --role adapter --channels hotline
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_pipeline || exit 1
start_service watchdog watchdog --name wd-vetting --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 200
mail_notifier_start --max-attempts 1

vetting_py () {
    "$PY" "$ROOT/tests/integration/vetting.py" --ctl "$BIN/complaintctl" \
        --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
        --mail "$MAIL" --endpoint "$INTAKE_EP" --phase "$1" || fail "vetting.py $1: exit status $? (a failed check, or it stopped)"
}
vetting_py main
printf 'vet priority 2\nvet priority 3\nvet priority 4\n' >>"$POLICY"
kill -HUP "$(service_pid intake)"
wait_for "grep -q vetting_policy_loaded '$TEST_DIR/intake.log'" 10 \
    || fail "intake did not reload its vetting policy on SIGHUP"
vetting_py reload
printf 'vet priority 9\n' >>"$POLICY"
kill -HUP "$(service_pid intake)"
wait_for "grep -q vetting_policy_refused '$TEST_DIR/intake.log'" 10 \
    || fail "intake did not refuse a broken vetting policy on SIGHUP"
vetting_py reload
assert_true "intake alive at the end" service_alive intake
assert_true "notifier alive at the end" service_alive notifier
assert_true "watchdog alive at the end" service_alive watchdog
