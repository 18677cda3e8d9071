#!/usr/bin/python3
"""tasks.py — the checks of tests/integration/tasks.sh: tasks given to
cooperating departments (协办), chased by the watchdogs and by the lead,
answered by the department asked; a rectification item (整改) opened on a
closed case and chased (issue 16; docs/tasks.md). Every action is
`complaintctl act` as a named person (lifecycle.py's helpers); the store's
clock is set with app_clock_set, nearly stopped (scale 1e-6).

    tasks.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR

Every check is counted (checks.py); exits 1 if any failed.
"""
import datetime
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_sql  # noqa: E402
from lifecycle import LAST_ERR, ctl, refused, save, step, submit, wait_assigned  # noqa: E402

PAYMENTS_H = "guo_ying"         # payments' handler (A)
PAYMENTS_STAFF = ("gao_feng", "guo_ying", "he_ping")    # its handlers and supervisor
CARD_SUP = "zhou_jie"           # card_center's supervisor
OFFICE = "li_na"                # the complaint office
STRANGER = "liang_hui"          # ebanking's handler: no task of hers on the case
# issue 16 follow-up (vetting2): who may answer a task asked of an outlet
BJ_SUP = "feng_rui"             # branch_bj's supervisor: the Haidian outlet's own line
CHAOYANG_SUP = "dong_lin"       # the sibling outlet's supervisor
HO_SUP = "ho_sup"               # a head-office supervisor (tasks.sh adds them to a copy
                                # of the directory): above every department


def ms(text):
    return int(datetime.datetime.fromisoformat(text).timestamp() * 1000)


def at(text):
    """The store's clock at TEXT, (almost) stopped there."""
    sql("select app_clock_set(:'t'::timestamptz, 0.000001)", t=text)
    note("store clock at %s" % text)


def says(desc, *words):
    expect_true(desc, all(w in LAST_ERR[0] for w in words), LAST_ERR[0].strip()[-300:])


def task_row(task, columns):
    return sql("select " + columns + " from case_task where id = :'t'", t=task)


def last_task(no):
    return sql("select max(t.id) from case_task t join complaint c on c.id = t.complaint_id"
               " where c.complaint_no = :'no'", no=no)


def fired(task, step_name=None):
    return sql_int("select count(*) from task_firing where task_id = :'t'"
                   " and (:'s' = '' or step = :'s')", t=task, s=step_name or "")


def stream(no, event_type, task):
    """The events of TYPE about TASK on the stream (event_log)."""
    return [e for _, _, e in checks.events("complaint_no = :'no' and type = :'ty'", no=no,
                                           ty=event_type)
            if (e.get("data") or {}).get("task") == int(task)]


def notified(desc, no, event, recipient):
    return wait_sql(desc, "select count(*) > 0 from notification where complaint_no = :'no'"
                    " and event_type = :'e' and recipient = :'r'", 20,
                    no=no, e=event, r=recipient)


def settled():
    return wait_sql("the watchdogs settled (no dirty case, nothing due)",
                    "select (select count(*) from complaint where sla_dirty)"
                    " + (select count(*) from task_clock where next_fire_at <= app_now ()) = 0",
                    20)


