#!/usr/bin/python3
"""followup.py — issue 16 §2 "After the answer": the call-back and its
clock, the watchdog's no_answer closing, the call-back's survey score, the
not-satisfied closes and the valid-complaint determination, against a
running bus, intake, router and two watchdogs (followup.sh describes the
steps).

    followup.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR --logs DIR

Every check is counted (checks.py); exits 1 if any failed.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_sql  # noqa: E402
from lifecycle import ctl, handler, refused, state, step, submit, wait_assigned  # noqa: E402

OFFICE = "li_na"            # the complaint office (deploy/org/directory.conf)
LOGS = [None]


def resolved_case(ref):
    """A complaint accepted and resolved by its handler; its number."""
    no = submit(ref, "信用卡", "信用卡年费被重复收取，要求退还。")
    if not no or not wait_assigned(no):
        return None
    h = handler(no)
    step("%s accept" % ref, "accepted", h, no, "accept")
    step("%s resolve" % ref, "resolved", h, no, "resolve", "--outcome", "explanation",
         "--text", "已向客户解释年费规则")
    return no


def clock(no, cols):
    return sql("select " + cols + " from sla_clock k join complaint c on c.id = k.complaint_id"
               " where c.complaint_no = :'no' and k.stage = 'callback' order by k.round desc"
               " limit 1", no=no)


def wait_clock(no):
    return wait_sql("%s: the watchdog planned the callback clock" % no,
                    "select count(*) > 0 from sla_clock k join complaint c"
                    " on c.id = k.complaint_id where c.complaint_no = :'no'"
                    " and k.stage = 'callback'", 20, no=no)


def shift_to(expr, no):
    """The store's clock to EXPR (SQL over the case's callback clock k),
    running at real speed from there."""
    sql("select app_clock_set((select " + expr + " from sla_clock k join complaint c"
        " on c.id = k.complaint_id where c.complaint_no = :'no' and k.stage = 'callback'"
        " order by k.round desc limit 1), 1)", no=no)


def closed_by_watchdog(desc, no):
    """Closed as no_answer exactly once, by the watchdog through intake."""
    wait_sql("%s: closed" % desc, "select state = 'closed' from complaint"
             " where complaint_no = :'no'", 30, no=no)
    rows = checks.sql_rows("select a.actor, a.actor_role, a.details->>'reason'"
                           " from case_action a join complaint c on c.id = a.complaint_id"
                           " where c.complaint_no = :'no' and a.action = 'close'", no=no)
    expect("%s: one close row: the watchdog, system, no_answer" % desc,
           [["watchdog", "system", "no_answer"]], rows)
    wait_sql("%s: complaint.closed on the stream" % desc,
             "select count(*) > 0 from event_log where complaint_no = :'no'"
             " and type = 'complaint.closed'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.closed'", no=no)
    expect("%s: exactly one complaint.closed, reason no_answer, actor_role system" % desc,
           [("no_answer", "system")],
           [(e["data"].get("reason"), e["data"].get("actor_role")) for _, _, e in ev])
    # the callback clock ends met by the close, the breach fired once
    wait_sql("%s: the callback clock ended" % desc,
             "select k.state in ('met', 'cancelled') from sla_clock k join complaint c"
             " on c.id = k.complaint_id where c.complaint_no = :'no'"
             " and k.stage = 'callback' order by k.round desc limit 1", 20, no=no)
    expect("%s: one sla.breached for the callback clock" % desc, 1,
           sql_int("select count(*) from event_log where complaint_no = :'no'"
                   " and type = 'sla.breached' and encode(event, 'hex') like :'hex'",
                   no=no, hex="%" + b"callback".hex() + "%"))


def step_callback_and_period():
    note("--- callback: attempts logged; the period runs out: closed as no_answer once")
    no = resolved_case("fu-period")
    if not no:
        return
    if wait_clock(no):
        row = clock(no, "k.round, k.allowance, k.rule, k.state,"
                        " k.due_at > k.started_at + interval '3 days' - interval '1 minute'")
        expect_true("callback clock: round 0, 3wd, policy.conf's line, running, due >= 3 days",
                    row.startswith("0|3wd|policy.conf:") and row.endswith("|running|t"), row)
    step("callback no_answer", "resolved", OFFICE, no, "callback", "--reason", "no_answer",
         "--text", "SECRET-CB-NOTE 无人接听")
    expect("callback: the audit row keeps the result", "no_answer",
           sql("select a.details->>'reason' from case_action a join complaint c"
               " on c.id = a.complaint_id where c.complaint_no = :'no'"
               " and a.action = 'callback'", no=no))
    refused("callback busy with an answer", 2, None, OFFICE, no, "callback", "--reason", "busy",
            "--satisfied", "yes")
    refused("callback by a manager", 1, "forbidden", "zhang_wei", no, "callback",
            "--reason", "busy")
    wait_sql("callback: complaint.callback_attempted on the stream",
             "select count(*) > 0 from event_log where complaint_no = :'no'"
             " and type = 'complaint.callback_attempted'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.callback_attempted'", no=no)
    expect("callback: the event says the result, no answer, no score",
           [("no_answer", None, None)],
           [(e["data"].get("result"), e["data"].get("satisfied"), e["data"].get("score"))
            for _, _, e in ev])
    expect("callback: the note's text is not on the stream", [],
           checks.leaking_events("SECRET-CB-NOTE", "complaint_no = :'no'", no=no))
    # the period ends: the store's clock one hour past the callback deadline
    shift_to("k.due_at + interval '1 hour'", no)
    closed_by_watchdog("period", no)
    # The watchdog logs after intake's answer, which the store and the
    # stream may show first: wait for the line, then count them all.
    def refs():
        return sum(len(checks.log_lines(os.path.join(LOGS[0], w + ".log"), "callback_closed"))
                   for w in ("wd-a", "wd-b"))
    checks.wait_until(refs, 10)
    expect("period: one watchdog log line callback_closed in all", 1, refs())
    return no


def step_attempts():
    note("--- attempts: three unanswered call-backs on three days close it early")
    no = resolved_case("fu-attempts")
    if not no or not wait_clock(no):
        return
    shift_to("k.started_at + interval '1 hour'", no)
    step("attempt 1", "resolved", OFFICE, no, "callback", "--reason", "no_answer")
    shift_to("k.started_at + interval '1 hour 5 minutes'", no)
    step("attempt 1b (same day)", "resolved", OFFICE, no, "callback", "--reason", "busy")
    shift_to("k.started_at + interval '25 hours'", no)
    step("attempt 2", "resolved", OFFICE, no, "callback", "--reason", "wrong_number")
    expect("two days of attempts: still resolved", "resolved", state(no))
    shift_to("k.started_at + interval '49 hours'", no)
    # the watchdog may close it before `step` could read it back: the act's
    # own answer is the check
    rc, out, err = ctl(OFFICE, "act", no, "callback", "--reason", "no_answer")
    expect("attempt 3: act exit status", 0, rc)
    note("  %s: act callback --reason no_answer -> %s" % (OFFICE, (out or err).strip()))
    closed_by_watchdog("attempts", no)
    expect_true("attempts: closed before the 3wd period ended",
                sql("select c.closed_at < k.due_at + interval '1 minute'"
                    "  from complaint c join sla_clock k on k.complaint_id = c.id"
                    " where c.complaint_no = :'no' and k.stage = 'callback'", no=no) == "t",
                sql("select c.closed_at || ' ' || k.due_at from complaint c join sla_clock k"
                    " on k.complaint_id = c.id where c.complaint_no = :'no'"
                    " and k.stage = 'callback'", no=no))


def step_survey_and_close():
    note("--- survey at the call-back; closing when not satisfied; determination")
    no = resolved_case("fu-survey")
    if not no:
        return
    refused("close as referred_mediation before any answer", 1, "invalid_transition", OFFICE,
            no, "close", "--reason", "referred_mediation")
    step("callback reached, not satisfied, score 2", "resolved", OFFICE, no, "callback",
         "--reason", "reached", "--satisfied", "no", "--score", "2",
         "--text", "SECRET-SURVEY-COMMENT 客户认为解释不充分")
    expect("the answer is on the case (satisfied false)", "f",
           sql("select satisfied from complaint where complaint_no = :'no'", no=no))
    refused("a second survey score", 1, "invalid_transition", OFFICE, no, "callback",
            "--reason", "reached", "--satisfied", "no", "--score", "4")
    refused("close as satisfied", 1, "invalid_transition", OFFICE, no, "close",
            "--reason", "satisfied")
    wait_sql("survey: complaint.survey_answered on the stream",
             "select count(*) > 0 from event_log where complaint_no = :'no'"
             " and type = 'complaint.survey_answered'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.survey_answered'", no=no)
    expect("survey: one event, score 2, channel callback",
           [(2, "callback")], [(e["data"].get("score"), e["data"].get("channel"))
                               for _, _, e in ev])
    ev = checks.wait_events("callback reached: complaint.callback_attempted on the stream",
                            "complaint_no = :'no' and type = 'complaint.callback_attempted'", 1,
                            no=no)
    expect("callback reached: satisfied false, score 2",
           [("reached", False, 2)],
           [(e["data"].get("result"), e["data"].get("satisfied"), e["data"].get("score"))
            for _, _, e in ev])
    expect("survey: the comment is on no event", [],
           checks.leaking_events("SECRET-SURVEY-COMMENT", "complaint_no = :'no'", no=no))
    step("close as referred_mediation", "closed", OFFICE, no, "close",
         "--reason", "referred_mediation", "--text", "客户选择调解")
    wait_sql("the callback clock met by the answer",
             "select k.state = 'met' from sla_clock k join complaint c on c.id = k.complaint_id"
             " where c.complaint_no = :'no' and k.stage = 'callback'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.closed'", no=no)
    wait_sql("complaint.closed on the stream", "select count(*) > 0 from event_log"
             " where complaint_no = :'no' and type = 'complaint.closed'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.closed'", no=no)
    expect("closed: reason referred_mediation", ["referred_mediation"],
           [e["data"].get("reason") for _, _, e in ev])

    # the valid-complaint determination
    h = handler(no)
    refused("determine by the handler", 1, "forbidden", h, no, "determine",
            "--reason", "valid", "--text", "x")
    step("determine valid", "closed", OFFICE, no, "determine", "--reason", "valid",
         "--text", "SECRET-DETERMINE 年费规则未充分告知，投诉成立")
    refused("a second determination", 1, "invalid_transition", OFFICE, no, "determine",
            "--reason", "invalid", "--text", "改判")
    wait_sql("complaint.determined on the stream", "select count(*) > 0 from event_log"
             " where complaint_no = :'no' and type = 'complaint.determined'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.determined'", no=no)
    expect("determined: one event, valid, by the complaint office",
           [("valid", "complaint_office")],
           [(e["data"].get("determination"), e["data"].get("actor_role")) for _, _, e in ev])
    expect("determined: the reason's text is not on the stream", [],
           checks.leaking_events("SECRET-DETERMINE", "complaint_no = :'no'", no=no))
    rc, out, err = ctl(OFFICE, "show", no)
    expect("show: exit status", 0, rc)
    expect_true("show lists the determination and the call-back",
                "determine" in out and "callback" in out, out[-600:])
    expect_true("show: the determination and the survey answered at the call-back",
                re.search(r"determination\s+valid", out)
                and re.search(r"survey\s+answered: 2 of 5 \(callback\)", out), out[:1500])
    other = submit("fu-open", "信用卡", "信用卡年费被重复收取。")
    if other and wait_assigned(other):
        refused("determine an open case", 1, "invalid_transition", OFFICE, other, "determine",
                "--reason", "valid", "--text", "x")


def as_key(key, doc):
    """One request to intake over CURVE with KEY's certificate (client.py,
    independent of the C code); the decoded reply ({} when none)."""
    r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "client.py"),
                        "request", "--endpoint", os.environ["COMPLAINTS_INTAKE_ENDPOINT"],
                        "--key", key, "--json", json.dumps(doc), "--timeout", "5000"],
                       capture_output=True, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"stdout": r.stdout[-200:], "stderr": r.stderr[-200:]}


def code_of(reply):
    return reply.get("error", {}).get("code") if not reply.get("ok") else "ok"


def step_service_key():
    note("--- the watchdog's key: close as no_answer only, and only once")
    no = resolved_case("fu-key")
    if not no:
        return
    v = lifecycle.version(no)
    base = {"op": "act", "complaint_no": no, "version": v}
    r = as_key("operator", dict(base, action="close", reason="no_answer"))
    expect("another key without a token: missing_field token",
           ("missing_field", "token"), (code_of(r), r.get("error", {}).get("field")))
    r = as_key("watchdog", dict(base, action="note", text="x"))
    expect("the watchdog's key taking another action: forbidden, field action",
           ("forbidden", "action"), (code_of(r), r.get("error", {}).get("field")))
    r = as_key("watchdog", dict(base, action="close", reason="satisfied"))
    expect("the watchdog's key closing for another reason: forbidden", "forbidden", code_of(r))
    expect("nothing written by the refusals", "resolved %d" % v,
           "%s %d" % (lifecycle.state(no), lifecycle.version(no)))
    # two at once, as two watchdogs would: one closes, the other is refused
    out = [None, None]

    def one(i):
        out[i] = as_key("watchdog", dict(base, action="close", reason="no_answer"))
    import threading
    ts = [threading.Thread(target=one, args=(i,)) for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    codes = sorted(code_of(r) for r in out)
    expect_true("two closes at once: one ok, the other conflict or invalid_transition",
                codes[1] == "ok" and codes[0] in ("conflict", "invalid_transition"), codes)
    expect("one close row, by the watchdog (system)", [["watchdog", "system", "no_answer"]],
           checks.sql_rows("select a.actor, a.actor_role, a.details->>'reason'"
                           " from case_action a join complaint c on c.id = a.complaint_id"
                           " where c.complaint_no = :'no' and a.action = 'close'", no=no))


def main():
    args = lifecycle.start("--logs")
    if not args:
        return checks.status()
    LOGS[0] = args.logs
    step_survey_and_close()         # real time first: no clock shift yet
    step_service_key()
    step_callback_and_period()
    step_attempts()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
