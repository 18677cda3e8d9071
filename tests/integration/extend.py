#!/usr/bin/python3
"""extend.py — SLA extensions and the store's clock on the intake side
(issue 4), the scenario and checks of tests/integration/extend.sh against a
running bus, intake and router with the real directory. Like lifecycle.py
(whose complaintctl helpers it shares) it runs the client it checks: every
action is `complaintctl act` as a named person; `complaintctl clock` moves
the store's clock.

    extend.py --ctl complaintctl --tokens tokens.plain --directory FILE
              --out DIR --csv SAMPLE --scratch DBNAME

Steps a-f as extend.sh describes them. --scratch: a migrated database
made by the shell, where `clock` as a role outside complaints_test_clock must be
refused.

Every check is counted (checks.py); exits 1 if any failed.
"""
import json
import os
import re
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import (expect, expect_ge, expect_le, expect_true, note, sql,  # noqa: E402
                    sql_int, wait_sql)
from lifecycle import NO_TOKEN, ctl, dept, handler, save, wait_assigned  # noqa: E402

ARGS = None
MANAGER = "zhang_wei"       # head office: the whole tree
OFFICE = "li_na"            # complaint office
REVIEWER = "yang_lei"       # complaint office supervisor: reviews (issue 15)
LAST_ERR = [""]


def written(no):
    """"state version case_action-rows events" (events: outbox and
    event_log together, so the bus draining meanwhile changes nothing)."""
    return sql("select c.state || ' ' || c.version || ' '"
               " || (select count(*) from case_action a where a.complaint_id = c.id) || ' '"
               " || (select count(*) from outbox o where o.complaint_no = c.complaint_no)"
               " + (select count(*) from event_log e where e.complaint_no = c.complaint_no)"
               " from complaint c where c.complaint_no = :'no'", no=no)


def submit(ref, *flags):
    crc = zlib.crc32(ref.encode()) % 100000000
    rc, out, err = ctl(NO_TOKEN, "submit", "--channel", "web", "--ref", ref, "--product", "信用卡",
                       "--body", "信用卡年费争议 " + ref, "--phone", "139%08d" % crc,
                       "--name", "延期测试-" + ref, *flags)
    no = (checks.jsonl(out) or [{}])[0].get("complaint_no", "")
    expect_true("%s: a complaint number" % ref, re.fullmatch(r"[0-9]{15,}", no),
                "%r %s" % (no, err.strip()[-200:]))
    return no


def step(desc, who, no, *argv):
    """Must succeed: version +1, one audit row and one event more (the
    state is the caller's to check)."""
    _, v0, n0, e0 = (written(no).split() + ["", "0", "0", "0"])[:4]
    rc, out, err = ctl(who, "act", no, *argv)
    if not expect("%s: %s: act exit status" % (desc, who), 0, rc):
        note("  " + err.strip()[-300:])
        return
    note("  %s: act %s -> %s" % (who, " ".join(argv), out.strip()))
    _, v1, n1, e1 = (written(no).split() + ["", "0", "0", "0"])[:4]
    expect("%s: version +1, one audit row, one event" % desc,
           "%d %d %d" % (int(v0) + 1, int(n0) + 1, int(e0) + 1), "%s %s %s" % (v1, n1, e1))


def refused(desc, want_rc, code, who, no, *argv):
    before = written(no)
    rc, _, err = ctl(who, "act", no, *argv)
    LAST_ERR[0] = err
    note("  %s: act %s -> exit %d: %s" % (who, " ".join(argv), rc, err.strip()[:300]))
    expect("%s: exit status" % desc, want_rc, rc)
    if code:
        expect_true("%s: error %s" % (desc, code), "error " + code in err, err.strip()[-200:])
    expect("%s: nothing written (state version audit events)" % desc, before, written(no))


def says(desc, pattern):
    expect_true("%s: /%s/" % (desc, pattern), re.search(pattern, LAST_ERR[0]), LAST_ERR[0])


def last_extend(no):
    """actor|role|before|after|stage|step|adds|approver|has text"""
    return sql("select a.actor, a.actor_role, a.state_before, a.state_after,"
               " a.details->>'stage', a.details->>'step', a.details->>'adds',"
               " a.details->>'approver', (a.details ? 'text')::text"
               " from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and a.action = 'extend'"
               " order by a.id desc limit 1", no=no)


def supervisor(department):
    return sql("select id from staff where department = :'d' and role = 'supervisor'"
               " and active order by id limit 1", d=department)


def clock(*argv):
    """complaintctl clock ARGV: (exit status, stdout, stderr); a move must
    succeed (counted)."""
    return ctl(NO_TOKEN, "clock", *argv)


def clock_move(*argv):
    rc, _, err = clock(*argv)
    expect("complaintctl clock %s: exit status" % " ".join(argv), 0, rc)


