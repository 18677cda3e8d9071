#!/usr/bin/python3
"""sla_provisional.py — the checks of tests/integration/sla_provisional.sh
(a deadline on a provisional calendar year, moved when the year's notice
is loaded), one subcommand per step; the shell moves the clock, edits the
calendar and sends SIGHUP.

    sla_provisional.py --log watchdog.log STEP ARGS...

    one NO            routed, clocks built: resolution 15d due at the end of
                      Tue 2027-02-09, provisional; the 24-hour clocks not
    two NO SEEN       after the reload (one more policy_loaded line than
                      SEEN): due at the end of Mon 2027-02-15, provisional
                      false, one sla.deadline_moved (figures, no identity),
                      one 'moved:' firing row, the handler's inbox row with
                      both times in +08:00
    three-before SEEN another reload seen
    three NO          recomputed again: still one event, one row

Every wait has a deadline and is a check.
"""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import sla_clock as clock, sla_settle as settle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_for, wait_sql  # noqa: E402

ARGS = None
MS = checks.SQL_MS
#  Ends of days, 24:00 +08:00.
END_0209 = int(datetime.datetime.fromisoformat("2027-02-10T00:00:00+08:00").timestamp() * 1000)
END_0215 = int(datetime.datetime.fromisoformat("2027-02-16T00:00:00+08:00").timestamp() * 1000)
SLA_KEYS = {"complaint_no", "stage", "round", "department", "handler", "priority",
            "previous_due_at", "due_at", "provisional"}




def moved_events(no):
    return [ev for _, _, ev in checks.events("complaint_no = :'no' and type = 'sla.deadline_moved'",
                                             no=no)]


def moved_rows(no):
    return sql("select count(*) from sla_firing f join sla_clock k on k.id = f.clock_id"
               " where k.complaint_id = (select id from complaint where complaint_no = :'no')"
               " and f.step like 'moved:%'", no=no)


def after_hup(seen):
    wait_for("a policy_loaded line after SIGHUP",
             lambda: len(checks.log_lines(ARGS.log, "event=policy_loaded")) > int(seen), 10)


def one(no):
    expect_true("1: submitted, a complaint number", re.fullmatch(r"[0-9]+", no), repr(no))
    wait_sql("1: routed", "select state = 'assigned' from complaint where complaint_no = :'no'",
             20, no=no)
    settle()
    expect("1: resolution 15d from Mon 2027-01-25: end of Tue 02-09, provisional",
           "15d|%d|true" % END_0209, clock(no, "resolution", "allowance || '|' || "
                                         + MS % "due_at" + " || '|' || provisional"))
    expect("1: the 24-hour clocks count no calendar days: not provisional", "f|f",
           clock(no, "acknowledge", "provisional") + "|" + clock(no, "first_response",
                                                                 "provisional"))
    expect("1: no deadline moved yet", [], moved_events(no))


def two(no, seen):
    after_hup(seen)
    wait_sql("2: the deadline moved to the end of Mon 02-15",
             "select " + MS % "due_at" + " = %d from sla_clock where complaint_id ="
             " (select id from complaint where complaint_no = :'no') and stage = 'resolution'"
             % END_0215, 20, no=no)
    settle()
    expect("2: no longer provisional (2027 is covered now)", "f",
           clock(no, "resolution", "provisional"))
    evs = moved_events(no)
    expect("2: one sla.deadline_moved on the stream", 1, len(evs))
    if evs:
        data = evs[0].get("data") or {}
        expect("2: its figures", ("resolution", 0, END_0209, END_0215, False),
               (data.get("stage"), data.get("round"), data.get("previous_due_at"),
                data.get("due_at"), data.get("provisional")))
        expect("2: its keys: the sla head and the move, no identity", sorted(SLA_KEYS),
               sorted(data.keys()))
        expect("2: the handler named", sql("select handler from complaint where"
                                           " complaint_no = :'no'", no=no), data.get("handler"))
    expect("2: one 'moved:' firing row", "1", moved_rows(no))
    expect("2: its step names the new deadline", "moved:%d" % END_0215,
           sql("select f.step from sla_firing f join sla_clock k on k.id = f.clock_id"
               " where k.complaint_id = (select id from complaint where complaint_no = :'no')"
               " and f.step like 'moved:%'", no=no))
    wait_sql("2: the handler's inbox notification",
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and event_type = 'sla.deadline_moved' and recipient_kind = 'handler'"
             " and channel = 'inbox'", 20, no=no)
    body = sql("select body from notification where complaint_no = :'no'"
               " and event_type = 'sla.deadline_moved' and channel = 'inbox'", no=no)
    note("  inbox: " + body.replace("\n", " / "))
    expect_true("2: the notice gives both deadlines in the case's zone (+08:00)",
                "2027-02-09 24:00 +08:00" in body and "2027-02-15 24:00 +08:00" in body, body)


def three_before(seen):
    after_hup(seen)


def three(no):
    settle()
    expect("3: still one sla.deadline_moved", 1, len(moved_events(no)))
    expect("3: still one 'moved:' row", "1", moved_rows(no))
    expect("3: the deadline stays", str(END_0215), clock(no, "resolution", MS % "due_at"))


STEPS = {"one": one, "two": two, "three-before": three_before, "three": three}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--log",), setup)


if __name__ == "__main__":
    sys.exit(main())