def step_a():
    note("--- a: the lead gives tasks")
    at("2026-03-02 09:00:00+08")
    no = submit("task-a", "信用卡", "信用卡还款经支付结算转账后未入账，被收取滞纳金，要求退还。",
                "--received-at", str(ms("2026-03-02T09:00:00+08:00")))
    if not wait_assigned(no):
        return None
    h = lifecycle.handler(no)
    expect("a: the card centre has the case", "card_center", lifecycle.dept(no))
    at("2026-03-02 10:00:00+08")
    step("a accept", "accepted", h, no, "accept")
    refused("a: a task to the case's own department", 1, "invalid_field", h, no, "task_give",
            "--department", "card_center", "--due", "2wd", "--text", "x")
    says("a: the refusal names the department", "department", "own department")
    refused("a: a due that is not a time", 1, "invalid_field", h, no, "task_give",
            "--department", "payments", "--due", "soon", "--text", "x")
    says("a: the refusal names due", "due")
    refused("a: a due already past", 1, "invalid_field", h, no, "task_give",
            "--department", "payments", "--due", "2026-03-01 18:00", "--text", "x")
    refused("a: task_give without a due (the tool's check)", 2, None, h, no, "task_give",
            "--department", "payments", "--text", "x")
    refused("a: payments may not give a task on another's case", 1, "forbidden", PAYMENTS_H, no,
            "task_give", "--department", "ebanking", "--due", "2wd", "--text", "x")
    step("a task_give payments 2wd", "accepted", h, no, "task_give", "--department", "payments",
         "--due", "2wd", "--text", "TASK-SECRET 请核对该笔跨行转账的清算记录与入账时间")
    t1 = last_task(no)
    expect("a: the task: kind, department, state, given by, lead", "task|payments|open|%s|card_center"
           % h, task_row(t1, "kind, department, state, given_by, lead_department"))
    expect("a: due 2 working days on the case's calendar: end of Wed 03-04",
           str(ms("2026-03-05T00:00:00+08:00")),
           task_row(t1, checks.SQL_MS % "due_at"))
    expect("a: payments is now a cooperating department", "t",
           sql("select 'payments' = any (cooperating) from complaint where complaint_no = :'no'",
               no=no))
    step("a task_give ebanking (a local time)", "accepted", h, no, "task_give",
         "--department", "ebanking", "--due", "2026-03-03 18:00",
         "--text", "请提供客户手机银行的登录日志")
    t2 = last_task(no)
    expect("a: its due as given, in the calendar's zone", str(ms("2026-03-03T18:00:00+08:00")),
           task_row(t2, checks.SQL_MS % "due_at"))
    refused("a: a stranger replies to payments' task", 1, "forbidden", STRANGER, no,
            "task_reply", "--task", t1, "--text", "x")
    says("a: the refusal says whose task it is", "payments")
    refused("a: the cooperating department may not chase", 1, "forbidden", PAYMENTS_H, no,
            "task_chase", "--task", t1)
    refused("a: a task that is not this case's", 1, "invalid_field", h, no, "task_chase",
            "--task", "999999")
    step("a task_close ebanking's task", "accepted", h, no, "task_close", "--task", t2,
         "--text", "已从其他渠道取得日志")
    expect("a: closed, ended", "closed|t", task_row(t2, "state, ended_at is not null"))
    refused("a: a closed task cannot be answered", 1, "invalid_transition", STRANGER, no,
            "task_reply", "--task", t2, "--text", "x")
    notified("a: payments' handler told of the task", no, "complaint.task_given", PAYMENTS_H)
    settled()
    expect("a: the watchdogs planted both tasks' clocks", 2,
           sql_int("select count(*) from task_clock where task_id in (:'a', :'b')", a=t1, b=t2))
    expect("a: the open task's reminder at 75%% of its time (Wed 03-04 08:30)",
           str(ms("2026-03-04T08:30:00+08:00")),
           sql("select " + checks.SQL_MS % "next_fire_at" + " from task_clock where task_id = :'t'",
               t=t1))
    expect("a: the closed task's clock stopped", "",
           sql("select next_fire_at from task_clock where task_id = :'t'", t=t2))
    return no, h, t1, t2


