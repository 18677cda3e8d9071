# shellcheck shell=bash
# tests/mail_lib.sh — sourced by the e-mail adapter's tests (mail_e2e.sh,
# mail_faults.sh) after tests/lib.sh: the pipeline (bus, intake, router),
# the adapter's own certificate (role adapter, channel email), its Maildir
# $TEST_DIR/inbox and folder $TEST_DIR/mail, LMTP on TEST_ZMQ_BASE + 3 and
# /metrics on + 4.
#   start_mail [ARGS...]   start (or restart) the mail daemon, wait for LMTP
#   mailpy STEP [ARGS...]  tests/integration/mail_e2e.py with those settings
require_bin bus intake router complaintctl mail
issue_tokens "$TEST_DIR/staff" || exit 1
new_key mail --role adapter --channels email
start_pipeline || exit 1

LMTP_PORT=$((TEST_ZMQ_BASE + 3))
METRICS_PORT=$((TEST_ZMQ_BASE + 4))
mkdir -p "$TEST_DIR/inbox"

start_mail () {
    start_service mail mail --maildir "$TEST_DIR/inbox" --dir "$TEST_DIR/mail" \
        --lmtp "127.0.0.1:$LMTP_PORT" --metrics-port "$METRICS_PORT" --scan-ms 200 "$@"
    wait_for "exec 3<>/dev/tcp/127.0.0.1/$LMTP_PORT" 15 || fail "mail does not listen for LMTP"
}

mailpy () {
    "$PY" "$ROOT/tests/integration/mail_e2e.py" --corpus "$ROOT/tests/data/mail" \
        --maildir "$TEST_DIR/inbox" --dir "$TEST_DIR/mail" --lmtp-port "$LMTP_PORT" \
        --metrics-port "$METRICS_PORT" "$@"
}
