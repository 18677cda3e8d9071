#!/usr/bin/env bash
# scrub_e2e.sh — invariant 8 end to end (issue 13, "narrative scrubbing
# that holds"): complaints submitted through the real intake whose subject,
# body and demand carry the customer's own name, phone, card, account and
# ID number in the forms people write them (full-width digits and letters,
# . - / ( ) and ideographic spaces between groups, names spaced out or in
# either word order, mixed), and an SMS gateway that refuses each receipt
# quoting the number and the text back (http_sink.py --echo), so that its
# answer reaches notification.dead. Then every published event — the
# event_log rows and what `complaintctl replay` gives an analyst — is read,
# and no seeded identity may survive in any form, while the rest of the
# text does. The shell starts and stops processes; scrub_e2e.py submits and
# checks (one checker call per step).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake notifier complaintctl

HTTP_PORT=$((TEST_ZMQ_BASE + 4))
GW=$TEST_DIR/gateway
AUTH="Bearer sms-test-token"
AUTH_FILE=$TEST_DIR/gateway.auth     # a secret file: 0600 from its creation
( umask 077; printf '%s\n' "$AUTH" >"$AUTH_FILE" )
checker () { "$PY" "$ROOT/tests/integration/scrub_e2e.py" --ctl "$BIN/complaintctl" \
                 --out "$TEST_DIR" "$@"; }

start_service gateway "$PY" "$ROOT/deploy/sinks/http_sink.py" serve --port "$HTTP_PORT" \
    --dir "$GW" --require-auth "$AUTH" --status 400 --echo
wait_for "grep -q listening '$TEST_DIR/gateway.log'" 10 || fail "the gateway did not start"
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
# daytime in the bank's zone: an SMS receipt is not held for the morning
clock_set "2026-11-24 10:00+08"
start_service notifier notifier --name notifier --bus "$BUS_PUB_EP" \
    --sms-url "http://127.0.0.1:$HTTP_PORT/sms" --sms-auth-file "$AUTH_FILE" \
    --http-timeout-ms 3000 --poll-ms 100 --max-attempts 2 --backoff-ms 100 --backoff-cap-ms 200

checker submit 24
checker check
assert_true "intake is still running" service_alive intake
assert_true "the notifier is still running" service_alive notifier
kill_service notifier TERM >/dev/null
kill_service intake TERM >/dev/null
kill_service bus TERM >/dev/null
kill_service gateway TERM >/dev/null
