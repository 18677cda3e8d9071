#!/usr/bin/python3
"""vetting.py — issue 16 §1: vetting (审核), several outcomes and the answer
to the customer, against a running bus, intake (the shipped vetting
policy), router, watchdog and a notifier writing to an smtp-sink
(vetting.sh describes the steps). Every action is `complaintctl act` as a
named person (lifecycle.py's helpers); messages are read decoded from the
sink's folder.

    vetting.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR --mail DIR

Every check is counted (checks.py); exits 1 if any failed.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_for, wait_sql  # noqa: E402
from lifecycle import (LAST_ERR, NO_TOKEN, ctl, dept, handler, refused, staff_in, step,  # noqa: E402
                       wait_assigned)

MAIL = [None]
ARGS = [None]
CODES = {}                  # complaint number -> the customer's query code
OFFICE, OFFICE2, MANAGER = "li_na", "liu_yang", "zhang_wei"


def submit(ref, body, email, phone, lang="zh"):
    rc, out, err = ctl(NO_TOKEN, "submit", "--channel", "web", "--ref", ref, "--lang", lang,
                       "--product", "信用卡", "--body", body, "--email", email, "--phone", phone,
                       "--name", "测试客户-" + ref)
    reply = (checks.jsonl(out) or [{}])[0]
    no = reply.get("complaint_no", "")
    CODES[no] = reply.get("query_code", "")
    expect_true("%s: a complaint number" % ref, re.fullmatch(r"[0-9]{15,}", no),
                "%r %s" % (no, err.strip()[-200:]))
    return no if wait_assigned(no) else None


def says(desc, *words):
    expect_true(desc, all(w in LAST_ERR[0] for w in words), LAST_ERR[0].strip()[-400:])


def mails(no, word):
    return [(s, b) for s, b in checks.mail_texts(MAIL[0]) if no in s + b and word in s + b]


def one_mail(desc, no, word):
    wait_for(desc + ": the e-mail arrives", lambda: mails(no, word), 20)
    got = mails(no, word)
    expect(desc + ": exactly one such e-mail", 1, len(got))
    if got:
        note("  %s: %s // %s" % (no, got[0][0], got[0][1].replace("\n", " / ")[:600]))
    return got[0] if got else ("", "")


def events(no, etype):
    """How many ETYPE events of NO are on the stream, once nothing of NO
    waits in the outbox: the bus publishes a moment after the commit, so a
    count read right after the action's answer could miss its event."""
    checks.wait_until(lambda: sql("select count(*) = 0 from outbox where complaint_no = :'no'",
                                  no=no) == "t", 20)
    return sql("select count(*) from event_log where complaint_no = :'no' and type = :'t'",
               no=no, t=etype)


def outcome_rows(no):
    return sql("select coalesce(string_agg(o.kind || ':' || coalesce(o.amount::text, '-'), ' '"
               " order by o.seq), '') from complaint_outcome o join complaint c"
               " on c.id = o.complaint_id where c.complaint_no = :'no'", no=no)


def met_at_action(no, stage, action, nth):
    """Was the clock STAGE met exactly when the NTH ACTION was taken?"""
    return sql("select k.state = 'met' and abs(extract(epoch from k.met_at - (select a.at"
               " from case_action a where a.complaint_id = c.id and a.action = :'a'"
               " order by a.id offset :'n' limit 1))) < 0.002 from sla_clock k join complaint c on c.id = k.complaint_id"
               " where c.complaint_no = :'no' and k.stage = :'s' order by k.round desc limit 1",
               no=no, s=stage, a=action, n=str(nth - 1))


def clock_state(no, stage):
    return sql("select k.state from sla_clock k join complaint c on c.id = k.complaint_id"
               " where c.complaint_no = :'no' and k.stage = :'s' order by k.round desc limit 1",
               no=no, s=stage)


def round_cols(no):
    """The vetting round's columns (migration 050): who proposed, approved,
    returned, and whether each time is set."""
    return sql("select coalesce(proposed_by, '-') || '|' || (proposed_at is not null) || '|'"
               " || coalesce(approved_by, '-') || '|' || (approved_at is not null) || '|'"
               " || coalesce(returned_by, '-') || '|' || (returned_at is not null)"
               " from complaint where complaint_no = :'no'", no=no)