def replay():
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 15)
    rc, out, _ = ctl(NO_TOKEN, "replay", "--from", "0")
    save("replay.jsonl", out)
    return checks.jsonl(out)


def clock_row(cid, due_sql, paused_sql="null"):
    """(Re)write the resolution round 0 clock of case id CID."""
    sql("insert into sla_clock (complaint_id, stage, round, selector, rule, calendar,"
        " allowance, started_at, base_due_at, due_at, paused_since, state)"
        " values (:'id', 'resolution', 0, 'test', 'policy.conf:test', 'cn', '15d',"
        " app_now () - interval '15 days', %s, %s, %s,"
        " case when %s is null then 'running' else 'paused' end)"
        " on conflict (complaint_id, stage, round) do update"
        " set due_at = excluded.due_at, base_due_at = excluded.base_due_at,"
        " paused_since = excluded.paused_since, state = excluded.state"
        % (due_sql, due_sql, paused_sql, paused_sql), id=cid)


# ------------------------------------------------------------------ a

def step_a():
    note("--- a: who approves which step")
    a = submit("ext-a")
    if not wait_assigned(a):
        return None
    a_dept, a_h = dept(a), handler(a)
    a_s = supervisor(a_dept)
    note("  %s in %s: handler %s, supervisor %s" % (a, a_dept, a_h, a_s))
    step("a accept", a_h, a, "accept", "--text", "受理")
    refused("a: a handler may not extend", 1, "forbidden", a_h, a, "extend", "--text", "需要更多时间")
    refused("a: extend needs a reason (text)", 2, None, a_s, a, "extend")
    step("a: extension 1 by the supervisor", a_s, a, "extend", "--text", "EXT-SECRET 需调取境外交易凭证")
    expect("a: state unchanged by extend", "accepted", lifecycle.state(a))
    expect("a: audit row of extension 1",
           "%s|supervisor|accepted|accepted|resolution|1|to 30d|supervisor|true" % a_s,
           last_extend(a))
    refused("a: extension 2 by a supervisor", 1, "forbidden", a_s, a, "extend", "--text", "再延期")
    says("a: the refusal names the approver", "needs the approval of a manager")
    refused("a: extension 2 by the complaint office", 1, "forbidden", OFFICE, a, "extend",
            "--text", "再延期")
    step("a: extension 2 by a manager", MANAGER, a, "extend", "--text", "重大复杂案件，经行领导批准")
    expect("a: audit row of extension 2",
           "%s|manager|accepted|accepted|resolution|2|to 60d|manager|true" % MANAGER, last_extend(a))
    refused("a: extension 3 (none in the policy) by a manager", 1, "invalid_transition", MANAGER,
            a, "extend", "--text", "三延")
    says("a: the refusal says the policy allows no extension 3",
         "allows no extension 3 of resolution")
    step("a investigate", a_h, a, "investigate", "--text", "调查")
    refused("a: still no extension 3 after investigate", 1, "invalid_transition", OFFICE, a,
            "extend", "--text", "三延")
    stream = replay()
    expect("a: two complaint.extended events (stage step adds approver actor_role state)",
           [["resolution", 1, "to 30d", "supervisor", "supervisor", "accepted"],
            ["resolution", 2, "to 60d", "manager", "manager", "accepted"]],
           [[e["data"].get(k) for k in ("stage", "step", "adds", "approver", "actor_role", "state")]
            for e in stream if e.get("complaint_no") == a and e["type"] == "complaint.extended"])
    expect("a: the reason never reaches the stream", 0,
           sum(1 for e in stream if "EXT-SECRET" in json.dumps(e, ensure_ascii=False)))
    return a, a_s


# ------------------------------------------------------------------ b

def step_b():
    note("--- b: an extension is approved before the deadline")
    b = submit("ext-b")
    if not wait_assigned(b):
        return None
    b_h, b_s = handler(b), supervisor(dept(b))
    step("b accept", b_h, b, "accept", "--text", "受理")
    b_id = sql("select id from complaint where complaint_no = :'no'", no=b)
    clock_row(b_id, "app_now () - interval '1 hour'")
    refused("b: the deadline passed an hour ago", 1, "invalid_transition", b_s, b, "extend",
            "--text", "太晚了")
    says("b: the refusal says when the deadline passed",
         "the resolution deadline passed at [0-9-]+ [0-9:]+ UTC: an extension is approved"
         " before it")
    clock_row(b_id, "app_now () + interval '1 hour'")
    clock_move("shift", "2h")
    refused("b: due in an hour, then the clock shifted 2h", 1, "invalid_transition", b_s, b,
            "extend", "--text", "时钟已过")
    clock_move("reset")
    clock_row(b_id, "app_now () - interval '1 hour'", "app_now () - interval '2 hours'")
    step("b: a paused clock that never breached may be extended", b_s, b, "extend",
         "--text", "等待客户材料")
    expect("b: extension 1 recorded", "resolution|1|to 30d", "|".join(last_extend(b).split("|")[4:7]))
    return b, b_s, b_id


