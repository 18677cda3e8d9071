#!/usr/bin/env bash
# extend.sh — SLA extensions and the store's clock on the intake side
# (issue 4): real bus, intake and router, the real directory, every action
# through `complaintctl act` as a named person. No watchdog runs here: the
# extension rules are seeded with psql the way the watchdog loads them from
# deploy/sla/policy.conf (resolution step 1 +15d by a supervisor, step 2
# +30d by a manager; review step 1 +15d by a supervisor), and a clock row is
# inserted by hand where a deadline is needed.
#
#   a  a handler may not extend (forbidden); missing text is refused by the
#      tool (exit 2); a supervisor approves step 1; step 2 by a supervisor or
#      the complaint office is forbidden (naming the manager), by a manager
#      it is done; step 3 is refused (invalid_transition: the policy allows
#      no extension 3). Every refusal writes nothing (no case_action, no
#      event, same version); each extension writes one audit row (stage,
#      step, adds, approver) and one complaint.extended event (no text)
#   b  the current round's resolution clock is past due: the extension is
#      refused; a clock due in an hour, then `clock shift 2h`: refused too;
#      a paused clock that never breached: allowed
#   c  rounds: resolve, review -> an extension of the review clock (step 1);
#      reopen -> the resolution round starts again, step 1 again
#   d  the staff view (`get` with a token, `show`) carries the clocks with
#      their firings, remaining_ms against the store's clock; the status
#      view (no token) carries none
#   e  time: a submit without received_at after `clock shift 3d` is stamped
#      with the shifted clock, and complaint.received carries the stored
#      value; so is every row of `import --received-now`; accepted_at and
#      case_action.at follow the shifted clock too
#   f  `complaintctl clock` moves the clock in this (test) database and is
#      refused, exit 1 with the store's message and hint, in a database
#      without complaints.test_clock
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
if ! wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20; then
    fail "the router did not load $n_staff tokens within 20 s"
    exit 1
fi

# The rules the watchdog would load from deploy/sla/policy.conf.
psql_value "insert into sla_extension_rule (stage, step, adds, approver, rule) values
              ('resolution', 1, '15d', 'supervisor', 'policy.conf:test1'),
              ('resolution', 2, '30d', 'manager', 'policy.conf:test2'),
              ('review', 1, '15d', 'supervisor', 'policy.conf:test3')" >/dev/null
check "extension rules seeded: $(psql_value "select string_agg(stage || ' ' || step || ' +' || adds || ' ' || approver, ', ' order by stage, step) from sla_extension_rule")"

# ------------------------------------------------------------------ helpers

case_row () {
    psql_value "select state, version, coalesce(handler, '-'), coalesce(department, '-')
                  from complaint where complaint_no = :'no'" no="$1"
}
case_state () { case_row "$1" | cut -d'|' -f1; }
case_handler () { case_row "$1" | cut -d'|' -f3; }
case_dept () { case_row "$1" | cut -d'|' -f4; }
case_id () { psql_value "select id from complaint where complaint_no = :'no'" no="$1"; }

# written NO — "state version case_action-rows events" (events: outbox and
# event_log together, so the bus draining meanwhile changes nothing)
written () {
    psql_value "select c.state || ' ' || c.version || ' '
                       || (select count(*) from case_action a where a.complaint_id = c.id) || ' '
                       || (select count(*) from outbox o where o.complaint_no = c.complaint_no)
                        + (select count(*) from event_log e where e.complaint_no = c.complaint_no)
                  from complaint c where c.complaint_no = :'no'" no="$1"
}

submit () {
    local ref=$1 crc; shift
    crc=$(printf '%s' "$ref" | cksum | cut -d' ' -f1)
    ctl submit --channel web --ref "$ref" --product 信用卡 --body "信用卡年费争议 $ref" \
        --phone "139$(printf '%08d' $((crc % 100000000)))" --name "延期测试-$ref" "$@" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}

wait_assigned () {
    wait_for '[ "$(case_state '"$1"')" = assigned ]' 20 && return 0
    fail "$1 not assigned after 20 s: $(case_row "$1")"
    return 1
}