def get_json(who, no):
    rc, out, err = ctl(who, "show", no, "--json")
    try:
        got = json.loads(out)
    except ValueError:
        got = {}
    return got.get("complaint", got)


def kinds(outcomes):
    return [o.get("kind") for o in (outcomes or [])]


def proposer_mails(no):
    return mails(no, "处理方案已审核通过")


def proposer_told(desc, no, who):
    """The proposal's author is told of the approval: one notification row
    of kind proposer to them, and their decoded e-mail (vetting2)."""
    wait_sql(desc + ": the proposer's notification row", "select count(*) > 0 from notification"
             " where complaint_no = :'no' and recipient_kind = 'proposer'", 20, no=no)
    expect(desc + ": exactly one row of kind proposer, to the proposer, by e-mail and inbox",
           "email:%s inbox:%s" % (who, who),
           sql("select string_agg(channel || ':' || recipient, ' ' order by channel)"
               " from notification where complaint_no = :'no' and recipient_kind = 'proposer'",
               no=no))
    s, b = one_mail(desc + ": the proposer's e-mail", no, "处理方案已审核通过")
    return s, b


def step_plain():
    note("--- plain: propose, return, propose again, approve (a complex case)")
    no = submit("vt-1", "信用卡年费被重复收取两次，要求退还并道歉。", "vt.cust@example.com",
                "13800000171")
    if not no:
        return
    h = handler(no)
    sv = staff_in(dept(no), "supervisor")
    step("plain: accept", "accepted", h, no, "accept")
    step("plain: investigate", "investigating", h, no, "investigate")
    rc, _, err = ctl(h, "act", no, "mark_complex", "--text", "涉及两笔年费与积分")
    expect("plain: mark_complex", 0, rc)
    wait_sql("plain: the watchdog runs the solution clock", "select count(*) > 0 from sla_clock k"
             " join complaint c on c.id = k.complaint_id where c.complaint_no = :'no'"
             " and k.stage = 'solution'", 20, no=no)
    refused("plain: propose without customer_text", 2, None, h, no, "propose",
            "--outcome", "refund:300", "--text", "内部：已核实重复扣费")
    says("plain: the tool names --customer-text", "customer-text")
    refused("plain: an outcome of an unknown kind names outcomes[1].kind", 1, "invalid_field", h,
            no, "propose", "--outcome", "refund:300", "--outcome", "bribe",
            "--customer-text", "x", "--text", "y")
    says("plain: the refusal names outcomes[1].kind", "outcomes[1].kind")
    refused("plain: a refund without its amount names outcomes[0].amount", 1, "missing_field", h,
            no, "propose", "--outcome", "refund", "--outcome", "apology",
            "--customer-text", "x", "--text", "y")
    says("plain: the refusal names outcomes[0].amount", "outcomes[0].amount")
    step("plain: the handler proposes (refund 300 + apology)", "proposed", h, no, "propose",
         "--outcome", "refund:300", "--outcome", "apology",
         "--customer-text", "经核查，系统在同一账期重复收取了年费。",
         "--text", "内部：柜员操作失误，已提交整改")
    expect("plain: two outcome rows", "refund:300.00 apology:-", outcome_rows(no))
    expect("plain: the round's columns: proposed by the handler, when; not approved or returned",
           "%s|true|-|false|-|false" % h, round_cols(no))
    expect("plain: complaint.proposed on the stream", "1", events(no, "complaint.proposed"))
    wait_sql("plain: the solution clock is met by the proposal", "select coalesce((" +
             "select k.state = 'met' from sla_clock k join complaint c on c.id = k.complaint_id"
             " where c.complaint_no = :'no' and k.stage = 'solution' limit 1), false)", 20, no=no)
    expect("plain: solution met at the proposal's time", "t",
           met_at_action(no, "solution", "propose", 1))
    expect("plain: resolution still running while vetted", "running",
           clock_state(no, "resolution"))
    rc, out, err = ctl(NO_TOKEN, "status", no, "--code", CODES.get(no, ""), "--json")
    try:
        view = json.loads(out)
    except ValueError:
        view = {}
    view = view.get("complaint", view)
    expect("plain: the customer's status view: proposed, next step vetting, with a due date",
           ("proposed", "vetting", True),
           (view.get("state"), view.get("next_step"), bool(view.get("due_at"))))
    wait_for("plain: the complaint office is asked to vet (e-mail)",
             lambda: mails(no, "待审核"), 20)
    got = mails(no, "待审核")
    expect_true("plain: every complaint-office officer, and only they, are asked (3 e-mails)"
                " with the proposed outcomes", len(got) == 3 and
                all("退还款项 300.00 元；致歉" in b for _, b in got), repr(got)[:400])
    refused("plain: a handler may not approve", 1, "forbidden", h, no, "approve")
    refused("plain: a supervisor may not vet (policy: complaint_office)", 1, "forbidden", sv, no,
            "approve")
    says("plain: the refusal names the vetter", "complaint_office")
    refused("plain: a return needs a reason from the list (the tool's check)", 2, None, OFFICE,
            no, "return", "--reason", "bored", "--text", "x")
    says("plain: the tool lists the reasons", "answer_unclear", "--reason")
    step("plain: the office returns it (answer_unclear)", "investigating", OFFICE, no, "return",
         "--reason", "answer_unclear", "--text", "请向客户说明重复收费的原因和退款时间")
    expect("plain: complaint.proposal_returned on the stream", "1",
           events(no, "complaint.proposal_returned"))
    s, b = one_mail("plain: the handler is told it was returned", no, "处理方案被退回")
    expect_true("plain: the handler's e-mail says why in words",
                "给客户的答复未讲清理由" in b, b)
    expect("plain: returned: the office and when, the proposer kept",
           "%s|true|-|false|%s|true" % (h, OFFICE), round_cols(no))
    g = get_json(h, no)
    expect("plain: get: the returned proposal is not the case's outcomes, it is listed apart",
           ([], ["refund", "apology"], OFFICE),
           (g.get("outcomes"), kinds(g.get("returned_outcomes")), g.get("returned_by")))
    rc, out, err = ctl(h, "show", no)
    expect_true("plain: show marks the outcomes as returned, by whom, and lists none as the "
                "case's", "returned 1" in out and "refund 300.00 CNY" in out
                and "returned by" in out and OFFICE in out and "outcome 1" not in out, out)
    step("plain: propose again (refund, apology, goodwill)", "proposed", h, no, "propose",
         "--outcome", "refund:300", "--outcome", "apology", "--outcome", "goodwill",
         "--customer-text", "经核查，系统在同一账期重复收取了年费300元，系我行差错；"
         "款项将于3个工作日内退回原卡。",
         "--text", "内部：柜员操作失误，已提交整改")
    expect("plain: three outcome rows, replaced", "refund:300.00 apology:- goodwill:-",
           outcome_rows(no))
    g = get_json(h, no)
    expect("plain: the next proposal replaces the returned one: outcomes again, none returned",
           (["refund", "apology", "goodwill"], None, None),
           (kinds(g.get("outcomes")), g.get("returned_outcomes"), g.get("returned_by")))
    expect("plain: a new round: proposed again, the return cleared", "%s|true|-|false|-|false" % h,
           round_cols(no))
    expect("plain: no proposer mail before the approval", 0, len(proposer_mails(no)))
    step("plain: the complaint office approves", "resolved", OFFICE, no, "approve",
         "--text", "同意")
    expect("plain: approve emits complaint.resolved", "1", events(no, "complaint.resolved"))
    expect("plain: the decision's columns: principal refund, total 300.00, proposer kept",
           "refund|300.00|%s" % h,
           sql("select resolution_outcome || '|' || resolution_amount || '|' || proposed_by"
               " from complaint where complaint_no = :'no'", no=no))
    expect("plain: approved: by the office, when; the proposer kept", "%s|true|%s|true|-|false"
           % (h, OFFICE), round_cols(no))
    s, b = proposer_told("plain", no, h)
    expect_true("plain: the proposer's e-mail says approved, with the outcomes and the answer",
                "审核通过" in s and "退还款项 300.00 元" in b and "系我行差错" in b, s + b)
    s, b = one_mail("plain: the customer's decision", no, "处理完毕")
    expect_true("plain: the outcomes in words, with the amount",
                "退还款项 300.00 元；致歉；提供额外服务或善意补偿" in b, b)
    expect_true("plain: the reasons as customer_text says", "系我行差错" in b, b)
    expect_true("plain: the routes: review within the window, the bank's line, mediation, "
                "arbitration, the regulator",
                all(w in b for w in ("30 日内", "申请复核", "客服热线", "调解", "仲裁", "监管")), b)
    # issue 16 follow-up (watchdog2): counted on the case's calendar (a last
    # day off moves to the next working day): the calendar tool's count
    resolved = sql("select to_char(resolved_at at time zone 'Asia/Shanghai',"
                   " 'YYYY-MM-DD HH24:MI') from complaint where complaint_no = :'no'", no=no)
    rc, out, _ = ctl(NO_TOKEN, "calendar", "add", "--from", resolved, "--days", "30",
                     "--calendars", os.path.join(os.path.dirname(__file__), "..", "..",
                                                 "deploy", "calendars"))
    until = (re.findall(r"^deadline\s+(\d{4}-\d\d-\d\d)", out, re.M) or ["?"])[0]
    expect_true("plain: the review window's last day, as intake counts it (%s)" % until,
                "（至 %s）" % until in b, b)
    expect_true("plain: the internal text is not in the customer's e-mail",
                "柜员操作失误" not in b, b)
    wait_sql("plain: the resolution clock is met by the approval", "select coalesce((" +
             "select k.state = 'met' from sla_clock k join complaint c on c.id = k.complaint_id"
             " where c.complaint_no = :'no' and k.stage = 'resolution' order by k.round desc"
             " limit 1), false)", 20, no=no)
    expect("plain: resolution met at the approval's time", "t",
           met_at_action(no, "resolution", "approve", 1))
    expect("plain: solution still met at the first proposal", "t",
           met_at_action(no, "solution", "propose", 1))
    rc, out, err = ctl(h, "show", no)
    expect("plain: show exit status", 0, rc)
    expect_true("plain: show lists each outcome and the customer text",
                all(w in out for w in ("outcome 1", "refund 300.00 CNY", "outcome 3", "goodwill",
                                       "customer text", "系我行差错")), out)
    rc, out, err = ctl(h, "show", no, "--json")
    expect_true("plain: get carries outcomes as an array",
                '"outcomes"' in out and '"goodwill"' in out, out[-300:])
    try:
        got = json.loads(out)
    except ValueError:
        got = {}
    evs = [e.get("data") or {} for e in (got.get("events") or got.get("complaint", {})
                                         .get("events") or [])
           if e.get("type") == "complaint.resolved"]
    d = evs[-1] if evs else {}
    expect("plain: complaint.resolved: the approval, the principal outcome, the total, "
           "every kind, monetary relief",
           ("approve", "refund", "300.00", ["refund", "apology", "goodwill"],
            "Closed with monetary relief"),
           (d.get("action"), d.get("outcome"), d.get("amount"), d.get("outcomes"),
            d.get("cfpb_response")))
    rc, out, err = ctl(h, "show", no)
    expect_true("plain: show names the approver and when (the case's columns)",
                "approved by" in out and OFFICE in out and "approved " in out
                and "proposed " in out, out)
    step_plain_casefile(no, h)
    expect_true("plain: no text of the proposal on the stream",
                "柜员操作失误" not in json.dumps(evs, ensure_ascii=False) and
                "系我行差错" not in json.dumps(evs, ensure_ascii=False), repr(evs)[:300])


