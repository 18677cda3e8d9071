#!/usr/bin/env bash
# sla_e2e.sh — the SLA clocks end to end (issue 4) with shifted time: real
# bus, intake, router and watchdog, the real directory, policy
# (deploy/sla/policy.conf) and calendar (deploy/calendars/cn.conf); every
# staff action through `complaintctl act` as a named person; the store's
# clock moved with app_clock_set (a test database allows it), which wakes
# the watchdog at once (NOTIFY app_clock). Every case is received in 2026
# (an explicit received time), so the cn 2026 calendar applies.
#
#   g  Spring Festival: a regulator referral received Thu 2026-02-12 10:00
#      has 5 working days (policy: the association's rule): Fri 13, the
#      make-up Saturday 14, then Tue 24, Wed 25, Thu 26 -> due at the end of
#      Thu 2026-02-26; mid-festival nothing has breached; after the due time
#      the breach fires once
#   then six cases received Mon 2026-03-02 09:00 (+08:00):
#   a  untouched: acknowledge (24h) reminds at 50 % and 80 %, breaches,
#      escalates tier 1 at once, tier 2 not before +1 working day (end of
#      Wed 03-04), tier 3 at +2 working days; each step exactly once (one
#      sla_firing row, one sla.* event), in this order by seq
#   b  paused while awaiting the customer for 48 h: the resolution deadline
#      moves by exactly the paused time, paused_ms = 48 h, sla.met of the
#      first response (request_info answered the customer)
#   c  an extension approved by a supervisor: sla.extended with the new
#      deadline (+15d: end of 03-17 -> end of 04-01), previous_due_at, adds,
#      approver; the clock shows extensions=1
#   d  resolved one minute before its deadline: sla.met late=false
#   e  resolved half an hour after it: sla.met late=true (and the breach
#      had fired)
#   f  accepted, then transferred: acknowledge round 0 stays met, round 1
#      starts at the transfer (24h again) and is met when the new department
#      accepts
#   and: sla.* events = sla_firing rows; no identity or note text in them.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
start_service watchdog watchdog --name wd-e2e --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 500
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
if ! wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20; then
    fail "the router did not load $n_staff tokens within 20 s"
    exit 1
fi

# ------------------------------------------------------------------ helpers

ms_of () { echo $(( $(date -d "$1" +%s) * 1000 )); }

# at TIME — the store's clock jumps to TIME and (almost) stops there: scale
# 1e-6, a real second is a microsecond, so a pause between two `at`s lasts
# exactly what the test says. Then wait until the watchdog has recomputed
# and fired everything due and the bus has published it.
at () {
    psql_value "select app_clock_set(:'t'::timestamptz, 0.000001)" t="$1" >/dev/null \
        || fail "app_clock_set $1 refused"
    settle "$1"
}
settled () {
    [ "$(psql_value "select (select count(*) from complaint where sla_dirty)
                          + (select count(*) from sla_clock where next_fire_at <= app_now())
                          + (select count(*) from outbox)")" = 0 ]
}
settle () {
    sleep 0.3
    wait_for settled 20 || fail "clocks not settled at ${1:-now} within 20 s"
}

# submit REF CHANNEL BODY RECEIVED_MS — the new complaint's number
submit () {
    local crc; crc=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
    ctl submit --channel "$2" --ref "$1" --product 信用卡 --body "$3" --received-at "$4" \
        --phone "139$(printf '%08d' $((crc % 100000000)))" --name "客户-$1" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}
