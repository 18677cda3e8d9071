#!/usr/bin/env bash
# notify_ctl.sh — the operator's tools for the notifier (issue 5):
# `complaintctl notifications` and `complaintctl optout`, against the real
# bus, intake, router and notifier and a real SMTP server (smtp_sink.py):
#   a  a notifier whose SMTP server is not there, --max-attempts 1: every
#      e-mail row goes dead; `notifications --state dead` lists them with
#      masked addresses (c***@example.com), and no address appears whole in
#      any output (list, --json, show, --summary)
#   b  `show ID` prints the rendered subject and body as stored
#   c  `retry ID` with the server back: the row is sent, attempts counted
#      from 0 (1 after the retry), retried_by set, exactly one
#      notification.retried event for it (data: id, attempts before, by);
#      retrying a sent row is refused (exit 1, naming its state); an unknown
#      id is "no notification N" (exit 1)
#   d  `retry --dead` retries every dead row: every e-mail row is sent and
#      the mailbox holds each once
#   e  optout add / list / remove, keyed by the customer's pseudonym: a
#      second complaint by the same customer (same phone and ID number)
#      shows the opt-out made through the first; add is idempotent; a bad
#      channel is a usage error naming the field (exit 2); an unknown
#      complaint exit 1 naming it
# Nothing here depends on SMS or push: the assertions are on e-mail rows.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router notifier complaintctl

SMTP_PORT=${TEST_SMTP_PORT:-$((TEST_ZMQ_BASE + 3))}
MAIL=$TEST_DIR/mail
SMTPD=$ROOT/deploy/sinks/smtp_sink.py
DIRECTORY=$ROOT/deploy/org/directory.conf
OUT=$TEST_DIR/out
mkdir -p "$OUT"
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

report () { "$PY" "$SMTPD" report --dir "$MAIL"; }

# The SMTP port stays closed for now: every attempt fails, and with
# --max-attempts 1 every e-mail row goes dead at its first failure.
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --batch 10 --max-attempts 1 \
    --backoff-ms 100 --backoff-cap-ms 200 --smtp-timeout-ms 2000
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

# submit REF EMAIL PHONE IDNO — the new complaint's number
submit () {
    ctl submit --channel web --ref "$1" --lang zh --product 信用卡 --email "$2" --phone "$3" \
        --id-no "$4" --name "客户-$1" --body "信用卡年费被多扣，请退还 $1" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}
email_settled () {   # every e-mail row dead or sent, the log consumed
    [ "$(psql_value "select (select count(*) from notification where channel = 'email'
                               and state not in ('sent', 'dead', 'suppressed'))
                          + (select count(*) from outbox)
                          + (select count(*) from event_log where seq >
                               (select last_seq from notifier_cursor))")" = 0 ]
}

# ------------------------------------------------------------------ a
no1=$(submit r1 cust.r1@example.com 13812345678 110101199001011234)
no2=$(submit r2 cust.r2@example.com 13912340002 110101199002021111)
if [ -z "$no1" ] || [ -z "$no2" ]; then fail "submit failed: $(tail -3 "$TEST_DIR/submit.err")"; exit 1; fi
wait_for '[ "$(psql_value "select count(*) from complaint where state = '"'assigned'"'")" -ge 2 ]' 20 \
    || fail "complaints not assigned within 20 s"
wait_for '[ "$(psql_value "select count(*) from notification where channel = '"'email'"'")" -ge 2 ]' 20 \
    || fail "no e-mail rows within 20 s"
wait_for email_settled 30 || fail "e-mail rows not all dead within 30 s"
n_dead=$(psql_value "select count(*) from notification where state = 'dead'")
n_email=$(psql_value "select count(*) from notification where channel = 'email'")
assert_eq "every e-mail row is dead (no server, --max-attempts 1)" "$n_email" \
    "$(psql_value "select count(*) from notification where channel = 'email' and state = 'dead'")"
assert_ge "e-mail rows (receipts and handler e-mails)" 2 "$n_email"

ctl notifications --state dead >"$OUT/dead.txt" 2>"$OUT/dead.err"
assert_eq "notifications --state dead: exit status" 0 $?
assert_eq "notifications --state dead: one line per dead row (and a header)" $((n_dead + 1)) \
    "$(wc -l <"$OUT/dead.txt")"
