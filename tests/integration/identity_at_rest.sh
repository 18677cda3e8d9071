#!/usr/bin/env bash
# identity_at_rest.sh — the customer's identity encrypted at rest (issue 13;
# docs/security.md, "Identity at rest"), with the real intake, bus, router
# and notifier and a real SMTP server on loopback:
#   a  complaints submitted with a known name, phone, e-mail, account and ID
#      number: no table of the store holds any of them in clear (every
#      column of every table as text, bytea as hex; the event log and the
#      outbox too), the lookup hashes are there, keyed
#   b  the staff view (a token) shows them opened; the notifier delivers the
#      receipt to the opened e-mail address
#   c  intake and the notifier refuse to start without the key file, or with
#      one that group or others can read: exit 2, the flag named
#   d  the upgrade: a database migrated to 022 with plaintext rows; 023
#      refuses while they are there; `intake --seal-identity` seals them;
#      023 then drops the plaintext columns; `--reseal` moves every row to
#      a new first key
# The shell starts the services; identity_at_rest.py does the rest.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier smtp-sink

SMTP_PORT=$((TEST_ZMQ_BASE + 3))
MAIL=$TEST_DIR/mail
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
start_pipeline || exit 1
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100

assert_true "identity_at_rest.py exit status (every check as expected)" \
    "$PY" "$ROOT/tests/integration/identity_at_rest.py" --endpoint "$INTAKE_EP" --mail "$MAIL" \
    --sink "$ROOT/deploy/sinks/smtp_sink.py" --bin "$BIN" --root "$ROOT" --dir "$TEST_DIR" \
    --token "$(staff_token li_na)"
