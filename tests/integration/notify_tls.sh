#!/usr/bin/env bash
# notify_tls.sh — the notifier delivers through a real SMTP relay that
# demands STARTTLS and AUTH, as a bank's does (issue 13, secrets hygiene:
# "SMTP TLS on by default where a real server is named" — here proved to
# work, not only to refuse). The relay is aiosmtpd (smtp_tls_sink.py) with a
# certificate from a CA this test makes with openssl, the bank's own CA as
# far as the notifier knows (--tls-ca-file). Steps:
#   ok         STARTTLS + AUTH PLAIN/LOGIN with the password from a 0600 file:
#              the receipt arrives, over TLS, authenticated as the user; the
#              password is in neither the log nor /proc/PID/cmdline
#   untrusted  the same relay without --tls-ca-file: the certificate is not
#              trusted, the row is dead with the reason, nothing delivered,
#              and no AUTH was attempted (the password never left)
#   wrong      a wrong password: refused (535), dead, nothing delivered
#   plaintext  --smtp-tls off against the relay: it refuses before MAIL
#              (530), nothing delivered, no password sent
# The shell makes the keys and starts and stops processes; notify_tls.py
# checks.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake notifier complaintctl

SMTP_PORT=$((TEST_ZMQ_BASE + 3))
PKI=$TEST_DIR/pki
checker () { "$PY" "$ROOT/tests/integration/notify_tls.py" --dir "$TEST_DIR" "$@"; }

# A CA and the relay's certificate for localhost and 127.0.0.1.
mkdir -p "$PKI"
( umask 077
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.pem" \
      -days 2 -subj "/CN=Complaints test bank CA" &&
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/relay.key" -out "$PKI/relay.csr" \
      -subj "/CN=localhost" &&
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$PKI/relay.ext" &&
  openssl x509 -req -in "$PKI/relay.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
      -CAcreateserial -out "$PKI/relay.pem" -days 2 -extfile "$PKI/relay.ext"
) >"$TEST_DIR/openssl.log" 2>&1 || { fail "openssl could not make the test CA"; exit 1; }
checker secrets      # the relay's and the notifier's password files (0600)

start_service relay "$PY" "$ROOT/deploy/sinks/smtp_tls_sink.py" serve --port "$SMTP_PORT" \
    --dir "$TEST_DIR/mail" --cert "$PKI/relay.pem" --key "$PKI/relay.key" \
    --user complaints --password-file "$TEST_DIR/relay.password"
wait_for "grep -q listening '$TEST_DIR/relay.log'" 15 || { fail "the relay did not start"; exit 1; }
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }

notifier_start () {   # PASSWORD_FILE EXTRA ARGS...
    local pw=$1; shift
    start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://localhost:$SMTP_PORT" \
        --smtp-from complaints@bank.example --smtp-user complaints \
        --smtp-password-file "$pw" --poll-ms 100 --max-attempts 1 "$@"
}
submit () {   # REF — the new complaint's number
    ctl submit --channel web --ref "$1" --lang en --product 信用卡 --email "cust.$1@example.com" \
        --name "客户-$1" --body "annual fee charged twice $1" 2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty'
}

notifier_start "$TEST_DIR/smtp.password" --smtp-tls required --tls-ca-file "$PKI/ca.pem"
checker ok "$(submit t1)" "$(service_pid notifier)"
kill_service notifier TERM >/dev/null

notifier_start "$TEST_DIR/smtp.password" --smtp-tls required
checker untrusted "$(submit t2)"
kill_service notifier TERM >/dev/null

notifier_start "$TEST_DIR/wrong.password" --smtp-tls required --tls-ca-file "$PKI/ca.pem"
checker wrong "$(submit t3)"
kill_service notifier TERM >/dev/null

notifier_start "$TEST_DIR/smtp.password" --smtp-tls off
checker plaintext "$(submit t4)"
kill_service notifier TERM >/dev/null
