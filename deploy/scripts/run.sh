#!/usr/bin/env bash
# run.sh — `make run`: from a fresh Debian machine to a running pipeline fed
# with sample traffic.
#
#   1. install the Debian packages that are missing (fast when none is)
#   2. build every binary (make -j2)
#   3. start the embedded pipeline (up.sh: private PostgreSQL under var/,
#      migrations, bus x2, intake, router x2, watchdog x2, the notifier, and
#      the local SMTP and SMS/push gateway sinks it delivers to)
#   4. import the US consumer bureau sample (../shared/data/
#      cfpb_complaints_sample.csv beside the project, else the 40-row copy in
#      deploy/samples/) through intake with complaintctl, each complaint
#      stamped as received now (--received-now), so its deadlines are live
#   5. wait until the routers have assigned every complaint and the
#      watchdogs have started its clocks, print a summary (departments,
#      priorities, SLA clocks), act as the busiest handler (queue, accept,
#      show the case with its clocks)
#   6. notifications: submit one demo complaint with a customer e-mail and
#      phone, wait until its receipt is sent, and print the notifications by
#      state and channel, the receipt as the customer's mailbox got it (the
#      local SMTP sink, var/sinks/mail) and how many SMS and push requests
#      the local gateway sink accepted (var/sinks/gateway)
#   7. channels: one complaint through each adapter, from outside — a JSON
#      POST to the web adapter, a message dropped into the e-mail adapter's
#      Maildir, a CSV export into the hotline's folder — and the three rows
#      in the registry; then what to look at next
#
# Settings: BUILD (build), COMPLAINTS_SAMPLE (the CSV to import),
# COMPLAINTS_DEMO_EMAIL, COMPLAINTS_DEMO_PHONE (the demo customer's),
# RUN_TIMEOUT (seconds to wait for routing, 120), and everything up.sh reads.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPLAINTS_ROOT"

BUILD=${BUILD:-build}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
export BUILD

phase () { printf '\n== %s\n' "$*"; }

phase "dependencies"
bash deploy/scripts/install-deps.sh

phase "build ($BUILD)"
make -j2 BUILD="$BUILD" all

phase "start"
bash deploy/scripts/up.sh
# shellcheck disable=SC1090
. "$ENV_FILE"

sample=${COMPLAINTS_SAMPLE:-}
if [[ -z $sample ]]; then
    sample=$COMPLAINTS_ROOT/../shared/data/cfpb_complaints_sample.csv
    [[ -f $sample ]] || sample=$COMPLAINTS_ROOT/deploy/samples/complaints_sample.csv
fi
[[ -f $sample ]] || die "no sample data at $sample"

phase "import $sample"
before=$(psql_q 'SELECT count(*) FROM complaint')
rc=0
"$BUILD/bin/complaintctl" import --received-now "$sample" >"$LOG_DIR/import.out" || rc=$?
after=$(psql_q 'SELECT count(*) FROM complaint')
say "complaintctl import exit status $rc; complaints stored: $before before, $after now (replies in $LOG_DIR/import.out)"
(( rc == 0 )) || warn "some rows were not accepted; see $LOG_DIR/import.out"

phase "routing"
waiting=
for ((i = 0; i < RUN_TIMEOUT * 5; i++)); do
    waiting=$(psql_q "SELECT count(*) FROM complaint WHERE state = 'received'")
    [[ $waiting == 0 ]] && break
    sleep 0.2
done
if [[ $waiting != 0 ]]; then
    warn "$waiting complaints still wait for a router after ${RUN_TIMEOUT}s; see $LOG_DIR/router-1.log"
else
    say "every complaint is assigned"
fi

phase "SLA clocks"
dirty=
for ((i = 0; i < RUN_TIMEOUT * 5; i++)); do
    dirty=$(psql_q "SELECT count(*) FROM complaint WHERE sla_dirty")
    [[ $dirty == 0 ]] && break
    sleep 0.2
done
if [[ $dirty != 0 ]]; then
    warn "$dirty complaints still wait for a watchdog after ${RUN_TIMEOUT}s; see $LOG_DIR/watchdog-1.log"
else
    say "every complaint has its clocks (deploy/sla/policy.conf, calendar deploy/calendars/cn.conf)"
fi

phase "summary"
psql -X -q -P footer=off -c "
    SELECT coalesce(department, '(unassigned)') AS department,
           count(*) AS complaints,
           count(handler) AS with_handler,
           count(*) FILTER (WHERE major) AS major,
           string_agg(DISTINCT business_line, ', ') AS business_lines
    FROM complaint GROUP BY 1 ORDER BY 2 DESC, 1"