assert_true "the receipt of $no1 is listed with its address masked (c***@example.com)" \
    grep -Eq "$no1 .*customer .*email +c\\*\\*\\*@example\\.com +dead" "$OUT/dead.txt"
ctl notifications --state dead --json >"$OUT/dead.json"
assert_eq "--json: one object per dead row" "$n_dead" "$(jq -c . "$OUT/dead.json" | wc -l)"
assert_eq "--json: every row dead, newest first" "dead true" \
    "$(jq -s -r '[(map(.state) | unique | join(",")), (map(.id) == (map(.id) | sort | reverse))] | @tsv' \
        "$OUT/dead.json" | tr '\t' ' ')"
assert_eq "--json: customer addresses masked" "c***@example.com c***@example.com" \
    "$(jq -r 'select(.recipient_kind == "customer") | .address' "$OUT/dead.json" | tr '\n' ' ' | sed 's/ $//')"
assert_true "--json: the last error is kept (the transport's)" \
    jq -e -s 'all(.[]; (.last_error // "") | length > 0)' "$OUT/dead.json"
ctl notifications --complaint "$no1" --channel email --limit 1 --json >"$OUT/filter.json"
assert_eq "--complaint --channel --limit 1: one row of $no1" "1 $no1 email" \
    "$(jq -r '[1, .complaint_no, .channel] | @tsv' "$OUT/filter.json" | tr '\t' ' ')"
ctl notifications --summary >"$OUT/summary.txt"
assert_eq "--summary: exit status" 0 $?
assert_match "--summary: the dead row of the table counts every dead row" \
    "^dead +.* $n_dead\$" "$(grep '^dead' "$OUT/summary.txt")"
ctl notifications --summary --json >"$OUT/summary.json"
assert_eq "--summary --json: dead e-mail = $n_email" "$n_email" "$(jq -r .counts.dead.email "$OUT/summary.json")"