# ------------------------------------------------------------------ c

def step_c():
    note("--- c: review and reopen start new rounds")
    c = submit("ext-c")
    if not wait_assigned(c):
        return
    c_h, c_s = handler(c), supervisor(dept(c))
    step("c accept", c_h, c, "accept", "--text", "受理")
    step("c extension 1", c_s, c, "extend", "--text", "延期一")
    step("c resolve", c_h, c, "resolve", "--outcome", "explanation", "--text", "已解释")
    refused("c: no extension of a resolved case", 1, "invalid_transition", c_s, c, "extend",
            "--text", "x")
    step("c review", c_h, c, "review", "--text", "客户不满意")
    # issue 15: the review is the complaint office's (its supervisor decides it)
    c_s = REVIEWER
    step("c: review extension 1 (supervisor)", c_s, c, "extend", "--text", "复核需时")
    expect("c: the review clock's step 1", "review|1|to 45d|supervisor",
           "|".join(last_extend(c).split("|")[4:8]))
    refused("c: no review extension 2 in the policy", 1, "invalid_transition", MANAGER, c,
            "extend", "--text", "x")
    step("c reopen", c_s, c, "reopen", "--text", "重新调查")
    c_s = supervisor(dept(c))           # back with the department that decided
    step("c: after reopen the resolution steps start again at 1", c_s, c, "extend",
         "--text", "新一轮延期")
    expect("c: resolution step 1 of the new round", "resolution|1|to 30d|supervisor",
           "|".join(last_extend(c).split("|")[4:8]))


# ------------------------------------------------------------------ d

CLOCK_FIELDS = ("stage round state allowance calendar rule started_at due_at remaining_ms"
                " paused_ms paused_since extensions extended_by met_at late next_step"
                " next_fire_at firings").split()


def step_d(a, a_s, b, b_s, b_id):
    note("--- d: clocks in the staff view only")
    clock_row(b_id, "app_now () - interval '90 minutes'")
    sql("insert into sla_firing (clock_id, phase, step, due_at, fired_at, fired_by)"
        " select id, 0, 'breach', due_at, app_now (), 'test' from sla_clock"
        " where complaint_id = :'id' and stage = 'resolution'", id=b_id)
    rc, out, _ = ctl(b_s, "show", b, "--json")
    save("show_b.json", out)
    expect("d: show --json exit status", 0, rc)
    clocks = json.loads(out or "{}").get("clocks") or [{}]
    k = clocks[0]
    expect("d: one clock (stage round state allowance firings)",
           ["resolution", 0, "running", "15d", ["breach"]],
           [k.get("stage"), k.get("round"), k.get("state"), k.get("allowance"),
            [f.get("step") for f in k.get("firings") or []]])
    expect_le("d: remaining_ms is about -90 min (against app_now)", -5380000, k.get("remaining_ms"))
    expect_ge("d: remaining_ms is about -90 min (against app_now)", -5500000, k.get("remaining_ms"))
    expect("d: every clock field present (missing)", [], [f for f in CLOCK_FIELDS if f not in k])
    rc, out, _ = ctl(b_s, "show", b)
    save("show_b.txt", out)
    line = [x for x in out.splitlines() if x.startswith("  resolution")]
    expect_true("d: show prints the clock, overdue",
                line and re.search(r"resolution +0 +running .* 1h 30m overdue", line[0]), repr(line))
    expect_true("d: show prints the firing", re.search(r"fired breach \(phase 0\)", out), out[-300:])
    rc, out, _ = ctl(NO_TOKEN, "get", b)
    expect("d: without a token nor query code: no view at all (exit 1, no clocks)",
           (1, False), (rc, "clocks" in out))
    rc, out, _ = ctl(a_s, "show", a, "--json")
    expect("d: a case without clock rows shows an empty list", [],
           json.loads(out or "{}").get("clocks"))


# ------------------------------------------------------------------ e

def received_ms(no):
    return sql_int("select (extract (epoch from received_at) * 1000)::bigint from complaint"
                   " where complaint_no = :'no'", no=no)


