#!/usr/bin/python3
"""sla_e2e.py — the checks of tests/integration/sla_e2e.sh (issue 4: the SLA
clocks end to end, with the store's clock moved), one subcommand per
moment of the scenario; the shell moves the clock, submits and acts as
named staff, and calls these after each move.

Every step first waits (deadline 20 s, itself a check) until the clocks
have settled: no case left to recompute (sla_dirty, set by a trigger in
the transaction of every change), nothing due at the store's clock
(next_fire_at <= app_now ()), the outbox drained. The clock stands almost
still between moves (scale 1e-6), so what a step sees is what the moment
holds, whatever the machine's speed.

    settle                   only the wait
    g-start G                a regulator referral: 5 working days over the
    g-mid G / g-before G /   Spring Festival, due end of Thu 02-26; not
    g-after G                breached mid-festival nor an hour before; then
                             breached, once
    six A B C D E F          six cases of Mon 03-02 09:00 routed; a's clocks
    b-acked B                b's acknowledge met on time
    mark-b B                 (b's resolution deadline before the pause)
    eleven B C F             b paused (service), c extended to 30d and told, f transferred
    f-met F                  f's round 1 met by the new department
    a-13h A / a-19h A / a-20h A / a-breach A
                             a's reminders, breach and tier 1, in order
    b-replied B              b's deadline moved by exactly the 48 h paused
    a-2330 A / a-t2 A / a-all A / a-once A
                             tiers 2 and 3 on working days, in order, once
    d-met D / e-late E       sla.met late=false / late=true
    end                      sla.* events = firings, no identity or note
                             text in them, seqs gap-free
"""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_sql  # noqa: E402
from sla_events import describe  # noqa: E402

MARKS = "sla_e2e"
SETTLED = """select (select count(*) from complaint where sla_dirty)
                  + (select count(*) from sla_clock where next_fire_at <= app_now ())
                  + (select count(*) from outbox) = 0"""
MS = "(extract (epoch from %s) * 1000)::bigint"


def ms(text):
    """'2026-02-27 00:00:00+08' as ms since the epoch."""
    return int(datetime.datetime.fromisoformat(text + ":00").timestamp() * 1000)


def settle():
    wait_sql("clocks settled at %s" % sql("select app_now ()"), SETTLED, 20)


def field(no, expr):
    return sql("select " + expr + " from complaint where complaint_no = :'no'", no=no)


def clock(no, stage, rnd, cols):
    return sql("select " + cols + " from sla_clock where complaint_id ="
               " (select id from complaint where complaint_no = :'no')"
               " and stage = :'stage' and round = :'round'", no=no, stage=stage, round=rnd)


def steps(no, stage):
    """The clock's fired steps (round 0), in firing order."""
    return sql("select coalesce(string_agg(f.step, ' ' order by f.fired_at, f.step), '')"
               " from sla_firing f join sla_clock k on k.id = f.clock_id"
               " join complaint c on c.id = k.complaint_id"
               " where c.complaint_no = :'no' and k.stage = :'stage' and k.round = 0",
               no=no, stage=stage)


def sla_lines(no):
    """The case's sla.* events as sla_events.py describes them, by seq."""
    return [describe(seq, typ, ev) for seq, typ, ev in
            checks.events("complaint_no = :'no' and type like 'sla.%'", no=no)]


def lines_with(no, text):
    return [line for line in sla_lines(no) if text in line]


def number(desc, no):
    return expect_true("%s: submitted, a complaint number" % desc, re.fullmatch(r"[0-9]+", no),
                       repr(no))


def wait_assigned(no):
    wait_sql("%s assigned" % no, "select state = 'assigned' from complaint"
             " where complaint_no = :'no'", 20, no=no)


# ------------------------------------------------------------------ g

def g_start(g):
    if number("g", g):
        wait_assigned(g)
    settle()
    expect("g: resolution allowance of a regulator referral", "5wd|running",
           clock(g, "resolution", 0, "allowance || '|' || state"))
    expect("g: 5 working days skip the Spring Festival: due end of Thu 02-26",
           str(ms("2026-02-27 00:00:00+08")), clock(g, "resolution", 0, MS % "due_at"))


def g_mid(g):
    settle()
    expect("g: mid-festival (Fri 02-20) the resolution has not breached", "running",
           clock(g, "resolution", 0, "state"))


def g_before(g):
    settle()
    expect_true("g: an hour before the end of 02-26: not breached",
                "breach" not in steps(g, "resolution").split(), steps(g, "resolution"))


def g_after(g):
    settle()
    expect("g: after the end of 02-26: breached", "breached", clock(g, "resolution", 0, "state"))
    expect("g: the breach fired once", 1, len(lines_with(g, "sla.breached resolution 0 breach")))


