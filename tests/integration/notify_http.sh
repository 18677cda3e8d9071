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
. "$(dirname "$0")/../lib.sh"
require_bin bus intake notifier complaintctl

HTTP_PORT=$((TEST_ZMQ_BASE + 4))
SMTP_PORT=$((TEST_ZMQ_BASE + 3))
GW=$TEST_DIR/gateway
MAIL=$TEST_DIR/mail
SINK=$ROOT/deploy/sinks/http_sink.py
SMTPD=$ROOT/deploy/sinks/smtp_sink.py
AUTH="Bearer sms-test-token"

gw_start () {   # SINK ARGS...
    rm -f "$TEST_DIR/gateway.log"
    start_service gateway "$PY" "$SINK" serve --port "$HTTP_PORT" --dir "$GW" \
        --require-auth "$AUTH" "$@"
    wait_for "grep -q listening '$TEST_DIR/gateway.log'" 10 || fail "the gateway did not start"
}
gw_stop () { kill_service gateway TERM >/dev/null; }
gw_report () { "$PY" "$SINK" report --dir "$GW" "$@"; }
notifier_start () {   # NAME EXTRA ARGS...
    local name=$1
    shift
    start_service "$name" notifier --name "$name" --bus "$BUS_PUB_EP" \
        --smtp-url "smtp://127.0.0.1:$SMTP_PORT" --smtp-from complaints@bank.example \
        --sms-url "http://127.0.0.1:$HTTP_PORT/sms" --sms-auth "$AUTH" \
        --push-url "http://127.0.0.1:$HTTP_PORT/push" --push-auth "$AUTH" \
        --http-timeout-ms 3000 --poll-ms 100 "$@"
}
clock_set () {   # TIME
    "$BIN/complaintctl" clock set "$1" >>"$TEST_DIR/clock.log" 2>&1 \
        || fail "complaintctl clock set $1 failed: $(tail -3 "$TEST_DIR/clock.log")"
}
# submit REF LANG [complaintctl submit flags...] — the new complaint's number
submit () {
    local ref=$1 lang=$2
    shift 2
    ctl submit --channel hotline --ref "$ref" --lang "$lang" --product 信用卡 --name "客户-$ref" \
        --body "信用卡年费被多扣，请退还 $ref" "$@" 2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty'
}
row () {   # NO FIELDS — the customer row of a complaint (one channel)
    psql_value "select $2 from notification where complaint_no = :'no'
                 and recipient_kind = 'customer' order by id limit 1" no="$1"
}
wait_row_state () {   # NO STATE SECONDS
    wait_for '[ "$(row '"$1"' state)" = '"$2"' ]' "$3"
}
quiet_down () {   # nothing owed now: rows sent, dead, suppressed or deferred
    [ "$(psql_value "select count(*) from notification where state in ('sending', 'failed')
                      or (state = 'pending' and next_attempt_at <= app_now ())")" = 0 ]
}

start_service smtpd "$PY" "$SMTPD" serve --port "$SMTP_PORT" --dir "$MAIL"
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
[ -n "$no_a1" ] && [ -n "$no_a2" ] && [ -n "$no_a3" ] || fail "submit a failed"
for no in "$no_a1" "$no_a2" "$no_a3"; do
    wait_row_state "$no" sent 20 || fail "the receipt of $no was not sent within 20 s"
done
r1=$(gw_report --accepted | jq -c --arg n "$no_a1" 'select(.body.reference == $n)')
assert_eq "a1: one SMS at the gateway" 1 "$(printf '%s\n' "$r1" | grep -c .)"
assert_eq "a1: POST /sms with the Authorization header" "/sms|$AUTH" \
    "$(printf '%s' "$r1" | jq -r '.path + "|" + .headers.authorization')"