def step_e():
    note("--- e: domain times follow the store's clock")
    clock_move("shift", "3d")
    e = submit("ext-e")
    expect("e: received_at is the shifted app time (3 days ahead of now ())", "t",
           sql("select received_at between now () + interval '3 days' - interval '1 minute'"
               " and now () + interval '3 days' + interval '1 minute'"
               " from complaint where complaint_no = :'no'", no=e))
    e2 = submit("ext-e2", "--received-at", "1790000000000")
    expect("e: a given received_at is kept", 1790000000000, received_ms(e2))
    stream = replay()

    def received(no):
        return [ev["data"].get("received_at") for ev in stream
                if ev.get("complaint_no") == no and ev["type"] == "complaint.received"]
    expect("e: complaint.received carries the stored received_at", [received_ms(e)], received(e))
    expect("e: complaint.received of the given time", [1790000000000], received(e2))
    # import --received-now: the CSV's dates are checked, not sent
    rc, out, _ = ctl(NO_TOKEN, "import", ARGS.csv, "--received-now")
    expect("e: import --received-now exit status", 0, rc)
    n = sum(1 for r in checks.jsonl(out) if r.get("complaint_no"))
    expect("e: every imported complaint received at the shifted app time (imported, early)",
           "%d|0" % n,
           sql("select count(*), count(*) filter (where received_at < now () + interval '3 days'"
               " - interval '5 minutes') from complaint where channel = 'regulator'"))
    if wait_assigned(e):
        step("e accept", handler(e), e, "accept", "--text", "受理")
        expect("e: accepted_at and the accept row's time are the shifted app time", "t|t",
               sql("select c.accepted_at > now () + interval '2 days',"
                   " a.at > now () + interval '2 days' from complaint c join case_action a"
                   " on a.complaint_id = c.id and a.action = 'accept'"
                   " where c.complaint_no = :'no'", no=e))
    # every event of e (received: intake's submit; assigned: the router;
    # accepted: a case action) is stamped with the shifted clock, in the
    # outbox or, drained already, in event_log (the outbox's `at`)
    expect("e: every event's at is the shifted app time (events, early)", "t|0",
           sql("select count(*) >= 2 and bool_and (true), count(*) filter (where at <"
               " now () + interval '2 days') from (select at from outbox"
               " where complaint_no = :'no' union all select at from event_log"
               " where complaint_no = :'no') x", no=e))
    clock_move("reset")


# ------------------------------------------------------------------ f

def step_f():
    note("--- f: complaintctl clock")
    rc, out, _ = clock("--json")
    expect("f: clock (show) exit status", 0, rc)
    c = json.loads(out or "{}")
    expect("f: this test database may move its clock, at scale 1", [True, 1],
           [c.get("movable"), c.get("scale")])
    rc, out, _ = clock("shift", "2d", "--json")
    expect("f: clock shift 2d exit status", 0, rc)
    offset = json.loads(out or "{}").get("offset_ms")
    expect_ge("f: offset about 2 days", 172790000, offset)
    expect_le("f: offset about 2 days", 172810000, offset)
    rc, out, _ = clock("shift", "-1 day", "--json")
    offset = json.loads(out or "{}").get("offset_ms")
    expect_ge("f: then -1 day: offset about 1 day", 86390000, offset)
    expect_le("f: then -1 day: offset about 1 day", 86410000, offset)
    rc, _, _ = clock("shift", "banana")
    expect("f: a span PostgreSQL cannot read is a usage error", 2, rc)
    rc, out, _ = clock("reset", "--json")
    c = json.loads(out or "{}")
    expect_true("f: clock reset: offset 0 (±50 ms), scale 1",
                abs(c.get("offset_ms", 1e9)) < 50 and c.get("scale") == 1, out)

    # A role that is not a member of complaints_test_clock (intake's: any
    # but the ones tests/run.sh granted it to) may read the clock, not move it.
    pg = "dbname=%s user=complaints_intake_login" % ARGS.scratch
    rc, _, err = clock("shift", "1h", "--pg", pg)
    expect("f: a role outside complaints_test_clock refuses: exit 1", 1, rc)
    note("  " + err.replace("\n", " "))
    expect_true("f: the store's message", "cannot be moved" in err, err)
    expect_true("f: the store's hint", "hint: GRANT complaints_test_clock" in err, err)
    rc, out, _ = clock("--json", "--pg", pg)
    expect("f: its clock still says not movable", False, json.loads(out or "{}").get("movable"))
    rc, _, _ = clock("--pg", "host=/nonexistent port=1")
    expect("f: the store unreachable: exit 3", 3, rc)


def main():
    global ARGS
    ARGS = lifecycle.start("--csv", "--scratch")
    if not ARGS:
        return checks.status()
    # The rules the watchdog would load from deploy/sla/policy.conf.
    sql("insert into sla_extension_rule (stage, step, adds, approver, rule) values"
        " ('resolution', 1, 'to 30d', 'supervisor', 'policy.conf:test1'),"
        " ('resolution', 2, 'to 60d', 'manager', 'policy.conf:test2'),"
        " ('review', 1, 'to 45d', 'supervisor', 'policy.conf:test3')")
    note("extension rules seeded")
    a = step_a()
    b = step_b()
    step_c()
    if a and b:
        step_d(*a, *b)
    step_e()
    step_f()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
