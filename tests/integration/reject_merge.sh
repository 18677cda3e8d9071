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
#   (merge steps: see reject_merge.py)
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_pipeline || exit 1
SMTP_PORT=$((TEST_ZMQ_BASE + 3))
MAIL=$TEST_DIR/mail
start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --max-attempts 1 \
    --calendars "$ROOT/deploy/calendars"

"$PY" "$ROOT/tests/integration/reject_merge.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --mail "$MAIL"
assert_true "intake alive at the end" service_alive intake
assert_true "notifier alive at the end" service_alive notifier