psql -X -q -P footer=off -c "
    SELECT 'P' || priority AS priority, count(*) AS complaints
    FROM complaint GROUP BY priority ORDER BY priority"
psql -X -q -P footer=off -c "
    SELECT stage, allowance, state, count(*) AS clocks,
           to_char(min(due_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS first_due_cst,
           to_char(min(next_fire_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS next_step_cst
    FROM sla_clock GROUP BY 1, 2, 3
    ORDER BY array_position(ARRAY['acknowledge','first_response','resolution','review'], stage), 2, 3"
printf 'event log: last seq %s; outbox backlog %s\n' \
    "$(psql_q 'SELECT coalesce(max(seq), 0) FROM event_log')" \
    "$(psql_q 'SELECT count(*) FROM outbox')"
one=$(psql_q 'SELECT complaint_no FROM complaint ORDER BY id LIMIT 1')

# A member of staff at work: the handler with the most cases looks at their
# queue and accepts the first case (the demo's tokens: var/secrets/).
handler=$(psql_q "SELECT handler FROM complaint WHERE handler IS NOT NULL
                  GROUP BY handler ORDER BY count(*) DESC, handler LIMIT 1")
if [[ -n $handler ]]; then
    token=$(awk -v id="$handler" '$1 == id { print $2; exit }' "$STAFF_TOKENS_PLAIN")
    phase "as $handler: complaintctl queue, then accept the first case"
    COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" queue --limit 5 || warn "queue failed"
    first=$(COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" queue --limit 1 --json \
            | sed -n 's/.*"complaint_no": *"\([0-9]*\)".*/\1/p' | head -n 1)
    if [[ -n $first ]]; then
        COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" act "$first" accept \
            --text "taken from the demo" || warn "accept failed"
        # The accept meets the acknowledge clock: give a watchdog a moment.
        for ((i = 0; i < 50; i++)); do
            [[ $(psql_q "SELECT count(*) FROM complaint WHERE complaint_no = '$first' AND sla_dirty") == 0 ]] && break
            sleep 0.1
        done
        phase "as $handler: complaintctl show $first (the case, its clocks, its audit trail)"
        COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" show "$first" || warn "show failed"
    fi
fi

# A customer with contact details: the receipt goes out by e-mail (and by
# SMS or push where the rules say so) to the sinks, or the real servers.
notify_load
phase "notifications: a demo complaint with an e-mail and a phone"
say "the imported CFPB rows carry no contact details: their customers' receipts are 'suppressed' rows (no address), for the complaint office to follow up"
demo_email=${COMPLAINTS_DEMO_EMAIL:-demo.customer@example.com}
demo_phone=${COMPLAINTS_DEMO_PHONE:-13800138000}
demo_no=$("$BUILD/bin/complaintctl" submit --channel web --ref "demo-$(date +%Y%m%d%H%M%S)-$$" \
              --lang zh --product 信用卡 --name 演示客户 --email "$demo_email" --phone "$demo_phone" \
              --body "信用卡年费被重复扣收，请核实并退还。" 2>>"$LOG_DIR/import.out" \
          | sed -n 's/.*"complaint_no": *"\([0-9]*\)".*/\1/p' | head -n 1) || true
sent=
if [[ -n $demo_no ]]; then
    say "submitted $demo_no (customer $demo_email, $demo_phone)"
    for ((i = 0; i < RUN_TIMEOUT * 5; i++)); do
        sent=$(psql_q "SELECT count(*) FROM notification WHERE complaint_no = '$demo_no'
                       AND recipient_kind = 'customer' AND channel = 'email' AND state = 'sent'")
        [[ $sent == 1 ]] && break
        sleep 0.2
    done
    if [[ $sent == 1 ]]; then
        say "its receipt is sent"
    else
        warn "the receipt of $demo_no is not sent after ${RUN_TIMEOUT}s; see $LOG_DIR/notifier-1.log and: $BUILD/bin/complaintctl notifications --complaint $demo_no"
    fi
else
    warn "the demo complaint was not accepted; see $LOG_DIR/import.out"
fi
"$BUILD/bin/complaintctl" notifications --summary || warn "complaintctl notifications failed"
if [[ -n $demo_no ]]; then
    "$BUILD/bin/complaintctl" notifications --complaint "$demo_no" || true
fi
if [[ " ${NOTIFY_SINKS[*]} " == *" sink-smtp "* && -n $demo_no ]]; then
    phase "the receipt, as the customer's mailbox (the local SMTP sink) got it"
    "$SINK_PY" deploy/sinks/smtp_sink.py report --dir "$SINK_MAIL_DIR" \
        | "$SINK_PY" -c '
import json, sys
no, rcpt = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    m = json.loads(line)
    if m.get("rcpt") == rcpt and no in (m.get("subject") or ""):
        print("To:         %s" % m.get("to"))
        print("Subject:    %s" % m.get("subject"))
        print("Message-ID: %s" % m.get("message_id"))
        print("Content:    %s, %s" % (m.get("content_type"), m.get("cte")))
        body = (m.get("body") or "").splitlines()
        for b in body[:6]:
            print("  | " + b)
        if len(body) > 6:
            print("  | ... (%d lines)" % len(body))
        break
else:
    print("(no message for %s in the mailbox yet)" % no)' "$demo_no" "$demo_email" \
        || warn "smtp_sink.py report failed"
fi
# A customer who gave only a phone: the receipt rule (email|sms) sends an
# SMS, unless it is night in the case's zone (quiet hours): then it waits.
sms_no=$("$BUILD/bin/complaintctl" submit --channel hotline --ref "demo-sms-$(date +%Y%m%d%H%M%S)-$$" \
             --lang zh --product 借记卡 --name 演示客户二 --phone 13800138009 \
             --body "借记卡境外消费被重复扣款，请核实。" 2>>"$LOG_DIR/import.out" \
         | sed -n 's/.*"complaint_no": *"\([0-9]*\)".*/\1/p' | head -n 1) || true
if [[ -n $sms_no ]]; then
    sms_state=
    for ((i = 0; i < 100; i++)); do
        sms_state=$(psql_q "SELECT channel || ' ' || state || coalesce(' until ' || to_char(
                              deferred_until AT TIME ZONE zone, 'YYYY-MM-DD HH24:MI') || ' ' || zone
                              || ' (quiet hours)', '')
                              FROM notification WHERE complaint_no = '$sms_no'
                               AND recipient_kind = 'customer'")
        [[ $sms_state == *" sent"* || $sms_state == *"quiet hours"* ]] && break
        sleep 0.2
    done
    say "a phone-only customer ($sms_no): receipt ${sms_state:-not created yet}"
fi
if [[ " ${NOTIFY_SINKS[*]} " == *" sink-http "* ]]; then
    "$SINK_PY" deploy/sinks/http_sink.py report --dir "$VAR/sinks/gateway" --accepted 2>/dev/null \
        | "$SINK_PY" -c '
import json, sys
n = {"/sms": 0, "/push": 0}
for line in sys.stdin:
    p = json.loads(line).get("path", "")
    for k in n:
        if p.startswith(k):
            n[k] += 1
print("the gateway sink accepted %d SMS and %d push requests (var/sinks/gateway)" % (n["/sms"], n["/push"]))' \
        || warn "http_sink.py report failed"
fi

# The channel adapters, driven as the outside world drives them: a customer
# posting to the web API, a message delivered into the e-mail adapter's
# Maildir (tmp/, then renamed into new/, as an MTA does), the call centre's
# export dropped into the hotline's folder. Each ends in the same registry.
phase "channels: one complaint through each adapter (web, e-mail, hotline)"
tag=$(date +%Y%m%d%H%M%S)-$$
web_ref="demo-web-$tag"
mail_ref="demo-mail-$tag@example.com"
call_ref="demo-call-$tag"
"$SINK_PY" - "http://${COMPLAINTS_WEB_ADDR:-127.0.0.1:8080}/api/v1/complaints" "$web_ref" <<'PY' \
    || warn "the web adapter did not take the demo complaint; see $LOG_DIR/web.log"
import json, sys, urllib.request, urllib.error
url, key = sys.argv[1], sys.argv[2]
body = {"customer": {"name": "网上客户", "email": "web.customer@example.com"},
        "body": "手机银行转账显示成功，但收款人未到账，已过两天。", "demand": "尽快查明并到账",
        "product": "手机银行", "lang": "zh"}
req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                             headers={"Content-Type": "application/json", "Idempotency-Key": key})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        answer = json.loads(r.read())
        print("web:     HTTP %d, complaint %s, query code %s" % (r.status, answer.get("complaint_no"),
                                                             answer.get("query_code", "(later)")))
except urllib.error.HTTPError as e:
    print("web:     HTTP %d %s" % (e.code, e.read().decode(errors="replace")))
    sys.exit(1)
PY
maildir=$VAR/mail/inbox
if [[ -d $maildir/new ]]; then
    msg="$tag.demo.$(hostname)"
    {
        printf 'From: =?UTF-8?B?%s?= <mail.customer@example.com>\r\n' "$(printf '邮件客户' | base64 -w0)"
        printf 'To: complaints@bank.example\r\n'
        printf 'Subject: =?UTF-8?B?%s?=\r\n' "$(printf '投诉：自动柜员机吞卡' | base64 -w0)"
        printf 'Message-ID: <%s>\r\n' "$mail_ref"
        printf 'Date: %s\r\n' "$(date -R)"
        printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n'
        printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
        printf '昨天在支行门口的自动柜员机取款时银行卡被吞，至今未退还。\r\n请尽快处理。\r\n'
    } >"$maildir/tmp/$msg"
    mv "$maildir/tmp/$msg" "$maildir/new/$msg"
    say "e-mail:  a message delivered into $maildir/new (Message-ID $mail_ref)"
fi
hotline_inbox=$VAR/hotline/inbox
if [[ -d $hotline_inbox ]]; then
    {
        printf 'call_id,started_at,caller_number,customer_name,complaint,demand,product,branch\n'
        printf '%s,%s,13900139000,电话客户,"信用卡分期手续费与宣传不符，\n客户要求说明。",退还多收的手续费,信用卡,北京分行\n' \
            "$call_ref" "$(TZ=Asia/Shanghai date '+%Y-%m-%d %H:%M:%S')"
    } >"$hotline_inbox/.demo-$tag.part"
    mv "$hotline_inbox/.demo-$tag.part" "$hotline_inbox/demo-$tag.csv"
    say "hotline: the call centre's export dropped into $hotline_inbox (call id $call_ref)"
fi
got=0
for ((i = 0; i < RUN_TIMEOUT * 5; i++)); do
    got=$(psql_q "SELECT count(*) FROM complaint WHERE ref IN ('$web_ref', '$mail_ref', '$call_ref')")
    [[ $got == 3 ]] && break
    sleep 0.2
done
(( got == 3 )) || warn "only $got of the three channel complaints arrived; see $LOG_DIR/web.log, mail.log, hotline.log"
psql -X -q -P footer=off -c "
    SELECT channel, submitter AS adapter, complaint_no, state, ref
      FROM complaint WHERE ref IN ('$web_ref', '$mail_ref', '$call_ref') ORDER BY channel"

echo
echo "What to look at next:"
next () { printf '  %-58s # %s\n' "$1" "$2"; }
next ". ${ENV_FILE#"$COMPLAINTS_ROOT"/}" "PG* and endpoint variables for this shell"
next "$BUILD/bin/complaintctl tail --from 0 | head" "the event stream, one JSON line per event"
next "export COMPLAINTS_TOKEN=\$(awk '\$1==\"${handler:-ID}\"{print \$2}' ${STAFF_TOKENS_PLAIN#"$COMPLAINTS_ROOT"/})" "act as that handler"
next "$BUILD/bin/complaintctl show ${first:-${one:-<number>}}" "one case with its clocks and audit trail"
next "$BUILD/bin/complaintctl calendar add --from now --working-days 5" "a deadline on the China 2026 calendar"
next "$BUILD/bin/complaintctl lifecycle" "what can be done to a case, by whom"
next "psql" "the store (after . var/env)"
next "$BUILD/bin/complaintctl notifications --state dead" "what the notifier gave up on (retry ID to send again)"
next "$BUILD/bin/complaintctl notifications show ID" "one message as rendered and sent"
next "$SINK_PY deploy/sinks/smtp_sink.py report --dir ${VAR#"$COMPLAINTS_ROOT"/}/sinks/mail" "the local mailbox, one JSON line a message"
next "http://${COMPLAINTS_WEB_ADDR:-127.0.0.1:8080}/" "the customers' complaint form and status page (zh/en)"
next "http://${COMPLAINTS_HOTLINE_ADDR:-127.0.0.1:8081}/" "the call centre's agent desk (sign in with a staff token)"
next "cp MESSAGE.eml ${VAR#"$COMPLAINTS_ROOT"/}/mail/inbox/new/" "a complaint by e-mail (or LMTP on ${COMPLAINTS_MAIL_LMTP:-127.0.0.1:2424})"
next "make status" "what runs, counts"
next "make down" "stop everything, PostgreSQL last"
echo "  logs: ${LOG_DIR#"$COMPLAINTS_ROOT"/}/NAME.log"
(( rc == 0 )) && [[ $waiting == 0 ]] && [[ $dirty == 0 ]] && [[ $sent == 1 ]]
