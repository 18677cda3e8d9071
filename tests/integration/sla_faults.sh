#!/usr/bin/env bash
# sla_faults.sh — invariant 5 for the SLA clocks: every reminder, breach and
# escalation fires exactly once, even when a watchdog is SIGKILLed around the
# moment it is due, and several watchdogs share the work.
#
# Part 1, kill around due times. 120 complaints are routed and get their
# clocks (acknowledge 24h, first response 48h, resolution 15d by the default
# policy). Four times the store's clock is moved to 200 ms before the first
# case's next step (acknowledge 50 % and 80 %, then the acknowledge breach
# with the first response's 50 %, then the first response's breach); the
# watchdog, busy firing small batches (--batch 10) as the cases fall due one
# after another, gets SIGKILL 0.3-0.7 s later, is restarted, and the clock is
# moved past the last case's step. After each round nothing is overdue,
# every step that was due has exactly one sla_firing row, and the event log
# holds exactly one sla.* event per firing row.
#
# Part 2, two watchdogs. Another 100 complaints; two watchdogs with small
# batches; the clock moves past their acknowledge deadline. Both fire part
# of the work (fired_by), each breach exactly once, one event per firing.
#
# Part 3, with one watchdog: a case the store refuses to recompute (a NOT
# VALID check constraint rejects any new write of its clocks) is dirty while
# other cases' escalations fall due: they still fire; once the constraint is
# gone the case is recomputed and everything settles.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog

POLICY=$ROOT/deploy/sla/policy.conf
CALENDARS=$ROOT/deploy/calendars
watchdog () {   # NAME [FLAGS...]
    local name=$1; shift
    start_service "$name" watchdog --name "$name" --bus "$BUS_PUB_EP" --policy "$POLICY" \
        --calendars "$CALENDARS" --sweep-ms 500 "$@"
}
clocks_settled () {  # nothing dirty, nothing overdue, outbox drained
    [ "$(psql_value "select (select count(*) from complaint where sla_dirty)
                          + (select count(*) from sla_clock where next_fire_at <= app_now())
                          + (select count(*) from outbox)")" = 0 ]
}
events_match_firings () {
    local firings events
    firings=$(psql_value "select count(*) from sla_firing")
    events=$(psql_value "select count(*) from event_log where type like 'sla.%'")
    assert_eq "$1: sla.* events = sla_firing rows ($firings)" "$firings" "$events"
}
# steps_fired STAGE STEP PREFIX — clocks of STAGE (24h/48h allowance, cases
# whose number is listed in PREFIX's acks) with exactly one firing of STEP
steps_fired () {
    psql_value "select count(*) from sla_clock k join complaint c on c.id = k.complaint_id
                 where k.stage = :'stage' and c.ref like :'prefix' || '%'
                   and (select count(*) from sla_firing f
                         where f.clock_id = k.id and f.step = :'step') = 1" \
        stage="$1" step="$2" prefix="$3"
}

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP"
watchdog wd --batch 10
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }

# ------------------------------------------------------- part 1: SIGKILL
N=120
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count $N --seconds 60 --grace 10 \
    --prefix sfk --out "$TEST_DIR/acks1.txt"
wait_for '[ "$(psql_value "select count(*) from sla_clock k join complaint c on c.id = k.complaint_id
                           where k.stage = '"'acknowledge'"' and c.state = '"'assigned'"' and not c.sla_dirty")" = '$N' ]' 60 \
    || fail "the $N complaints were not routed with an acknowledge clock within 60 s"
assert_eq "acknowledge clocks of 24h" $N \
    "$(psql_value "select count(*) from sla_clock where stage = 'acknowledge' and allowance = '24h'")"
first=$(psql_value "select min(received_at) from complaint")
last=$(psql_value "select max(received_at) from complaint")
note "received between $first and $last"

round=0
for step in "12 hours" "19 hours 12 minutes" "24 hours" "48 hours"; do
    round=$((round + 1))
    psql_value "select app_clock_set(:'t'::timestamptz + :'s'::interval - interval '200 ms', 1)" \
        t="$first" s="$step" >/dev/null
    sleep "0.$((RANDOM % 5 + 3))"
    before=$(psql_value "select count(*) from sla_firing")
    kill_service wd KILL
    note "round $round (+$step): SIGKILL with $before firings recorded"
    watchdog wd --batch 10
    psql_value "select app_clock_set(greatest(app_now(), :'t'::timestamptz + :'s'::interval
                                                         + interval '1 second'), 1)" \
        t="$last" s="$step" >/dev/null
    wait_for clocks_settled 60 || fail "round $round: clocks not settled within 60 s"
    events_match_firings "round $round"
done