def step_plain_casefile(no, h):
    """The case file (HTML and JSON) reads the round from the case's columns."""
    step("plain: feedback", "resolved", h, no, "feedback", "--satisfied", "yes")
    step("plain: close", "closed", h, no, "close", "--reason", "satisfied")
    rc, out, err = ctl(OFFICE, "casefile", no, "--json")
    try:
        f = json.loads(out)
    except ValueError:
        f = {}
    k = f.get("complaint", f)
    expect("plain: casefile --json: proposed_by, approved_by, both times, nothing returned",
           (h, OFFICE, True, True, None),
           (k.get("proposed_by"), k.get("approved_by"), isinstance(k.get("proposed_at"), int),
            isinstance(k.get("approved_at"), int), k.get("returned_by")))
    html = os.path.join(ARGS[0].out, "vetting-casefile.html")
    rc, out, err = ctl(OFFICE, "casefile", no, "-o", html)
    text = open(html, encoding="utf-8").read() if rc == 0 and os.path.exists(html) else ""
    expect_true("plain: casefile HTML: approved by the office, the proposal and approval times",
                re.search(r"Approved by</th><td><pre>%s</pre>" % OFFICE, text) is not None
                and '审核时间 Approved at</th><td class="t">' in text
                and '提出时间 Proposed at</th><td class="t">' in text, text[:300])