assert_eq "a1: the number normalised" "+8613800138001" "$(printf '%s' "$r1" | jq -r .body.to)"
mid=$(row "$no_a1" message_id)
assert_eq "a1: Idempotency-Key header = body key = the row's Message-ID without <>" \
    "${mid:1:${#mid}-2}|${mid:1:${#mid}-2}" \
    "$(printf '%s' "$r1" | jq -r '.headers["idempotency-key"] + "|" + .body.idempotency_key')"
assert_true "a1: Chinese text with the number, the deadline, and short" \
    "$(printf '%s' "$r1" | jq -r --arg n "$no_a1" '(.body.text | contains($n)) and
        (.body.text | contains("15日内")) and (.body.text | startswith("【投诉受理】"))
        and (.body.text | length) < 120')"
assert_true "a1: the time received in the case's zone (10:00 +08)" \
    "$(printf '%s' "$r1" | jq -r '.body.text | contains("2026-11-24 10:00")')"
assert_true "a2: the SMS is in English" \
    "$(gw_report --accepted | jq -r --arg n "$no_a2" 'select(.body.reference == $n)
        | .body.text | startswith("We received your complaint")')"
assert_eq "a3 (e-mail and phone): e-mail only, no SMS" "email|0" \
    "$(row "$no_a3" channel)|$(gw_report | jq -r --arg n "$no_a3" 'select(.body.reference == $n)' | grep -c .)"
assert_eq "channel rows for a1 a2 a3" "sms sms email" \
    "$(row "$no_a1" channel) $(row "$no_a2" channel) $(row "$no_a3" channel)"

# ------------------------------------------------------------------ b
# A rules copy whose receipt also goes to the app (a group of its own).
cp -r "$ROOT/deploy/notify" "$TEST_DIR/notify"
sed -i 's/^complaint.received .*/complaint.received   customer   email|sms,push/' \
    "$TEST_DIR/notify/rules.conf"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400 \
    --rules "$TEST_DIR/notify/rules.conf" --templates "$TEST_DIR/notify/templates"
no_b=$(submit b1 zh --phone 13800138011 --account 6222020200001234)
wait_for '[ "$(psql_value "select count(*) from notification where complaint_no = :'"'no'"'
    and state = '"'sent'"'" no='"$no_b"')" = 2 ]' 20 || fail "b1's SMS and push were not sent"
p=$(gw_report --accepted | jq -c --arg n "$no_b" 'select(.path == "/push" and .body.reference == $n)')
assert_eq "b: one push to the customer's account" "6222020200001234" \
    "$(printf '%s' "$p" | jq -r .body.to)"
assert_true "b: push title = the short subject, body = the short text" \
    "$(printf '%s' "$p" | jq -r --arg n "$no_b" '(.body.title | contains($n)) and
        (.body.body | contains("15日内"))')"
assert_eq "b: SMS and push carry different keys, each its row's" \
    "$(psql_value "select string_agg(trim(both '<>' from message_id), ' ' order by channel)
                    from notification where complaint_no = :'no'" no="$no_b")" \
    "$(gw_report --accepted | jq -r --arg n "$no_b" 'select(.body.reference == $n)
        | [.path, .headers["idempotency-key"]] | @tsv' | sort | cut -f2 | tr '\n' ' ' | sed 's/ $//')"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400

# ------------------------------------------------------------------ c
gw_stop
gw_start --fail-first 2 --retry-after 1
no_c=$(submit c1 zh --phone 13800138021)
wait_row_state "$no_c" sent 30 || fail "c1 was not sent within 30 s"
tries=$(gw_report | jq -c --arg n "$no_c" 'select(.body.reference == $n)')
assert_eq "c: three attempts reached the gateway: 503, 503, 200" "503 503 200" \
    "$(printf '%s\n' "$tries" | jq -r .status | tr '\n' ' ' | sed 's/ $//')"
assert_eq "c: every attempt carried the same key" 1 \
    "$(printf '%s\n' "$tries" | jq -r '.headers["idempotency-key"]' | sort -u | wc -l)"