field () {   # NO SQL-EXPR — one value of the case row
    psql_value "select $2 from complaint where complaint_no = :'no'" no="$1"
}
wait_assigned () {
    wait_for '[ "$(field '"$1"' state)" = assigned ]' 20 || fail "$1 not assigned within 20 s"
}
# clock NO STAGE ROUND COLUMNS — columns of one clock row ('|'-separated)
clock () {
    psql_value "select $4 from sla_clock
                 where complaint_id = (select id from complaint where complaint_no = :'no')
                   and stage = :'stage' and round = :'round'" \
        no="$1" stage="$2" round="$3"
}
# steps NO STAGE — the clock's fired steps (round 0), in firing order
steps () {
    psql_value "select coalesce(string_agg(f.step, ' ' order by f.fired_at, f.step), '')
                  from sla_firing f join sla_clock k on k.id = f.clock_id
                  join complaint c on c.id = k.complaint_id
                 where c.complaint_no = :'no' and k.stage = :'stage' and k.round = 0" \
        no="$1" stage="$2"
}
# events NO — the case's sla.* events, decoded, by seq
events () {
    psql_value "select seq, type, encode(event, 'hex') from event_log
                 where complaint_no = :'no' and type like 'sla.%' order by seq" no="$1" \
        | "$PY" "$ROOT/tests/integration/sla_events.py"
}
act () {   # STAFF NO ACTION [FLAGS] — must succeed
    local who=$1 no=$2; shift 2
    if as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"; then
        note "  $who: act $no $* -> $(cat "$TEST_DIR/act.out")"
    else
        fail "$who: act $no $*: $(cat "$TEST_DIR/act.err")"
    fi
}
staff_in () {   # DEPT ROLE
    psql_value "select id from staff where department = :'d' and role = :'r' and active
                 order by ab_role nulls last, id limit 1" d="$1" r="$2"
}

# ------------------------------------------- g: across the Spring Festival

at "2026-02-12 10:00:00+08"
G=$(submit sla-g regulator "监管转办：客户反映信用卡分期手续费收取不透明，请核实处理。" \
        "$(ms_of '2026-02-12 10:00:00+08')")
[ -n "$G" ] || { fail "submit g failed: $(tail -3 "$TEST_DIR/submit.err")"; exit 1; }
wait_assigned "$G"
settle
assert_eq "g: resolution allowance of a regulator referral" "5wd|running" \
    "$(clock "$G" resolution 0 "allowance || '|' || state")"
assert_eq "g: 5 working days skip the Spring Festival: due end of Thu 02-26" \
    "$(ms_of '2026-02-27 00:00:00+08')" \
    "$(clock "$G" resolution 0 "(extract(epoch from due_at) * 1000)::bigint")"
at "2026-02-20 12:00:00+08"
assert_eq "g: mid-festival (Fri 02-20) the resolution has not breached" "running" \
    "$(clock "$G" resolution 0 state)"
at "2026-02-26 23:00:00+08"
assert_eq "g: an hour before the end of 02-26: not breached" "" \
    "$(steps "$G" resolution | grep -o breach)"
at "2026-02-27 00:30:00+08"
assert_eq "g: after the end of 02-26: breached" "breached" "$(clock "$G" resolution 0 state)"
assert_eq "g: the breach fired once" 1 \
    "$(events "$G" | grep -c 'sla.breached resolution 0 breach')"

# ------------------------------------------------ six cases of 2026-03-02

T="2026-03-02 09:00:00+08"
at "$T"
T_MS=$(ms_of "$T")
declare -A NO
for x in a b c d e f; do
    NO[$x]=$(submit "sla-$x" web "信用卡年费扣收问题，请说明收费依据（$x）。" "$T_MS")
    [ -n "${NO[$x]}" ] || { fail "submit $x failed: $(tail -3 "$TEST_DIR/submit.err")"; exit 1; }
done
for x in a b c d e f; do wait_assigned "${NO[$x]}"; done
settle
A=${NO[a]} B=${NO[b]} C=${NO[c]} D=${NO[d]} E=${NO[e]} F=${NO[f]}
note "cases: a=$A b=$B c=$C d=$D e=$E f=$F"
assert_eq "a: acknowledge 24h, running, remind:50 next" "24h|running|remind:50" \
    "$(clock "$A" acknowledge 0 "allowance || '|' || state || '|' || next_step")"
assert_eq "a: resolution 15d due end of Tue 03-17 (Civil Code count)" \
    "$(ms_of '2026-03-18 00:00:00+08')" \
    "$(clock "$A" resolution 0 "(extract(epoch from due_at) * 1000)::bigint")"
assert_eq "a: complaint.due_at = the resolution deadline" \
    "$(ms_of '2026-03-18 00:00:00+08')" "$(field "$A" "(extract(epoch from due_at) * 1000)::bigint")"

