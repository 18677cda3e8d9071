#!/usr/bin/env bash
# sla_reload.sh — the watchdog's policy reload (SIGHUP), with real bus,
# intake, router and watchdog, on a copy of deploy/sla/policy.conf and
# deploy/calendars in the test's folder.
#
#   1  at start the extension rules of the policy are in sla_extension_rule
#      (resolution 1 +15d supervisor, 2 +30d manager), each citing its line
#   2  a bad policy (an unknown unit on the acknowledge 24h line) is refused on SIGHUP:
#      policy_refused with path, that line and the reason in the log; the
#      watchdog keeps running on the old policy: a new case still gets
#      acknowledge 24h; the extension rules are unchanged
#   3  a bad calendar file beside the good one is refused the same way, with
#      its own file and line
#   4  a good edit (acknowledge 12h; resolution extension 1 now +10d; a
#      review extension) takes effect for new rounds: a new case gets 12h,
#      the older case keeps its 24h after a recompute (a reload never moves
#      a running deadline); sla_extension_rule follows the policy
#   5  a watchdog started on a bad policy exits 2 and says why
# The shell edits the files, sends SIGHUP, submits and acts; every check is
# sla_reload.py's (its waits have deadlines and are checks).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)
POLICY=$TEST_DIR/sla/policy.conf
CALS=$TEST_DIR/calendars
mkdir -p "$TEST_DIR/sla" "$CALS"
cp "$ROOT/deploy/sla/policy.conf" "$POLICY"
cp "$ROOT"/deploy/calendars/*.conf "$CALS/"
# The lines edited below, wherever they are in the shipped policy.
ACK=$(grep -n '^clock acknowledge     24h' "$POLICY" | cut -d: -f1)
EXT=$(grep -n '^extend  resolution  1 ' "$POLICY" | cut -d: -f1)
[ -n "$ACK" ] && [ -n "$EXT" ] || { fail "policy.conf: the acknowledge 24h or extension 1 line moved"; exit 1; }
export SLA_ACK_LINE=$ACK SLA_EXT_LINE=$EXT

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service watchdog watchdog --name wd-reload --bus "$BUS_PUB_EP" \
    --policy "$POLICY" --calendars "$CALS" --sweep-ms 500
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20 \
    || { fail "the router did not load the tokens within 20 s"; exit 1; }

LOG=$TEST_DIR/watchdog.log
checker () { "$PY" "$ROOT/tests/integration/sla_reload.py" --log "$LOG" "$@"; }
submit () {   # REF — a new complaint's number
    local crc; crc=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
    ctl submit --channel web --ref "$1" --product 信用卡 --body "信用卡年费问题（$1）" \
        --phone "137$(printf '%08d' $((crc % 100000000)))" 2>>"$TEST_DIR/submit.err" \
        | jq -r '.complaint_no // empty'
}
hup () {   # EVENT — SIGHUP; prints how many EVENT lines the log held before
    grep -c "event=$1" "$LOG"
    kill -HUP "$(service_pid watchdog)"
}

# ------------------------------------------------------------ 1: at start
A=$(submit rl-a)
checker one "$A"

# ---------------------------------------------------------- 2: bad policy
sed -i "${ACK}s/.*/clock acknowledge     24x/" "$POLICY"
checker two "$(hup policy_refused)"
assert_true "2: the watchdog still runs" service_alive watchdog
checker two-b "$(submit rl-b)"

# -------------------------------------------------------- 3: bad calendar
sed -i "${ACK}s/.*/clock acknowledge     24h/" "$POLICY"
printf 'name      xx\ntimezone  Asia/Shanghai\nworkweek  mon-fri\nholiday   2026-13-01  bad\n' \
    >"$CALS/xx.conf"
checker three "$(hup policy_refused)"
rm -f "$CALS/xx.conf"

# ---------------------------------------------------------- 4: good edit
sed -i "${ACK}s/.*/clock acknowledge     12h/" "$POLICY"
sed -i "${EXT}s/.*/extend  resolution  1  to 20d  supervisor/" "$POLICY"
printf 'extend  review  1  to 45d  complaint_office\n' >>"$POLICY"
checker four "$(hup policy_loaded)" "$(wc -l <"$POLICY")"
checker four-c "$(submit rl-c)"
# Dirty the old case (a note) so the watchdog recomputes it under the new
# policy: its running acknowledge keeps the rule it started with.
h=$(psql_value "select handler from complaint where complaint_no = :'no'" no="$A")
as_staff "$h" act "$A" note --text "客户来电询问进度" >/dev/null 2>"$TEST_DIR/act.err" \
    || fail "note on $A: $(cat "$TEST_DIR/act.err")"
checker four-old "$A"

# -------------------------------------------------- 5: bad file at start
sed -i "${ACK}s/.*/clock acknowledge     24x/" "$POLICY"
"$BIN/watchdog" --name wd-bad --bus none --policy "$POLICY" --calendars "$CALS" \
    >"$TEST_DIR/wd-bad.log" 2>&1
checker five "$?" "$TEST_DIR/wd-bad.log"