assert_eq "acknowledge: 50 % reminder exactly once" $N "$(steps_fired acknowledge remind:50 sfk)"
assert_eq "acknowledge: 80 % reminder exactly once" $N "$(steps_fired acknowledge remind:80 sfk)"
assert_eq "acknowledge: breach exactly once" $N "$(steps_fired acknowledge breach sfk)"
assert_eq "acknowledge: escalation tier 1 exactly once" $N "$(steps_fired acknowledge escalate:1 sfk)"
assert_eq "first response: 50 % reminder exactly once" $N "$(steps_fired first_response remind:50 sfk)"
assert_eq "first response: 80 % reminder exactly once" $N "$(steps_fired first_response remind:80 sfk)"
assert_eq "first response: breach exactly once" $N "$(steps_fired first_response breach sfk)"
assert_eq "acknowledge clocks breached" $N \
    "$(psql_value "select count(*) from sla_clock where stage = 'acknowledge' and state = 'breached'")"
# Order: on each clock, reminders before the breach before tier 1.
assert_eq "clocks whose firings are out of order" 0 \
    "$(psql_value "select count(*) from sla_clock k where exists (
                    select 1 from sla_firing a, sla_firing b
                     where a.clock_id = k.id and b.clock_id = k.id
                       and ((a.step = 'remind:80' and b.step = 'remind:50')
                         or (a.step = 'breach' and b.step like 'remind:%')
                         or (a.step = 'escalate:1' and b.step = 'breach'))
                       and a.fired_at < b.fired_at)")"
kill_service wd TERM

# -------------------------------------------------- part 2: two watchdogs
M=100
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count $M --seconds 60 --grace 10 \
    --prefix sf2 --out "$TEST_DIR/acks2.txt"
watchdog wdA --batch 5
watchdog wdB --batch 5
wait_for '[ "$(psql_value "select count(*) from sla_clock k join complaint c on c.id = k.complaint_id
                           where k.stage = '"'acknowledge'"' and c.ref like '"'sf2%'"'
                             and c.state = '"'assigned'"' and not c.sla_dirty")" = '$M' ]' 60 \
    || fail "the $M new complaints were not routed with clocks within 60 s"
last2=$(psql_value "select max(received_at) from complaint where ref like 'sf2%'")
psql_value "select app_clock_set(greatest(app_now(), :'t'::timestamptz + interval '24 hours 1 second'), 1)" \
    t="$last2" >/dev/null
wait_for clocks_settled 60 || fail "two watchdogs: clocks not settled within 60 s"
assert_eq "two watchdogs: acknowledge breach exactly once" $M "$(steps_fired acknowledge breach sf2)"
assert_eq "two watchdogs: tier 1 exactly once" $M "$(steps_fired acknowledge escalate:1 sf2)"
events_match_firings "two watchdogs"
by=$(psql_value "select string_agg(fired_by || '=' || n, ' ') from (
                   select f.fired_by, count(*) n from sla_firing f
                     join sla_clock k on k.id = f.clock_id join complaint c on c.id = k.complaint_id
                    where c.ref like 'sf2%' group by 1 order by 1) t")
note "firings by instance: $by"
assert_eq "both watchdogs fired part of the work" 2 \
    "$(psql_value "select count(distinct f.fired_by) from sla_firing f
                     join sla_clock k on k.id = f.clock_id join complaint c on c.id = k.complaint_id
                    where c.ref like 'sf2%'")"

# ------------------------------------------- part 3: a case that cannot be recomputed
# One watchdog, so no other instance can fire past the refused case.
assert_true "watchdog B is still running" service_alive wdB
kill_service wdB TERM
poison=$(psql_value "select min(id) from complaint where ref like 'sf2%'")
psql_value "alter table sla_clock add constraint sla_faults_poison
              check (complaint_id <> $poison) not valid" >/dev/null
psql_value "update complaint set sla_dirty = true where id = $poison" >/dev/null
before=$(psql_value "select count(*) from sla_firing f join sla_clock k on k.id = f.clock_id
                      where k.complaint_id <> $poison")
psql_value "select app_clock_set(app_now() + interval '5 days', 1)" >/dev/null
wait_for '[ "$(psql_value "select count(*) from sla_clock k join complaint c on c.id = k.complaint_id
                           where k.next_fire_at <= app_now() and c.id <> '$poison'")" = 0 ]' 60 \
    || fail "other cases' timers did not fire while one case could not be recomputed"
after=$(psql_value "select count(*) from sla_firing f join sla_clock k on k.id = f.clock_id
                     where k.complaint_id <> $poison")
assert_ge "firings of other cases while case $poison is refused ($before before)" $((before + 1)) "$after"
assert_eq "case $poison still dirty" t "$(psql_value "select sla_dirty from complaint where id = $poison")"
assert_ge "recompute_failed logged" 1 "$(grep -c 'event=recompute_failed' "$TEST_DIR/wdA.log")"
psql_value "alter table sla_clock drop constraint sla_faults_poison" >/dev/null
wait_for clocks_settled 60 || fail "case $poison not recomputed once the store accepts it"
events_match_firings "after the refused case"

assert_gap_free
assert_true "watchdog A is still running" service_alive wdA