def step_b(no, h, t1, t2):
    note("--- b: seen by payments, reminded, chased")
    rc, out, err = ctl(PAYMENTS_H, "show", no)
    save("show_payments.txt", out + err)
    expect("b: payments' handler sees the case (show exit 0)", 0, rc)
    expect_true("b: ... and the task asked of it", "TASK-SECRET" in out, out[-300:])
    phone = "138%08d" % (zlib.crc32(b"task-a") % 100000000)     # lifecycle.submit's
    expect_true("b: ... but not who complained (no name, no phone)",
                "测试客户-task-a" not in out and phone not in out, out[:400])
    rc, out, err = ctl(lifecycle.handler(no), "show", no)
    expect_true("b: the lead's handler sees the customer", "测试客户-task-a" in out, out[:400])
    at("2026-03-04 09:00:00+08")
    wait_sql("b: the reminder fired", "select count(*) = 1 from task_firing"
             " where task_id = :'t' and step = 'due_soon'", 20, t=t1)
    settled()
    for s in PAYMENTS_STAFF:
        notified("b: %s reminded (task.due_soon)" % s, no, "task.due_soon", s)
    step("b the lead's supervisor chases", "accepted", CARD_SUP, no, "task_chase", "--task", t1,
         "--text", "请尽快回复")
    expect("b: chased once", "1", task_row(t1, "chases"))
    notified("b: payments chased (complaint.task_chased)", no, "complaint.task_chased",
             PAYMENTS_H)
    at("2026-03-05 09:00:00+08")
    wait_sql("b: the chase fired", "select count(*) = 1 from task_firing"
             " where task_id = :'t' and step = 'overdue'", 20, t=t1)
    settled()
    notified("b: payments chased when overdue", no, "task.overdue", PAYMENTS_H)
    notified("b: the lead (the case's handler) told it is overdue", no, "task.overdue", h)
    wait_sql("b: the outbox drained", "select count(*) = 0 from outbox", 15)
    expect("b: each step once, with two watchdogs (firings, events)", "2|1|1",
           "%d|%d|%d" % (fired(t1), len(stream(no, "task.due_soon", t1)),
                         len(stream(no, "task.overdue", t1))))
    ev = stream(no, "task.overdue", t1)
    d = (ev[0].get("data") if ev else {}) or {}
    expect("b: task.overdue says task, kind, department, lead, due",
           "task|payments|card_center|%d" % ms("2026-03-05T00:00:00+08:00"),
           "%s|%s|%s|%s" % (d.get("kind"), d.get("department"), d.get("lead_department"),
                            d.get("due_at")))
    expect("b: the watchdogs both worked (fired_by names one of them)", True,
           set(sql("select string_agg(distinct fired_by, ',') from task_firing").split(","))
           <= {"wd-task-1", "wd-task-2"})


def step_c(no, h, t1, t2):
    note("--- c: payments answers; the lead sees it")
    step("c payments replies", "accepted", PAYMENTS_H, no, "task_reply", "--task", t1,
         "--text", "REPLY-SECRET 已核对：转账于 03-01 清算成功，入账延迟系系统批处理所致")
    expect("c: the task done, answered by payments", "done|%s|t" % PAYMENTS_H,
           task_row(t1, "state, replied_by, ended_at is not null"))
    refused("c: a second answer", 1, "invalid_transition", PAYMENTS_H, no, "task_reply",
            "--task", t1, "--text", "again")
    refused("c: chasing a done task", 1, "invalid_transition", h, no, "task_chase", "--task", t1)
    rc, out, err = ctl(h, "show", no)
    save("show_lead.txt", out + err)
    expect("c: the lead's show (exit 0)", 0, rc)
    expect_true("c: ... lists both tasks with the answer",
                "tasks (2)" in out and "REPLY-SECRET" in out and "answered by " + PAYMENTS_H in out
                and "+08:00" in out, out[-600:])
    notified("c: the lead told of the answer", no, "complaint.task_replied", h)
    wait_sql("c: the outbox drained", "select count(*) = 0 from outbox", 15)
    expect("c: no task or answer text on the stream", [],
           checks.leaking_events("TASK-SECRET|REPLY-SECRET|手机银行的登录日志", "complaint_no = :'no'",
                                 no=no))
    expect("c: the task events on the stream", ["complaint.task_given", "complaint.task_given",
                                                "complaint.task_closed", "complaint.task_chased",
                                                "complaint.task_replied"],
           [t for _, t, _ in checks.events("complaint_no = :'no' and type like 'complaint.task%%'",
                                           no=no)])
    expect("c: the closed task never fired", 0, fired(t2))