# step DESC STAFF NO ACTION [FLAGS] — must succeed; same state for extend
# (the caller checks), version +1, one audit row and one event more.
step () {
    local desc=$1 who=$2 no=$3; shift 3
    local s0 v0 n0 e0 rc
    read -r s0 v0 n0 e0 <<<"$(written "$no")"
    as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"
    rc=$?
    if [ "$rc" != 0 ]; then
        fail "$desc: $who: act $no $*: exit $rc: $(cat "$TEST_DIR/act.err")"
        return 1
    fi
    note "  $who: act $* -> $(cat "$TEST_DIR/act.out")"
    local s1 v1 n1 e1
    read -r s1 v1 n1 e1 <<<"$(written "$no")"
    assert_eq "$desc: version +1, one audit row, one event" \
        "$((v0 + 1)) $((n0 + 1)) $((e0 + 1))" "$v1 $n1 $e1"
}

# refused DESC EXIT CODE STAFF NO ACTION [FLAGS] — exit EXIT, error CODE
# (- : any), and nothing written.
refused () {
    local desc=$1 want_rc=$2 code=$3 who=$4 no=$5; shift 5
    local before rc
    before=$(written "$no")
    as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"
    rc=$?
    note "  $who: act $* -> exit $rc: $(head -c 300 "$TEST_DIR/act.err")"
    assert_eq "$desc: exit status" "$want_rc" "$rc"
    [ "$code" = - ] || assert_match "$desc: error code" "error $code" "$(cat "$TEST_DIR/act.err")"
    assert_eq "$desc: nothing written (state version audit events)" "$before" "$(written "$no")"
}

# last_extend NO — the last extend row: "actor|role|before|after|stage|step|adds|approver|text?"
last_extend () {
    psql_value "select a.actor, a.actor_role, a.state_before, a.state_after,
                       a.details->>'stage', a.details->>'step', a.details->>'adds',
                       a.details->>'approver', (a.details ? 'text')::text
                  from case_action a join complaint c on c.id = a.complaint_id
                 where c.complaint_no = :'no' and a.action = 'extend'
                 order by a.id desc limit 1" no="$1"
}

MANAGER=zhang_wei                    # head office: the whole tree
OFFICE=li_na                         # complaint office

# ------------------------------------------------------------ a: approvals
note "--- a: who approves which step"
A=$(submit ext-a)
assert_match "a: complaint number" '^[0-9]{15,}$' "$A"
wait_assigned "$A" || exit 1
A_DEPT=$(case_dept "$A"); A_H=$(case_handler "$A")
A_S=$(psql_value "select id from staff where department = :'d' and role = 'supervisor' and active order by id limit 1" d="$A_DEPT")
note "  $A in $A_DEPT: handler $A_H, supervisor $A_S"
step "a accept" "$A_H" "$A" accept --text "受理"
refused "a: a handler may not extend" 1 forbidden "$A_H" "$A" extend --text "需要更多时间"
refused "a: extend needs a reason (text)" 2 - "$A_S" "$A" extend
step "a: extension 1 by the supervisor" "$A_S" "$A" extend --text "EXT-SECRET 需调取境外交易凭证"
assert_eq "a: state unchanged by extend" accepted "$(case_state "$A")"
assert_eq "a: audit row of extension 1" "$A_S|supervisor|accepted|accepted|resolution|1|15d|supervisor|true" \
    "$(last_extend "$A")"
refused "a: extension 2 by a supervisor" 1 forbidden "$A_S" "$A" extend --text "再延期"
assert_match "a: the refusal names the approver" "needs the approval of a manager" "$(cat "$TEST_DIR/act.err")"
refused "a: extension 2 by the complaint office" 1 forbidden "$OFFICE" "$A" extend --text "再延期"
step "a: extension 2 by a manager" "$MANAGER" "$A" extend --text "重大复杂案件，经行领导批准"
assert_eq "a: audit row of extension 2" "$MANAGER|manager|accepted|accepted|resolution|2|30d|manager|true" \
    "$(last_extend "$A")"
refused "a: extension 3 (none in the policy) by a manager" 1 invalid_transition "$MANAGER" "$A" extend --text "三延"
assert_match "a: the refusal says the policy allows no extension 3" \
    "allows no extension 3 of resolution" "$(cat "$TEST_DIR/act.err")"
step "a investigate" "$A_H" "$A" investigate --text "调查"
refused "a: still no extension 3 after investigate" 1 invalid_transition "$OFFICE" "$A" extend --text "三延"

