#!/usr/bin/env bash
# sla_followups.sh — the watchdog's follow-ups of issue 16 (docs/watchdog.md,
# docs/calendars.md, docs/tasks.md, docs/followup.md), with real daemons:
# bus, intake, router (the real directory), TWO watchdogs on the shipped
# policy and a copy of deploy/calendars, a notifier with an smtp-sink. The
# store's clock is set and nearly stopped (app_clock_set, scale 1e-6).
#
#   media     a complaint referred by a newspaper (referral_source media) and
#             one whose text threatens the press (the router flags it media)
#             each open one accountability item `media`, told once with two
#             watchdogs sweeping every 200 ms; a plain case none
#   pause     two cases' regulatory clocks (15d from Tue 2026-03-03 10:00)
#             paused by an appraisal of 2 s (still the end of 03-18: the old
#             rounding gave a day) and of 36 h (the end of 03-19: rounding
#             gave 03-20)
#   review    decided Sat 2026-09-05: the customer's notice says the last
#             review day is 2026-10-08 (day 30 is 10-05, National Day);
#             the call-back's 50 % reminder goes to every complaint-office
#             officer and not the handler, an open case's first-response
#             reminder to its handler; a review on 10-07 (day 32) accepted,
#             on 10-09 refused naming "2026-10-08 24:00 +08:00"
#   calendar  the store holds cn's content hash and every open clock carries
#             it; both watchdogs restarted and then SIGHUPed with nothing
#             changed: "changed=0 cases=0", nothing dirty; a holiday added on
#             Fri 2026-11-06, wd-a SIGHUPed (it marks every case with an open
#             clock on cn), then wd-b (it marks only what was counted on the
#             old days meanwhile): a new hash on every open clock, r1's
#             review deadline moved to the end of Mon 11-09 with one
#             sla.deadline_moved; one clock's hash set to another by hand
#             (what a watchdog still on the old files leaves): a restart of
#             wd-b marks that one case; SIGHUP both again: nothing changed
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
CALS=$TEST_DIR/calendars
mkdir -p "$CALS"
cp "$ROOT"/deploy/calendars/*.conf "$CALS/"
SMTP_PORT=$((TEST_ZMQ_BASE + 3))
MAIL=$TEST_DIR/mail
start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP" --calendars "$CALS"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
wd_start () {   # NAME
    start_service "$1" watchdog --name "$1" --bus "$BUS_PUB_EP" --intake "$INTAKE_EP" \
        --policy "$ROOT/deploy/sla/policy.conf" --calendars "$CALS" \
        --sweep-ms 200 --accountability-sweep-ms 200
}
wd_start wd-a
wd_start wd-b
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --max-attempts 1 --calendars "$CALS"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

checker () {
    "$PY" "$ROOT/tests/integration/sla_followups.py" --ctl "$BIN/complaintctl" \
        --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
        --mail "$MAIL" --logs "$TEST_DIR" "$@" || fail "sla_followups.py $1: exit status $?"
}
synced () { grep -c "event=calendars_synced" "$TEST_DIR/$1.log"; }

checker media
checker pause
checker review
checker calendar-start

# restart both: nothing changed, nothing marked
for wd in wd-a wd-b; do
    n=$(synced "$wd")
    kill_service "$wd"
    wd_start "$wd"
    checker synced "$wd" $((n + 1)) 0
done
# SIGHUP both: nothing changed, nothing marked
for wd in wd-a wd-b; do
    n=$(synced "$wd")
    kill -HUP "$(service_pid "$wd")"
    checker synced "$wd" $((n + 1)) 0
done

# a day off on Fri 2026-11-06 (made up for the test): wd-a first, then wd-b
echo "holiday   2026-11-06               test day off (sla_followups)" >>"$CALS/cn.conf"
for wd in wd-a wd-b; do
    n=$(synced "$wd")
    kill -HUP "$(service_pid "$wd")"
    checker synced "$wd" $((n + 1)) any
done
checker changed
# a clock counted on other days (as a watchdog on the old files leaves it):
# a restart marks that case and only it
checker stale
n=$(synced wd-b)
kill_service wd-b
wd_start wd-b
checker restarted wd-b $((n + 1))
for wd in wd-a wd-b; do
    n=$(synced "$wd")
    kill -HUP "$(service_pid "$wd")"
    checker synced "$wd" $((n + 1)) 0-after
done

for s in intake wd-a wd-b notifier; do
    assert_true "$s alive at the end" service_alive "$s"
done
