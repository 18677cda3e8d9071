#!/usr/bin/env bash
# mail_e2e.sh — the e-mail adapter end to end (issue 14 §3): bus + intake +
# router + the mail daemon with its own CURVE certificate (role adapter,
# channel email). The corpus of tests/data/mail goes into the Maildir, and
# its complaints (new Message-IDs), a bounce and a malformed message over
# LMTP from Python's smtplib.LMTP; mail_e2e.py checks what reached the store
# and what was kept where (see its "corpus" step). Then SIGTERM: the daemon
# exits 0.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl mail

issue_tokens "$TEST_DIR/staff" || exit 1
new_key mail --role adapter --channels email
start_pipeline || exit 1

LMTP_PORT=$((TEST_ZMQ_BASE + 3))
METRICS_PORT=$((TEST_ZMQ_BASE + 4))
mkdir -p "$TEST_DIR/inbox"
start_service mail mail --maildir "$TEST_DIR/inbox" --dir "$TEST_DIR/mail" \
    --lmtp "127.0.0.1:$LMTP_PORT" --metrics-port "$METRICS_PORT" --scan-ms 200
wait_for "exec 3<>/dev/tcp/127.0.0.1/$LMTP_PORT" 15 || fail "mail does not listen for LMTP"

"$PY" "$ROOT/tests/integration/mail_e2e.py" --corpus "$ROOT/tests/data/mail" \
    --maildir "$TEST_DIR/inbox" --dir "$TEST_DIR/mail" --lmtp-port "$LMTP_PORT" \
    --metrics-port "$METRICS_PORT" corpus
assert_eq "mail_e2e.py corpus exit status" 0 "$?"

kill_service mail TERM
assert_eq "mail exit status on SIGTERM" 0 "$?"
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
