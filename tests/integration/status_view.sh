#!/usr/bin/env bash
# status_view.sh — the public status view of `get` (issue 13; PROTOCOL.md
# "get", docs/security.md "Status view"), with the real intake, bus, router,
# watchdog and notifier, and a real SMTP server on loopback:
#   a  submit through client.py (the independent client): the reply has a
#      query code; the same submit again: the same number and code; the
#      receipt the notifier e-mails holds the code
#   b  a get without a token with the right code (any case, spaces): exactly
#      the number, the state, the dates and the next step — no free text,
#      identity, ref or id anywhere in the reply
#   c  without a code, with a wrong one, with a malformed one: the very reply
#      an unknown number gets (not_found)
#   d  per peer: after --status-failures failures one peer (under CURVE:
#      one client key, adapters web-a ... web-h made here) is refused
#      (rate_limited), even with the right code, while another key still
#      gets its answer
#   e  per complaint: after --status-case-failures failures from several
#      keys, the number is refused to everyone, and an unknown number is
#      refused the same way
#   g  a certificate allowed to see status (desk: keys new --status) gets
#      the same view without a code, never more
#   f  the code is nowhere in the store, the logs or the event log in clear;
#      the store holds a keyed hash, not SHA-256 of the code
# The shell starts the services; status_view.py makes every request and check.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier watchdog smtp-sink

SMTP_PORT=$((TEST_ZMQ_BASE + 3))
MAIL=$TEST_DIR/mail
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
for k in a b c d e f g h; do
    new_key "web-$k" --role adapter --channels web
done
new_key desk --role adapter --channels hotline --status

start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP" --status-failures 4 --status-refill-s 3600 \
    --status-case-failures 5
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service watchdog watchdog --name wd-status --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 200
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

assert_true "status_view.py exit status (every check as expected)" \
    "$PY" "$ROOT/tests/integration/status_view.py" --endpoint "$INTAKE_EP" --mail "$MAIL" \
    --sink "$ROOT/deploy/sinks/smtp_sink.py" --logs "$TEST_DIR" --token "$(staff_token li_na)" \
    --ctl "$BIN/complaintctl"
