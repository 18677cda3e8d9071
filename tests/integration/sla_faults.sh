#!/usr/bin/env bash
# sla_faults.sh — invariant 5 for the SLA clocks: every reminder, breach and
# escalation fires exactly once, even when a watchdog is SIGKILLed around the
# moment it is due, and several watchdogs share the work.
#
# Part 1, kill around due times. 120 complaints are routed and get their
# clocks (acknowledge 24h, first response 24h, resolution 15d by the default
# policy). Three times the store's clock is moved to 200 ms before the first
# case's next steps (the 50 % reminders, the 80 % reminders, then the
# breaches, of acknowledge and first response at once); the watchdog, busy firing small batches (--batch 10) as the
# cases fall due one after another, gets SIGKILL 0.3-0.7 s later, is
# restarted, and the clock is moved past the last case's step. After each
# round nothing is overdue, every step that was due has exactly one
# sla_firing row, and the event log holds exactly one sla.* event per
# firing row.
#
# Each round moves the clock to one step only. A reminder whose deadline
# has passed is superseded (sla_plan_fire), so a round that jumped past the
# first response's 80 % and its breach at once would leave that reminder
# only to the cases the watchdog fired before their deadline (200 ms after
# the first move for the first case) and before the jump: on a busy
# machine not all of them (65 of 120 once, with four rounds).
#
# Part 2, two watchdogs. Another 100 complaints; two watchdogs with small
# batches; the clock moves past their acknowledge deadline. Both fire part
# of the work (fired_by), each breach exactly once, one event per firing.
#
# Part 3, with one watchdog: a case the store refuses to recompute (a NOT
# VALID check constraint rejects any new write of its clocks) is dirty while
# other cases' escalations fall due: they still fire; once the constraint is
# gone the case is recomputed and everything settles.
#
# The shell starts, kills and restarts the watchdogs, moves the clock and
# poisons the case; every check is sla_faults.py's (its waits have
# deadlines and are checks). The one sleep is the fault's own moment.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog

POLICY=$ROOT/deploy/sla/policy.conf
CALENDARS=$ROOT/deploy/calendars
checker () { "$PY" "$ROOT/tests/integration/sla_faults.py" "$@"; }
watchdog () {   # NAME [FLAGS...]
    local name=$1; shift
    start_service "$name" watchdog --name "$name" --bus "$BUS_PUB_EP" --policy "$POLICY" \
        --calendars "$CALENDARS" --sweep-ms 500 "$@"
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
checker routed sfk $N 60
checker clocks24 sfk $N
first=$(psql_value "select min(received_at) from complaint")
last=$(psql_value "select max(received_at) from complaint")
note "received between $first and $last"

round=0
for step in "12 hours" "19 hours 12 minutes" "24 hours"; do
    round=$((round + 1))
    psql_value "select app_clock_set(:'t'::timestamptz + :'s'::interval - interval '200 ms', 1)" \
        t="$first" s="$step" >/dev/null
    # The fault: SIGKILL at a random moment 0.3-0.7 s after the first case
    # falls due, while the watchdog fires the cases one batch after another.
    sleep "0.$((RANDOM % 5 + 3))"
    before=$(psql_value "select count(*) from sla_firing")
    kill_service wd KILL
    note "round $round (+$step): SIGKILL with $before firings recorded"
    watchdog wd --batch 10
    psql_value "select app_clock_set(greatest(app_now(), :'t'::timestamptz + :'s'::interval
                                                         + interval '1 second'), 1)" \
        t="$last" s="$step" >/dev/null
    checker round "round $round"
done
checker part1 sfk $N
kill_service wd TERM

# -------------------------------------------------- part 2: two watchdogs
M=100
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count $M --seconds 60 --grace 10 \
    --prefix sf2 --out "$TEST_DIR/acks2.txt"
watchdog wdA --batch 5
watchdog wdB --batch 5
checker routed sf2 $M 60
last2=$(psql_value "select max(received_at) from complaint where ref like 'sf2%'")
psql_value "select app_clock_set(greatest(app_now(), :'t'::timestamptz + interval '24 hours 1 second'), 1)" \
    t="$last2" >/dev/null
checker part2 sf2 $M

# ------------------------------------------- part 3: a case that cannot be recomputed
# One watchdog, so no other instance can fire past the refused case.
assert_true "watchdog B is still running" service_alive wdB
kill_service wdB TERM
poison=$(psql_value "select min(id) from complaint where ref like 'sf2%'")
psql_value "alter table sla_clock add constraint sla_faults_poison
              check (complaint_id <> $poison) not valid" >/dev/null
psql_value "update complaint set sla_dirty = true where id = $poison" >/dev/null
checker mark-poison "$poison"
psql_value "select app_clock_set(app_now() + interval '5 days', 1)" >/dev/null
checker part3 "$poison" "$TEST_DIR/wdA.log"
psql_value "alter table sla_clock drop constraint sla_faults_poison" >/dev/null
checker part3-end
assert_true "watchdog A is still running" service_alive wdA