def step_d(no, h, t1, t2):
    note("--- d: a rectification item after closure")
    step("d resolve", "resolved", h, no, "resolve", "--outcome", "refund", "--amount", "35",
         "--text", "退还滞纳金")
    step("d feedback", "resolved", h, no, "feedback", "--satisfied", "yes")
    step("d close", "closed", h, no, "close", "--reason", "satisfied")
    refused("d: a handler may not open a rectification item", 1, "forbidden", h, no, "rectify",
            "--department", "card_center", "--due", "10wd", "--text", "x")
    refused("d: an owner not of the department", 1, "invalid_field", OFFICE, no, "rectify",
            "--department", "card_center", "--owner", PAYMENTS_H, "--due", "10wd", "--text", "x")
    says("d: the refusal names the owner", "owner")
    step("d rectify", "closed", OFFICE, no, "rectify", "--department", "card_center",
         "--owner", CARD_SUP, "--due", "10wd",
         "--text", "RECT-SECRET 修订跨行还款入账批处理的滞纳金豁免规则")
    r = last_task(no)
    expect("d: the item: kind, department, owner, state", "rectification|card_center|%s|open"
           % CARD_SUP, task_row(r, "kind, department, owner, state"))
    settled()
    at("2026-03-19 09:00:00+08")
    wait_sql("d: reminded", "select count(*) = 1 from task_firing where task_id = :'t'"
             " and step = 'due_soon'", 20, t=r)
    at("2026-03-25 09:00:00+08")
    wait_sql("d: chased", "select count(*) = 1 from task_firing where task_id = :'t'"
             " and step = 'overdue'", 20, t=r)
    settled()
    notified("d: the card centre's supervisor chased", no, "task.overdue", CARD_SUP)
    wait_sql("d: the outbox drained", "select count(*) = 0 from outbox", 15)
    ev = stream(no, "task.overdue", r)
    expect("d: once, kind rectification, owner", "1|rectification|%s" % CARD_SUP,
           "%d|%s|%s" % (len(ev), ev[0]["data"].get("kind") if ev else "",
                         ev[0]["data"].get("owner") if ev else ""))
    expect("d: no item text on the stream", [],
           checks.leaking_events("RECT-SECRET", "complaint_no = :'no'", no=no))


HOTSPOT = "outlet_cause/outlet_bj_haidian/service_attitude/"


def rect(who, *argv):
    rc, out, err = ctl(who, "rectification", *argv)
    LAST_ERR[0] = err
    note("  %s: rectification %s -> exit %d: %s%s" % (who, " ".join(argv), rc, out.strip()[:200],
                                                       err.strip()[:200]))
    return rc, out


def caseless(event_type, task):
    return [e for _, _, e in checks.events("type = :'ty'", ty=event_type)
            if (e.get("data") or {}).get("task") == int(task)]