def step_major():
    note("--- major: a media threat must be vetted")
    no = submit("vt-2", "银行乱扣费，不退款我就找媒体曝光，联系电视台记者。", "vt.major@example.com",
                "13800000172")
    if not no:
        return
    expect("major: the router marked it major", "t",
           sql("select major from complaint where complaint_no = :'no'", no=no))
    h = handler(no)
    if h in ("", "-"):
        h = OFFICE
    step("major: accept", "accepted", h, no, "accept")
    step("major: investigate", "investigating", h, no, "investigate")
    refused("major: a direct resolve is refused", 1, "invalid_transition", h, no, "resolve",
            "--outcome", "apology", "--text", "已致歉")
    says("major: the refusal says it must be vetted, and why", "must be vetted", "major")
    step("major: the complaint office proposes", "proposed", OFFICE, no, "propose",
         "--outcome", "explanation", "--customer-text", "扣费依据合同第5条，已向您说明。",
         "--text", "内部说明")
    refused("major: the proposer may not approve their own proposal", 1, "forbidden", OFFICE, no,
            "approve")
    says("major: the refusal says another person vets it", "you proposed")
    step("major: another officer approves", "resolved", OFFICE2, no, "approve")
    proposer_told("major", no, OFFICE)


def step_limits():
    note("--- limits: amounts over the actor's limit go up")
    no = submit("vt-3", "理财产品赎回延误造成损失，要求赔偿。", "vt.limit@example.com",
                "13800000173")
    small = submit("vt-4", "网点排队太久，要求道歉。", "vt.small@example.com", "13800000174")
    if not (no and small):
        return
    h = handler(no)
    step("limits: accept", "accepted", h, no, "accept")
    refused("limits: a refund of 600 over the handler's limit", 1, "forbidden", h, no,
            "resolve", "--outcome", "refund", "--amount", "600", "--text", "退款")
    says("limits: the refusal names the amount and the limit", "600.00", "500.00", "limit")
    expect_true("limits: the field is amount", "field amount" in LAST_ERR[0] or
                "amount" in LAST_ERR[0], LAST_ERR[0])
    step("limits: propose 60000 (compensation)", "proposed", h, no, "propose",
         "--outcome", "compensation:60000", "--outcome", "apology",
         "--customer-text", "因系统故障延误赎回，按损失给予补偿。", "--text", "内部核算")
    refused("limits: the office's approval over its 50000 limit", 1, "forbidden", OFFICE, no,
            "approve")
    says("limits: the refusal names the total and the office's limit, and who may",
         "60000.00", "50000.00", "manager")
    step("limits: the head office's manager approves", "resolved", MANAGER, no, "approve")
    hs = handler(small)
    step("limits (old client): accept", "accepted", hs, small, "accept")
    step("limits (old client): a direct resolve within the limit", "resolved", hs, small,
         "resolve", "--outcome", "refund", "--amount", "120.5", "--text", "退手续费")
    expect("limits (old client): one outcome row", "refund:120.50", outcome_rows(small))
    wait_sql("limits (old client): the customer's decision is made into notifications",
             "select count(*) > 0 from notification where complaint_no = :'no'"
             " and event_type = 'complaint.resolved'", 20, no=small)
    expect("limits (old client): a direct resolve tells no proposer (no row, no e-mail)",
           (0, 0), (int(sql("select count(*) from notification where complaint_no = :'no'"
                            " and recipient_kind = 'proposer'", no=small)),
                    len(proposer_mails(small))))
    expect("limits (old client): a direct resolve has no vetting round", "-|false|-|false|-|false",
           round_cols(small))


