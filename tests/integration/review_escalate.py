#!/usr/bin/python3
"""review_escalate.py — issue 15's staff actions (contact, mark_complex,
appraisal_start / _end, new_material), the independent review, the
escalation that moves responsibility and the `superior` approver, against a
running bus, intake, router and notifier with the real directory: steps a-e
as review_escalate.sh describes them. Every action is `complaintctl act` as
a named person (lifecycle.py's helpers); the review window is measured on
the store's clock, moved with `complaintctl clock shift`.

    review_escalate.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR

Every check is counted (checks.py); exits 1 if any failed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_sql  # noqa: E402
from lifecycle import (LAST_ERR, NO_TOKEN, ctl, dept, handler, refused, staff_in, step,  # noqa: E402
                       submit, wait_assigned)

REVIEWER = "yang_lei"       # the complaint office's supervisor (directory.conf)
OFFICE = "li_na"            # complaint office
MANAGER = "zhang_wei"       # head office manager
BRANCH_SUP = "feng_rui"     # branch_bj supervisor
BRANCH_MGR = "deng_hao"     # branch_bj manager
OUTLET = "outlet_bj_haidian"
CARD_BODY = "信用卡年费被重复收取，要求退还。"
OUTLET_BODY = "海淀支行柜员服务态度恶劣，办理业务时推诿，要求道歉。"


def says(desc, *words):
    expect_true(desc, all(w in LAST_ERR[0] for w in words), LAST_ERR[0].strip()[-300:])


def row(no, columns):
    return sql("select " + columns + " from complaint where complaint_no = :'no'", no=no)


def audit(no, action):
    """The last audit row of ACTION: details' reason|text present|department|from|handler."""
    return sql("select coalesce (a.details->>'reason', '') || '|' || (a.details ? 'text')::text"
               " || '|' || coalesce (a.details->>'department', '') || '|'"
               " || coalesce (a.details->>'from_department', '') || '|'"
               " || coalesce (a.details->>'handler', '')"
               " from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and a.action = :'a' order by a.id desc limit 1",
               no=no, a=action)


def notified(desc, no, event, recipient, like="%"):
    """Wait for the notifier's row of EVENT to RECIPIENT (a staff id or
    'customer'), its subject LIKE the pattern."""
    return wait_sql(desc, "select count(*) > 0 from notification where complaint_no = :'no'"
                    " and event_type = :'e' and recipient = :'r' and subject like :'s'", 20,
                    no=no, e=event, r=recipient, s=like)


def new_case(ref, body=CARD_BODY, *flags):
    no = submit(ref, "信用卡", body, *flags)
    if not wait_assigned(no):
        return None, None, None
    d = dept(no)
    return no, handler(no), staff_in(d, "supervisor")


def step_a():
    note("--- a: contact, mark_complex, appraisal, new material")
    a, h, s = new_case("rv-a")
    if not a:
        return None
    step("a accept", "accepted", h, a, "accept")
    step("a contact by phone", "accepted", h, a, "contact", "--reason", "phone",
         "--text", "电话联系客户，告知受理与处理进度 SECRET-CALL-NOTE")
    expect("a: the contact's audit row (via, text kept)", "phone|true|||", audit(a, "contact"))
    refused("a: contact by pigeon (the tool's check)", 2, None, h, a, "contact",
            "--reason", "pigeon", "--text", "x")
    refused("a: contact without text", 2, None, h, a, "contact", "--reason", "sms")
    step("a mark_complex", "accepted", h, a, "mark_complex", "--text", "涉及多笔交易")
    expect("a: 'complex' in the case's flags", "t", row(a, "'complex' = ANY (flags)"))
    refused("a: mark_complex twice", 1, "invalid_transition", h, a, "mark_complex", "--text", "x")
    refused("a: appraisal_end with none open", 1, "invalid_transition", s, a, "appraisal_end")
    says("a: the refusal says why", "no appraisal is open")
    refused("a: a handler may not open an appraisal", 1, "forbidden", h, a, "appraisal_start",
            "--reason", "testing", "--text", "x")
    step("a appraisal_start (testing)", "accepted", s, a, "appraisal_start", "--reason", "testing",
         "--text", "委托第三方检测POS机具")
    refused("a: a second appraisal while one is open", 1, "invalid_transition", s, a,
            "appraisal_start", "--reason", "valuation", "--text", "x")
    step("a investigate", "investigating", h, a, "investigate")
    step("a request_info", "awaiting_customer", h, a, "request_info", "--text", "请提供账单")
    step("a appraisal_end", "awaiting_customer", s, a, "appraisal_end", "--text", "检测完成")
    step("a new_material resumes the investigation", "investigating", h, a, "new_material",
         "--text", "客户提交了新的交易凭证")
    step("a resolve", "resolved", h, a, "resolve", "--outcome", "refund", "--amount", "300",
         "--text", "退还重复收取的年费")
    notified("a: the customer told of the testing (its kind)", a, "complaint.appraisal_started",
             "customer", "%检测%")
    notified("a: the customer told the testing ended", a, "complaint.appraisal_ended", "customer")
    notified("a: the customer told of the new material", a, "complaint.new_material", "customer")
    expect("a: no message for the contact itself", "0",
           sql("select count(*) from notification where complaint_no = :'no'"
               " and event_type = 'complaint.contacted'", no=a))
    wait_sql("a: the outbox drained", "select count(*) = 0 from outbox", 15)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.contacted'", no=a)
    expect("a: complaint.contacted carries via", ["phone"],
           [e.get("data", {}).get("via") for _, _, e in ev])
    expect("a: appraisal events carry the kind", ["testing", "testing"],
           [e.get("data", {}).get("kind") for _, _, e in checks.events(
               "complaint_no = :'no' and type like 'complaint.appraisal_%'", no=a)])
    expect("a: no contact text on the stream", [],
           checks.leaking_events("SECRET-CALL-NOTE", "complaint_no = :'no'", no=a))
    return a, h, s