def step_e():
    note("--- e: a rectification item from a hot spot, chased, marked done")
    # the analytics daemon's hot spot, as it would write it (no analytics runs here)
    sql("set role complaints_analytics;"
        " insert into analytics_hotspot (rule, kind, branch, cause, open, opened_at, count,"
        "   span, judged_at) values ('outlet_cause', 'outlet', 'outlet_bj_haidian',"
        "   'service_attitude', true, app_now (), 4, '30d', app_now ()); reset role")
    sup = lifecycle.staff_in("outlet_bj_haidian", "supervisor") \
        or lifecycle.staff_in("branch_bj", "supervisor")
    h = lifecycle.staff_in("outlet_bj_haidian", "handler")
    at("2026-04-01 09:00:00+08")
    rc, _ = rect(h, "open", "--hotspot", HOTSPOT, "--due", "10wd", "--text", "x")
    expect("e: a handler may not open one (exit 1, forbidden)", (1, True),
           (rc, "error forbidden" in LAST_ERR[0]))
    rc, _ = rect(OFFICE, "open", "--hotspot", "outlet_cause/outlet_sh_pudong/service_attitude/",
                 "--due", "10wd", "--text", "x")
    expect("e: an unknown hot spot (exit 1, invalid_field hotspot)", (1, True),
           (rc, "error invalid_field field=hotspot" in LAST_ERR[0]))
    # issue 16 follow-up (analytics2): the key is analytics' one derived
    # column (053), read by intake through analytics_hotspot_get; a
    # customer's hot spot has none
    expect("e: analytics derives the key intake matches", HOTSPOT,
           sql("select hotspot_key from analytics_hotspot where rule = 'outlet_cause'"
               " and branch = 'outlet_bj_haidian'"))
    sql("set role complaints_analytics;"
        " insert into analytics_hotspot (rule, kind, customer, open, opened_at, count,"
        "   span, judged_at) values ('repeat_customer', 'repeat_customer',"
        "   '0123456789abcdef0123456789abcdef', true, app_now (), 3, '90d', app_now ());"
        " reset role")
    expect("e: a customer's hot spot has no key", "t",
           sql("select hotspot_key is null from analytics_hotspot"
               " where rule = 'repeat_customer'"))
    rc, _ = rect(OFFICE, "open", "--hotspot", "repeat_customer///", "--due", "10wd",
                 "--text", "x")
    expect("e: no item from a customer's hot spot (exit 1, invalid_field hotspot)", (1, True),
           (rc, "error invalid_field field=hotspot" in LAST_ERR[0]))
    rc, _ = rect(OFFICE, "open", "--hotspot", HOTSPOT, "--due", "soon", "--text", "x")
    expect("e: a bad due (exit 1, invalid_field due)", (1, True),
           (rc, "field=due" in LAST_ERR[0]))
    rc, out = rect(OFFICE, "open", "--hotspot", HOTSPOT, "--due", "10wd",
                   "--text", "HOT-SECRET 海淀支行服务态度投诉集中：开展服务规范培训并整改")
    expect("e: opened (exit 0)", 0, rc)
    r = sql("select max(id) from case_task where hotspot = :'k'", k=HOTSPOT)
    expect("e: the item: kind, branch, no case, open, due 10wd (end of Thu 04-16: Mon 04-06"
           " is 清明)", "rectification|outlet_bj_haidian|t|open|%d" % ms("2026-04-17T00:00:00+08:00"),
           task_row(r, "kind, department, complaint_id is null, state, "
                       + checks.SQL_MS % "due_at"))
    expect_true("e: the reply says the item and its deadline", ("#%s" % r) in out
                and "+08:00" in out, out)
    rc, out = rect(h, "list")
    expect_true("e: the outlet's handler lists it", rc == 0 and ("#%s" % r) in out
                and "HOT-SECRET" in out, out[-300:])
    rc, out = rect("gao_feng", "list")
    expect_true("e: payments' supervisor does not see it", rc == 0 and ("#%s" % r) not in out,
                out[-300:])
    wait_sql("e: the watchdogs planted its clock", "select count(*) = 1 from task_clock"
             " where task_id = :'t' and next_fire_at is not null", 20, t=r)
    at("2026-04-14 09:00:00+08")
    wait_sql("e: reminded", "select count(*) = 1 from task_firing where task_id = :'t'"
             " and step = 'due_soon'", 20, t=r)
    at("2026-04-17 09:00:00+08")
    wait_sql("e: chased", "select count(*) = 1 from task_firing where task_id = :'t'"
             " and step = 'overdue'", 20, t=r)
    settled()
    if sup:
        wait_sql("e: the outlet's supervisor told it is overdue",
                 "select count(*) > 0 from notification where event_type = 'rectification.overdue'"
                 " and recipient = :'r'", 20, r=sup)
    wait_sql("e: the complaint office told it is overdue",
             "select count(*) > 0 from notification where event_type = 'rectification.overdue'"
             " and recipient = :'r'", 20, r=OFFICE)
    rc, _ = rect("gao_feng", "done", r, "--text", "x")
    expect("e: another department may not mark it done (exit 1, forbidden)", (1, True),
           (rc, "error forbidden" in LAST_ERR[0]))
    rc, _ = rect(h, "done", r, "--text", "DONE-SECRET 已完成全员服务规范培训，调整柜面排班")
    expect("e: the outlet's handler marks it done (exit 0)", 0, rc)
    expect("e: done, by whom", "done|%s|t" % h, task_row(r, "state, replied_by, ended_at is not null"))
    rc, _ = rect(h, "done", r, "--text", "again")
    expect("e: done twice (exit 1, invalid_transition)", (1, True),
           (rc, "invalid_transition" in LAST_ERR[0]))
    rc, out = rect(OFFICE, "list")
    expect_true("e: no longer among the open items", ("#%s " % r) not in out, out[-300:])
    rc, out = rect(OFFICE, "list", "--all")
    expect_true("e: listed with --all, with what was done", ("#%s " % r) in out
                and "DONE-SECRET" in out, out[-400:])
    wait_sql("e: the outbox drained", "select count(*) = 0 from outbox", 15)
    expect("e: opened, reminded, chased, done: once each on the stream", "1|1|1|1",
           "|".join(str(len(caseless(t, r))) for t in
                    ("rectification.opened", "rectification.due_soon", "rectification.overdue",
                     "rectification.done")))
    expect("e: no item text on the stream", [],
           checks.leaking_events("HOT-SECRET|DONE-SECRET", "type like 'rectification.%%'"))