gaps=$(printf '%s\n' "$tries" | jq -r '.file' | "$PY" -c '
import sys, os
ns = [int(os.path.basename(l).split("-")[0]) for l in sys.stdin if l.strip()]
print(" ".join(str((b - a) // 1000000) for a, b in zip(ns, ns[1:])))')
note "c: gaps between attempts (ms): $gaps (back-off 100 ms, Retry-After 1 s)"
for g in $gaps; do assert_ge "c: Retry-After honoured (ms)" 950 "$g"; done
assert_eq "c: attempts, two notification.failed events" "3|2" \
    "$(row "$no_c" attempts)|$(psql_value "select count(*) from event_log
        where type = 'notification.failed' and complaint_no = :'no'" no="$no_c")"

# ------------------------------------------------------------------ d
gw_stop
gw_start --status 503
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 3 --backoff-ms 100 --backoff-cap-ms 200
no_d1=$(submit d1 zh --phone 13800138031)
wait_row_state "$no_d1" dead 30 || fail "d1 did not go dead within 30 s"
assert_match "d: 503 forever: dead after 3 attempts with the gateway's answer" \
    '^dead\|3\|HTTP 503' "$(row "$no_d1" "state || '|' || attempts || '|' || last_error")"
gw_stop
gw_start --status 400
no_d2=$(submit d2 zh --phone 13800138032)
wait_row_state "$no_d2" dead 30 || fail "d2 did not go dead within 30 s"
assert_match "d: 400: dead after ONE attempt (a refusal no retry changes)" \
    '^dead\|1\|HTTP 400' "$(row "$no_d2" "state || '|' || attempts || '|' || last_error")"
assert_eq "d: notification.dead events" 2 \
    "$(psql_value "select count(*) from event_log where type = 'notification.dead'
                    and complaint_no in (:'a', :'b')" a="$no_d1" b="$no_d2")"
gw_stop
gw_start
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400

# ------------------------------------------------------------------ e
clock_set "2026-11-24 23:30+08"
n_gw=$(gw_report | grep -c .)
no_e1=$(submit e1 zh --phone 13800138041)
no_e2=$(submit e2 zh --email cust.e2@example.com)
wait_row_state "$no_e2" sent 20 || fail "e2's e-mail was not sent at night"
wait_for '[ -n "$(row '"$no_e1"' deferred_until)" ]' 20 || fail "e1's SMS was not deferred"
assert_eq "e: at 23:30 +08 the SMS waits for 08:00 +08, pending, no attempt" \
    "pending|0|2026-11-25 08:00:00+08" \
    "$(row "$no_e1" "state || '|' || attempts || '|' ||
        to_char(deferred_until at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') || '+08'")"
sleep 1
assert_eq "e: nothing reached the gateway at night" "$n_gw" "$(gw_report | grep -c .)"
assert_eq "e: the e-mail went at once" sent "$(row "$no_e2" state)"
clock_set "2026-11-25 08:00:01+08"
wait_row_state "$no_e1" sent 20 || fail "e1's SMS was not sent in the morning"
assert_eq "e: sent in the morning, one attempt" "sent|1" "$(row "$no_e1" "state || '|' || attempts")"
# urgent: the rule lets the event through the night.
sed -i 's/^complaint.received .*/complaint.received   customer   email|sms   urgent/' \
    "$TEST_DIR/notify/rules.conf"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400 \
    --rules "$TEST_DIR/notify/rules.conf" --templates "$TEST_DIR/notify/templates"
clock_set "2026-11-25 23:30+08"
no_e3=$(submit e3 zh --phone 13800138043)
wait_row_state "$no_e3" sent 20 || fail "e3 (urgent) was not sent at night"
assert_eq "e: an urgent rule is sent at 23:30, not deferred" "sent|" \
    "$(row "$no_e3" "state || '|' || coalesce(deferred_until::text, '')")"
# The case's zone: with a London calendar, 23:30 +08 is 15:30 in London
# (daytime: sent), and 23:30 London waits for 08:00 London.
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400 \
    --calendars "$ROOT/tests/data/calendars" --calendar gb
no_e4=$(submit e4 zh --phone 13800138044)
wait_row_state "$no_e4" sent 20 || fail "e4 was not sent (15:30 in London)"
assert_eq "e: zone Europe/London, sent (15:30 there)" "Europe/London|sent" \
    "$(row "$no_e4" "zone || '|' || state")"
clock_set "2026-11-26 23:30+00"
no_e5=$(submit e5 zh --phone 13800138045)
wait_for '[ -n "$(row '"$no_e5"' deferred_until)" ]' 20 || fail "e5 was not deferred"
assert_eq "e: 23:30 in London waits for 08:00 London" "2026-11-27 08:00" \
    "$(row "$no_e5" "to_char(deferred_until at time zone 'Europe/London', 'YYYY-MM-DD HH24:MI')")"
kill_service notifier TERM >/dev/null
notifier_start notifier --max-attempts 5 --backoff-ms 100 --backoff-cap-ms 400
clock_set "2026-11-27 08:00:01+00"
wait_row_state "$no_e5" sent 20 || fail "e5 was not sent in the morning"

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
wait_row_state "$no_f1" suppressed 20 || fail "f1 was not suppressed"
assert_eq "f: opted out, no e-mail: suppressed (on the rule's first channel) with the reasons" \
    "email|no e-mail address; opted out of sms" \
    "$(row "$no_f1" "channel || '|' || last_error")"
assert_eq "f: its notification.suppressed event" 1 \
    "$(psql_value "select count(*) from event_log where type = 'notification.suppressed'
                    and complaint_no = :'no'" no="$no_f1")"
# An opt-out that arrives while the SMS waits for the morning.
clock_set "2026-11-27 23:00+08"
no_f2=$(submit f2 zh --phone 13800138052)
wait_for '[ -n "$(row '"$no_f2"' deferred_until)" ]' 20 || fail "f2 was not deferred"
optout "$no_f2" sms
clock_set "2026-11-28 09:00+08"
wait_row_state "$no_f2" suppressed 20 || fail "f2 was not suppressed in the morning"
assert_eq "f: suppressed before sending, by the late opt-out" "opted out of sms|0" \
    "$(row "$no_f2" "last_error || '|' || attempts")"
sleep 0.5
assert_eq "f: the opted-out numbers never reached the gateway after opting out" 0 \
    "$(gw_report | jq -r --arg a "$no_f1" --arg b "$no_f2" \
        'select(.body.reference == $a or .body.reference == $b)' | grep -c .)"

# ------------------------------------------------------------------ g
# 20 SMS owed at once, two notifiers sharing --rate-sms 4 (burst 4).
kill_service notifier TERM >/dev/null
wait_for quiet_down 20 || fail "work left before the rate test"
n0=$(gw_report --accepted | grep -c .)
g_nos=()
for i in $(seq 1 20); do
    g_nos+=("$(submit "g$i" zh --phone "1380013$(printf '%04d' $((8100 + i)))")")
done
wait_for '[ "$(psql_value "select count(*) from event_log where type = '"'complaint.received'"'
    and complaint_no = :'"'no'"'" no='"${g_nos[19]}"')" = 1 ]' 20 || fail "g complaints not logged"
sleep 1     # the bucket refills to its burst
notifier_start notifier-g1 --max-attempts 5 --rate-sms 4 --batch 10
notifier_start notifier-g2 --max-attempts 5 --rate-sms 4 --batch 10
wait_for '[ $(( $(gw_report --accepted | grep -c .) - n0 )) -ge 20 ]' 30 \
    || fail "20 rate-limited SMS not delivered within 30 s"
rate=$(gw_report --accepted | tail -n +$((n0 + 1)) | jq -r .file | "$PY" -c '
import sys, os
ns = sorted(int(os.path.basename(l).split("-")[0]) for l in sys.stdin if l.strip())
span = (ns[-1] - ns[0]) / 1e9
worst = max(sum(1 for t in ns if s <= t < s + 1e9) for s in ns)
print("%d %.2f %d" % (len(ns), span, worst))')
note "g: requests, first-to-last seconds, most in any 1 s: $rate"
read -r g_n g_span g_worst <<<"$rate"
assert_eq "g: 20 SMS delivered" 20 "$g_n"
assert_ge "g: 20 at 4/s (burst 4) take >= 3.5 s (in 10 ms)" 350 \
    "$(awk -v s="$g_span" 'BEGIN { printf "%d", s * 100 }')"
assert_le "g: no second holds more than burst + rate" 8 "$g_worst"
assert_eq "g: both notifiers are alive and each row was sent once" "20|20" \
    "$(psql_value "select count(*) || '|' || count(distinct message_id) from notification
                    where complaint_no = any (:'nos'::text[]) and state = 'sent'" \
        nos="{$(IFS=,; echo "${g_nos[*]}")}")"
kill_service notifier-g1 TERM >/dev/null
kill_service notifier-g2 TERM >/dev/null

# ------------------------------------------------------------------ h
gw_stop
gw_start --delay 0.3
seq0=$(psql_value "select coalesce(max(id), 0) from notification")
for i in $(seq 1 8); do
    h_last=$(submit "h$i" zh --phone "1380013$(printf '%04d' $((8200 + i)))")
    [ -n "$h_last" ] || fail "submit h$i"
done
wait_for '[ "$(psql_value "select count(*) from event_log where type = '"'complaint.received'"'
    and complaint_no = :'"'no'"'" no='"$h_last"')" = 1 ]' 20 || fail "h complaints not logged"
n_h0=$(gw_report | grep -c .)
# --record-batch 1: each outcome is committed before the next request goes
# out, so a SIGKILL can repeat only the request in flight (by default
# outcomes are committed 50 at a time, and a kill repeats at most those).
notifier_start notifier --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500 \
    --record-batch 1
wait_for '[ $(( $(gw_report | grep -c .) - n_h0 )) -ge 3 ]' 20 || fail "no SMS within 20 s"
kill_service notifier KILL >/dev/null
note "h: SIGKILL after $(( $(gw_report | grep -c .) - n_h0 )) requests;" \
    "rows left sending: $(psql_value "select count(*) from notification where state = 'sending'")"
notifier_start notifier --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500
wait_for '[ "$(psql_value "select count(*) from notification where id > :'"'id'"'
    and state <> '"'sent'"'" id='"$seq0"')" = 0 ]' 60 || fail "h rows not all sent within 60 s"
sleep 0.5
h_rows=$(psql_value "select count(*) from notification where id > :'id'" id="$seq0")
h_keys=$(gw_report | tail -n +$((n_h0 + 1)) | jq -r '.headers["idempotency-key"]')
assert_eq "h: every SMS row's key reached the gateway" "$h_rows" \
    "$(printf '%s\n' "$h_keys" | sort -u | grep -c .)"
assert_eq "h: the keys are the rows' own" \
    "$(psql_value "select string_agg(trim(both '<>' from message_id), ' ' order by message_id)
                    from notification where id > :'id'" id="$seq0")" \
    "$(printf '%s\n' "$h_keys" | sort -u | tr '\n' ' ' | sed 's/ $//')"
h_dups=$(( $(printf '%s\n' "$h_keys" | grep -c .) - $(printf '%s\n' "$h_keys" | sort -u | grep -c .) ))
note "h: duplicates (same key) after SIGKILL: $h_dups"
assert_le "h: at most the request in flight arrived twice" 1 "$h_dups"

# ------------------------------------------------------------------ privacy
leaks=$(psql_value "select encode(event, 'hex') from event_log where type like 'notification.%'" \
    | "$PY" "$ROOT/tests/integration/event_leaks.py" '@|1380013|6222020|投诉')
assert_eq "no notification.* event carries a phone, an account, an address or text" 0 "$leaks"
