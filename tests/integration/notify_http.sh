#!/usr/bin/env bash
# notify_http.sh — the notifier's SMS and push (issue 5) against a real HTTP
# gateway on loopback (deploy/sinks/http_sink.py: http.server, standard
# library), with the real bus and intake, the store's clock moved to day or
# night, and a real SMTP server for the e-mail alternative:
#   a  the receipt rule "email|sms": a customer with only a phone gets an SMS
#      (zh or en) through the gateway: POST /sms, the Authorization header,
#      an Idempotency-Key header equal to the body's key and to the row's
#      Message-ID, the normalised number, the complaint number and the
#      deadline in a short text; a customer with an e-mail gets e-mail only
#   b  push (a rule with a push group): the customer's account, title and
#      text, its own key
#   c  a gateway that fails twice then recovers: retried with the gateway's
#      Retry-After as the least wait, then sent; every attempt carries the
#      same key; notification.failed twice
#   d  a gateway that never recovers (503): dead after --max-attempts with
#      "HTTP 503"; a gateway that refuses (400): dead after one attempt
#   e  quiet hours (the case's zone): at 23:30 Shanghai an SMS waits (pending,
#      deferred_until 08:00 +08, nothing at the gateway) while an e-mail goes
#      at once; at 08:00 it is sent; an `urgent` rule goes at night; with a
#      London calendar the window is London's
#   f  opt-outs (customer_optout, by pseudonym): an opted-out customer with
#      no other channel gets a suppressed row and notification.suppressed;
#      an opt-out recorded while an SMS waits for the morning suppresses it
#      before it is sent, and it never reaches the gateway
#   g  a rate limit shared by two notifiers: 20 SMS at --rate-sms 4 take
#      >= 3.5 s and no second holds more than burst + rate
#   h  SIGKILL mid-batch against a slow gateway: after a restart every SMS
#      row is sent, every key reached the gateway, a key arrived twice only
#      for the request in flight
#   and no notification.* event carries a phone number, an address or text.
# The shell starts and stops the services and the gateway, moves the clock,
# submits and opts out; every check is notify_http.py's, called at each
# step's end (each wait there has a deadline and is a check: no sleep).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake notifier complaintctl

HTTP_PORT=$((TEST_ZMQ_BASE + 4))
SMTP_PORT=$((TEST_ZMQ_BASE + 3))
GW=$TEST_DIR/gateway
MAIL=$TEST_DIR/mail
SINK=$ROOT/deploy/sinks/http_sink.py
SMTPD=$ROOT/deploy/sinks/smtp_sink.py
AUTH="Bearer sms-test-token"
AUTH_FILE=$TEST_DIR/gateway.auth     # a secret file: 0600 from its creation
( umask 077; printf '%s\n' "$AUTH" >"$AUTH_FILE" )

checker () { "$PY" "$ROOT/tests/integration/notify_http.py" --gateway "$GW" --sink "$SINK" \
                 --auth "$AUTH" "$@"; }
gw_start () {   # SINK ARGS...
    rm -f "$TEST_DIR/gateway.log"
    start_service gateway "$PY" "$SINK" serve --port "$HTTP_PORT" --dir "$GW" \
        --require-auth "$AUTH" "$@"
    wait_for "grep -q listening '$TEST_DIR/gateway.log'" 10 || fail "the gateway did not start"
}
gw_stop () { kill_service gateway TERM >/dev/null; }
notifier_start () {   # NAME EXTRA ARGS...
    local name=$1
    shift
    start_service "$name" notifier --name "$name" --bus "$BUS_PUB_EP" \
        --smtp-url "smtp://127.0.0.1:$SMTP_PORT" --smtp-from complaints@bank.example \
        --sms-url "http://127.0.0.1:$HTTP_PORT/sms" --sms-auth-file "$AUTH_FILE" \
        --push-url "http://127.0.0.1:$HTTP_PORT/push" --push-auth-file "$AUTH_FILE" \
        --http-timeout-ms 3000 --poll-ms 100 "$@"
}
# submit REF LANG [complaintctl submit flags...] — the new complaint's number
submit () {
    local ref=$1 lang=$2
    shift 2
    ctl submit --channel hotline --ref "$ref" --lang "$lang" --product 信用卡 --name "客户-$ref" \
        --body "信用卡年费被多扣，请退还 $ref" "$@" 2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty'
}

start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
gw_start
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
clock_set "2026-11-24 10:00+08"
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400

# ------------------------------------------------------------------ a
no_a1=$(submit a1 zh --phone "+86 138-0013-8001")
no_a2=$(submit a2 en --phone "13800138002")
no_a3=$(submit a3 zh --phone "13800138003" --email "cust.a3@example.com")
checker a "$no_a1" "$no_a2" "$no_a3"