def acc(who, *argv):
    rc, out, err = ctl(who, "accountability", *argv)
    LAST_ERR[0] = err
    note("  %s: accountability %s -> exit %d: %s%s" % (who, " ".join(argv), rc,
                                                        out.strip()[:300], err.strip()[:200]))
    return rc, out


def step_f():
    note("--- f: the accountability register")
    at("2026-04-20 09:00:00+08")
    ref = submit("task-f", "信用卡", "银行业协会转办：客户反映信用卡分期手续费问题。",
                 "--received-at", str(ms("2026-04-20T09:00:00+08:00")),
                 "--referral-source", "association", "--referrer", "银行业协会",
                 "--staff-concerned", "STAFF-ACC 柜员李某")
    wait_assigned(ref)
    # the registration fields: staff concerned, incident time and place
    inc = submit("task-f-incident", "信用卡", "柜员态度恶劣，拒绝办理挂失。",
                 "--received-at", str(ms("2026-04-20T09:00:00+08:00")),
                 "--staff-concerned", "STAFF-SECRET 柜员王某（工号 0427）",
                 "--incident-at", "2026-04-19 15:30", "--incident-place", "浦东支行二号柜台")
    wait_assigned(inc)
    expect("f: the incident stored", "STAFF-SECRET 柜员王某（工号 0427）|%d|浦东支行二号柜台"
           % ms("2026-04-19T15:30:00+08:00"),
           sql("select staff_concerned, " + checks.SQL_MS % "incident_at" + ", incident_place"
               " from complaint where complaint_no = :'no'", no=inc))
    rc, out, err = ctl(OFFICE, "show", inc)
    expect_true("f: show has the incident (zone written)", rc == 0 and "STAFF-SECRET" in out
                and "2026-04-19 15:30 +08:00" in out and "二号柜台" in out, out[:600])
    rc, out, err = ctl(OFFICE, "submit", "--channel", "web", "--ref", "task-f-long",
                       "--body", "x", "--phone", "13900000000",
                       "--staff-concerned", "长" * 201)
    expect_true("f: a staff_concerned over 200 characters refused, naming it", rc == 1
                and "incident.staff_concerned" in err, err.strip()[-200:])
    wait_sql("f: the outbox drained", "select count(*) = 0 from outbox", 15)
    expect("f: the staff concerned never on the stream", [],
           checks.leaking_events("STAFF-SECRET|工号 0427|二号柜台", "complaint_no = :'no'", no=inc))
    pudong = "outlet_cause/outlet_sh_pudong/service_attitude/"
    sql("set role complaints_analytics;"
        " insert into analytics_hotspot (rule, kind, branch, cause, open, opened_at, count,"
        "   span, judged_at) values ('outlet_cause', 'outlet', 'outlet_sh_pudong',"
        "   'service_attitude', true, app_now (), 5, '30d', app_now ()); reset role")
    settled()
    expect("f: nothing in the register yet", 0, sql_int("select count(*) from accountability_item"))
    at("2026-04-22 09:00:00+08")
    wait_sql("f: the referral's acknowledge clock breached",
             "select count(*) = 1 from sla_firing f join sla_clock k on k.id = f.clock_id"
             " join complaint c on c.id = k.complaint_id where c.complaint_no = :'no'"
             " and k.stage = 'acknowledge' and f.step = 'breach'", 20, no=ref)
    wait_sql("f: a referral nobody accepted in time opened an item",
             "select count(*) = 1 from accountability_item a join complaint c"
             " on c.id = a.complaint_id where c.complaint_no = :'no'"
             " and a.trigger = 'referral_unaccepted'", 20, no=ref)
    expect("f: the hot spot is still within its grace", 0,
           sql_int("select count(*) from accountability_item where hotspot = :'k'", k=pudong))
    at("2026-05-02 09:00:00+08")
    wait_sql("f: a hot spot left without rectification opened an item",
             "select count(*) = 1 from accountability_item where hotspot = :'k'"
             " and trigger = 'hotspot_uncorrected' and department = 'outlet_sh_pudong'", 20,
             k=pudong)
    settled()
    expect("f: the hot spot that has a rectification item opened none", 0,
           sql_int("select count(*) from accountability_item where hotspot = :'k'", k=HOTSPOT))
    wait_sql("f: the outbox drained", "select count(*) = 0 from outbox", 15)
    opened = checks.events("type = 'accountability.opened'")
    expect("f: each told once with two watchdogs", ["hotspot_uncorrected", "referral_unaccepted"],
           sorted((e.get("data") or {}).get("trigger") for _, _, e in opened))
    wait_sql("f: the complaint office told", "select count(*) > 0 from notification"
             " where event_type = 'accountability.opened' and recipient = :'r'", 20, r=OFFICE)
    item = sql("select id from accountability_item where hotspot = :'k'", k=pudong)
    rc, out = acc(OFFICE, "list")
    expect_true("f: the complaint office lists both, undecided", rc == 0
                and out.count("undecided") == 2 and ref in out and pudong in out, out[-400:])
    expect_true("f: the list names the staff concerned of the case's item (integration)",
                "staff concerned: STAFF-ACC 柜员李某" in out, out[-400:])
    rc, _ = acc(OFFICE, "decide", item, "--outcome", "warning")
    expect("f: the complaint office may not decide (exit 1, forbidden)", (1, True),
           (rc, "error forbidden" in LAST_ERR[0]))
    rc, _ = acc("zhang_wei", "decide", item, "--outcome", "training",
                "--text", "NOTE-SECRET 浦东支行全员服务规范培训，支行长诫勉谈话")
    expect("f: a manager decides (exit 0)", 0, rc)
    expect("f: outcome, by whom", "training|zhang_wei|t",
           sql("select outcome, decided_by, decided_at is not null from accountability_item"
               " where id = :'i'", i=item))
    rc, _ = acc("zhang_wei", "decide", item, "--outcome", "warning")
    expect("f: decided once (exit 1, invalid_transition)", (1, True),
           (rc, "invalid_transition" in LAST_ERR[0]))
    rc, out = acc(OFFICE, "list")
    expect_true("f: one item left undecided", out.count("undecided") == 1, out[-300:])
    wait_sql("f: the outbox drained", "select count(*) = 0 from outbox", 15)
    dec = checks.events("type = 'accountability.decided'")
    expect("f: accountability.decided: outcome, actor", [("training", "zhang_wei")],
           [((e.get("data") or {}).get("outcome"), (e.get("data") or {}).get("actor"))
            for _, _, e in dec])
    expect("f: no note on the stream", [],
           checks.leaking_events("NOTE-SECRET", "type like 'accountability.%%'"))


