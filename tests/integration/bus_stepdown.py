#!/usr/bin/python3
"""bus_stepdown.py — the checks of tests/integration/bus_stepdown.sh
(invariant 4: a bus that cannot bind steps down and gives the lock back on
its live connection; a standby takes over; the bus that stepped down serves
again once its endpoints are free). The shell starts the placeholder that
holds bus1's PUB port, the buses and the loads.

    stepping    bus1 won the lock and stepped down (bind failed) at least
                twice: it stood again after giving the lock back; its
                store connection (backend pid) is kept for the takeover
    takeover    bus2 elected; the lock is held by bus2's session; bus1 is
                a standby on the same connection as before, and logged no
                lost connection
    back        (placeholder gone, bus2 stopped) bus1 elected, on the same
                connection, holding the lock
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_ge, log_lines, sql, wait_log  # noqa: E402

MARKS = "bus_stepdown"
LOCK_KEY = 1112888113       # BUS_LOCK_KEY, services/bus/main.c ("BUS1")
TEST_DIR = os.environ["TEST_DIR"]


def log(name):
    return os.path.join(TEST_DIR, name + ".log")


def backend(instance):
    """The backend pid of a bus's store connection ("" when none)."""
    # This database's only: tests run side by side on one cluster, and
    # fault_bus_kill's buses are named bus1 and bus2 too.
    return sql("select string_agg (pid::text, ',') from pg_stat_activity"
               " where application_name = :'app' and datname = current_database()",
               app="bus:" + instance)


def lock_holder():
    """The application_name of the session holding the bus lock, "" if none."""
    return sql("select coalesce (min (a.application_name), '')"
               "  from pg_locks l join pg_stat_activity a on a.pid = l.pid"
               " where l.locktype = 'advisory' and l.granted"
               "   and l.classid = 0 and l.objid = :'key'::bigint and l.objsubid = 1"
               "   and l.database = (select oid from pg_database"
               "                      where datname = current_database ())",
               key=str(LOCK_KEY))


def stepping():
    checks.wait_for("bus1 stepped down twice (bind failed, lock given back, stood again)",
                    lambda: len(log_lines(log("bus1"), r"event=stepping_down .*reason=bind_failed"))
                    >= 2, 15)
    expect("bus1 was never elected while its port is held", [],
           log_lines(log("bus1"), r"event=elected"))
    pid = backend("bus1")
    expect_ge("bus1's store connections", 1, len([p for p in pid.split(",") if p]))
    checks.mark_save(MARKS, "bus1", {"pid": pid})


def takeover():
    wait_log("bus2 elected while bus1 keeps stepping down", log("bus2"), r"event=elected", 10)
    expect("the bus lock's holder", "bus:bus2", lock_holder())
    wait_log("bus1 a standby", log("bus1"), r"event=standby", 10)
    expect("bus1's store connection (backend pid) through its step-downs",
           checks.mark_load(MARKS, "bus1")["pid"], backend("bus1"))
    expect("bus1's lost connections", [], log_lines(log("bus1"), r"pg_connection_lost"))


def back():
    wait_log("bus1 elected once its port is free and bus2 is gone", log("bus1"),
             r"event=elected", 10)
    expect("the bus lock's holder", "bus:bus1", lock_holder())
    expect("bus1's store connection (backend pid), the same all along",
           checks.mark_load(MARKS, "bus1")["pid"], backend("bus1"))


STEPS = {"stepping": stepping, "takeover": takeover, "back": back}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in STEPS:
        sys.exit("usage: bus_stepdown.py stepping | takeover | back")
    STEPS[sys.argv[1]]()
    sys.exit(checks.status())