wait_outbox_empty 15 || fail "outbox not drained"
ctl replay --from 0 >"$TEST_DIR/replay.jsonl" 2>/dev/null
ext_events=$(jq -c --arg no "$A" 'select(.complaint_no == $no and .type == "complaint.extended")
    | [.data.stage, .data.step, .data.adds, .data.approver, .data.actor_role, .data.state]' \
    "$TEST_DIR/replay.jsonl" | tr '\n' ' ')
assert_eq "a: two complaint.extended events (stage step adds approver actor_role state)" \
    '["resolution",1,"15d","supervisor","supervisor","accepted"] ["resolution",2,"30d","manager","manager","accepted"] ' \
    "$ext_events"
assert_eq "a: the reason never reaches the stream" 0 "$(grep -c 'EXT-SECRET' "$TEST_DIR/replay.jsonl")"

# ------------------------------------------------------------ b: deadlines
note "--- b: an extension is approved before the deadline"
B=$(submit ext-b)
wait_assigned "$B" || exit 1
B_H=$(case_handler "$B"); B_S=$(psql_value "select id from staff where department = :'d' and role = 'supervisor' and active order by id limit 1" d="$(case_dept "$B")")
step "b accept" "$B_H" "$B" accept --text "受理"
B_ID=$(case_id "$B")
# clock CID DUE_SQL [PAUSED_SINCE_SQL] — (re)write the resolution round 0 clock
clock_row () {
    psql_value "insert into sla_clock (complaint_id, stage, round, selector, rule, calendar,
                       allowance, started_at, base_due_at, due_at, paused_since, state)
                values (:'id', 'resolution', 0, 'test', 'policy.conf:test', 'cn', '15d',
                        app_now () - interval '15 days', $2, $2, $3,
                        case when $3 is null then 'running' else 'paused' end)
                on conflict (complaint_id, stage, round) do update
                   set due_at = excluded.due_at, base_due_at = excluded.base_due_at,
                       paused_since = excluded.paused_since, state = excluded.state" id="$1" >/dev/null
}
clock_row "$B_ID" "app_now () - interval '1 hour'" null
refused "b: the deadline passed an hour ago" 1 invalid_transition "$B_S" "$B" extend --text "太晚了"
assert_match "b: the refusal says when the deadline passed" \
    "the resolution deadline passed at [0-9-]+ [0-9:]+ UTC: an extension is approved before it" \
    "$(cat "$TEST_DIR/act.err")"
clock_row "$B_ID" "app_now () + interval '1 hour'" null
clock_shift 2h
refused "b: due in an hour, then the clock shifted 2h" 1 invalid_transition "$B_S" "$B" extend --text "时钟已过"
clock_reset
clock_row "$B_ID" "app_now () - interval '1 hour'" "app_now () - interval '2 hours'"
step "b: a paused clock that never breached may be extended" "$B_S" "$B" extend --text "等待客户材料"
assert_eq "b: extension 1 recorded" "resolution|1|15d" \
    "$(last_extend "$B" | cut -d'|' -f5-7)"

# ------------------------------------------------------------ c: rounds
note "--- c: review and reopen start new rounds"
C=$(submit ext-c)
wait_assigned "$C" || exit 1
C_H=$(case_handler "$C"); C_S=$(psql_value "select id from staff where department = :'d' and role = 'supervisor' and active order by id limit 1" d="$(case_dept "$C")")
step "c accept" "$C_H" "$C" accept --text "受理"
step "c extension 1" "$C_S" "$C" extend --text "延期一"
step "c resolve" "$C_H" "$C" resolve --outcome explanation --text "已解释"
refused "c: no extension of a resolved case" 1 invalid_transition "$C_S" "$C" extend --text "x"
step "c review" "$C_H" "$C" review --text "客户不满意"
step "c: review extension 1 (supervisor)" "$C_S" "$C" extend --text "复核需时"
assert_eq "c: the review clock's step 1" "review|1|15d|supervisor" "$(last_extend "$C" | cut -d'|' -f5-8)"
refused "c: no review extension 2 in the policy" 1 invalid_transition "$MANAGER" "$C" extend --text "x"
step "c reopen" "$C_S" "$C" reopen --text "重新调查"
step "c: after reopen the resolution steps start again at 1" "$C_S" "$C" extend --text "新一轮延期"
assert_eq "c: resolution step 1 of the new round" "resolution|1|15d|supervisor" \
    "$(last_extend "$C" | cut -d'|' -f5-8)"