def step_g():
    note("--- g: a customer who complained again, higher, after a breach")
    at("2026-05-04 09:00:00+08")
    g = submit("task-g", "信用卡", "信用卡年费争议，至今无人回复。",
               "--received-at", str(ms("2026-05-04T09:00:00+08:00")))
    if not wait_assigned(g):
        return
    h = lifecycle.handler(g)
    step("g accept", "accepted", h, g, "accept")
    settled()
    at("2026-05-06 09:00:00+08")
    wait_sql("g: the first reply's clock breached",
             "select count(*) = 1 from sla_firing f join sla_clock k on k.id = f.clock_id"
             " join complaint c on c.id = k.complaint_id where c.complaint_no = :'no'"
             " and k.stage = 'first_response' and f.step = 'breach'", 20, no=g)
    settled()
    expect("g: no item before the customer complains again", 0,
           sql_int("select count(*) from accountability_item a join complaint c"
                   " on c.id = a.complaint_id where c.complaint_no = :'no'", no=g))
    step("g escalate (the customer went to the head office)", "accepted", h, g, "escalate",
         "--level", "head_office", "--text", "客户致电总行投诉处理迟缓")
    wait_sql("g: the repeat after a breach opened an item, for the department that was late",
             "select count(*) = 1 from accountability_item a join complaint c"
             " on c.id = a.complaint_id where c.complaint_no = :'no'"
             " and a.trigger = 'repeat_after_breach' and a.department = 'card_center'", 20, no=g)
    wait_sql("g: the outbox drained", "select count(*) = 0 from outbox", 15)
    expect("g: told once", 1, len([e for _, _, e in checks.events(
        "type = 'accountability.opened'")
        if (e.get("data") or {}).get("trigger") == "repeat_after_breach"]))


def task_audit(no):
    """The task actions' audit rows: action=task number, oldest first."""
    return sql("select string_agg(a.action || '=' || coalesce(a.details ->> 'task', '-'), ' '"
               " order by a.id) from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and (a.action like 'task%%' or a.action = 'rectify')",
               no=no)