# ------------------------------------------------------------------ b
# A rules copy whose receipt also goes to the app (a group of its own).
cp -r "$ROOT/deploy/notify" "$TEST_DIR/notify"
sed -i 's/^complaint.received .*/complaint.received   customer   email|sms,push/' \
    "$TEST_DIR/notify/rules.conf"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400 \
    --rules "$TEST_DIR/notify/rules.conf" --templates "$TEST_DIR/notify/templates"
checker b "$(submit b1 zh --phone 13800138011 --account 6222020200001234)"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400

# ------------------------------------------------------------------ c
gw_stop
gw_start --fail-first 2 --retry-after 1
checker c "$(submit c1 zh --phone 13800138021)"

# ------------------------------------------------------------------ d
gw_stop
gw_start --status 503
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 3 --backoff-ms 100 --backoff-cap-ms 200
no_d1=$(submit d1 zh --phone 13800138031)
checker d1 "$no_d1"
gw_stop
gw_start --status 400
checker d2 "$no_d1" "$(submit d2 zh --phone 13800138032)"
gw_stop
gw_start
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400

# ------------------------------------------------------------------ e
clock_set "2026-11-24 23:30+08"
checker mark e
no_e1=$(submit e1 zh --phone 13800138041)
no_e2=$(submit e2 zh --email cust.e2@example.com)
checker e-night e "$no_e1" "$no_e2"
clock_set "2026-11-25 08:00:01+08"
checker e-morning "$no_e1"
# urgent: the rule lets the event through the night.
sed -i 's/^complaint.received .*/complaint.received   customer   email|sms   urgent/' \
    "$TEST_DIR/notify/rules.conf"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400 \
    --rules "$TEST_DIR/notify/rules.conf" --templates "$TEST_DIR/notify/templates"
clock_set "2026-11-25 23:30+08"
checker e-urgent "$(submit e3 zh --phone 13800138043)"
# The case's zone: with a London calendar, 23:30 +08 is 15:30 in London
# (daytime: sent), and 23:30 London waits for 08:00 London.
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400 \
    --calendars "$ROOT/tests/data/calendars" --calendar gb
checker e-london "$(submit e4 zh --phone 13800138044)"
clock_set "2026-11-26 23:30+00"
no_e5=$(submit e5 zh --phone 13800138045)
checker e-london-night "$no_e5"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400
clock_set "2026-11-27 08:00:01+00"
checker wait-state "$no_e5" sent 20

# ------------------------------------------------------------------ f
optout () {   # NO CHANNEL — the customer of complaint NO opts out of CHANNEL
    psql_value "insert into customer_optout (customer_pseudonym, channel, complaint_no, created_by)
                 select customer_pseudonym, :'ch', complaint_no, 'test' from complaint
                  where complaint_no = :'no'" no="$1" ch="$2" >/dev/null
}
# A returning customer (same phone, so the same pseudonym) who opted out of
# SMS on an earlier complaint.
optout "$no_a1" sms
no_f1=$(submit f1 zh --phone "+86 138-0013-8001")
checker f1 "$no_f1"
# An opt-out that arrives while the SMS waits for the morning.
clock_set "2026-11-27 23:00+08"
no_f2=$(submit f2 zh --phone 13800138052)
checker wait-deferred "$no_f2" 20
optout "$no_f2" sms
clock_set "2026-11-28 09:00+08"
checker f2 "$no_f1" "$no_f2"

# ------------------------------------------------------------------ g
# 20 SMS owed at once, two notifiers sharing --rate-sms 4 (burst 4).
kill_service notifier TERM >/dev/null
checker quiet 20
checker mark g
g_nos=()
for i in $(seq 1 20); do
    g_nos+=("$(submit "g$i" zh --phone "1380013$(printf '%04d' $((8100 + i)))")")
done
checker wait-logged "${g_nos[19]}" 20
checker wait-bucket 10
notifier_start notifier-g1 --max-attempts 5 --rate-sms 4 --batch 10
notifier_start notifier-g2 --max-attempts 5 --rate-sms 4 --batch 10
checker g g "${g_nos[@]}"
assert_true "g: notifier 1 is still alive" service_alive notifier-g1
assert_true "g: notifier 2 is still alive" service_alive notifier-g2
kill_service notifier-g1 TERM >/dev/null
kill_service notifier-g2 TERM >/dev/null

# ------------------------------------------------------------------ h
gw_stop
gw_start --delay 0.3
checker mark h
for i in $(seq 1 8); do
    h_last=$(submit "h$i" zh --phone "1380013$(printf '%04d' $((8200 + i)))")
done
checker wait-logged "$h_last" 20
# --record-batch 1 --parallel 1: each outcome is committed before the next request goes
# out, so a SIGKILL can repeat only the request in flight. (By default
# outcomes are committed 50 at a time, and a kill repeats at most those.)
notifier_start notifier --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500 \
    --record-batch 1 --parallel 1
checker wait-gw h 3 20
kill_service notifier KILL >/dev/null
checker killed h
notifier_start notifier --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500
checker h h

# ------------------------------------------------------------------ privacy
checker privacy
