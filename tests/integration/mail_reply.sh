#!/usr/bin/env bash
# mail_reply.sh — an e-mail reply lands on its case (issue 14 §3): bus +
# intake + router + notifier (with the SMTP sink) + the mail daemon with its
# own adapter certificate. The shell starts the services and acts as the
# handler (complaintctl with a staff token); mail_reply.py delivers the
# customer's mails over LMTP and into the Maildir and makes every check:
#   submit   a complaint by e-mail from the customer; the router gives it a
#            handler
#   (shell)  the handler accepts it and asks for information (request_info)
#   reply    the notifier's message to the customer is in the sink; its
#            Message-ID names the case; the customer answers it (In-Reply-To)
#            over LMTP: the case is back in investigating (customer_replied,
#            actor the adapter), the words are in `complaintctl show` for the
#            handler, the event carries no text and no address; the same
#            message again is recorded once (duplicate); a reply naming
#            "编号 N" in its subject (Maildir) is a note, state unchanged;
#            a stranger's "编号 N" is refused (forbidden, from): quarantined
#            with intake's reason, nothing on the case
#   (shell)  the handler resolves, the customer is satisfied, the case closes
#   closed   the customer writes again: a note marked after_close, state
#            closed, complaint.noted for the handler
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mail_lib.sh"
require_bin notifier smtp-sink
start_mail

SMTP_PORT=$((TEST_ZMQ_BASE + 5))
start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$TEST_DIR/sink"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtp-sink did not start"
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100

replypy () {
    "$PY" "$ROOT/tests/integration/mail_reply.py" --maildir "$TEST_DIR/inbox" \
        --dir "$TEST_DIR/mail" --lmtp-port "$LMTP_PORT" --metrics-port "$METRICS_PORT" \
        --sink "$ROOT/deploy/sinks/smtp_sink.py" --sink-dir "$TEST_DIR/sink" \
        --ctl "$BIN/complaintctl" "$@"
}

replypy submit
assert_eq "mail_reply.py submit exit status" 0 "$?"
no=$(cat "$TEST_DIR/reply_no" 2>/dev/null)
handler=$(cat "$TEST_DIR/reply_handler" 2>/dev/null)
as_staff "$handler" act "$no" accept >/dev/null 2>>"$TEST_DIR/act.err" \
    && as_staff "$handler" act "$no" request_info --text "请提供扣费账单截图" \
        >/dev/null 2>>"$TEST_DIR/act.err"
assert_eq "the handler accepts the case and asks for information" 0 "$?"

COMPLAINTS_TOKEN=$(staff_token "$handler") replypy reply "$no"
assert_eq "mail_reply.py reply exit status" 0 "$?"

replypy keys "$no"
assert_eq "mail_reply.py keys exit status" 0 "$?"

# The handler decides, the customer is satisfied, the case is closed; then
# the customer writes again: recorded as a note marked after_close.
as_staff "$handler" act "$no" resolve --outcome explanation --text "年费政策已解释" \
        >/dev/null 2>>"$TEST_DIR/act.err" \
    && as_staff "$handler" act "$no" feedback --satisfied yes >/dev/null 2>>"$TEST_DIR/act.err" \
    && as_staff "$handler" act "$no" close --reason satisfied >/dev/null 2>>"$TEST_DIR/act.err"
assert_eq "the handler resolves and closes the case" 0 "$?"
replypy closed "$no"
assert_eq "mail_reply.py closed exit status" 0 "$?"

kill_service mail TERM
assert_eq "mail exit status on SIGTERM" 0 "$?"
