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
#      20 h, then 10 h): the handler and the tier's supervisor get inbox rows and
#      e-mails, in Chinese with the stage's Chinese name
#   and no notification.* event carries an address or message text.
# The shell starts and stops the services and the server, submits and acts;
# every check is notify_smtp.py's, called at each step's end (each wait there
# has a deadline and is a check: no sleep).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier complaintctl watchdog

SMTP_PORT=${TEST_SMTP_PORT:-$((TEST_ZMQ_BASE + 3))}
MAIL=$TEST_DIR/mail
SMTPD=$ROOT/deploy/sinks/smtp_sink.py
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

# The checks, one step at a time (notify_smtp.py): the shell drives.
checker () { "$PY" "$ROOT/tests/integration/notify_smtp.py" --mail "$MAIL" --sink "$SMTPD" "$@"; }
smtp_start () {   # [DELAY]
    start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL" --delay "${1:-0}"
    wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
}
smtp_stop () { kill_service smtpd TERM >/dev/null; sed -i '/listening/d' "$TEST_DIR/smtpd.log"; }
notifier_start () {   # EXTRA ARGS...
    start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
        --smtp-from complaints@bank.example --poll-ms 100 --batch 4 "$@"
}

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

# ------------------------------------------------------------------ a
nos=()
for i in 1 2 3; do
    lang=zh; [ $i = 3 ] && lang=en
    nos+=("$(submit "a$i" $lang "cust.a$i@example.com")")
done
# No e-mail and no phone: the rule (email|sms) cannot reach this customer.
no_email=$(ctl submit --channel web --ref a4 --name "无联系方式客户" \
    --body "没有邮箱也没有电话的客户" 2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty')
checker a "${nos[@]}" "$no_email"

# Progress: the handler asks the customer for more information; the
# customer is told (what is needed stays with the officer: the request's
# text is not in the message).
h1=$(psql_value "select handler from complaint where complaint_no = :'no'" no="${nos[0]}")
as_staff "$h1" act "${nos[0]}" accept >/dev/null 2>>"$TEST_DIR/act.err" \
    && as_staff "$h1" act "${nos[0]}" request_info --text "请提供扣费账单截图" \
        >/dev/null 2>>"$TEST_DIR/act.err" || fail "accept / request_info failed: $(tail -2 "$TEST_DIR/act.err")"
checker info "${nos[0]}"

# ------------------------------------------------------------------ b
smtp_stop
checker mark b
no_b=$(submit b1 zh cust.b1@example.com)
checker b-down "$no_b"
smtp_start
checker b-up "$no_b"

# ------------------------------------------------------------------ c
kill_service notifier TERM >/dev/null
notifier_start --max-attempts 3 --backoff-ms 100 --backoff-cap-ms 400 --smtp-timeout-ms 2000
smtp_stop
checker c "$(submit c1 en cust.c1@example.com)"

# ------------------------------------------------------------------ d
kill_service notifier TERM >/dev/null
smtp_start 0.25
checker mark d
for i in $(seq 1 8); do
    submit "d$i" zh "cust.d$i@example.com" >/dev/null
done
# A backlog before the notifier starts: 4 + b1 + c1 + 8 complaints assigned.
checker wait-assigned 13 20
# --record-batch 1 --parallel 1: each outcome is committed before the next message goes
# out, so a SIGKILL can repeat only the message in flight. (By default
# outcomes are committed 50 at a time, and a kill repeats at most those.)
notifier_start --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500 \
    --record-batch 1 --parallel 1
checker wait-mail d 3 20
kill_service notifier KILL >/dev/null
checker killed d
notifier_start --max-attempts 8 --backoff-ms 300 --backoff-cap-ms 1500 --lease-ms 1500
checker d d

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
checker e-refused "$TEST_DIR/notifier.log" "$(service_pid notifier)"
checker e-sent "$(submit e1 en cust.e1@example.com)"
assert_true "the notifier is still alive after the refused reload" service_alive notifier

# ------------------------------------------------------------------ f
start_service watchdog watchdog --name wd-notify --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 200
checker f-ready "$TEST_DIR/watchdog.log" "$(service_pid watchdog)"
# Both 24-hour clocks (acknowledge, first response): +20 h fires their 50 %
# and 80 % reminders, +10 h more their breaches and tier 1 (one jump of 30 h
# would supersede the reminders: their deadline would be past).
clock_shift 20h
checker f-reminded
clock_shift 10h
checker f

# ------------------------------------------------------------------ privacy
checker privacy
