#!/usr/bin/env bash
# records.sh — issue 16 §3 "Case file export and retention" and "Knowledge
# base", with real daemons: bus, intake, router (the real directory), a
# watchdog (the shipped policy and calendars: the file's clocks) and a
# notifier e-mailing an smtp-sink (the file's messages). records.py says
# what is checked: the case file as HTML (parsed, and rendered once by
# headless chromium) and JSON, who may export; the knowledge base promoted
# and searched in Chinese and English, suggested on a new case; the
# retention under the shifted store clock (a case closed "6 years ago" is
# anonymised, a recent one is not; idempotent).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
# the mail adapter's key: records.py sends e-mail attachment parts straight
# to intake (a refused one, a half-sent one: the file and the retention)
new_key mail --role adapter --channels email
start_pipeline || exit 1
start_service watchdog watchdog --name wd-records --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 200
mail_notifier_start --max-attempts 1 --survey-url https://bank.example/survey

"$PY" "$ROOT/tests/integration/records.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --endpoint "$INTAKE_EP" || fail "records.py: exit status $? (a failed check, or it stopped)"
assert_true "intake alive at the end" service_alive intake
assert_true "notifier alive at the end" service_alive notifier