def step_b():
    note("--- b: escalation after a resolution moves responsibility")
    e, h, s = new_case("rv-e")
    if not e:
        return
    step("b accept", "accepted", h, e, "accept")
    step("b resolve", "resolved", h, e, "resolve", "--outcome", "explanation", "--text", "已解释")
    from_dept = dept(e)
    step("b escalate from resolved", "resolved", h, e, "escalate", "--level", "head_office",
         "--text", "客户不认可，要求总行处理")
    expect("b: level, department and handler after the escalation",
           "head_office|complaint_office|" + REVIEWER, row(e, "level || '|' || department || '|'"
                                                         " || handler"))
    expect("b: the audit row says where from and to", "|true|complaint_office|%s|%s"
           % (from_dept, REVIEWER), audit(e, "escalate"))
    notified("b: the notifier's row for the new owner (%s)" % REVIEWER, e, "complaint.escalated",
             REVIEWER)
    refused("b: the branch's handler no longer has the case", 1, "forbidden", h, e, "note",
            "--text", "x")


def step_c():
    note("--- c: the superior approver of extension 2")
    o, h, s = new_case("rv-c", OUTLET_BODY, "--branch", "海淀支行")
    if not o:
        return None
    expect("c: the outlet's case", OUTLET, dept(o))
    step("c accept", "accepted", h, o, "accept")
    step("c extension 1 (supervisor)", "accepted", s, o, "extend", "--text", "需调取监控")
    refused("c: extension 2 by the outlet's supervisor", 1, "forbidden", s, o, "extend",
            "--text", "x")
    says("c: the refusal names the superior institution", "superior institution")
    refused("c: extension 2 by the complaint office", 1, "forbidden", OFFICE, o, "extend",
            "--text", "x")
    step("c extension 2 by the branch's manager", "accepted", BRANCH_MGR, o, "extend",
         "--text", "经分行审批再次延期")
    expect("c: the audit row's approver", "superior",
           sql("select a.details->>'approver' from case_action a join complaint c"
               " on c.id = a.complaint_id where c.complaint_no = :'no' and a.action = 'extend'"
               " order by a.id desc limit 1", no=o))
    step("c resolve", "resolved", h, o, "resolve", "--outcome", "apology", "--text", "已致歉")
    return o, h, s