# ------------------------------------------------------------------ 03-02

def six(a, b, c, d, e, f):
    for x, no in zip("abcdef", (a, b, c, d, e, f)):
        if number(x, no):
            wait_assigned(no)
    settle()
    expect("a: acknowledge 24h, running, remind:50 next", "24h|running|remind:50",
           clock(a, "acknowledge", 0, "allowance || '|' || state || '|' || next_step"))
    due = str(ms("2026-03-18 00:00:00+08"))
    expect("a: resolution 15d due end of Tue 03-17 (Civil Code count)", due,
           clock(a, "resolution", 0, MS % "due_at"))
    expect("a: complaint.due_at = the resolution deadline", due, field(a, MS % "due_at"))


def b_acked(b):
    settle()
    expect("b: acknowledge met, on time", "met|false",
           clock(b, "acknowledge", 0, "state || '|' || (met_at > due_at)"))


def mark_b(b):
    checks.mark_save(MARKS, "b", {"due": int(clock(b, "resolution", 0, MS % "due_at")),
                                  "service": int(clock(b, "service", 0, MS % "due_at"))})


def eleven(b, c, f):
    settle()
    # Issue 15: the regulatory clock runs on while the bank waits for the
    # customer; the internal service clock pauses.
    expect("b: the service clock paused while awaiting the customer", "paused",
           clock(b, "service", 0, "state"))
    expect("b: the regulatory resolution clock runs on", "running",
           clock(b, "resolution", 0, "state"))
    expect("b: first response met by the request for information", "met",
           clock(b, "first_response", 0, "state"))
    expect("c: one extension, to 30d from receipt", "1|{30d}",
           clock(c, "resolution", 0, "extensions || '|' || extended_by::text"))
    due_c = clock(c, "resolution", 0, MS % "due_at")
    expect("c: extended deadline: Mon 03-02 + 30d = end of Wed 04-01",
           str(ms("2026-04-02 00:00:00+08")), due_c)
    ext = lines_with(c, "sla.extended resolution 0 ext:1")
    want = ("adds=30d .*approver=supervisor .*due_at=%s .*previous_due_at=%d"
            % (due_c, ms("2026-03-18 00:00:00+08")))
    expect_true("c: sla.extended told (once) with adds, approver, previous and new deadline",
                len(ext) == 1 and re.search(want, ext[0]), "%r, want /%s/" % (ext, want))
    expect("f: acknowledge round 0 stays met after the transfer", "met",
           clock(f, "acknowledge", 0, "state"))
    expect("f: acknowledge round 1 starts at the transfer, 24h, running",
           "%d|24h|running" % ms("2026-03-02 11:00:00+08"),
           clock(f, "acknowledge", 1, (MS % "started_at") + " || '|' || allowance || '|' || state"))
    expect("f: round 1 due 24h after the transfer", str(ms("2026-03-03 11:00:00+08")),
           clock(f, "acknowledge", 1, MS % "due_at"))


def f_met(f):
    settle()
    expect("f: round 1 met when the new department accepts", "met",
           clock(f, "acknowledge", 1, "state"))


def a_steps(desc, want):
    def step(a):
        settle()
        expect(desc, want, steps(a, "acknowledge"))
    return step


def a_breach(a):
    a_steps("a: past the deadline: breach and tier 1 at once",
            "remind:50 remind:80 breach escalate:1")(a)
    expect("a: acknowledge breached", "breached", clock(a, "acknowledge", 0, "state"))


def b_replied(b):
    settle()
    # service 10wd from Mon 03-02 09:00: end of Mon 03-16; 48 h of Mon-Wed
    # working time waited = 2 working days -> end of Wed 03-18.
    expect("b: service paused_ms after the reply = 48 h", str(48 * 3600000),
           clock(b, "service", 0, "paused_ms"))
    expect("b: the service deadline moved by the 2 working days waited (end of 03-18)",
           "%d|%d" % (ms("2026-03-17 00:00:00+08"), ms("2026-03-19 00:00:00+08")),
           "%d|%s" % (checks.mark_load(MARKS, "b")["service"],
                      clock(b, "service", 0, MS % "due_at")))
    expect("b: service running again, paused_since cleared", "running|",
           clock(b, "service", 0, "state || '|' || coalesce(paused_since::text, '')"))
    expect("b: the resolution deadline did not move, nothing paused",
           "%d|0" % checks.mark_load(MARKS, "b")["due"],
           clock(b, "resolution", 0, (MS % "due_at") + " || '|' || paused_ms"))


