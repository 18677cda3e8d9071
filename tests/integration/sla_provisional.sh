#!/usr/bin/env bash
# sla_provisional.sh — a deadline counted on a provisional calendar year,
# and what happens when that year's notice is loaded (issue 15 §1, CLOCKS-B;
# docs/watchdog.md "Provisional calendar years"). Real bus, intake, router,
# watchdog and notifier, the shipped policy, a copy of deploy/calendars in
# the test's folder.
#
#   1  the store's clock stands at Mon 2027-01-25 10:00 +08:00 (a year cn.conf
#      knows only by its computed statutory days); a web complaint received
#      then has resolution 15d: 01-25 + 15 = Tue 02-09, a working day on the
#      computed days (春节 02-05..02-08) -> due at the end of Tue 02-09,
#      provisional; the internal service clock (10wd: Tue 01-26 .. Thu
#      02-04 are 8, Fri 02-05 and Mon 02-08 off, Tue 09, Wed 10) is due at the
#      end of Wed 02-10, provisional; its 24-hour clocks count no days: not
#      provisional
#   2  the test's cn.conf gets a "published" 2027 — MADE UP for this test,
#      not the State Council's notice: 春节 02-05..02-12 (eight days), make-up
#      workdays Sat 01-30 and Sat 02-20, covers widened to 2027-12-31, the
#      2027 provisional lines gone. SIGHUP: the watchdog marks the case dirty,
#      recomputes it: 02-09 is now a holiday, so the deadline is the next
#      working day, Mon 02-15 (Sat 13, Sun 14 off) -> end of Mon 02-15; the
#      service clock's 10th working day is Mon 02-15 too (the made-up
#      Saturday 01-30 counts, 02-05..02-12 do not); neither is provisional
#      now; one sla.deadline_moved each on the stream (previous_due_at,
#      due_at, provisional false, no identity), one sla_firing row
#      'moved:<due ms>' each; the handler has an inbox notification for each,
#      the resolution's with both times in +08:00; told: the customer one
#      e-mail (an smtp-sink), for resolution only, previous and new date
#   3  exactly once: another SIGHUP, and the case dirtied by hand, recompute
#      again: still one event and one row per clock
# The shell starts the services, moves the clock, edits the calendar and
# sends SIGHUP; every check is sla_provisional.py's (waits with deadlines).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)
CALS=$TEST_DIR/calendars
mkdir -p "$CALS"
cp "$ROOT"/deploy/calendars/*.conf "$CALS/"
SMTP_PORT=$((TEST_ZMQ_BASE + 3))        # an smtp-sink: the customer's e-mails, readable
MAIL=$TEST_DIR/mail
start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"

start_pipeline || exit 1
start_service watchdog watchdog --name wd-prov --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$CALS" --sweep-ms 500
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --max-attempts 1 \
    --calendars "$CALS"
wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20 \
    || { fail "the router did not load $n_staff tokens within 20 s"; exit 1; }

LOG=$TEST_DIR/watchdog.log
checker () { "$PY" "$ROOT/tests/integration/sla_provisional.py" --log "$LOG" --mail "$MAIL" "$@"; }
hup () {   # prints how many policy_loaded lines the log held before
    grep -c "event=policy_loaded" "$LOG"
    kill -HUP "$(service_pid watchdog)"
}

# ----------------------------------------------- 1: received in 2027
psql_value "select app_clock_set('2027-01-25 10:00:00+08'::timestamptz, 0.000001)" >/dev/null \
    || fail "app_clock_set refused"
received=$(( $(date -d '2027-01-25 10:00:00+08' +%s) * 1000 ))
NO=$(ctl submit --channel web --ref prov-1 --product 信用卡 \
        --body "信用卡账单分期手续费问题，请核实。" --received-at "$received" \
        --phone 13900002027 --name "客户-prov" --email prov@example.com \
        2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty')
checker one "$NO"
OFFICE_TOKEN=$(awk '$1 == "li_na" {print $2}' "$TEST_DIR/staff/tokens.plain")
show () { COMPLAINTS_TOKEN=$OFFICE_TOKEN ctl show "$1" >"$2" 2>&1; }
show "$NO" "$TEST_DIR/show-1.txt"
checker shown "$TEST_DIR/show-1.txt" yes

# ------------------------------------- 2: the (made-up) published 2027
# MADE UP: not the State Council's notice for 2027 (not out when this was
# written); a schedule that differs from the computed days on purpose.
sed -i -e 's/^covers .*/covers    2026-01-01..2027-12-31/' -e '/^provisional 2027-/d' "$CALS/cn.conf"
cat >>"$CALS/cn.conf" <<'CAL'
# ---- 2027, a made-up "published" schedule (tests/integration/sla_provisional.sh) ----
holiday   2027-01-01..2027-01-03   元旦 New Year's Day (made up)
workday   2027-01-30               春节调休 make-up working day (Saturday, made up)
holiday   2027-02-05..2027-02-12   春节 Spring Festival (made up: eight days)
workday   2027-02-20               春节调休 make-up working day (Saturday, made up)
holiday   2027-04-05               清明节 Qingming Festival (made up)
holiday   2027-05-01..2027-05-05   劳动节 Labour Day (made up)
holiday   2027-06-09               端午节 Dragon Boat Festival (made up)
holiday   2027-09-15               中秋节 Mid-Autumn Festival (made up)
holiday   2027-10-01..2027-10-07   国庆节 National Day (made up)
CAL
checker two "$NO" "$(hup)"
show "$NO" "$TEST_DIR/show-2.txt"
checker shown "$TEST_DIR/show-2.txt" no

# ------------------------------------------------------ 3: exactly once
checker three-before "$(hup)"
psql_value "update complaint set sla_dirty = true where complaint_no = :'no'" no="$NO" >/dev/null
checker three "$NO"
