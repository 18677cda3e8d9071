#!/usr/bin/python3
"""sla_provisional.py — the checks of tests/integration/sla_provisional.sh
(a deadline on a provisional calendar year, moved when the year's notice
is loaded), one subcommand per step; the shell moves the clock, edits the
calendar and sends SIGHUP.

    sla_provisional.py --log watchdog.log STEP ARGS...

    one NO            routed, clocks built: resolution 15d due at the end of
                      Tue 2027-02-09, service 10wd at the end of Wed 02-10,
                      both provisional; the 24-hour clocks not
    two NO SEEN       after the reload (one more policy_loaded line than
                      SEEN): both due at the end of Mon 2027-02-15,
                      provisional false, one sla.deadline_moved each
                      (figures, no identity), one 'moved:' firing row each,
                      the handler's inbox rows, times in +08:00
    three-before SEEN another reload seen
    three NO          recomputed again: still one event, one row per clock

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
END_0210 = int(datetime.datetime.fromisoformat("2027-02-11T00:00:00+08:00").timestamp() * 1000)
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
    #  The internal service clock, 10wd on the computed days: Tue 01-26 (1)
    #  .. Fri 01-29 (4), Mon 02-01 (5) .. Thu 02-04 (8), Fri 02-05 and Mon
    #  02-08 off (春节), Tue 02-09 (9), Wed 02-10 (10).
    expect("1: service 10wd: end of Wed 02-10, provisional", "10wd|%d|true" % END_0210,
           clock(no, "service", "allowance || '|' || " + MS % "due_at" + " || '|' || provisional"))
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
    #  The service clock on the published days: Tue 01-26 (1) .. Fri 01-29
    #  (4), the made-up make-up Saturday 01-30 (5), Mon 02-01 (6) .. Thu
    #  02-04 (9), Fri 02-05 .. Fri 02-12 off, Mon 02-15 (10).
    expect("2: service moved to the end of Mon 02-15 too", str(END_0215),
           clock(no, "service", MS % "due_at"))
    expect("2: neither is provisional any more (2027 is covered now)", "f|f",
           clock(no, "resolution", "provisional") + "|" + clock(no, "service", "provisional"))
    evs = sorted(((ev.get("data") or {}) for ev in moved_events(no)),
                 key=lambda d: str(d.get("stage")))
    expect("2: one sla.deadline_moved per moved clock on the stream (resolution, service)",
           ["resolution", "service"], [d.get("stage") for d in evs])
    expect("2: their figures", [("resolution", 0, END_0209, END_0215, False),
                                ("service", 0, END_0210, END_0215, False)],
           [(d.get("stage"), d.get("round"), d.get("previous_due_at"), d.get("due_at"),
             d.get("provisional")) for d in evs])
    handler = sql("select handler from complaint where complaint_no = :'no'", no=no)
    for d in evs:
        expect("2: keys of %s's: the sla head and the move, no identity" % d.get("stage"),
               sorted(SLA_KEYS), sorted(d.keys()))
        expect("2: the handler named", handler, d.get("handler"))
    expect("2: one 'moved:' firing row per clock", "2", moved_rows(no))
    expect("2: each step names its new deadline", "moved:%d moved:%d" % (END_0215, END_0215),
           sql("select string_agg(f.step, ' ' order by k.stage) from sla_firing f"
               " join sla_clock k on k.id = f.clock_id"
               " where k.complaint_id = (select id from complaint where complaint_no = :'no')"
               " and f.step like 'moved:%'", no=no))
    wait_sql("2: the handler's inbox notifications, one per event",
             "select count(*) = 2 from notification where complaint_no = :'no'"
             " and event_type = 'sla.deadline_moved' and recipient_kind = 'handler'"
             " and channel = 'inbox'", 20, no=no)
    body = sql("select body from notification where complaint_no = :'no'"
               " and event_type = 'sla.deadline_moved' and channel = 'inbox'"
               " and body like '%办结%'", no=no)
    note("  inbox: " + body.replace("\n", " / "))
    expect_true("2: the notice gives both deadlines in the case's zone (+08:00)",
                "2027-02-09 24:00 +08:00" in body and "2027-02-15 24:00 +08:00" in body, body)
    # told: the customer is told of the regulatory deadline only (both events
    # are consumed: the handler has a row for each).
    expect("2: one customer notification of the move: the regulatory clock's, not service's",
           1, customer_moved(no))
    wait_for("2: the customer's e-mail of the moved deadline arrives",
             lambda: moved_mails(no), 20)
    got = moved_mails(no)
    note("  customer: " + " // ".join(b.replace("\n", " / ") for b in got))
    expect_true("2: it gives the previous and new deadline (+08:00) and why (the holidays)",
                len(got) == 1 and "2027-02-09 24:00 +08:00" in got[0]
                and "2027-02-15 24:00 +08:00" in got[0] and "节假日安排" in got[0]
                and "{{" not in got[0], repr(got))


def customer_moved(no):
    return int(sql("select count(*) from notification where complaint_no = :'no'"
                   " and event_type = 'sla.deadline_moved' and recipient_kind = 'customer'",
                   no=no))


def moved_mails(no):
    return [b for s, b in checks.mail_texts(ARGS.mail) if no in s + b and "原期限" in b]


def shown(path, want):
    """complaintctl show, as staff see the case: a `provisional:` line under
    each running clock counted on computed holidays, none once the year's
    notice is loaded."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    expect_true("show: the SLA clocks table", any(l.startswith("SLA clocks:") for l in lines),
                text[-400:])
    marked = [lines[i - 1].split()[0] for i, l in enumerate(lines)
              if l.strip().startswith("provisional:") and i > 0]
    if want == "yes":
        expect("show: the resolution and service clocks are marked provisional",
               ["resolution", "service"], sorted(marked))
    else:
        expect("show: no clock is marked provisional any more", [], marked)


def three_before(seen):
    after_hup(seen)


def three(no):
    settle()
    expect("3: still one sla.deadline_moved per clock", 2, len(moved_events(no)))
    expect("3: still one 'moved:' row per clock", "2", moved_rows(no))
    expect("3: the deadline stays", str(END_0215), clock(no, "resolution", MS % "due_at"))
    expect("3: still one customer notification of the move", 1, customer_moved(no))


STEPS = {"one": one, "shown": shown, "two": two, "three-before": three_before, "three": three}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--log", "--mail"), setup)


if __name__ == "__main__":
    sys.exit(main())