def ask(req):
    import msgpack
    import zmq
    from client import Client
    c = Client(zmq.Context.instance(), ARGS[0].endpoint, "intake", "hotline")
    raw = c.request(msgpack.packb(req), 10000)
    c.close()
    return msgpack.unpackb(raw, raw=False) if raw is not None else None


def step_call():
    note("--- call: first-contact resolution within the agent's limit")
    tokens = checks.staff_tokens(ARGS[0].tokens)
    for ref, amount, ok in (("vt-call-1", "600", False), ("vt-call-2", "300", True)):
        r = ask({"op": "submit", "channel": "hotline", "ref": ref,
                 "body": "客户来电：手续费被多扣，要求退还。", "product": "信用卡",
                 "customer": {"name": "测试客户", "phone": "13800000175"},
                 "first_contact": {"token": tokens["zhao_min"], "outcome": "refund",
                                   "amount": amount, "text": "电话中已说明并退还"}})
        e = (r or {}).get("error") or {}
        if ok:
            expect("call: a refund of %s on the call is resolved" % amount, "resolved",
                   (r or {}).get("state"))
        else:
            expect("call: a refund of %s on the call is refused, naming the field" % amount,
                   "forbidden/first_contact.amount", "%s/%s" % (e.get("code"), e.get("field")))
            expect_true("call: the refusal names the limit", "500.00" in e.get("message", ""),
                        str(e))


