#!/usr/bin/python3
"""sla_referral.py — the checks of tests/integration/sla_referral.sh (the
customer's first reply, complex cases, referrals' clocks), one subcommand
per moment; the shell moves the clock, sets the referral columns and acts.

    routed C R A      the three cases routed
    start C R A       each case's clocks by the shipped policy
    c-accepted C      accept met acknowledge, not first_response
    c-contacted C     contact met first_response (sla.met, on time); no
                      solution clock
    c-complex C       mark_complex: a solution clock, 48h from receipt
    c-resolved C      resolve met it
    r-moved R         the regulator's new date re-planned referral_reply
    a-replied A       reply_referrer met a's referral_reply on time

Every step first waits (deadline 20 s) until the clocks have settled.
"""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import sla_clock as clock, sla_settle as settle  # noqa: E402
from checks import expect, expect_true, sql, wait_sql  # noqa: E402

MS = checks.SQL_MS


def ms(text):
    return int(datetime.datetime.fromisoformat(text).timestamp() * 1000)




def due(no, stage):
    return clock(no, stage, MS % "due_at")


def routed(*nos):
    for no in nos:
        expect_true("submitted, a complaint number", re.fullmatch(r"[0-9]+", no), repr(no))
        wait_sql("%s routed" % no, "select state = 'assigned' from complaint"
                 " where complaint_no = :'no'", 20, no=no)


def start(c, r, a):
    settle()
    expect("c: first_response 24h, running", "24h|running",
           clock(c, "first_response", "allowance || '|' || state"))
    expect("c: no solution clock (not complex), no referral_reply", "0",
           sql("select count(*) from sla_clock where complaint_id = (select id from complaint"
               " where complaint_no = :'no') and stage in ('solution', 'referral_reply')", no=c))
    expect("r: referral_reply at the regulator's date (Tue 03-10 18:00)",
           str(ms("2026-03-10T18:00:00+08:00")), due(r, "referral_reply"))
    expect("r: first_response 24h, resolution 15d: the national rule", "24h|15d",
           clock(r, "first_response", "allowance") + "|" + clock(r, "resolution", "allowance"))
    expect("r: resolution due at the end of Tue 03-17", str(ms("2026-03-18T00:00:00+08:00")),
           due(r, "resolution"))
    expect("a: first_response 2wd: end of Wed 03-04", "2wd|%d" % ms("2026-03-05T00:00:00+08:00"),
           clock(a, "first_response", "allowance") + "|" + due(a, "first_response"))
    expect("a: solution 3wd: end of Thu 03-05", "3wd|%d" % ms("2026-03-06T00:00:00+08:00"),
           clock(a, "solution", "allowance") + "|" + due(a, "solution"))
    expect("a: referral_reply 5wd: end of Mon 03-09",
           "5wd|%d" % ms("2026-03-10T00:00:00+08:00"),
           clock(a, "referral_reply", "allowance") + "|" + due(a, "referral_reply"))
    expect("a: resolution 15d", "15d", clock(a, "resolution", "allowance"))


def c_accepted(c):
    settle()
    expect("c: accept met acknowledge", "met", clock(c, "acknowledge", "state"))
    expect("c: accept did not meet first_response (internal)", "running",
           clock(c, "first_response", "state"))


def c_contacted(c):
    settle()
    expect("c: contact met first_response at 11:00, on time",
           "met|%d|false" % ms("2026-03-02T11:00:00+08:00"),
           clock(c, "first_response", "state || '|' || " + MS % "met_at"
                 + " || '|' || (met_at > due_at)"))
    mets = [ev for _, _, ev in checks.events("complaint_no = :'no' and type = 'sla.met'", no=c)
            if (ev.get("data") or {}).get("stage") == "first_response"]
    expect("c: one sla.met for first_response, late false", [False],
           [(ev.get("data") or {}).get("late") for ev in mets])


def c_complex(c):
    settle()
    expect("c: flagged complex", "t",
           sql("select 'complex' = any (flags) from complaint where complaint_no = :'no'", no=c))
    expect("c: a solution clock of 48h from receipt (Wed 03-04 09:00), running",
           "48h|%d|running" % ms("2026-03-04T09:00:00+08:00"),
           clock(c, "solution", "allowance || '|' || " + MS % "due_at" + " || '|' || state"))


def c_resolved(c):
    settle()
    expect("c: resolve met the solution clock on time", "met|false",
           clock(c, "solution", "state || '|' || (met_at > due_at)"))


def r_moved(r):
    wait_sql("r: the regulator's new date re-planned the reply",
             "select " + MS % "due_at" + " = %d from sla_clock where complaint_id ="
             " (select id from complaint where complaint_no = :'no')"
             " and stage = 'referral_reply'" % ms("2026-03-12T18:00:00+08:00"), 20, no=r)
    settle()
    expect("r: no sla.deadline_moved for a referrer's date (not the calendar)", 0,
           len(checks.events("complaint_no = :'no' and type = 'sla.deadline_moved'", no=r)))


def a_replied(a):
    settle()
    expect("a: reply_referrer met referral_reply at Wed 03-04 10:00, on time",
           "met|%d|false" % ms("2026-03-04T10:00:00+08:00"),
           clock(a, "referral_reply", "state || '|' || " + MS % "met_at"
                 + " || '|' || (met_at > due_at)"))
    expect("a: one complaint.referrer_replied, one sla.met referral_reply", [1, 1],
           [len(checks.events("complaint_no = :'no' and type = 'complaint.referrer_replied'",
                              no=a)),
            len([ev for _, _, ev in checks.events("complaint_no = :'no' and type = 'sla.met'",
                                                  no=a)
                 if (ev.get("data") or {}).get("stage") == "referral_reply"])])


STEPS = {"routed": routed, "a-replied": a_replied, "start": start, "c-accepted": c_accepted,
         "c-contacted": c_contacted, "c-complex": c_complex, "c-resolved": c_resolved,
         "r-moved": r_moved}


def main():
    return checks.step_main(STEPS)


if __name__ == "__main__":
    sys.exit(main())
