#!/usr/bin/python3
"""sla_faults.py — the checks of tests/integration/sla_faults.sh (invariant
5 for the SLA clocks: every step fires exactly once through SIGKILLs and
with two watchdogs), one subcommand per step; the shell starts, kills and
restarts the watchdogs, moves the store's clock and poisons a case.

    routed PREFIX N S      the N complaints of PREFIX routed, with clocks
                           built, within S seconds
    clocks24 PREFIX N      their acknowledge clocks are 24h
    round LABEL            once settled (deadline 60 s): sla.* events =
                           sla_firing rows
    part1 PREFIX N         every step of the kill rounds exactly once, in
                           order on each clock
    part2 PREFIX M         two watchdogs: each breach and tier 1 once, both
                           watchdogs fired some
    mark-poison ID         (firings of the other cases before)
    part3 ID WDLOG         with case ID refused by the store, the others'
                           timers still fire; ID stays dirty, logged
    part3-end              once the store accepts it: settled, events =
                           firings, seqs gap-free

Settled: nothing dirty, nothing due at the store's clock, outbox drained.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_ge, note, sql, sql_int, wait_sql  # noqa: E402

MARKS = "sla_faults"
SETTLED = """select (select count(*) from complaint where sla_dirty)
                  + (select count(*) from sla_clock where next_fire_at <= app_now ())
                  + (select count(*) from outbox) = 0"""


def steps_fired(stage, step, prefix):
    """Clocks of STAGE (cases of PREFIX) with exactly one firing of STEP."""
    return sql_int("select count(*) from sla_clock k join complaint c on c.id = k.complaint_id"
                   " where k.stage = :'stage' and c.ref like :'prefix' || '%'"
                   " and (select count(*) from sla_firing f"
                   " where f.clock_id = k.id and f.step = :'step') = 1",
                   stage=stage, step=step, prefix=prefix)


def events_match_firings(label):
    firings = sql_int("select count(*) from sla_firing")
    expect("%s: sla.* events = sla_firing rows (%d)" % (label, firings), firings,
           sql_int("select count(*) from event_log where type like 'sla.%'"))


def settled(label, timeout=60):
    return wait_sql("%s: clocks settled" % label, SETTLED, timeout)


def routed(prefix, n, timeout):
    wait_sql("the %s complaints %s* routed with an acknowledge clock" % (n, prefix),
             "select count(*) = :'n' from sla_clock k join complaint c on c.id = k.complaint_id"
             " where k.stage = 'acknowledge' and c.ref like :'prefix' || '%'"
             " and c.state = 'assigned' and not c.sla_dirty", float(timeout), n=n, prefix=prefix)


def clocks24(prefix, n):
    expect("acknowledge clocks of 24h", int(n),
           sql_int("select count(*) from sla_clock k join complaint c on c.id = k.complaint_id"
                   " where k.stage = 'acknowledge' and k.allowance = '24h'"
                   " and c.ref like :'prefix' || '%'", prefix=prefix))


def round_(label):
    settled(label)
    events_match_firings(label)


def part1(prefix, n):
    n = int(n)
    for stage, step, desc in (
            ("acknowledge", "remind:50", "acknowledge: 50 % reminder"),
            ("acknowledge", "remind:80", "acknowledge: 80 % reminder"),
            ("acknowledge", "breach", "acknowledge: breach"),
            ("acknowledge", "escalate:1", "acknowledge: escalation tier 1"),
            ("first_response", "remind:50", "first response: 50 % reminder"),
            ("first_response", "remind:80", "first response: 80 % reminder"),
            ("first_response", "breach", "first response: breach")):
        expect(desc + " exactly once", n, steps_fired(stage, step, prefix))
    expect("acknowledge clocks breached", n,
           sql_int("select count(*) from sla_clock k join complaint c on c.id = k.complaint_id"
                   " where k.stage = 'acknowledge' and k.state = 'breached'"
                   " and c.ref like :'prefix' || '%'", prefix=prefix))
    # Order: on each clock, reminders before the breach before tier 1.
    expect("clocks whose firings are out of order", 0,
           sql_int("select count(*) from sla_clock k where exists ("
                   " select 1 from sla_firing a, sla_firing b"
                   " where a.clock_id = k.id and b.clock_id = k.id"
                   " and ((a.step = 'remind:80' and b.step = 'remind:50')"
                   " or (a.step = 'breach' and b.step like 'remind:%')"
                   " or (a.step = 'escalate:1' and b.step = 'breach'))"
                   " and a.fired_at < b.fired_at)"))


def part2(prefix, m):
    m = int(m)
    settled("two watchdogs")
    expect("two watchdogs: acknowledge breach exactly once", m,
           steps_fired("acknowledge", "breach", prefix))
    expect("two watchdogs: tier 1 exactly once", m,
           steps_fired("acknowledge", "escalate:1", prefix))
    events_match_firings("two watchdogs")
    by = ("select %s from sla_firing f join sla_clock k on k.id = f.clock_id"
          " join complaint c on c.id = k.complaint_id where c.ref like :'prefix' || '%%'")
    note("firings by instance: " + sql(
        "select string_agg(fired_by || '=' || n, ' ') from (select f.fired_by, count(*) n"
        " from sla_firing f join sla_clock k on k.id = f.clock_id"
        " join complaint c on c.id = k.complaint_id where c.ref like :'prefix' || '%'"
        " group by 1 order by 1) t", prefix=prefix))
    expect("both watchdogs fired part of the work", 2,
           sql_int(by % "count(distinct f.fired_by)", prefix=prefix))


OTHERS = ("select count(*) from sla_firing f join sla_clock k on k.id = f.clock_id"
          " where k.complaint_id <> :'id'")


def mark_poison(poison):
    checks.mark_save(MARKS, "poison", {"before": sql_int(OTHERS, id=poison)})


def part3(poison, wdlog):
    before = checks.mark_load(MARKS, "poison")["before"]
    wait_sql("other cases' timers fired while case %s cannot be recomputed" % poison,
             "select count(*) = 0 from sla_clock k join complaint c on c.id = k.complaint_id"
             " where k.next_fire_at <= app_now () and c.id <> :'id'", 60, id=poison)
    expect_ge("firings of other cases while case %s is refused (%d before)" % (poison, before),
              before + 1, sql_int(OTHERS, id=poison))
    expect("case %s still dirty" % poison, "t",
           sql("select sla_dirty from complaint where id = :'id'", id=poison))
    expect_ge("recompute_failed logged", 1, len(checks.log_lines(wdlog, "event=recompute_failed")))


def part3_end():
    settled("the refused case recomputed once the store accepts it")
    events_match_firings("after the refused case")
    n = sql_int("select count(*) from event_log")
    expect("event_log seqs are exactly 1..N (count, min, max, distinct)",
           "%d|1|%d|%d" % (n, n, n),
           sql("select count(*), min(seq), max(seq), count(distinct seq) from event_log"))


STEPS = {"routed": routed, "clocks24": clocks24, "round": round_, "part1": part1,
         "part2": part2, "mark-poison": mark_poison, "part3": part3, "part3-end": part3_end}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit("usage: sla_faults.py STEP ARGS...  (steps: %s)" % " ".join(sorted(STEPS)))
    STEPS[sys.argv[1]](*sys.argv[2:])
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
