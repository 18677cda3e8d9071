#!/usr/bin/python3
"""sla_reload.py — the checks of tests/integration/sla_reload.sh (the
watchdog's policy reloaded on SIGHUP, or refused, never half), one
subcommand per step; the shell edits the files, sends SIGHUP, submits and
acts.

    sla_reload.py --log watchdog.log STEP ARGS...

    one A                  the extension rules synced from the policy, each
                           citing its line; A gets acknowledge 24h
    two SEEN               a bad policy line refused (file, line ACK, reason,
                           keeping=old)
    two-b B                then B still gets 24h; rules unchanged
    three SEEN             a bad calendar file refused with its file and line
    four SEEN NLINES       a good edit loaded: the rules follow
    four-c C               then C gets 12h
    four-old A             A, recomputed, keeps its running 24h
    five RC LOG            a watchdog started on a bad policy: exit 2, where

SEEN: how many lines of that event the log held before the SIGHUP; the
step waits (deadline 10 s, a check) for one more. A case's step waits
(deadline 20 s) until it is routed and its clocks built.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, wait_for, wait_sql  # noqa: E402

ARGS = None
# The lines of the shipped policy the shell edits, found by the shell (grep)
# so an edit elsewhere in policy.conf does not break the test.
ACK = os.environ.get("SLA_ACK_LINE", "?")
EXT = int(os.environ.get("SLA_EXT_LINE", "0"))
RULES_START = ("resolution 1 +to 30d supervisor policy.conf:%d,"
               " resolution 2 +to 60d superior policy.conf:%d" % (EXT, EXT + 1))


def rules():
    return sql("select coalesce(string_agg(stage || ' ' || step || ' +' || adds || ' '"
               " || approver || ' ' || rule, ', ' order by stage, step), '')"
               " from sla_extension_rule")


def ack(desc, no):
    """acknowledge round 0's "allowance rule", once the case is routed and
    its clocks are built."""
    expect_true("%s: submitted, a complaint number" % desc, re.fullmatch(r"[0-9]+", no), repr(no))
    wait_sql("%s routed and recomputed" % desc,
             "select (select count(*) from complaint where sla_dirty)"
             " + (select count(*) from complaint where state = 'received') = 0", 20)
    return sql("select allowance || ' ' || rule from sla_clock"
               " where complaint_id = (select id from complaint where complaint_no = :'no')"
               " and stage = 'acknowledge' and round = 0", no=no)


def after_hup(event, seen):
    """The newest EVENT line once the log holds more than SEEN of them."""
    pattern = "event=%s" % event
    wait_for("a %s line after SIGHUP" % event,
             lambda: len(checks.log_lines(ARGS.log, pattern)) > int(seen), 10)
    lines = checks.log_lines(ARGS.log, pattern)
    line = lines[-1] if lines else ""
    note("  " + line)
    return line


def match(desc, pattern, text):
    expect_true("%s: matches /%s/" % (desc, pattern), re.search(pattern, text), text)


def one(a):
    wait_for("extension rules synced", rules, 10)
    expect("1: extension rules from the policy", RULES_START, rules())
    expect("1: a case gets acknowledge 24h", "24h policy.conf:%s" % ACK, ack("1", a))


def two(seen):
    match("2: refused with file, line and reason",
          r"path=[^ ]*/policy.conf line=%s reason=.*bad span '24x'.*keeping=old" % ACK,
          after_hup("policy_refused", seen))


def two_b(b):
    expect("2: a new case gets clocks by the old policy", "24h policy.conf:%s" % ACK, ack("2", b))
    expect("2: extension rules unchanged", RULES_START, rules())


def three(seen):
    match("3: a bad calendar is refused with its file and line", r"xx.conf.* line=4 ",
          after_hup("policy_refused", seen))


def four(seen, nlines):
    match("4: loaded", r"event=policy_loaded .*extensions=3", after_hup("policy_loaded", seen))
    wait_sql("extension rules resynced", "select count(*) = 3 from sla_extension_rule", 10)
    expect("4: sla_extension_rule follows the policy",
           "resolution 1 +to 20d supervisor policy.conf:%d, resolution 2 +to 60d superior"
           " policy.conf:%d, review 1 +to 45d complaint_office policy.conf:%s"
           % (EXT, EXT + 1, nlines), rules())


def four_c(c):
    expect("4: a new case gets the new allowance", "12h policy.conf:%s" % ACK, ack("4", c))


def four_old(a):
    expect("4: the old case keeps its running deadline", "24h policy.conf:%s" % ACK, ack("4 (old)", a))


def five(rc, log):
    expect("5: a watchdog started on a bad policy exits 2", "2", rc)
    with open(log, errors="replace") as f:
        match("5: and says where",
              r"event=policy_refused path=[^ ]*/policy.conf line=%s .*keeping=none" % ACK,
              f.read())


STEPS = {"one": one, "two": two, "two-b": two_b, "three": three, "four": four,
         "four-c": four_c, "four-old": four_old,
         "five": five}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--log",), setup)


if __name__ == "__main__":
    sys.exit(main())
