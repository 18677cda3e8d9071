#!/usr/bin/python3
"""sla_settle.py — the checks of tests/integration/sla_settle.sh (a fresh
'received' case is left to its router for --settle-ms, then gets its clocks
all the same).

    sla_settle.py settling NO     (--settle-ms 3000, no router) NO dirty and
                                  without clocks 1 s after it was stored;
                                  clocks built within 15 s, still received
    sla_settle.py at-once NO      (--settle-ms 0) NO's clocks built within
                                  10 s, while no router has touched it
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, sql, wait_sql  # noqa: E402

SHAPE = ("select c.state || '|' || c.sla_dirty || '|' || (select count(*) from sla_clock k"
         " where k.complaint_id = c.id) from complaint c where c.complaint_no = :'no'")
BUILT = ("select not c.sla_dirty and exists (select 1 from sla_clock k where k.complaint_id = c.id"
         " and k.stage = 'acknowledge') from complaint c where c.complaint_no = :'no'")


def main():
    step, no = sys.argv[1], sys.argv[2]
    if step == "settling":
        wait_sql("complaint %s stored" % no,
                 "select count(*) = 1 from complaint where complaint_no = :'no'", 10, no=no)
        age = float(sql("select extract (epoch from now () - created_at) from complaint"
                        " where complaint_no = :'no'", no=no))
        if age < 1.0:
            time.sleep(1.0 - age)
        expect("%s left to settle: still received, dirty, no clock, 1 s after it was stored" % no,
               "received|true|0", sql(SHAPE, no=no))
        wait_sql("%s's clocks built once the settle time passed, with no router" % no, BUILT, 15,
                 no=no)
        expect("%s is still received (nobody routed it)" % no, "received",
               sql("select state from complaint where complaint_no = :'no'", no=no))
    elif step == "at-once":
        wait_sql("%s's clocks built at once with --settle-ms 0" % no, BUILT, 10, no=no)
        expect("%s is still received (nobody routed it)" % no, "received",
               sql("select state from complaint where complaint_no = :'no'", no=no))
    else:
        sys.exit("sla_settle.py: unknown step %s" % step)


if __name__ == "__main__":
    main()
    sys.exit(checks.status())