# ------------------------------------------------------------------ b
id1=$(psql_value "select id from notification where complaint_no = :'no' and recipient_kind = 'customer'
                   and channel = 'email'" no="$no1")
ctl notifications show "$id1" >"$OUT/show.txt"
assert_eq "show $id1: exit status" 0 $?
assert_eq "show: the subject as stored" \
    "subject: $(psql_value "select subject from notification where id = :'id'" id="$id1")" \
    "$(grep '^subject: ' "$OUT/show.txt")"
body=$(psql_value "select body from notification where id = :'id'" id="$id1")
assert_true "show: the whole body as stored" grep -qF -- "$(printf '%s\n' "$body" | head -1)" "$OUT/show.txt"
assert_eq "show: the body's lines, all of them" "$(printf '%s\n' "$body" | wc -l)" \
    "$(sed -n '/^body:$/,$p' "$OUT/show.txt" | tail -n +2 | wc -l)"
assert_true "show: the body has the complaint number" grep -q "$no1" "$OUT/show.txt"
assert_true "show: the message id" grep -Eq "message id +<n$id1\\.[0-9]+@complaints\\.local>" "$OUT/show.txt"
assert_true "show: the state and the address masked" \
    bash -c "grep -Eq 'state +dead' '$OUT/show.txt' && grep -Eq 'address +c\\*\\*\\*@example.com' '$OUT/show.txt'"
ctl notifications show "$id1" --json >"$OUT/show.json"
assert_eq "show --json: subject, body, attempts, retried_by" "true true 1 null" \
    "$(jq -r --arg b "$body" '[(.subject | length > 0), ((.body | sub("\n+$"; "")) == $b), .attempts, .retried_by] | map(tostring) | join(" ")' \
        "$OUT/show.json")"

# No address whole anywhere in what the tool printed.
leaks=0
while read -r addr; do
    [ -n "$addr" ] || continue
    if grep -rqF -- "$addr" "$OUT"; then
        leaks=$((leaks + 1))
        note "address printed whole: $addr"
    fi
done < <(psql_value "select distinct address from notification where address is not null")
assert_eq "addresses printed whole in the tool's output" 0 "$leaks"

# ------------------------------------------------------------------ c
start_service smtpd "$PY" "$SMTPD" serve --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtp sink did not start"
ctl notifications retry "$id1" --by tester >"$OUT/retry1.txt" 2>&1
assert_eq "retry $id1: exit status" 0 $?
assert_match "retry: says what it retried" "retried $id1: was dead after 1 attempt" "$(cat "$OUT/retry1.txt")"
wait_for '[ "$(psql_value "select state from notification where id = :'"'id'"'" id='"$id1"')" = sent ]' 20 \
    || fail "retried row $id1 not sent within 20 s"
assert_eq "after retry: sent, attempts counted from 0, retried_by" "sent|1|tester" \
    "$(psql_value "select state, attempts, retried_by from notification where id = :'id'" id="$id1")"
assert_eq "the receipt reached the customer once" 1 \
    "$(report | jq -r 'select(.rcpt == "cust.r1@example.com") | .file' | wc -l)"
wait_outbox_empty 10 || fail "outbox not drained"
retried_events () {   # the notification.retried events' data, one JSON line each
    psql_value "select encode(event, 'hex') from event_log where type = 'notification.retried' order by seq" \
        | "$PY" -c '
import sys, json, msgpack
for line in sys.stdin:
    if line.strip():
        ev = msgpack.unpackb(bytes.fromhex(line.strip()), raw=False)
        print(json.dumps(dict(ev["data"], complaint_no=ev["complaint_no"])))'
}
retried_events >"$OUT/events1.json"
assert_eq "one notification.retried event for $id1" 1 \
    "$(jq -r --argjson id "$id1" 'select(.id == $id) | .id' "$OUT/events1.json" | wc -l)"
assert_eq "its data: channel, kind, attempts before the reset, by, complaint" \
    "email customer 1 tester $no1" \
    "$(jq -r --argjson id "$id1" 'select(.id == $id) | [.channel, .recipient_kind, .attempts, .by, .complaint_no]
        | map(tostring) | join(" ")' "$OUT/events1.json")"
assert_eq "its data carries no address" 0 "$(grep -c '@' "$OUT/events1.json")"

ctl notifications retry "$id1" >"$OUT/retry_sent.txt" 2>"$OUT/retry_sent.err"
assert_eq "retry of a sent row: exit 1" 1 $?
assert_match "retry of a sent row: names its state" "notification $id1 is sent" "$(cat "$OUT/retry_sent.err")"
ctl notifications retry 99999999 2>"$OUT/retry_unknown.err"
assert_eq "retry of an unknown id: exit 1" 1 $?
assert_match "retry of an unknown id: says so" "no notification 99999999" "$(cat "$OUT/retry_unknown.err")"
ctl notifications show 99999999 2>/dev/null
assert_eq "show of an unknown id: exit 1" 1 $?
ctl notifications --state bogus 2>"$OUT/bad_state.err"
assert_eq "--state bogus: exit 2" 2 $?
assert_match "--state bogus: names the field" "--state 'bogus' is not one of" "$(cat "$OUT/bad_state.err")"
ctl notifications retry 2>/dev/null
assert_eq "retry without ids or --dead: exit 2" 2 $?

# ------------------------------------------------------------------ d
n_dead=$(psql_value "select count(*) from notification where state = 'dead'")
ctl notifications retry --dead --by tester >"$OUT/retry_dead.txt" 2>&1
assert_eq "retry --dead: exit status" 0 $?
assert_match "retry --dead: retried every dead row" "^retried $n_dead dead notifications?\$" \
    "$(tail -1 "$OUT/retry_dead.txt")"
wait_for '[ "$(psql_value "select count(*) from notification where channel = '"'email'"'
                            and state <> '"'sent'"'")" = 0 ]' 30 \
    || fail "e-mail rows not all sent within 30 s of retry --dead"
assert_eq "every e-mail row sent, retried_by set on each" "$n_email $n_email" \
    "$(psql_value "select count(*) filter (where state = 'sent'), count(*) filter (where retried_by = 'tester')
                    from notification where channel = 'email'" | tr '|' ' ')"
assert_eq "the mailbox: one message per e-mail row" "$n_email" "$(report | jq -r .message_id | sort -u | wc -l)"
wait_outbox_empty 10 || fail "outbox not drained"
assert_eq "notification.retried events: one per row retried" $((1 + n_dead)) \
    "$(psql_value "select count(*) from event_log where type = 'notification.retried'")"
