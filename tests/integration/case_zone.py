#!/usr/bin/python3
"""case_zone.py — a case's times in its calendar's zone (issue 16 §3), against
a running bus, intake, router and a watchdog whose default calendar is `jp`
(Asia/Tokyo, +09:00; the bank's zone is Asia/Shanghai, +08:00):

  a  a complaint; the watchdog plans its clocks on `jp`
  b  `complaintctl show --calendars DIR`: "times in Asia/Tokyo (calendar
     jp)"; received and due as the store holds them, converted by Python's
     zoneinfo to Tokyo, "+09:00" written; no "+08:00" anywhere
  c  `complaintctl queue --calendars DIR`: the case's due time in Tokyo;
     `queue --json`: the row's calendar is jp
  d  a calendars folder without jp (the shipped one): the bank's zone, and
     show says the calendar is not in the folder

    case_zone.py --ctl complaintctl --calendars DIR --tokens tokens.plain
                 --directory FILE --out DIR --shipped DIR
"""
import datetime
import os
import sys
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_sql  # noqa: E402
from lifecycle import ctl, handler, submit, wait_assigned  # noqa: E402

TOKYO = ZoneInfo("Asia/Tokyo")


def local(ms, deadline=False):
    """ms as complaintctl writes it in Tokyo: "YYYY-MM-DD HH:MM +09:00"; a
    deadline at local midnight is 24:00 of the day before."""
    t = datetime.datetime.fromtimestamp(ms / 1000, TOKYO)
    if deadline and (t.hour, t.minute, t.second) == (0, 0, 0) and t.microsecond < 1000:
        day = (t - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
        return "%s 24:00 +09:00" % day
    return t.strftime("%Y-%m-%d %H:%M +09:00")


def field(out, label):
    """The value of show's line "  LABEL   value" (each such line)."""
    return [l.strip()[len(label):].strip() for l in out.splitlines()
            if l.startswith("  " + label + " ")]


def main():
    args = lifecycle.start("--calendars", "--shipped")
    if not args:
        return checks.status()
    note("--- a: a complaint, its clocks on jp")
    no = submit("zone-a", "信用卡", "信用卡年费被重复收取。")
    if not no or not wait_assigned(no):
        return checks.status()
    h = handler(no)
    wait_sql("the watchdog planned the case's clocks on jp",
             "select count(*) > 0 and bool_and(k.calendar = 'jp') from sla_clock k"
             " join complaint c on c.id = k.complaint_id where c.complaint_no = :'no'",
             20, no=no)
    received, due = [int(x) for x in sql(
        "select (extract(epoch from received_at) * 1000)::bigint || ' ' ||"
        " (extract(epoch from due_at) * 1000)::bigint from complaint"
        " where complaint_no = :'no'", no=no).split()]

    note("--- b: show in the case's zone")
    rc, out, err = ctl(h, "show", no, "--calendars", args.calendars)
    expect("b: show exit status", 0, rc)
    expect("b: the zone line names the zone and the calendar",
           ["Asia/Tokyo (calendar jp)"], field(out, "times in"))
    expect("b: received in Tokyo time, +09:00", [local(received)], field(out, "received"))
    expect_true("b: due in Tokyo time (a deadline's 24:00 rule)", local(due, True) in out,
                local(due, True))
    expect("b: no time in the bank's +08:00", 0, out.count("+08:00"))
    expect_true("b: every written time has the zone's offset",
                out.count("+09:00") >= 3, out.count("+09:00"))

    note("--- c: queue in each case's zone")
    rc, out, err = ctl(h, "queue", "--calendars", args.calendars)
    expect("c: queue exit status", 0, rc)
    row = [l for l in out.splitlines() if no in l]
    expect_true("c: the case's row: its due in Tokyo time", row and local(due, True) in row[0],
                "%s / %s" % (local(due, True), row))
    rc, out, err = ctl(h, "queue", "--json")
    rows = [r for r in checks.jsonl(out) if r.get("complaint_no") == no]
    expect("c: queue --json: the row's calendar", ["jp"], [r.get("calendar") for r in rows])

    note("--- d: a calendars folder without jp")
    rc, out, err = ctl(h, "show", no, "--calendars", args.shipped)
    expect("d: the bank's zone, and why",
           ["Asia/Shanghai (the bank's zone; calendar jp not in the calendars folder)"],
           field(out, "times in"))
    expect_true("d: times at +08:00, none at +09:00", "+08:00" in out and "+09:00" not in out)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