def a_2330(a):
    settle()
    expect_true("a: tier 2 not before +1 working day",
                "escalate:2" not in steps(a, "acknowledge").split(), steps(a, "acknowledge"))


def a_t2(a):
    settle()
    got = steps(a, "acknowledge").split()
    expect("a: tier 2 after the end of Wed 03-04", 1, got.count("escalate:2"))
    expect("a: tier 2 due at the end of Wed 03-04", str(ms("2026-03-05 00:00:00+08")),
           sql("select " + (MS % "f.due_at") + " from sla_firing f"
               " join sla_clock k on k.id = f.clock_id join complaint c on c.id = k.complaint_id"
               " where c.complaint_no = :'no' and k.stage = 'acknowledge'"
               " and f.step = 'escalate:2'", no=a))
    expect_true("a: tier 3 not yet", "escalate:3" not in got, " ".join(got))


def acknowledge_events(a):
    return [line for line in sla_lines(a) if line.split()[2] == "acknowledge"]


def a_all(a):
    a_steps("a: every step of the acknowledge clock, in order",
            "remind:50 remind:80 breach escalate:1 escalate:2 escalate:3")(a)
    expect("a: events of the acknowledge clock in seq order",
           "remind:50 remind:80 breach tier:1 tier:2 tier:3",
           " ".join(line.split()[4] for line in acknowledge_events(a)))
    t3 = lines_with(a, "acknowledge 0 tier:3")
    expect_true("a: tier 3 goes to the complaint office and management",
                t3 and "to=complaint_office,management" in t3[0], repr(t3))
    note("a: its sla.* events (seq type stage round step data):")
    for line in sla_lines(a):
        note("    " + line)


def a_once(a):
    settle()
    expect("a: each acknowledge step exactly once (firing rows)", 6,
           sql_int("select count(*) from sla_firing f join sla_clock k on k.id = f.clock_id"
                   " join complaint c on c.id = k.complaint_id"
                   " where c.complaint_no = :'no' and k.stage = 'acknowledge'", no=a))
    expect("a: each acknowledge step exactly once (events)", 6, len(acknowledge_events(a)))


def d_met(d):
    settle()
    met = lines_with(d, "sla.met resolution 0 met")
    expect_true("d: resolved a minute before the deadline: sla.met late=false (once)",
                len(met) == 1 and "late=false" in met[0], repr(met))


def e_late(e):
    settle()
    met = lines_with(e, "sla.met resolution 0 met")
    expect_true("e: resolved half an hour late: sla.met late=true (once)",
                len(met) == 1 and "late=true" in met[0], repr(met))
    expect("e: the breach had fired before", 1,
           len(lines_with(e, "sla.breached resolution 0 breach")))
    expect("e: a met clock has nothing left to fire", "met|",
           clock(e, "resolution", 0, "state || '|' || coalesce(next_step, '')"))


def end():
    settle()
    expect("sla.* events = sla_firing rows", sql_int("select count(*) from sla_firing"),
           sql_int("select count(*) from event_log where type like 'sla.%'"))
    expect("no identity or note text in sla.* events", 0,
           sql_int("select count(*) from event_log where type like 'sla.%'"
                   " and (position(convert_to('客户-', 'UTF8') in event) > 0"
                   " or position(convert_to('账单截图', 'UTF8') in event) > 0)"))
    n = sql_int("select count(*) from event_log")
    expect("event_log seqs are exactly 1..N (count, min, max, distinct)",
           "%d|1|%d|%d" % (n, n, n),
           sql("select count(*), min(seq), max(seq), count(distinct seq) from event_log"))
    note("sla events: " + sql("select string_agg(type || '=' || n, ' ' order by type)"
                              " from (select type, count(*) n from event_log"
                              " where type like 'sla.%' group by type) x"))


STEPS = {
    "settle": settle, "g-start": g_start, "g-mid": g_mid, "g-before": g_before,
    "g-after": g_after, "six": six, "b-acked": b_acked, "mark-b": mark_b, "eleven": eleven,
    "f-met": f_met,
    "a-13h": a_steps("a: at +13h: remind:50 only", "remind:50"),
    "a-19h": a_steps("a: at +19h: still only remind:50", "remind:50"),
    "a-20h": a_steps("a: at +20h: remind:80", "remind:50 remind:80"),
    "a-breach": a_breach, "b-replied": b_replied, "a-2330": a_2330, "a-t2": a_t2,
    "a-all": a_all, "a-once": a_once, "d-met": d_met, "e-late": e_late, "end": end,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit("usage: sla_e2e.py STEP ARGS...  (steps: %s)" % " ".join(sorted(STEPS)))
    STEPS[sys.argv[1]](*sys.argv[2:])
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