def step_audit(no, t1, t2):
    """issue 16 follow-up (vetting2): every task action's audit row names
    its task (give, close, chase, reply, and the rectification item)."""
    r = last_task(no)
    expect("audit: each task action's row carries its task's number",
           "task_give=%s task_give=%s task_close=%s task_chase=%s task_reply=%s rectify=%s"
           % (t1, t2, t2, t1, t1, r), task_audit(no))


def step_h():
    """issue 16 follow-up (vetting2): a task asked of an outlet is answered
    by the outlet's staff or a supervisor of its own line (its branch) —
    not the lead's supervisor, a sibling outlet's, or the head office's."""
    note("--- h: who may answer a task asked of an outlet")
    at("2026-05-11 09:00:00+08")
    no = submit("task-h", "信用卡", "信用卡年费扣收有误，客户称曾在海淀支行办理减免。")
    if not wait_assigned(no):
        return
    h = lifecycle.handler(no)
    step("h accept", "accepted", h, no, "accept")
    step("h task_give the Haidian outlet", "accepted", h, no, "task_give",
         "--department", "outlet_bj_haidian", "--due", "2wd", "--text", "请提供客户办理减免的记录")
    t = last_task(no)
    refused("h: a sibling outlet's supervisor may not answer (the case is not in their "
            "scope)", 1, "forbidden", CHAOYANG_SUP, no, "task_reply", "--task", t, "--text", "x")
    says("h: ... the refusal says so", "not in your scope")
    #   These two see the case (the lead's line; the head office's above
    #   every department): the task's own rule refuses them.
    for who, whom in ((CARD_SUP, "the lead's supervisor"),
                      (HO_SUP, "a head-office supervisor (above every department)")):
        refused("h: %s may not answer" % whom, 1, "forbidden", who, no, "task_reply",
                "--task", t, "--text", "x")
        says("h: the refusal names the field task, its department and the rule (%s)" % who,
             "field=task", "outlet_bj_haidian", "own line")
    step("h the branch's supervisor answers for its outlet", "accepted", BJ_SUP, no,
         "task_reply", "--task", t, "--text", "已调取减免记录，确有办理")
    expect("h: done, answered by the branch's supervisor", "done|%s" % BJ_SUP,
           task_row(t, "state, replied_by"))
    expect("h: the give and the reply name the task in the trail",
           "task_give=%s task_reply=%s" % (t, t), task_audit(no))


#   The calendars reloaded on SIGHUP (tasks.sh adds a holiday to intake's
#   copy of cn.conf, then breaks it): a task's 2wd from Mon 2026-06-01 09:00
#   ends with Wed 06-03 on the shipped calendar, with Thu 06-04 once Tue
#   06-02 is a holiday.
RELOAD_CASE = "task-reload"


def phase_reload(name):
    at("2026-06-01 09:00:00+08")
    if name == "before":
        note("--- reload (before): the shipped calendar")
        no = submit(RELOAD_CASE, "信用卡", "信用卡分期手续费计算有误，要求核实。")
        if not wait_assigned(no):
            return
        step("reload accept", "accepted", lifecycle.handler(no), no, "accept")
        want, what = "2026-06-04T00:00:00+08:00", "the shipped calendar: Tue, Wed"
    else:
        no = sql("select complaint_no from complaint where ref = :'r'", r=RELOAD_CASE)
        want, what = "2026-06-05T00:00:00+08:00", "Tue 06-02 a holiday now: Wed, Thu"
        note("--- reload (%s): %s" % (name, what))
    h = lifecycle.handler(no)
    step("reload (%s) task_give 2wd" % name, "accepted", h, no, "task_give",
         "--department", "payments", "--due", "2wd", "--text", "请核对分期手续费")
    expect("reload (%s): due on %s" % (name, what), str(ms(want)),
           task_row(last_task(no), checks.SQL_MS % "due_at"))


def main():
    args = lifecycle.start("--phase")
    if not args:
        return checks.status()
    if args.phase != "main":
        phase_reload(args.phase)
        return checks.status()
    got = step_a()
    if got:
        step_b(*got)
        step_c(*got)
        step_d(*got)
        step_audit(got[0], got[2], got[3])
    step_e()
    step_f()
    step_g()
    step_h()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
