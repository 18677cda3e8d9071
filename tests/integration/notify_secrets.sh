#!/usr/bin/env bash
# notify_secrets.sh — the notifier's secrets hygiene (issue 13):
#   refuse    --smtp-password, --sms-auth, --push-auth and a --pg conninfo
#             with a password (notifier, complaintctl) on the command line
#             are refused (exit 2, the way to give it instead, the value not
#             echoed); a password or auth file readable by group or others
#             is refused, naming the file and its mode
#   loopback  a password from a 0600 file (--smtp-password-file): mail goes
#             to the local smtp-sink (it offers no AUTH, so libcurl sends
#             none: what is checked is where the password does NOT go), and
#             the password is in neither the notifier's log nor
#             /proc/PID/cmdline; --smtp-tls auto is off on loopback
#   real      the smtp-sink on this machine's own non-loopback IPv4 address
#             (it offers no STARTTLS): with the default --smtp-tls the
#             notifier refuses to talk plaintext — the row is dead with the
#             TLS reason, nothing reaches the mailbox; with --smtp-tls off
#             said explicitly the same server gets the mail. Skipped (said
#             so) when the machine has no such address; the selftest still
#             checks the auto rule (smtp_mail.c)
# The shell starts and stops the processes; every check is notify_secrets.py's.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake notifier complaintctl smtp-sink

SMTP_PORT=$((TEST_ZMQ_BASE + 3))
REAL_PORT=$((TEST_ZMQ_BASE + 4))
PASSWORD_FILE=$TEST_DIR/smtp.password
checker () { "$PY" "$ROOT/tests/integration/notify_secrets.py" --dir "$TEST_DIR" "$@"; }
notifier_start () {   # URL EXTRA ARGS...
    local url=$1; shift
    start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "$url" \
        --smtp-from complaints@bank.example --smtp-user complaints \
        --smtp-password-file "$PASSWORD_FILE" --poll-ms 100 "$@"
}
submit () {   # REF — the new complaint's number
    ctl submit --channel web --ref "$1" --lang en --product 信用卡 --email "cust.$1@example.com" \
        --name "客户-$1" --body "annual fee charged twice $1" 2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty'
}

# ------------------------------------------------------------------ refuse
checker refuse "$BIN/notifier"

# ------------------------------------------------------------------ loopback
start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$TEST_DIR/mail"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 15 || fail "smtpd did not start"
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
notifier_start "smtp://127.0.0.1:$SMTP_PORT"
checker loopback "$(submit l1)" "$(service_pid notifier)"
kill_service notifier TERM >/dev/null

# ------------------------------------------------------------------ real
REAL_IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' \
          | grep -v '^127\.' | head -1)
if [ -z "$REAL_IP" ]; then
    note "SKIPPED real: no non-loopback IPv4 address on this machine"
else
    start_service smtpd_real "$BIN/smtp-sink" --bind "$REAL_IP" --port "$REAL_PORT" \
        --dir "$TEST_DIR/mail_real"
    # listening before the notifier's one attempt: a refused connection
    # would fail the receipt for another reason than the missing TLS
    wait_for "grep -q listening '$TEST_DIR/smtpd_real.log'" 15 || fail "smtpd_real did not start"
    notifier_start "smtp://$REAL_IP:$REAL_PORT" --max-attempts 1
    checker real-refused "$(submit r1)" "$(service_pid notifier)"
    kill_service notifier TERM >/dev/null
    notifier_start "smtp://$REAL_IP:$REAL_PORT" --smtp-tls off
    checker real-off "$(submit r2)" "$(service_pid notifier)"
fi