def step_d(a, o):
    note("--- d: review 29 days after the decision")
    b, bh, _ = new_case("rv-b")
    c, ch, cs = new_case("rv-closed")
    if not b or not c:
        return None
    step("d b accept", "accepted", bh, b, "accept")
    step("d b resolve", "resolved", bh, b, "resolve", "--outcome", "explanation", "--text", "已解释")
    step("d c accept", "accepted", ch, c, "accept")
    step("d c resolve", "resolved", ch, c, "resolve", "--outcome", "explanation", "--text", "已解释")
    step("d c feedback", "resolved", ch, c, "feedback", "--satisfied", "yes")
    step("d c close", "closed", ch, c, "close", "--reason", "satisfied")
    rc, _, err = ctl(NO_TOKEN, "clock", "shift", "29d")
    expect("d: clock shift 29d", 0, rc)
    # a: resolved by card_center: reviewed by the complaint office
    if a:
        a_no, ah, asv = a
        card = dept(a_no)
        step("d a review at 29 days", "under_review", ah, a_no, "review", "--text", "客户不满意")
        expect("d a: with the complaint office's supervisor, decided_by the department",
               "complaint_office|%s|%s|%s" % (REVIEWER, card, ah),
               row(a_no, "department || '|' || handler || '|' || decided_by || '|'"
                         " || decided_handler"))
        notified("d a: the complaint office told of the review", a_no,
                 "complaint.review_requested", OFFICE)
        refused("d a: the deciding department's handler may not decide", 1, "forbidden", ah,
                a_no, "reopen", "--text", "x")
        refused("d a: the deciding department's supervisor may not decide", 1, "forbidden", asv,
                a_no, "reopen", "--text", "x")
        step("d a reopen by the complaint office", "reopened", REVIEWER, a_no, "reopen",
             "--text", "复核认为应重新调查")
        expect("d a: back to the department and handler that decided", "%s|%s" % (card, ah),
               row(a_no, "department || '|' || handler"))
        notified("d a: the customer told of the reopening", a_no, "complaint.reopened",
                 "customer")
    # c: closed, then reviewed within the window: upheld by the complaint office
    step("d c review after closure", "under_review", ch, c, "review", "--text", "结案后仍不满意")
    expect("d c: closed_at cleared while under review", "t", row(c, "closed_at IS NULL"))
    refused("d c: the deciding department's supervisor may not uphold", 1, "forbidden", cs, c,
            "close", "--reason", "review_upheld")
    step("d c close as review_upheld by the complaint office", "closed", OFFICE, c, "close",
         "--reason", "review_upheld", "--text", "复核维持原决定")
    notified("d c: the customer told the review upheld the decision", c, "complaint.closed",
             "customer", "%结案%")
    # o: an outlet's decision: its branch reviews
    if o:
        o_no, oh, osv = o
        step("d o review", "under_review", oh, o_no, "review", "--text", "客户要求复核")
        expect("d o: the branch (superior institution) and its supervisor have it",
               "branch_bj|" + BRANCH_SUP, row(o_no, "department || '|' || handler"))
        refused("d o: the outlet's supervisor may not decide", 1, "forbidden", osv, o_no,
                "reopen", "--text", "x")
        step("d o reopen by the branch's supervisor", "reopened", BRANCH_SUP, o_no, "reopen",
             "--text", "分行复核：重新调查")
        expect("d o: back to the outlet", "%s|%s" % (OUTLET, oh),
               row(o_no, "department || '|' || handler"))
    # the complaint office's own decision: nobody of it may decide the
    # review; the head office's management may (a manager closes nothing else)
    x = submit("rv-office", "其他", "想反映一下你们的一些做法，说不清属于哪类。")
    if wait_assigned(x):
        expect("d x: unroutable: the complaint office's queue", "complaint_office", dept(x))
        step("d x accept by the complaint office", "accepted", OFFICE, x, "accept")
        step("d x resolve", "resolved", OFFICE, x, "resolve", "--outcome", "explanation",
             "--text", "已解释")
        refused("d x: a manager may not close outside a review", 1, "forbidden", MANAGER, x,
                "close", "--reason", "no_answer")
        step("d x review", "under_review", OFFICE, x, "review", "--text", "客户不满意")
        refused("d x: the complaint office's supervisor may not decide its own office's review",
                1, "forbidden", REVIEWER, x, "close", "--reason", "review_upheld")
        says("d x: the refusal says who may", "never by complaint_office",
             "a supervisor or manager of a department above it")
        step("d x close as review_upheld by the head office's manager", "closed", MANAGER, x,
             "close", "--reason", "review_upheld", "--text", "总行复核维持")
    return b, bh


def step_e(b, bh):
    note("--- e: review 31 days after the decision")
    rc, _, _ = ctl(NO_TOKEN, "clock", "shift", "2d")
    expect("e: clock shift 2d more (31 days)", 0, rc)
    refused("e: review at 31 days", 1, "invalid_transition", bh, b, "review", "--text", "太晚了")
    says("e: the refusal names the window", "within 30 days", "window closed")
    expect_true("e: the refusal's times are in the bank's zone, the offset written (no UTC)",
                LAST_ERR[0].count("+08:00") == 2 and "UTC" not in LAST_ERR[0],
                LAST_ERR[0].strip()[-300:])
    ctl(NO_TOKEN, "clock", "reset")


def main():
    if not lifecycle.start():
        return checks.status()
    # The rules the watchdog loads from deploy/sla/policy.conf (the second
    # resolution step's approver is `superior`), written as the watchdog's
    # role: no watchdog runs here.
    sql("set role complaints_watchdog;"
        " insert into sla_extension_rule (stage, step, adds, approver, rule) values"
        " ('resolution', 1, 'to 30d', 'supervisor', 'policy.conf:test1'),"
        " ('resolution', 2, 'to 60d', 'superior', 'policy.conf:test2')"
        " on conflict do nothing; reset role")
    note("extension rules seeded")
    a = step_a()
    step_b()
    o = step_c()
    bd = step_d(a, o)
    if bd:
        step_e(*bd)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
