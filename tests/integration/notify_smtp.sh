#!/usr/bin/env bash
# notify_smtp.sh — the notifier (issue 5) against a real SMTP server on
# loopback (smtp_sink.py: asyncio, standard library), with the real bus,
# intake and router and the shipped rules and templates:
#   a  receipts: every customer with an e-mail gets one message per complaint
#      (zh or en by complaint.lang) with the complaint number in the subject
#      (RFC 2047, decodes) and the body, and what happens next; every
#      assigned handler gets an e-mail and an inbox row; a customer with no
#      e-mail and no phone gets one suppressed row saying why; one notification
#      row per (event, recipient, channel); the mailbox holds exactly the
#      e-mail rows, each with its row's Message-ID; the cursor reaches the
#      end of the log
#   b  the server goes away: retries with growing back-off (attempts >= 2,
#      notification.failed events), then success when it is back
#   c  a server that never comes back: dead after --max-attempts 3 with
#      the error kept, one notification.dead event
#   d  SIGKILL mid-batch (a slow server): after a restart every row is sent,
#      every Message-ID arrived, and a message arrived twice only with the
#      same Message-ID (at most the one in flight)
#   e  SIGHUP with a bad template: refused with file:line, work goes on
#   f  the watchdog's sla.reminder / sla.escalated (the store's clock moved
#      30 h): the handler and the tier's supervisor get inbox rows and
#      e-mails, in Chinese with the stage's Chinese name
#   and no notification.* event carries an address or message text.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier complaintctl watchdog

SMTP_PORT=${TEST_SMTP_PORT:-$((TEST_ZMQ_BASE + 3))}
MAIL=$TEST_DIR/mail
SMTPD=$ROOT/deploy/sinks/smtp_sink.py
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

smtp_start () {   # [DELAY]
    start_service smtpd "$PY" "$SMTPD" serve --port "$SMTP_PORT" --dir "$MAIL" --delay "${1:-0}"
    wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
    : >"$TEST_DIR/smtpd.ready"
}
smtp_stop () { kill_service smtpd TERM >/dev/null; sed -i '/listening/d' "$TEST_DIR/smtpd.log"; }
notifier_start () {   # EXTRA ARGS...
    start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
        --smtp-from complaints@bank.example --poll-ms 100 --batch 4 "$@"
}
report () { "$PY" "$SMTPD" report --dir "$MAIL"; }
n_mail () { find "$MAIL" -name '*.eml' | wc -l; }

smtp_start
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
notifier_start --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

# submit REF LANG EMAIL — the new complaint's number
submit () {
    ctl submit --channel web --ref "$1" --lang "$2" --product 信用卡 --email "$3" \
        --name "客户-$1" --body "信用卡年费被多扣，请退还 $1" 2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty'
}
all_sent () {   # no row owed any more, nothing left in the outbox, log consumed
    [ "$(psql_value "select (select count(*) from notification where state not in ('sent', 'dead', 'suppressed'))
                          + (select count(*) from outbox)
                          + (select count(*) from event_log where seq >
                               (select last_seq from notifier_cursor))")" = 0 ]
}

# ------------------------------------------------------------------ a
nos=()
for i in 1 2 3; do
    lang=zh; [ $i = 3 ] && lang=en
    no=$(submit "a$i" $lang "cust.a$i@example.com")
    [ -n "$no" ] || fail "submit a$i failed"
    nos+=("$no")
