#!/usr/bin/python3
"""sla_two_clocks.py — the checks of tests/integration/sla_two_clocks.sh (issue
15: the regulatory `resolution` clock and the internal `service` clock, end
to end), one subcommand per moment; the shell moves the store's clock,
submits and acts as named staff.

Each step first waits (deadline 20 s, itself a check) until the clocks have
settled (sla_e2e.settle: nothing dirty, nothing due, the outbox drained).
Every figure was checked with `complaintctl calendar add` on
deploy/calendars/cn.conf (the working is in the shell's header and in
sla_plan_test, cases 21-26).

    settle / start X / waiting X / replied X / appraisal X / appraised X /
    extended X / material X / material-again X / refused-step2 ERRFILE / again X /
    resolved X /
    end X
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_for, wait_sql  # noqa: E402
from sla_e2e import MS, clock, field, lines_with, ms, settle, wait_assigned  # noqa: E402

DAY = 24 * 3600 * 1000
RECEIVED = ms("2026-03-03 10:00:00+08")


def row(no, stage, rnd, *cols):
    return clock(no, stage, rnd, " || '|' || ".join("coalesce((%s)::text, '')" % c for c in cols))


def start(x):
    expect_true("start: a complaint number", x.isdigit(), repr(x))
    wait_assigned(x)
    settle()
    expect("start: service 10wd from receipt, running, due end of 03-17",
           "10wd|running|%d" % ms("2026-03-18 00:00:00+08"),
           row(x, "service", 0, "allowance", "state", MS % "due_at"))
    expect("start: resolution 15d from receipt, running, due end of 03-18",
           "15d|running|%d" % ms("2026-03-19 00:00:00+08"),
           row(x, "resolution", 0, "allowance", "state", MS % "due_at"))
    expect("start: complaint.due_at = the regulatory deadline", str(ms("2026-03-19 00:00:00+08")),
           field(x, MS % "due_at"))


def waiting(x):
    settle()
    expect("waiting: the service clock paused since the request",
           "paused|%d" % ms("2026-03-05 10:00:00+08"),
           row(x, "service", 0, "state", MS % "paused_since"))
    expect("waiting: the regulatory clock runs on (no pause while awaiting the customer)",
           "running||0", row(x, "resolution", 0, "state", "paused_since", "paused_ms"))


def replied(x):
    settle()
    # Thu 03-05 10:00 .. Mon 03-09 10:00: 14 h + 24 h + 10 h of working days
    # = 2 working days on a wd clock: end of 03-17 -> end of 03-19.
    expect("replied: service running again, paused 4 days, due end of 03-19",
           "running|%d|%d" % (4 * DAY, ms("2026-03-20 00:00:00+08")),
           row(x, "service", 0, "state", "paused_ms", MS % "due_at"))
    expect("replied: resolution unmoved, nothing paused",
           "running|0|%d" % ms("2026-03-19 00:00:00+08"),
           row(x, "resolution", 0, "state", "paused_ms", MS % "due_at"))


def appraisal(x):
    settle()
    expect("appraisal: resolution paused from appraisal_start, nothing to fire",
           "paused|%d|" % ms("2026-03-09 11:00:00+08"),
           row(x, "resolution", 0, "state", MS % "paused_since", "next_step"))
    expect("appraisal: service paused too (its pause line names appraisal)", "paused",
           clock(x, "service", 0, "state"))


def appraised(x):
    settle()
    # 5 days left out: the period starts 03-08 10:00, 15d -> end of Mon 03-23.
    expect("appraised: resolution paused 5 days, due end of 03-23, running",
           "running|%d|%d|%d" % (5 * DAY, ms("2026-03-19 00:00:00+08"),
                                 ms("2026-03-24 00:00:00+08")),
           row(x, "resolution", 0, "state", "paused_ms", MS % "base_due_at", MS % "due_at"))
    expect("appraised: complaint.due_at follows", str(ms("2026-03-24 00:00:00+08")),
           field(x, MS % "due_at"))
    expect("appraised: service paused 4 + 5 days in all, running", "running|%d" % (9 * DAY),
           row(x, "service", 0, "state", "paused_ms"))


def extended(x):
    settle()
    # To 30d from 03-08 10:00 (the start moved by the appraisal): Tue 04-07
    # (Qingming is 04-04..06: the 30th day is a working day).
    due = ms("2026-04-08 00:00:00+08")
    expect("extended: one extension, to 30d, due end of 04-07",
           "1|{30d}|%d" % due, row(x, "resolution", 0, "extensions", "extended_by", MS % "due_at"))
    ext = lines_with(x, "sla.extended resolution 0 ext:1")
    want = ("adds=30d", "approver=supervisor", "due_at=%d" % due,
            "previous_due_at=%d" % ms("2026-03-24 00:00:00+08"))
    expect_true("extended: sla.extended told once: adds=30d, the approver, previous and new "
                "deadline", len(ext) == 1 and all(w in ext[0] for w in want),
                "%r, want %s" % (ext, want))


def material(x, maildir):
    settle()
    at = ms("2026-03-17 10:00:00+08")
    expect("material: round 0 ends cancelled (superseded, not met) at the new material",
           "cancelled||%d|1" % at,
           row(x, "resolution", 0, "state", "met_at", MS % "ended_at", "extensions"))
    expect("material: round 1 from the new material, 15d -> end of Wed 04-01, no extension",
           "%d|15d|running|0|%d" % (at, ms("2026-04-02 00:00:00+08")),
           row(x, "resolution", 1, MS % "started_at", "allowance", "state", "extensions",
               MS % "due_at"))
    expect("material: complaint.due_at = round 1's deadline", str(ms("2026-04-02 00:00:00+08")),
           field(x, MS % "due_at"))
    expect("material: the service clock runs on in round 0, no round 1",
           "running|%d|0" % RECEIVED,
           "%s|%s" % (row(x, "service", 0, "state", MS % "started_at"),
                      sql_int("select count(*) from sla_clock where stage = 'service'"
                              " and round > 0 and complaint_id = (select id from complaint"
                              " where complaint_no = :'no')", no=x)))
    expect("material: no sla.met for the superseded round", 0,
           len(lines_with(x, "sla.met resolution 0")))
    # told: the customer is given the new deadline (sla.restarted).
    due1 = ms("2026-04-02 00:00:00+08")
    evs = restarted_events(x)
    expect("material: one sla.restarted, for resolution round 1: cause, start, new deadline",
           [("resolution", 1, "new_material", at, due1)],
           [(d.get("stage"), d.get("round"), d.get("cause"), d.get("started_at"),
             d.get("due_at")) for d in evs])
    expect("material: its keys: the sla head, cause, started_at, due_at (no identity)",
           sorted(["complaint_no", "stage", "round", "department", "handler", "priority",
                   "cause", "started_at", "due_at"]),
           sorted(evs[0].keys()) if evs else [])
    expect("material: one 'started' firing row (phase 0) for round 1", "resolution|1|0",
           sql("select string_agg(k.stage || '|' || k.round || '|' || f.phase, ' ')"
               " from sla_firing f join sla_clock k on k.id = f.clock_id"
               " where f.step = 'started' and k.complaint_id ="
               " (select id from complaint where complaint_no = :'no')", no=x))
    wait_sql("material: one customer notification of the restarted period (e-mail)",
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and event_type = 'sla.restarted' and recipient_kind = 'customer'"
             " and channel = 'email'", 20, no=x)

    def mails(word):
        return [b for s, b in checks.mail_texts(maildir) if x in s + b and word in b]
    wait_for("material: the customer's e-mail of the new deadline arrives",
             lambda: mails("时限已重新计算"), 20)
    got = mails("时限已重新计算")
    note("  customer: " + " // ".join(b.replace("\n", " / ") for b in got))
    expect_true("material: it gives the new deadline in the case's zone (+08:00)",
                len(got) == 1 and "2026-04-01 24:00 +08:00" in got[0] and "{{" not in got[0],
                repr(got))
    wait_for("material: the complaint.new_material e-mail says the date follows separately",
             lambda: mails("另行通知"), 20)
    #  The extension before it (step `extended`) was told in words a customer
    #  reads: "30日" counted from receipt, not the policy's "30d".
    wait_for("extended: the customer's e-mail of the extension arrives",
             lambda: mails("时限延长至"), 20)
    ext = mails("时限延长至")
    expect_true("extended: it says 30日 from receipt and the new deadline in +08:00, never '30d'",
                len(ext) == 1 and "延长至 30日（自收到投诉之日起计" in ext[0]
                and "2026-04-07 24:00 +08:00" in ext[0] and "30d" not in ext[0], repr(ext))


def restarted_events(x):
    return [ev.get("data") or {} for _, _, ev in
            checks.events("complaint_no = :'no' and type = 'sla.restarted'", no=x)]


def material_again(x):
    """A second recompute of the case (marked dirty by hand) adds nothing."""
    settle()
    expect("material again: still one sla.restarted", 1, len(restarted_events(x)))
    expect("material again: still one customer notification of it", 1,
           sql_int("select count(*) from notification where complaint_no = :'no'"
                   " and event_type = 'sla.restarted'", no=x))


def refused_step2(errfile):
    with open(errfile, errors="replace") as f:
        err = f.read()
    expect_true("again: step 2 of round 1 by a supervisor is refused, naming the manager",
                "needs the approval of a manager" in err and "extension 2 of resolution" in err,
                err.strip()[-300:])


def again(x):
    settle()
    # Round 1 from Tue 03-17 10:00: to 30d -> Thu 04-16; to 60d -> Sat 05-16,
    # a weekend -> the end of Mon 05-18.
    expect("again: round 1 extended twice: to 30d, to 60d, due end of 05-18",
           "2|{30d,60d}|%d" % ms("2026-05-19 00:00:00+08"),
           row(x, "resolution", 1, "extensions", "extended_by", MS % "due_at"))
    e1 = lines_with(x, "sla.extended resolution 1 ext:1")
    e2 = lines_with(x, "sla.extended resolution 1 ext:2")
    expect_true("again: sla.extended ext:1 of round 1 (previous end of 04-01, new end of 04-16)",
                len(e1) == 1 and "previous_due_at=%d" % ms("2026-04-02 00:00:00+08") in e1[0]
                and "due_at=%d" % ms("2026-04-17 00:00:00+08") in e1[0], repr(e1))
    expect_true("again: sla.extended ext:2 of round 1, adds=60d, approver=manager",
                len(e2) == 1 and "adds=60d" in e2[0] and "approver=manager" in e2[0]
                and "due_at=%d" % ms("2026-05-19 00:00:00+08") in e2[0], repr(e2))
    expect("again: the audit rows say what was approved",
           "resolution|1|to 30d|supervisor, resolution|1|to 30d|supervisor, "
           "resolution|2|to 60d|manager",
           sql("select string_agg(a.details->>'stage' || '|' || (a.details->>'step') || '|'"
               " || (a.details->>'adds') || '|' || (a.details->>'approver'), ', ' order by a.id)"
               " from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and a.action = 'extend'", no=x))


def resolved(x):
    settle()
    at = ms("2026-03-25 10:00:00+08")
    expect("resolved: resolution round 1 met on time", "met|%d|false" % at,
           row(x, "resolution", 1, "state", MS % "met_at", "met_at > due_at"))
    expect("resolved: the service clock met", "met|%d" % at,
           row(x, "service", 0, "state", MS % "met_at"))
    expect_true("resolved: sla.met for service and for resolution round 1, once each",
                len(lines_with(x, "sla.met service 0 met")) == 1
                and len(lines_with(x, "sla.met resolution 1 met")) == 1,
                repr(lines_with(x, "sla.met")))


def end(x):
    settle()
    expect("sla.* events = sla_firing rows", sql_int("select count(*) from sla_firing"),
           sql_int("select count(*) from event_log where type like 'sla.%'"))
    expect("no identity or note text in sla.* events", 0,
           sql_int("select count(*) from event_log where type like 'sla.%'"
                   " and (position(convert_to('客户-两钟', 'UTF8') in event) > 0"
                   " or position(convert_to('鉴定', 'UTF8') in event) > 0"
                   " or position(convert_to('聊天记录', 'UTF8') in event) > 0)"))
    note("clocks: " + sql("select string_agg(stage || ':' || round || '=' || state, ' '"
                          " order by stage, round) from sla_clock where complaint_id ="
                          " (select id from complaint where complaint_no = :'no')", no=x))


STEPS = {
    "settle": settle, "start": start, "waiting": waiting, "replied": replied,
    "appraisal": appraisal, "appraised": appraised, "extended": extended,
    "material": material, "material-again": material_again, "refused-step2": refused_step2, "again": again,
    "resolved": resolved, "end": end,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit("usage: sla_two_clocks.py STEP ARGS...  (steps: %s)" % " ".join(sorted(STEPS)))
    STEPS[sys.argv[1]](*sys.argv[2:])
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
