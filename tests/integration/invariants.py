#!/usr/bin/python3
"""invariants.py — the store-side checks the fault tests share, counted
(checks.py), against the test's database (PG* variables).

    invariants.py acks FILE [--min N] [--channel web]
        FILE: a load driver's acknowledgements, "ref complaint_no dup" lines
        (client.py load). Invariants 1 and 6: at least N acks (when given),
        each ref acknowledged once, every acknowledged ref stored under the
        acknowledged number.
    invariants.py stream [--assigned] [--wait S]
        Invariants 3 and 4: waits (deadline S, default 30) until the outbox
        is empty (and, with --assigned, nothing is left in state received),
        then: every complaint has exactly one complaint.received (and one
        complaint.assigned), as many received events as complaints, no two
        complaints with one (submitter, channel, ref), event_log seqs exactly
        1..N.

Exits 1 if any check failed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_ge, expect_true, note, sql, sql_int  # noqa: E402


def cmd_acks(args):
    acks = []
    with open(args.file) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                acks.append(parts)
    refs = {}
    for ref, no, _ in acks:
        refs.setdefault(ref, []).append(no)
    dups = sum(1 for _, _, d in acks if d == "1")
    note("acknowledged %d (distinct refs %d), acked as duplicate after a retry: %d"
         % (len(acks), len(refs), dups))
    if args.min:
        expect_ge("acknowledgements", args.min, len(acks))
    else:
        expect_ge("acknowledgements", 1, len(acks))
    expect("refs acknowledged more than once by the driver", [],
           sorted(r for r, nos in refs.items() if len(nos) > 1)[:10])
    stored = {}
    for line in sql("select ref, complaint_no from complaint where channel = :'ch'",
                    ch=args.channel).split("\n"):
        if line:
            ref, no = line.split("|")
            stored[ref] = no
    missing = sorted(r for r in refs if r not in stored)
    wrong = sorted(r for r, nos in refs.items() if r in stored and stored[r] != nos[0])
    expect("acknowledged complaints missing from the store", [], missing[:10])
    expect("acknowledged complaints stored under another number", [], wrong[:10])
    expect_ge("complaints stored (committed, acknowledged or not) >= acknowledged",
              len(refs), len(stored))
    return checks.status()


def cmd_stream(args):
    drained = checks.wait_until(lambda: sql_int("select count(*) from outbox") == 0, args.wait, 0.2)
    expect_true("the outbox is drained within %g s" % args.wait, drained,
                "%s rows left" % sql_int("select count(*) from outbox"))
    if args.assigned:
        routed = checks.wait_until(
            lambda: sql_int("select count(*) from complaint where state = 'received'") == 0
            and sql_int("select count(*) from outbox") == 0, args.wait, 0.2)
        expect_true("every complaint routed and its event published within %g s" % args.wait,
                    routed, "%s still received" % sql_int(
                        "select count(*) from complaint where state = 'received'"))
    complaints = sql_int("select count(*) from complaint")
    note("complaints stored %d" % complaints)
    types = ["complaint.received"] + (["complaint.assigned"] if args.assigned else [])
    for typ in types:
        expect("complaints without exactly one %s" % typ, 0, sql_int(
            "select count(*) from complaint c where (select count(*) from event_log e"
            " where e.complaint_no = c.complaint_no and e.type = :'t') <> 1", t=typ))
        expect("%s events = complaints" % typ, complaints,
               sql_int("select count(*) from event_log where type = :'t'", t=typ))
    # A reference is its submitter's (migration 024): two clients may each
    # have their own complaint under one (channel, ref), never one client two.
    expect("duplicate (submitter, channel, ref) rows", 0, sql_int(
        "select count(*) from (select submitter, channel, ref from complaint"
        " group by 1, 2, 3 having count(*) > 1) d"))
    n = sql_int("select count(*) from event_log")
    expect_ge("events logged", 1, n)
    expect("event_log seqs are exactly 1..N (count|min|max|distinct)", "%d|1|%d|%d" % (n, n, n),
           sql("select count(*), min(seq), max(seq), count(distinct seq) from event_log"))
    return checks.status()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("acks")
    s.add_argument("file")
    s.add_argument("--min", type=int, default=0)
    s.add_argument("--channel", default="web")
    s = sub.add_parser("stream")
    s.add_argument("--assigned", action="store_true")
    s.add_argument("--wait", type=float, default=30)
    args = p.parse_args()
    return {"acks": cmd_acks, "stream": cmd_stream}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