def step_reload(n=[0]):
    """After a SIGHUP: every priority is vetted now (vetting.sh edited the
    policy; a broken edit after it is refused and the previous one kept)."""
    n[0] += 1
    note("--- reload: every priority vetted")
    no = submit("vt-r%d-%d" % (os.getpid(), n[0]), "柜台服务态度差，要求道歉。",
                "vt.reload%d@example.com" % os.getpid(), "1380000%04d" % (os.getpid() % 10000))
    if not no:
        return
    h = handler(no)
    step("reload: accept", "accepted", h, no, "accept")
    refused("reload: a plain case's direct resolve is refused now", 1, "invalid_transition", h,
            no, "resolve", "--outcome", "apology", "--text", "已致歉")
    says("reload: the refusal names the rule", "must be vetted", "priority")


ROUND = ("coalesce(proposed_by, '-') || '|' || coalesce(proposed_at::text, '-') || '|'"
         " || coalesce(approved_by, '-') || '|' || coalesce(approved_at::text, '-') || '|'"
         " || coalesce(returned_by, '-') || '|' || coalesce(returned_at::text, '-')")


def step_backfill():
    """Migration 050's backfill, its own text run again: every case's round
    columns, cleared, come back from the audit trail exactly as intake
    wrote them (a case returned and proposed again and approved, approvals
    by another officer and by a manager, a direct resolve, and one left
    returned)."""
    note("--- backfill: migration 050 rebuilds the round from the audit trail")
    no = submit("vt-5", "转账手续费收取标准不清，要求说明并退还。", "vt.back@example.com",
                "13800000176")
    if not no:
        return
    h = handler(no)
    step("backfill: accept", "accepted", h, no, "accept")
    step("backfill: propose", "proposed", h, no, "propose", "--outcome", "explanation",
         "--customer-text", "手续费依据收费标准收取。", "--text", "内部")
    step("backfill: returned, left so", "investigating", OFFICE, no, "return",
         "--reason", "facts_unverified", "--text", "请核实收费标准的版本")
    before = sql("select string_agg(complaint_no || '=' || " + ROUND + ", ' ' order by id)"
                 " from complaint")
    path = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "migrations",
                        "050_vetting_columns.sql")
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^UPDATE complaint c\b.*?;", text, re.S | re.M)
    expect_true("backfill: the migration's UPDATE found", m is not None, path)
    if not m:
        return
    sql("update complaint set proposed_at = null, approved_by = null, approved_at = null,"
        " returned_by = null, returned_at = null")
    sql(m.group(0))
    after = sql("select string_agg(complaint_no || '=' || " + ROUND + ", ' ' order by id)"
                " from complaint")
    expect_true("backfill: cleared and rebuilt, every case's round is as intake wrote it"
                " (an approval, a return, none)",
                before == after and ("|%s|" % OFFICE) in before and "|-|-|-|-|-" in before,
                "%s // %s" % (before[:600], after[:600]))


def main():
    args = lifecycle.start("--mail", "--phase", "--endpoint")
    if not args:
        return checks.status()
    MAIL[0] = args.mail
    ARGS[0] = args
    if args.phase == "reload":
        step_reload()
        return checks.status()
    step_plain()
    step_major()
    step_limits()
    step_call()
    step_backfill()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