ctl notifications --state dead >"$OUT/dead_after.txt"
email_dead=$(grep -c ' email ' "$OUT/dead_after.txt")
assert_eq "no dead e-mail row is listed any more" 0 "$email_dead"

# ------------------------------------------------------------------ e
# the same customer (phone and ID number) complains again
no3=$(submit r3 cust.r1@example.com 13812345678 110101199001011234)
[ -n "$no3" ] || fail "submit r3 failed"
assert_eq "the same customer: one pseudonym for $no1 and $no3" 1 \
    "$(psql_value "select count(distinct customer_pseudonym) from complaint
                    where complaint_no in (:'a', :'b')" a="$no1" b="$no3")"
ctl optout add "$no1" sms --reason "客户来电要求不发短信" --by tester >"$OUT/optout_add.txt" 2>&1
assert_eq "optout add $no1 sms: exit status" 0 $?
assert_eq "one customer_optout row, keyed by the pseudonym" "1|sms|$no1|tester" \
    "$(psql_value "select count(*), min(o.channel), min(o.complaint_no), min(o.created_by)
                    from customer_optout o join complaint c on c.customer_pseudonym = o.customer_pseudonym
                    where c.complaint_no = :'no'" no="$no1")"
ctl optout add "$no1" sms --reason "again" --by tester2 >/dev/null 2>&1
assert_eq "optout add again: exit 0 (idempotent)" 0 $?
assert_eq "optout add again: still one row, reason and by updated" "1|again|tester2" \
    "$(psql_value "select count(*), min(reason), min(created_by) from customer_optout")"
ctl optout list "$no3" --json >"$OUT/optout_list3.json"
assert_eq "optout list $no3 (the second complaint) shows the opt-out made via $no1" "sms $no1 again tester2" \
    "$(jq -r '[.channel, .complaint_no, .reason, .by] | join(" ")' "$OUT/optout_list3.json")"
pseudonym=$(psql_value "select customer_pseudonym from complaint where complaint_no = :'no'" no="$no1")
assert_eq "the list shows the pseudonym's first 8 characters only" "${pseudonym:0:8}" \
    "$(jq -r .pseudonym "$OUT/optout_list3.json")"
ctl optout list >"$OUT/optout_list.txt"
assert_match "optout list (text): pseudonym…, channel, complaint" "^${pseudonym:0:8}… +sms +$no1 " \
    "$(tail -1 "$OUT/optout_list.txt")"
assert_eq "optout list $no2 (another customer): none" "no opt-outs for the customer of $no2" \
    "$(ctl optout list "$no2")"
ctl optout add "$no1" fax 2>"$OUT/optout_bad.err"
assert_eq "optout add with channel fax: exit 2" 2 $?
assert_match "optout add fax: names the field" "channel 'fax' is not one of email, sms, push" \
    "$(cat "$OUT/optout_bad.err")"
unknown=$("$PY" -c '
import sys; sys.path.insert(0, sys.argv[1])
from client import damm
base = "20200101999999"
print(next(base + str(d) for d in range(10) if damm(base + str(d)) == 0))' "$ROOT/tests/integration")
ctl optout add "$unknown" sms 2>"$OUT/optout_unknown.err"
assert_eq "optout add for an unknown complaint: exit 1" 1 $?
assert_match "optout add unknown: names the complaint" "no complaint $unknown" "$(cat "$OUT/optout_unknown.err")"
ctl optout remove "$no3" sms >"$OUT/optout_remove.txt" 2>&1
assert_eq "optout remove through $no3: exit 0" 0 $?
assert_eq "optout remove: the row is gone" 0 "$(psql_value "select count(*) from customer_optout")"
ctl optout remove "$no3" sms 2>/dev/null
assert_eq "optout remove again: exit 1 (nothing to remove)" 1 $?
assert_eq "optout list $no1 after remove: none" "no opt-outs for the customer of $no1" \
    "$(ctl optout list "$no1")"
ctl optout --help >/dev/null && ctl notifications --help >/dev/null
assert_eq "--help: exit 0 for both" 0 $?
