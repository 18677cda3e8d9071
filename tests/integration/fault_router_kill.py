#!/usr/bin/python3
"""fault_router_kill.py — the checks of tests/integration/fault_router_kill.sh
(invariant 5: a router killed mid-work leaves only leases that expire;
another router finishes its claims, each complaint assigned exactly once).
The shell stores the complaints, starts router A (holding its claims),
kills it and starts router B.

    stored N            N complaints stored before any router runs
    claimed             router A claimed some and holds them (nothing
                        assigned); its claims are kept for the end
    finished N KILLED_MS
                        every complaint left 'received' (deadline 60 s),
                        one complaint.assigned each, A's claims assigned
                        once and only after A's lease ran out, seqs gap-free
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_ge, note, sql, sql_int, wait_sql  # noqa: E402

MARKS = "fault_router_kill"


def stored(n):
    expect("complaints stored before any router runs", int(n),
           sql_int("select count(*) from complaint"))


def claimed():
    wait_sql("router A claimed complaints",
             "select count(*) > 0 from complaint where lease_owner is not null", 20)
    claims = [r for r in sql("select complaint_no from complaint where lease_owner is not null"
                             " and state = 'received' order by 1").split("\n") if r]
    owner = sql("select min(lease_owner) from complaint where lease_owner is not null")
    until = sql("select min(lease_until) from complaint where lease_owner is not null")
    expect_ge("complaints claimed and held by router A (owner %s)" % owner, 1, len(claims))
    expect("assignments before the kill (A holds its claims)", 0,
           sql_int("select count(*) from event_log where type = 'complaint.assigned'"))
    checks.mark_save(MARKS, "a", {"claims": claims, "until": until})


def finished(n, killed_ms):
    n = int(n)
    a = checks.mark_load(MARKS, "a")
    if wait_sql("every complaint left state received after the kill",
                "select count(*) = 0 from complaint where state = 'received'", 60):
        note("all %d complaints left state received %d ms after the kill (A's lease: 2000 ms)"
             % (n, int(time.time() * 1000) - int(killed_ms)))
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 30)
    expect("complaints without a department", 0,
           sql_int("select count(*) from complaint where department is null"))
    expect("complaints still leased", 0,
           sql_int("select count(*) from complaint where lease_owner is not null"))
    expect("complaint.assigned events", n,
           sql_int("select count(*) from event_log where type = 'complaint.assigned'"))
    expect("complaints without exactly one complaint.assigned", 0,
           sql_int("select count(*) from complaint c where (select count(*) from event_log e"
                   " where e.complaint_no = c.complaint_no and e.type = 'complaint.assigned') <> 1"))
    lst = ",".join(a["claims"])
    expect("of A's %d claims, assigned exactly once" % len(a["claims"]), len(a["claims"]),
           sql_int("select count(*) from complaint c"
                   " where c.complaint_no = any (string_to_array(:'list', ','))"
                   " and c.state <> 'received' and (select count(*) from event_log e"
                   " where e.complaint_no = c.complaint_no and e.type = 'complaint.assigned') = 1",
                   list=lst))
    # B must have respected A's lease: none of A's claims changed before it ran out.
    expect("A's claims finished before A's lease ran out (%s)" % a["until"], 0,
           sql_int("select count(*) from complaint"
                   " where complaint_no = any (string_to_array(:'list', ','))"
                   " and updated_at < :'until'::timestamptz", list=lst, until=a["until"]))
    m = sql_int("select count(*) from event_log")
    expect("event_log seqs are exactly 1..N (count, min, max, distinct)",
           "%d|1|%d|%d" % (m, m, m),
           sql("select count(*), min(seq), max(seq), count(distinct seq) from event_log"))


STEPS = {"stored": stored, "claimed": claimed, "finished": finished}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit("usage: fault_router_kill.py stored N | claimed | finished N KILLED_MS")
    STEPS[sys.argv[1]](*sys.argv[2:])
    sys.exit(checks.status())
