#!/usr/bin/python3
"""routing_reload.py — the checks of tests/integration/routing_reload.sh
(the router's policy files reloaded on SIGHUP without a restart, a bad one
refused with file, line and reason while the loaded policy keeps routing).
The shell edits the files, sends SIGHUP and submits.

    routing_reload.py --log router.log STEP ARGS...

    one NSTAFF NO1                the shipped rules route a card complaint
    refused SEEN WHAT FILE LINE REASON
                                  a rules_refused line after SIGHUP (more
                                  than SEEN in the log) naming FILE, LINE
                                  and REASON (regular expressions)
    routed DESC NO PATTERN        NO left 'received' (15 s), its
                                  "department|rule|state" matches PATTERN
    ghost                         the refused directory's ghost not stored
    tokens NSTAFF                 tokens in the store unchanged
    loaded SEEN                   a rules_loaded line after SIGHUP
    five NO4 FIRST_ROUTE REMOVED  the new rule routes, the new person is in
                                  the store, the removed one kept inactive
    none-received                 nothing left in state received
    six NO6 NO7                   what an assignment publishes: major,
                                  cooperation, JR/T codes, unroutable
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_for, wait_sql  # noqa: E402

ARGS = None


def routed_row(no):
    """"department|routing_rule|state" once it left 'received'."""
    wait_sql("complaint %s left state received" % no, "select state <> 'received'"
             " from complaint where complaint_no = :'no'", 15, no=no)
    return sql("select department || '|' || routing_rule || '|' || state from complaint"
               " where complaint_no = :'no'", no=no)


def match(desc, pattern, text):
    return expect_true("%s: /%s/" % (desc, pattern), re.search(pattern, text or ""), text)


def one(nstaff, no1):
    wait_sql("the router synced %s tokens into the store" % nstaff,
             "select count(*) = :'n' from staff_token", 20, n=nstaff)
    expect("staff synced from the directory", int(nstaff),
           sql_int("select count(*) from staff where active"))
    match("complaint 1 routed by the shipped rules",
          r"^card_center\|rules\.conf:[0-9]+\|assigned$", routed_row(no1))
    expect("complaint 1 has a card_center handler", "card_center",
           sql("select s.department from complaint c join staff s on s.id = c.handler"
               " where c.complaint_no = :'no'", no=no1))
    expect("complaint 1: one assign audit row by router:router", "1|system|received|assigned",
           sql("select count(*) || '|' || min(actor_role) || '|' || min(state_before) || '|'"
               " || min(state_after) from case_action a join complaint c"
               " on c.id = a.complaint_id where c.complaint_no = :'no'"
               " and a.action = 'assign' and a.actor = 'router:router'", no=no1))
    expect("complaint 1: the router set no due_at (the SLA watchdog owns it)", "",
           sql("select due_at from complaint where complaint_no = :'no'", no=no1))


def log_after(event, seen):
    pattern = "event=" + event
    wait_for("a %s line after SIGHUP" % event,
             lambda: len(checks.log_lines(ARGS.log, pattern)) > int(seen), 10)
    lines = checks.log_lines(ARGS.log, pattern)
    line = lines[-1] if lines else ""
    note("log: " + line)
    return line


def refused(seen, what, path_line, reason):
    line = log_after("rules_refused", seen)
    match("%s refused with file and line" % what, path_line, line)
    match("%s refused with the reason" % what, reason, line)


def routed(desc, no, pattern):
    match(desc, pattern, routed_row(no))


def ghost():
    expect("the ghost is not in the store", 0,
           sql_int("select count(*) from staff where id = 'ghost'"))


def tokens(nstaff):
    expect("tokens in the store unchanged", int(nstaff), sql_int("select count(*) from staff_token"))


def loaded(seen):
    log_after("rules_loaded", seen)


def five(no4, first_route, removed):
    # The directory is synced in the reload's own pass; wait for it before
    # the checks (its deadline is a check).
    wait_sql("the new staff member synced", "select count(*) = 1 from staff"
             " where id = 'reload_new' and active", 10)
    expect("complaint 4 routed by the new rule", "payments|rules.conf:%s|assigned" % first_route,
           routed_row(no4))
    expect("the new staff member is in the store", 1,
           sql_int("select count(*) from staff where id = 'reload_new' and active"
                   " and department = 'payments'"))
    expect("the removed staff member (%s) is kept, inactive" % removed, "f",
           sql("select active from staff where id = :'id'", id=removed))


def none_received():
    expect("complaints routed, none left received", 0,
           sql_int("select count(*) from complaint where state = 'received'"))


def six(no6, no7):
    routed_row(no6)
    routed_row(no7)
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 15)
    rc, out, _ = checks.run([ARGS.ctl, "replay", "--from", "0"])
    stream = checks.jsonl(out)

    def ev(no, typ):
        return [e.get("data") or {} for e in stream
                if e.get("complaint_no") == no and e["type"] == typ]

    def pick(no, typ, *keys):
        return [[d.get(k) for k in keys] for d in ev(no, typ)]
    expect("complaint 6 assigned to the outlet it names, card centre cooperating",
           [["outlet_bj_haidian", "outlet_bj_haidian", ["card_center"], True, 1, ["media"]]],
           pick(no6, "complaint.assigned", "department", "outlet", "cooperating", "major",
                "priority", "flags"))
    expect("complaint 6: complaint.major for management", [["outlet_bj_haidian", 1]],
           pick(no6, "complaint.major", "department", "priority"))
    expect("complaint 6: cooperation requested from the card centre",
           [["card_center", "outlet_bj_haidian"]],
           pick(no6, "complaint.cooperation_requested", "department", "lead_department"))
    expect("complaint 6: complaint.assigned carries no due_at (the watchdog's)", [False],
           ["due_at" in d for d in ev(no6, "complaint.assigned")])
    expect("complaint 6: JR/T codes carried", [["A0302", "B03", "C01"]],
           pick(no6, "complaint.assigned", "jrt_channel", "jrt_business", "jrt_cause"))
    expect("complaint 7: unroutable, the complaint office's queue, no handler, no outlet",
           [["complaint_office", True, None, None]],
           pick(no7, "complaint.assigned", "department", "unroutable", "handler", "outlet"))
    expect("complaint 7: no handler in the store", "",
           sql("select handler from complaint where complaint_no = :'no'", no=no7))
    expect("complaint 6: audit details name the deciding rules", "true|true|true",
           sql("select (details ? 'rule')::text || '|' || (details ? 'cause_rule')::text"
               " || '|' || (details->>'major') from case_action a join complaint c"
               " on c.id = a.complaint_id where c.complaint_no = :'no'"
               " and a.action = 'assign'", no=no6))


STEPS = {"one": one, "refused": refused, "routed": routed, "ghost": ghost, "tokens": tokens,
         "loaded": loaded, "five": five, "none-received": none_received, "six": six}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--log", "--ctl"), setup)


if __name__ == "__main__":
    sys.exit(main())