# ------------------------------------------------------------ d: the views
note "--- d: clocks in the staff view only"
clock_row "$B_ID" "app_now () - interval '90 minutes'" null
psql_value "insert into sla_firing (clock_id, phase, step, due_at, fired_at, fired_by)
            select id, 0, 'breach', due_at, app_now (), 'test' from sla_clock
             where complaint_id = :'id' and stage = 'resolution'" id="$B_ID" >/dev/null
as_staff "$B_S" show "$B" --json >"$TEST_DIR/show_b.json" 2>"$TEST_DIR/show.err"
assert_eq "d: show --json exit status" 0 "$?"
assert_eq "d: one clock (stage round state allowance firings)" '["resolution",0,"running","15d",["breach"]]' \
    "$(jq -c '.clocks | map([.stage, .round, .state, .allowance, (.firings | map(.step))]) | .[0]' "$TEST_DIR/show_b.json")"
remaining=$(jq '.clocks[0].remaining_ms' "$TEST_DIR/show_b.json")
assert_le "d: remaining_ms is about -90 min (against app_now)" -5380000 "$remaining"
assert_ge "d: remaining_ms is about -90 min (against app_now)" -5500000 "$remaining"
for key in stage round state allowance calendar rule started_at due_at remaining_ms paused_ms \
           paused_since extensions extended_by met_at late next_step next_fire_at firings; do
    [ "$(jq --arg k "$key" '.clocks[0] | has($k)' "$TEST_DIR/show_b.json")" = true ] \
        || fail "d: clock field $key missing"
done
check "d: every clock field present"
as_staff "$B_S" show "$B" >"$TEST_DIR/show_b.txt" 2>&1
assert_match "d: show prints the clock, overdue" "resolution +0 +running .* 1h 30m overdue" \
    "$(grep '^  resolution' "$TEST_DIR/show_b.txt")"
assert_match "d: show prints the firing" "fired breach \(phase 0\)" "$(cat "$TEST_DIR/show_b.txt")"
ctl get "$B" >"$TEST_DIR/get_status.json" 2>/dev/null
assert_eq "d: the status view has no clocks" false \
    "$(jq '.complaint | has("clocks")' "$TEST_DIR/get_status.json")"
as_staff "$A_S" show "$A" --json >"$TEST_DIR/show_a.json" 2>/dev/null
assert_eq "d: a case without clock rows shows an empty list" '[]' "$(jq -c '.clocks' "$TEST_DIR/show_a.json")"

# ------------------------------------------------------------ e: time
note "--- e: domain times follow the store's clock"
clock_shift 3d
E=$(submit ext-e)
assert_match "e: submitted while the clock is shifted" '^[0-9]{15,}$' "$E"
assert_eq "e: received_at is the shifted app time (3 days ahead of now ())" t \
    "$(psql_value "select received_at between now () + interval '3 days' - interval '1 minute'
                                          and now () + interval '3 days' + interval '1 minute'
                     from complaint where complaint_no = :'no'" no="$E")"
E2=$(submit ext-e2 --received-at 1790000000000)
assert_eq "e: a given received_at is kept" 1790000000000 \
    "$(psql_value "select (extract (epoch from received_at) * 1000)::bigint from complaint where complaint_no = :'no'" no="$E2")"
wait_outbox_empty 15 || fail "outbox not drained"
ctl replay --from 0 >"$TEST_DIR/replay.jsonl" 2>/dev/null
assert_eq "e: complaint.received carries the stored received_at" \
    "$(psql_value "select (extract (epoch from received_at) * 1000)::bigint from complaint where complaint_no = :'no'" no="$E")" \
    "$(jq --arg no "$E" 'select(.complaint_no == $no and .type == "complaint.received") | .data.received_at' "$TEST_DIR/replay.jsonl")"
assert_eq "e: complaint.received of the given time" 1790000000000 \
    "$(jq --arg no "$E2" 'select(.complaint_no == $no and .type == "complaint.received") | .data.received_at' "$TEST_DIR/replay.jsonl")"
