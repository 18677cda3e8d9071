#!/usr/bin/python3
"""fault_router_kill.py — the checks of tests/integration/fault_router_kill.sh
(invariant 5: a router's claim is its open transaction's row lock; others
skip it, a killed router frees it at once, a hung one loses it after
--lease-ms; each complaint assigned exactly once). The shell stores the
complaints and starts, stops and kills the routers.

    stored N             N complaints stored in all
    claimed NAME         a holding router claimed some (its backend sits
                         idle in its transaction; nothing of it assigned);
                         the claimed complaints are kept under NAME
    taken-after-timeout NAME N
                         every complaint assigned (deadline 30 s); NAME's
                         claims only after the server ended the holder's
                         transaction (--lease-ms 1500), none earlier
    skipped NAME N       the second router assigned everything but NAME's
                         claims, which stay 'received' while the holder lives
    finished NAME N KILLED_MS
                         after the holder's SIGKILL every complaint is
                         assigned, NAME's claims within seconds; one
                         complaint.assigned each; seqs gap-free
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_ge, expect_le, note, sql, sql_int, wait_sql  # noqa: E402

MARKS = "fault_router_kill"

# Complaints some transaction holds: those a SKIP LOCKED scan cannot lock
# (the scan's own locks end with its autocommit statement).
HELD = ("select complaint_no from complaint where state = 'received' and id not in"
        " (select id from complaint where state = 'received' for no key update skip locked)"
        " order by 1")
ASSIGNED = "select count(*) from event_log where type = 'complaint.assigned'"


def stored(n):
    expect("complaints stored", int(n), sql_int("select count(*) from complaint"))


def claimed(name):
    wait_sql("a router holds its claim in an open transaction",
             "select count(*) > 0 from pg_stat_activity where application_name = 'router'"
             " and state = 'idle in transaction'", 20)
    # When the holder's backend went idle in its transaction, by the
    # store's clock (the server ends it --lease-ms after that, and the
    # assignments are stamped by the same clock): not when this checker
    # got round to looking, which on a loaded machine is a good part of
    # the lease later and made the wait measured below look short.
    idle = sql("select extract (epoch from min (state_change)) from pg_stat_activity"
               " where application_name = 'router' and state = 'idle in transaction'")
    held = [r for r in sql(HELD).split("\n") if r]
    expect_ge("complaints claimed and held by the holding router", 1, len(held))
    before = sql_int(ASSIGNED)
    checks.mark_save(MARKS, name, {"held": held, "at": float(idle) if idle else time.time(),
                                   "assigned": before})
    time.sleep(0.5)
    expect("assignments while the holder sits on its claim", before, sql_int(ASSIGNED))


def _assigned_once(desc, numbers):
    expect(desc, len(numbers),
           sql_int("select count(*) from complaint c"
                   " where c.complaint_no = any (string_to_array(:'list', ','))"
                   " and c.state <> 'received' and (select count(*) from event_log e"
                   " where e.complaint_no = c.complaint_no and e.type = 'complaint.assigned') = 1",
                   list=",".join(numbers)))


def _all_assigned(n, timeout):
    return wait_sql("all %d complaints assigned" % n,
                    "select count(*) = 0 from complaint where state = 'received'", timeout)


def taken_after_timeout(name, n):
    a = checks.mark_load(MARKS, name)
    _all_assigned(int(n), 30)
    # When each of the holder's claims was assigned, after the claim began.
    first = sql("select extract(epoch from min(updated_at)) from complaint"
                " where complaint_no = any (string_to_array(:'list', ','))",
                list=",".join(a["held"]))
    waited = float(first) - a["at"] if first else -1
    note("the hung router's claims were assigned %.2f s after its transaction went idle"
         " holding them" % waited)
    checks.expect_true("the hung router's claims were taken only after the server ended its"
                       " transaction (--lease-ms 1500; the first %.2f s after it went idle"
                       " holding them)" % waited, waited >= 0.9)
    _assigned_once("of the hung router's %d claims, assigned exactly once" % len(a["held"]),
                   a["held"])
    expect("complaint.assigned events naming the hung router (routerA)", 0,
           sql_int("select count(*) from event_log where type = 'complaint.assigned'"
                   " and position(convert_to('routerA', 'UTF8') in event) > 0"))
    expect("complaint.assigned events naming routerB", int(n),
           sql_int("select count(*) from event_log where type = 'complaint.assigned'"
                   " and position(convert_to('routerB', 'UTF8') in event) > 0"))


def skipped(name, n):
    a = checks.mark_load(MARKS, name)
    n = int(n)
    want = n - len(a["held"])
    wait_sql("the second router assigned all but the holder's %d claims" % len(a["held"]),
             "select count(*) = :'want' from complaint where state <> 'received'", 30, want=want)
    time.sleep(1)
    expect("the holder's claims are still 'received' while it lives", len(a["held"]),
           sql_int("select count(*) from complaint where state = 'received'"
                   " and complaint_no = any (string_to_array(:'list', ','))",
                   list=",".join(a["held"])))


def finished(name, n, killed_ms):
    n = int(n)
    a = checks.mark_load(MARKS, name)
    if _all_assigned(n, 30):
        took = int(time.time() * 1000) - int(killed_ms)
        note("the killed router's %d claims were assigned %d ms after the kill"
             % (len(a["held"]), took))
        expect_le("ms from the kill until its claims were assigned (no lease to run out)",
                  10000, took)
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 30)
    expect("complaints without a department", 0,
           sql_int("select count(*) from complaint where department is null"))
    expect("complaint.assigned events", n, sql_int(ASSIGNED))
    expect("complaints without exactly one complaint.assigned", 0,
           sql_int("select count(*) from complaint c where (select count(*) from event_log e"
                   " where e.complaint_no = c.complaint_no and e.type = 'complaint.assigned') <> 1"))
    _assigned_once("of the killed router's %d claims, assigned exactly once" % len(a["held"]),
                   a["held"])
    m = sql_int("select count(*) from event_log")
    expect("event_log seqs are exactly 1..N (count, min, max, distinct)",
           "%d|1|%d|%d" % (m, m, m),
           sql("select count(*), min(seq), max(seq), count(distinct seq) from event_log"))


STEPS = {"stored": stored, "claimed": claimed, "taken-after-timeout": taken_after_timeout,
         "skipped": skipped, "finished": finished}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit("usage: fault_router_kill.py stored N | claimed NAME | taken-after-timeout"
                 " NAME N | skipped NAME N | finished NAME N KILLED_MS")
    STEPS[sys.argv[1]](*sys.argv[2:])
    sys.exit(checks.status())