handler () { field "$1" handler; }
dept () { field "$1" department; }

at "2026-03-02 10:00:00+08"
for x in b c d e f; do act "$(handler "${NO[$x]}")" "${NO[$x]}" accept; done
settle
assert_eq "b: acknowledge met, on time" "met|false" \
    "$(clock "$B" acknowledge 0 "state || '|' || (met_at > due_at)")"

at "2026-03-02 11:00:00+08"
due_b_before=$(clock "$B" resolution 0 "(extract(epoch from due_at) * 1000)::bigint")
act "$(handler "$B")" "$B" request_info --text "请提供账单截图"
SUP_C=$(staff_in "$(dept "$C")" supervisor)
act "$SUP_C" "$C" extend --text "需向卡组织调单，延期十五日"
OTHER=$(psql_value "select id from department where kind = 'department' and id <> :'d'
                     order by id limit 1" d="$(dept "$F")")
act "$(handler "$F")" "$F" transfer --department "$OTHER" --text "属于$OTHER的业务"
settle
assert_eq "b: paused while awaiting the customer" "paused" "$(clock "$B" resolution 0 state)"
assert_eq "b: first response met by the request for information" "met" \
    "$(clock "$B" first_response 0 state)"
assert_eq "c: one extension of +15d" "1|{15d}" \
    "$(clock "$C" resolution 0 "extensions || '|' || extended_by::text")"
due_c=$(clock "$C" resolution 0 "(extract(epoch from due_at) * 1000)::bigint")
assert_eq "c: extended deadline: end of 03-17 + 15d = end of Wed 04-01" \
    "$(ms_of '2026-04-02 00:00:00+08')" "$due_c"
ext_line=$(events "$C" | grep 'sla.extended resolution 0 ext:1')
assert_match "c: sla.extended told with adds, approver, previous and new deadline" \
    "adds=15d .*approver=supervisor .*due_at=$due_c .*previous_due_at=$(ms_of '2026-03-18 00:00:00+08')" \
    "$ext_line"
assert_eq "f: acknowledge round 0 stays met after the transfer" "met" \
    "$(clock "$F" acknowledge 0 state)"
assert_eq "f: acknowledge round 1 starts at the transfer, 24h, running" \
    "$(ms_of '2026-03-02 11:00:00+08')|24h|running" \
    "$(clock "$F" acknowledge 1 "(extract(epoch from started_at) * 1000)::bigint || '|' || allowance || '|' || state")"
assert_eq "f: round 1 due 24h after the transfer" "$(ms_of '2026-03-03 11:00:00+08')" \
    "$(clock "$F" acknowledge 1 "(extract(epoch from due_at) * 1000)::bigint")"
act "$(handler "$F")" "$F" accept
settle
assert_eq "f: round 1 met when the new department accepts" "met" \
    "$(clock "$F" acknowledge 1 state)"

at "2026-03-02 22:00:00+08"     # +13h
assert_eq "a: at +13h: remind:50 only" "remind:50" "$(steps "$A" acknowledge)"
at "2026-03-03 04:00:00+08"     # +19h: not yet 80 % (19.2h)
assert_eq "a: at +19h: still only remind:50" "remind:50" "$(steps "$A" acknowledge)"
at "2026-03-03 05:00:00+08"     # +20h
assert_eq "a: at +20h: remind:80" "remind:50 remind:80" "$(steps "$A" acknowledge)"
at "2026-03-03 09:30:00+08"     # +24.5h
assert_eq "a: past the deadline: breach and tier 1 at once" \
    "remind:50 remind:80 breach escalate:1" "$(steps "$A" acknowledge)"
assert_eq "a: acknowledge breached" "breached" "$(clock "$A" acknowledge 0 state)"

at "2026-03-04 11:00:00+08"     # B has waited 48 h
act "$(handler "$B")" "$B" customer_replied
settle
due_b_after=$(clock "$B" resolution 0 "(extract(epoch from due_at) * 1000)::bigint")
assert_eq "b: paused_ms after the reply = 48 h" $((48 * 3600000)) \
    "$(clock "$B" resolution 0 paused_ms)"
assert_eq "b: the deadline moved by exactly the paused time" \
    $((due_b_before + 48 * 3600000)) "$due_b_after"
assert_eq "b: running again, paused_since cleared" "running|" \
    "$(clock "$B" resolution 0 "state || '|' || coalesce(paused_since::text, '')")"

at "2026-03-04 23:30:00+08"     # tier 2 is due at the end of Wed 03-04
assert_eq "a: tier 2 not before +1 working day" "" \
    "$(steps "$A" acknowledge | grep -o 'escalate:2')"
at "2026-03-05 00:30:00+08"
assert_eq "a: tier 2 after the end of Wed 03-04" "escalate:2" \
    "$(steps "$A" acknowledge | grep -o 'escalate:2')"
assert_eq "a: tier 2 due at the end of Wed 03-04" "$(ms_of '2026-03-05 00:00:00+08')" \
    "$(psql_value "select (extract(epoch from f.due_at) * 1000)::bigint from sla_firing f
                     join sla_clock k on k.id = f.clock_id join complaint c on c.id = k.complaint_id
                    where c.complaint_no = :'no' and k.stage = 'acknowledge' and f.step = 'escalate:2'" no="$A")"
assert_eq "a: tier 3 not yet" "" "$(steps "$A" acknowledge | grep -o 'escalate:3')"
at "2026-03-06 00:30:00+08"
assert_eq "a: every step of the acknowledge clock, in order" \
    "remind:50 remind:80 breach escalate:1 escalate:2 escalate:3" "$(steps "$A" acknowledge)"
assert_eq "a: events of the acknowledge clock in seq order" \
    "remind:50 remind:80 breach tier:1 tier:2 tier:3" \
    "$(events "$A" | awk '$3 == "acknowledge" { printf "%s%s", sep, $5; sep = " " }')"
assert_match "a: tier 3 goes to the complaint office and management" \
    "to=complaint_office,management" "$(events "$A" | grep 'acknowledge 0 tier:3')"
note "a: its sla.* events (seq type stage round step data):"
events "$A" | sed 's/^/    /'
at "2026-03-06 09:00:00+08"     # nothing more: each step exactly once
assert_eq "a: each acknowledge step exactly once (firing rows)" 6 \
    "$(psql_value "select count(*) from sla_firing f join sla_clock k on k.id = f.clock_id
                     join complaint c on c.id = k.complaint_id
                    where c.complaint_no = :'no' and k.stage = 'acknowledge'" no="$A")"
assert_eq "a: each acknowledge step exactly once (events)" 6 \
    "$(events "$A" | awk '$3 == "acknowledge"' | wc -l)"

at "2026-03-17 23:59:00+08"
act "$(handler "$D")" "$D" resolve --outcome explanation --text "已说明年费收取依据"
settle
assert_match "d: resolved a minute before the deadline: sla.met late=false" \
    "late=false" "$(events "$D" | grep 'sla.met resolution 0 met')"
at "2026-03-18 00:30:00+08"
act "$(handler "$E")" "$E" resolve --outcome explanation --text "已说明年费收取依据"
settle
assert_match "e: resolved half an hour late: sla.met late=true" \
    "late=true" "$(events "$E" | grep 'sla.met resolution 0 met')"
assert_eq "e: the breach had fired before" 1 \
    "$(events "$E" | grep -c 'sla.breached resolution 0 breach')"
assert_eq "e: a met clock has nothing left to fire" "met|" \
    "$(clock "$E" resolution 0 "state || '|' || coalesce(next_step, '')")"

# ------------------------------------------------------------- invariants

settle
assert_eq "sla.* events = sla_firing rows" "$(psql_value "select count(*) from sla_firing")" \
    "$(psql_value "select count(*) from event_log where type like 'sla.%'")"
assert_eq "no identity or note text in sla.* events" 0 \
    "$(psql_value "select count(*) from event_log where type like 'sla.%'
                     and (position(convert_to('客户-', 'UTF8') in event) > 0
                       or position(convert_to('账单截图', 'UTF8') in event) > 0)")"
assert_gap_free
note "sla events: $(psql_value "select string_agg(type || '=' || n, ' ' order by type)
                                  from (select type, count(*) n from event_log
                                         where type like 'sla.%' group by type) x")"