done
# No e-mail and no phone: the rule (email|sms) cannot reach this customer.
no_email=$(ctl submit --channel web --ref a4 --name "无联系方式客户" \
    --body "没有邮箱也没有电话的客户" 2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty')
[ -n "$no_email" ] || fail "submit a4 failed"
wait_for '[ "$(psql_value "select count(*) from complaint where state = '"'assigned'"'")" -ge 4 ]' 20 \
    || fail "complaints not assigned within 20 s"
wait_for all_sent 30 || fail "notifications not all sent within 30 s"
sleep 0.5

n_handlers=$(psql_value "select count(*) from complaint c join staff s on s.id = c.handler
                          where s.email is not null")
assert_eq "customer receipts (one per complaint with an e-mail)" 3 \
    "$(psql_value "select count(*) from notification where event_type = 'complaint.received'
                    and recipient_kind = 'customer' and channel = 'email' and state <> 'suppressed'")"
assert_eq "handler e-mails = assigned cases with a handler" "$n_handlers" \
    "$(psql_value "select count(*) from notification where event_type = 'complaint.assigned'
                    and channel = 'email'")"
assert_eq "handler inbox rows = assigned cases with a handler" "$n_handlers" \
    "$(psql_value "select count(*) from staff_inbox i join notification n on n.id = i.notification_id
                    where n.event_type = 'complaint.assigned' and n.state = 'sent'")"
assert_eq "a customer with no e-mail and no phone: one suppressed row saying why" \
    "suppressed|email|no e-mail address; no mobile number" \
    "$(psql_value "select state || '|' || channel || '|' || last_error from notification
                    where complaint_no = :'no' and recipient_kind = 'customer'" no="$no_email")"
assert_eq "... and its notification.suppressed event" 1 \
    "$(psql_value "select count(*) from event_log where type = 'notification.suppressed'
                    and complaint_no = :'no'" no="$no_email")"
n_email_rows=$(psql_value "select count(*) from notification where channel = 'email'
                              and state <> 'suppressed'")
assert_eq "the mailbox holds one message per e-mail row" "$n_email_rows" "$(n_mail)"
assert_eq "every Message-ID in the mailbox is a row's, once" \
    "$(psql_value "select string_agg(message_id, ' ' order by message_id) from notification
                    where channel = 'email' and state <> 'suppressed'")" \
    "$(report | jq -r .message_id | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "every message arrived where its row says" "$n_email_rows" \
    "$(report | jq -r '[.rcpt, .to, .message_id] | @tsv' | while IFS=$'\t' read -r rcpt to mid; do
        [ "$rcpt" = "$to" ] && psql_value "select count(*) from notification
            where message_id = :'m' and address = :'a'" m="$mid" a="$rcpt"; done | grep -c '^1$')"
assert_eq "no header or body-line problems (8-bit headers, lines > 76)" "" \
    "$(report | jq -r 'select(.problems | length > 0) | .file')"
assert_eq "MIME: every message UTF-8 text, base64, MIME 1.0" "$n_email_rows" \
    "$(report | jq -r 'select(.mime == "1.0" and .cte == "base64"
                              and (.content_type | test("text/plain; charset=\"?UTF-8"))) | .file' | wc -l)"
for i in 0 1 2; do
    no=${nos[$i]}
    r=$(report | jq -c --arg a "cust.a$((i + 1))@example.com" 'select(.rcpt == $a)')
    assert_eq "receipt $no: exactly one message" 1 "$(printf '%s\n' "$r" | grep -c .)"
    assert_true "receipt $no: the subject (decoded) has the number" \
        "$(printf '%s' "$r" | jq -r --arg n "$no" '.subject | contains($n)')"
    assert_true "receipt $no: the body has the number" \
        "$(printf '%s' "$r" | jq -r --arg n "$no" '.body | contains($n)')"
    if [ $i = 2 ]; then
        assert_true "receipt $no (en): English, with what happens next and the deadline" \
            "$(printf '%s' "$r" | jq -r '(.subject | startswith("We have received")) and
                (.body | contains("What happens next")) and (.body | contains("15 days"))')"
    else
        assert_true "receipt $no (zh): the subject is RFC 2047 encoded and decodes to Chinese" \
            "$(printf '%s' "$r" | jq -r '.subject_encoded')"
        assert_true "receipt $no (zh): Chinese subject decodes, what happens next, 15 days" \
            "$(printf '%s' "$r" | jq -r '(.subject | startswith("您的投诉已受理")) and
                (.body | contains("接下来")) and (.body | contains("15日内"))')"
    fi
done
assert_eq "the cursor reached the end of the log" "$(psql_value "select max(seq) from event_log
    where type not like 'notification.%'")" \
    "$(psql_value "select max(seq) from event_log where seq <= (select last_seq from notifier_cursor)
                    and type not like 'notification.%'")"
assert_eq "notification.sent events = sent rows" \
    "$(psql_value "select count(*) from notification where state = 'sent'")" \
    "$(psql_value "select count(*) from event_log where type = 'notification.sent'")"

# Progress: the handler asks the customer for more information; the
# customer is told (what is needed stays with the officer: the request's
# text is not in the message).
h1=$(psql_value "select handler from complaint where complaint_no = :'no'" no="${nos[0]}")
as_staff "$h1" act "${nos[0]}" accept >/dev/null 2>>"$TEST_DIR/act.err" \
    && as_staff "$h1" act "${nos[0]}" request_info --text "请提供扣费账单截图" \
        >/dev/null 2>>"$TEST_DIR/act.err" || fail "accept / request_info failed: $(tail -2 "$TEST_DIR/act.err")"
wait_for '[ "$(psql_value "select count(*) from notification where complaint_no = :'"'no'"'
    and event_type = '"'complaint.info_requested'"' and state = '"'sent'"'" no='"${nos[0]}"')" = 1 ]' 20 \
    || fail "the customer of ${nos[0]} was not told of the request for information"
r=$(report | jq -c --arg n "${nos[0]}" 'select(.rcpt == "cust.a1@example.com" and (.subject | contains("补充信息")))')
assert_eq "info_requested: one message to the customer" 1 "$(printf '%s\n' "$r" | grep -c .)"
assert_true "info_requested: the number, that the deadline moves on, not the request's text" \
    "$(printf '%s' "$r" | jq -r --arg n "${nos[0]}" '(.subject | contains($n)) and
        (.body | contains("顺延")) and (.body | contains("扣费账单截图") | not)')"

# ------------------------------------------------------------------ b
smtp_stop
before=$(n_mail)
no_b=$(submit b1 zh cust.b1@example.com)
[ -n "$no_b" ] || fail "submit b1 failed"
wait_for '[ "$(psql_value "select coalesce(max(attempts), 0) from notification
    where complaint_no = :'"'no'"' and recipient_kind = '"'customer'"'" no='"$no_b"')" -ge 2 ]' 20 \
    || fail "the receipt of $no_b was not retried within 20 s"
row_b=$(psql_value "select state || ' ' || attempts || ' ' || (last_error is not null)
                     from notification where complaint_no = :'no' and recipient_kind = 'customer'" no="$no_b")
note "while the server is down: state attempts has_error = $row_b"
assert_match "while down: failed, attempts >= 2, the error kept" '^(failed|sending) [2-9] true$' "$row_b"
# Back-off: the gaps between one row's failures (from its notification.failed
# events, decoded) grow: attempt k waits at least half of 300 ms * 2^(k-1)
# (equal jitter) — checked for the receipt's row.
wait_for '[ "$(psql_value "select coalesce(max(attempts), 0) from notification
    where complaint_no = :'"'no'"' and recipient_kind = '"'customer'"'" no='"$no_b"')" -ge 4 ]' 20 \
    || fail "the receipt of $no_b did not reach 4 attempts within 20 s"
id_b=$(psql_value "select id from notification where complaint_no = :'no'
                    and recipient_kind = 'customer'" no="$no_b")
gaps=$(psql_value "select encode(event, 'hex') from event_log
                    where type = 'notification.failed' and complaint_no = :'no' order by seq" no="$no_b" \
    | "$PY" -c '
import sys, msgpack
at = []
for line in sys.stdin:
    if line.strip():
        ev = msgpack.unpackb(bytes.fromhex(line.strip()), raw=False)
        if ev["data"]["id"] == int(sys.argv[1]):
            at.append(ev["at"])
print(" ".join(str(b - a) for a, b in zip(at, at[1:])))' "$id_b")
note "gaps between the receipt's failures (ms): $gaps"
k=1
for g in $gaps; do
    assert_ge "gap before attempt $((k + 1)) (ms)" $(( 300 * (1 << (k - 1)) / 2 - 20 )) "$g"
    k=$((k + 1))
done
assert_ge "gaps measured" 2 "$(echo $gaps | wc -w)"
assert_ge "notification.failed events for $no_b" 2 \
    "$(psql_value "select count(*) from event_log where type = 'notification.failed'
                    and complaint_no = :'no'" no="$no_b")"
smtp_start
wait_for all_sent 30 || fail "not all sent within 30 s after the server came back"
sleep 0.3
assert_eq "after recovery: the receipt of $no_b sent" sent \
    "$(psql_value "select state from notification where complaint_no = :'no'
                    and recipient_kind = 'customer'" no="$no_b")"
assert_eq "after recovery: $no_b's receipt arrived exactly once" 1 \
    "$(report | jq -r --arg n "$no_b" 'select(.rcpt == "cust.b1@example.com") | .file' | wc -l)"
assert_eq "no other mail duplicated while down" $((before + $(psql_value "select count(*)
    from notification where channel = 'email' and complaint_no = :'no'" no="$no_b"))) "$(n_mail)"

# ------------------------------------------------------------------ c
kill_service notifier TERM >/dev/null
notifier_start --max-attempts 3 --backoff-ms 100 --backoff-cap-ms 400 --smtp-timeout-ms 2000
smtp_stop
no_c=$(submit c1 en cust.c1@example.com)
[ -n "$no_c" ] || fail "submit c1 failed"
wait_for '[ "$(psql_value "select state from notification where complaint_no = :'"'no'"'
    and recipient_kind = '"'customer'"'" no='"$no_c"')" = dead ]' 30 \
    || fail "the receipt of $no_c did not go dead within 30 s"
row_c=$(psql_value "select state || '|' || attempts || '|' || coalesce(last_error, '') from notification
                     where complaint_no = :'no' and recipient_kind = 'customer'" no="$no_c")
note "dead row: $row_c"
assert_match "dead after 3 attempts with the error" '^dead\|3\|.*([Cc]ouldn.t connect|refused).*' "$row_c"
# The handler's e-mail of c1's assignment goes dead too: count by row.
dead_c=$(psql_value "select count(*) from notification where complaint_no = :'no' and state = 'dead'" no="$no_c")
assert_ge "dead rows of $no_c (its receipt, its handler's e-mail)" 1 "$dead_c"
wait_for '[ "$(psql_value "select count(*) from event_log where type = '"'notification.dead'"'
    and complaint_no = :'"'no'"'" no='"$no_c"')" = '"$dead_c"' ]' 10
assert_eq "one notification.dead event per dead row" "$dead_c" \
    "$(psql_value "select count(*) from event_log where type = 'notification.dead'
                    and complaint_no = :'no'" no="$no_c")"
assert_eq "2 notification.failed events before each" $((2 * dead_c)) \
    "$(psql_value "select count(*) from event_log where type = 'notification.failed'
                    and complaint_no = :'no'" no="$no_c")"

# ------------------------------------------------------------------ d
kill_service notifier TERM >/dev/null
smtp_start 0.25
before_d=$(n_mail)
seq0=$(psql_value "select coalesce(max(id), 0) from notification")
for i in $(seq 1 8); do
    [ -n "$(submit "d$i" zh "cust.d$i@example.com")" ] || fail "submit d$i failed"
done
wait_for '[ "$(psql_value "select count(*) from complaint where state = '"'assigned'"'")" -ge 13 ]' 20 \
    || fail "d complaints not assigned within 20 s"
# --record-batch 1: each outcome is committed before the next message goes
# out, so a SIGKILL can repeat only the message in flight. (By default
# outcomes are committed 50 at a time, and a kill repeats at most those.)
notifier_start --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500 \
    --record-batch 1
wait_for '[ $(( $(n_mail) - before_d )) -ge 3 ]' 20 || fail "no mail within 20 s"
kill_service notifier KILL >/dev/null
at_kill=$(( $(n_mail) - before_d ))
sending=$(psql_value "select count(*) from notification where state = 'sending'")
note "SIGKILL after $at_kill messages; rows left sending: $sending"
notifier_start --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500
wait_for all_sent 60 || fail "not all sent within 60 s after the restart"
sleep 0.3
d_rows=$(psql_value "select count(*) from notification where id > :'id' and channel = 'email'" id="$seq0")
d_mail=$(report | jq -r --argjson ids "$(psql_value "select coalesce(json_agg(message_id), '[]')
           from notification where id > :'id' and channel = 'email'" id="$seq0")" \
         'select(.message_id as $m | $ids | index($m)) | .message_id')
assert_eq "every e-mail row of the batch arrived (distinct Message-IDs)" "$d_rows" \
    "$(printf '%s\n' "$d_mail" | sort -u | grep -c .)"
dups=$(( $(printf '%s\n' "$d_mail" | grep -c .) - $(printf '%s\n' "$d_mail" | sort -u | grep -c .) ))
note "duplicates (same Message-ID) after SIGKILL: $dups"
assert_le "at most the message in flight arrived twice" 1 "$dups"
assert_eq "nothing else arrived" $((before_d + d_rows + dups)) "$(n_mail)"
assert_eq "every row of the batch is sent" 0 \
    "$(psql_value "select count(*) from notification where id > :'id' and state <> 'sent'" id="$seq0")"

# ------------------------------------------------------------------ e
# SIGHUP: a template with an unknown placeholder is refused with file:line,
# the notifier keeps its rules and goes on.
cp -r "$ROOT/deploy/notify" "$TEST_DIR/notify"
kill_service notifier TERM >/dev/null
notifier_start --rules "$TEST_DIR/notify/rules.conf" --templates "$TEST_DIR/notify/templates"
wait_for "grep -q 'pid=$(service_pid notifier) event=started' '$TEST_DIR/notifier.log'" 10 \
    || fail "the notifier did not start within 10 s"
printf 'Subject: x\nhello {{complaint_nr}}\n' >"$TEST_DIR/notify/templates/complaint.received.en.txt"
kill -HUP "$(service_pid notifier)"
wait_for "grep -q 'pid=$(service_pid notifier) event=rules_refused' '$TEST_DIR/notifier.log'" 10
assert_match "reload refused with file:line" \
    "path=$TEST_DIR/notify/templates/complaint.received.en.txt line=2 reason=\"unknown placeholder" \
    "$(grep "pid=$(service_pid notifier) event=rules_refused" "$TEST_DIR/notifier.log" | tail -1)"
no_e=$(submit e1 en cust.e1@example.com)
wait_for '[ "$(psql_value "select count(*) from notification where complaint_no = :'"'no'"'
    and state = '"'sent'"' and recipient_kind = '"'customer'"'" no='"$no_e"')" = 1 ]' 20 \
    || fail "after a refused reload the receipt of $no_e was not sent"
assert_true "still alive after the refused reload" service_alive notifier

# ------------------------------------------------------------------ f
start_service watchdog watchdog --name wd-notify --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 200
sleep 1
clock_shift 30h
wait_for '[ "$(psql_value "select count(*) from event_log where type = '"'sla.escalated'"'")" -ge 1 ]' 30 \
    || fail "no sla.escalated within 30 s of the clock shift"
sleep 1
wait_for all_sent 30 || fail "sla notifications not all sent within 30 s"
sleep 0.3
n_rem=$(psql_value "select count(*) from event_log e join complaint c on c.complaint_no = e.complaint_no
                     join staff s on s.id = c.handler
                    where e.type = 'sla.reminder' and s.email is not null")
n_esc=$(psql_value "select count(*) from event_log where type = 'sla.escalated'")
note "sla.reminder events (handler with e-mail): $n_rem, sla.escalated events: $n_esc"
assert_ge "reminders happened" 1 "$n_rem"
assert_eq "one handler e-mail and one inbox row per reminder" "$n_rem $n_rem" \
    "$(psql_value "select count(*) filter (where channel = 'email') || ' ' ||
                          count(*) filter (where channel = 'inbox')
                     from notification where event_type = 'sla.reminder' and state = 'sent'")"
assert_eq "escalation rows go to the tier's supervisors only (tier 1)" "supervisor" \
    "$(psql_value "select string_agg(distinct recipient_kind, ',') from notification
                    where event_type = 'sla.escalated'")"
assert_eq "every escalation row's recipient supervises the case's department" 0 \
    "$(psql_value "select count(*) from notification n join complaint c on c.id = n.complaint_id
                     join staff s on s.id = n.recipient
                    where n.event_type = 'sla.escalated'
                      and (s.role <> 'supervisor' or s.department <> c.department)")"
assert_eq "escalation inbox rows = escalation inbox notifications" \
    "$(psql_value "select count(*) from notification where event_type = 'sla.escalated' and channel = 'inbox'")" \
    "$(psql_value "select count(*) from staff_inbox i join notification n on n.id = i.notification_id
                    where n.event_type = 'sla.escalated'")"
assert_eq "every escalation e-mail arrived, subject decoded to 督办, the stage named 受理" \
    "$(psql_value "select count(*) from notification where event_type = 'sla.escalated' and channel = 'email'")" \
    "$(report | jq -r 'select((.subject | startswith("督办")) and (.body | contains("受理阶段"))) | .file' | wc -l)"
assert_eq "every reminder e-mail arrived in Chinese, the stage by its Chinese name" "$n_rem" \
    "$(report | jq -r 'select(.subject | startswith("催办：") and test("的(受理|首次响应|办结|复核)时限"))
                       | .file' | wc -l)"

# ------------------------------------------------------------------ privacy
# Decoded: no string anywhere in a notification.* event has an '@' or a
# subject's or body's text (the error text is the transport's).
leaks=$(psql_value "select encode(event, 'hex') from event_log where type like 'notification.%'" \
    | "$PY" "$ROOT/tests/integration/event_leaks.py" '@|投诉|(?i:complaint).{30,}')
assert_eq "no notification.* event carries an address or message text" 0 "$leaks"
assert_ge "notification.* events checked" 30 \
    "$(psql_value "select count(*) from event_log where type like 'notification.%'")"
