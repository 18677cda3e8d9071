#!/usr/bin/env bash
# notify_ctl.sh — the operator's tools for the notifier (issue 5):
# `complaintctl notifications` and `complaintctl optout`, against the real
# bus, intake, router and notifier and a real SMTP server (smtp_sink.py):
#   a  a notifier whose SMTP server is not there, --max-attempts 1: every
#      e-mail row goes dead; `notifications --state dead` lists them with
#      masked addresses (c***@example.com), and no address appears whole in
#      any output (list, --json, show, --summary)
#   b  `show ID` prints the rendered subject and body as stored
#   c  `retry ID` with the server back: the row is sent, attempts counted
#      from 0 (1 after the retry), retried_by set, exactly one
#      notification.retried event for it (data: id, attempts before, by);
#      retrying a sent row is refused (exit 1, naming its state); an unknown
#      id is "no notification N" (exit 1)
#   d  `retry --dead` retries every dead row: every e-mail row is sent and
#      the mailbox holds each once
#   e  optout add / list / remove, keyed by the customer's pseudonym: a
#      second complaint by the same customer (same phone and ID number)
#      shows the opt-out made through the first; add is idempotent; a bad
#      channel is a usage error naming the field (exit 2); an unknown
#      complaint exit 1 naming it
# Nothing here depends on SMS or push: the assertions are on e-mail rows.
# The shell starts the services and the SMTP server between the steps;
# notify_ctl.py runs complaintctl and checks what it prints and the store.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier complaintctl

SMTP_PORT=${TEST_SMTP_PORT:-$((TEST_ZMQ_BASE + 3))}
MAIL=$TEST_DIR/mail
SMTPD=$ROOT/deploy/sinks/smtp_sink.py
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

checker () { "$PY" "$ROOT/tests/integration/notify_ctl.py" --ctl "$BIN/complaintctl" \
                 --sink "$SMTPD" --mail "$MAIL" --out "$TEST_DIR/out" "$@"; }

# The SMTP port stays closed for now: every attempt fails, and with
# --max-attempts 1 every e-mail row goes dead at its first failure.
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --batch 10 --max-attempts 1 \
    --backoff-ms 100 --backoff-cap-ms 200 --smtp-timeout-ms 2000
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

checker ab
start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtp sink did not start"
checker c
checker d
checker e