# import --received-now: the CSV's dates are checked, not sent
ctl import "$ROOT/tests/data/cfpb_complaints_sample.csv" --received-now >"$TEST_DIR/import.jsonl" 2>"$TEST_DIR/import.err"
assert_eq "e: import --received-now exit status" 0 "$?"
assert_eq "e: every imported complaint received at the shifted app time" \
    "$(jq -s 'map(select(.complaint_no)) | length' "$TEST_DIR/import.jsonl") 0" \
    "$(psql_value "select count(*), count(*) filter (where received_at < now () + interval '3 days' - interval '5 minutes')
                     from complaint where channel = 'regulator'" | tr '|' ' ')"
wait_assigned "$E" || exit 1
step "e accept" "$(case_handler "$E")" "$E" accept --text "受理"
assert_eq "e: accepted_at and the accept row's time are the shifted app time" "t|t" \
    "$(psql_value "select c.accepted_at > now () + interval '2 days', a.at > now () + interval '2 days'
                     from complaint c join case_action a on a.complaint_id = c.id and a.action = 'accept'
                    where c.complaint_no = :'no'" no="$E")"
clock_reset

# ------------------------------------------------------------ f: the clock command
note "--- f: complaintctl clock"
ctl clock --json >"$TEST_DIR/clock.json" 2>&1
assert_eq "f: clock (show) exit status" 0 "$?"
assert_eq "f: this test database may move its clock, at scale 1" "true 1" \
    "$(jq -r '"\(.movable) \(.scale)"' "$TEST_DIR/clock.json")"
ctl clock shift 2d --json >"$TEST_DIR/clock.json" 2>&1
assert_eq "f: clock shift 2d exit status" 0 "$?"
offset=$(jq '.offset_ms' "$TEST_DIR/clock.json")
assert_ge "f: offset about 2 days" 172790000 "$offset"
assert_le "f: offset about 2 days" 172810000 "$offset"
ctl clock shift "-1 day" --json >"$TEST_DIR/clock.json" 2>&1
offset=$(jq '.offset_ms' "$TEST_DIR/clock.json")
assert_ge "f: then -1 day: offset about 1 day" 86390000 "$offset"
assert_le "f: then -1 day: offset about 1 day" 86410000 "$offset"
ctl clock shift banana >/dev/null 2>"$TEST_DIR/clock.err"
assert_eq "f: a span PostgreSQL cannot read is a usage error" 2 "$?"
ctl clock reset --json >"$TEST_DIR/clock.json" 2>&1
assert_eq "f: clock reset: offset 0 (±50 ms)" 1 \
    "$(jq '(.offset_ms | fabs) < 50 and .scale == 1 | if . then 1 else 0 end' "$TEST_DIR/clock.json")"

scratch="${PGDATABASE}_noclock"
dropdb --if-exists "$scratch" >/dev/null 2>&1
if createdb "$scratch" >>"$TEST_DIR/scratch.log" 2>&1 \
   && PGDATABASE=$scratch COMPLAINTS_PG="dbname=$scratch" bash "$ROOT/deploy/scripts/migrate.sh" \
        >>"$TEST_DIR/scratch.log" 2>&1; then
    ctl clock shift 1h --pg "dbname=$scratch" >/dev/null 2>"$TEST_DIR/clock.err"
    assert_eq "f: a database without complaints.test_clock refuses: exit 1" 1 "$?"
    note "  $(tr '\n' ' ' <"$TEST_DIR/clock.err")"
    assert_match "f: the store's message" "cannot be moved" "$(cat "$TEST_DIR/clock.err")"
    assert_match "f: the store's hint" "hint: ALTER DATABASE" "$(cat "$TEST_DIR/clock.err")"
    assert_eq "f: its clock still says not movable" false \
        "$(ctl clock --json --pg "dbname=$scratch" | jq '.movable')"
else
    fail "f: could not create and migrate $scratch: $(tail -5 "$TEST_DIR/scratch.log")"
fi
dropdb --if-exists "$scratch" >/dev/null 2>&1
ctl clock --pg "host=/nonexistent port=1" >/dev/null 2>&1
assert_eq "f: the store unreachable: exit 3" 3 "$?"

assert_true "intake alive at the end" service_alive intake
