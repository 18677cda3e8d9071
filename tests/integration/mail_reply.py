#!/usr/bin/python3
"""mail_reply.py — the customer's e-mail reply recorded on its case (issue 14
§3), through real processes: Python's smtplib.LMTP and a Maildir write are
the customer's mail, the notifier's real message in the SMTP sink gives the
Message-ID the customer answers. Steps (mail_reply.sh drives):

  submit     a complaint by e-mail; waits for the router's handler; writes
             TEST_DIR/reply_no and TEST_DIR/reply_handler
  reply NO   (the case is awaiting_customer) the answer to the notifier's
             message, the same again, a "编号 NO" reply, a stranger's
  keys NO    the request sent straight to intake: an operator key and the
             adapter for another channel refused (forbidden, channel); the
             address in other letter case recorded, its copy a duplicate
  closed NO  (the case is closed) the customer writes again: a note,
             after_close, state unchanged
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import mail_e2e  # noqa: E402

A = None
CUSTOMER = "li.reply@example.com"
STRANGER = "stranger@example.org"
WORDS = "扣费账单截图已附上，扣费日期是十一月三日"


def setup(args):
    global A
    A = args
    mail_e2e.setup(args)


def message(mid, subject, body, sender=CUSTOMER, extra=""):
    return ("From: =?UTF-8?B?5p2O5Zub?= <%s>\r\n"
            "To: complaints@bank.example.cn\r\n"
            "Subject: %s\r\n"
            "Message-ID: <%s>\r\n%s"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
            % (sender, subject, mid, extra, body)).encode()


def submit():
    data = message("reply-case-%d@test.example" % os.getpid(), "信用卡年费重复扣除",
                   "我的信用卡年费被重复扣了两次，请退还。")
    code, text = mail_e2e.lmtp_send(data, sender=CUSTOMER)
    checks.expect("LMTP: the complaint accepted", 250, code)
    ref = "reply-case-%d@test.example" % os.getpid()
    checks.wait_sql("the complaint is in the store with a handler",
                    "select count(*) = 1 from complaint where ref = :'ref' and handler is not null",
                    30, ref=ref)
    no, handler = checks.sql_rows("select complaint_no, handler from complaint where ref = :'ref'",
                                  ref=ref)[0]
    checks.note("case %s, handler %s" % (no, handler))
    for name, value in (("reply_no", no), ("reply_handler", handler)):
        with open(os.path.join(os.environ["TEST_DIR"], name), "w") as f:
            f.write(value + "\n")


def case(no):
    return checks.sql_rows("select state, version from complaint where complaint_no = :'no'",
                           no=no)[0]


def actions(no, where="true"):
    return checks.sql_rows(
        "select a.action, a.actor, a.actor_role, a.state_before, a.state_after,"
        " coalesce(a.details ->> 'ref', ''), coalesce(a.details ->> 'text', '')"
        " from case_action a join complaint c on c.id = a.complaint_id"
        " where c.complaint_no = :'no' and " + where + " order by a.id", no=no)


def sink_messages():
    rc, out, err = checks.run([sys.executable, A.sink, "report", "--dir", A.sink_dir])
    return checks.jsonl(out) if rc == 0 else []


def spool_drained():
    return not os.listdir(os.path.join(A.dir, "spool", "new"))


def reply(no):
    checks.expect("the case waits for the customer", "awaiting_customer", case(no)[0])

    # The notifier's message asking for information, as the sink got it.
    checks.wait_sql("the notifier sent the customer the request for information",
                    "select count(*) = 1 from notification where complaint_no = :'no'"
                    " and event_type = 'complaint.info_requested' and channel = 'email'"
                    " and state = 'sent'", 30, no=no)
    mid = checks.sql("select message_id from notification where complaint_no = :'no'"
                     " and event_type = 'complaint.info_requested' and channel = 'email'",
                     no=no).strip()
    checks.expect_true("the Message-ID names the case (migration 025)",
                       re.fullmatch(r"<n\d+\.\d+\.%s\.[0-9a-f]{8}@complaints\.local>" % no, mid),
                       mid)
    got = checks.wait_until(lambda: [m for m in sink_messages()
                                     if m["message_id"] == mid and m["rcpt"] == CUSTOMER], 20)
    checks.expect_true("that message reached the customer's mailbox (SMTP sink)", got, mid)

    # 1. The answer to it, over LMTP: customer_replied.
    before = case(no)
    answer = message("answer-%d@mail.example.net" % os.getpid(), "Re: 需要您补充信息", WORDS,
                     extra="In-Reply-To: %s\r\nReferences: %s\r\n" % (mid, mid))
    code, text = mail_e2e.lmtp_send(answer, sender=CUSTOMER)
    checks.expect("LMTP: the reply accepted", 250, code)
    checks.wait_sql("the case is back in investigating",
                    "select state = 'investigating' from complaint where complaint_no = :'no'",
                    20, no=no)
    rows = actions(no, "a.action = 'customer_replied'")
    checks.expect("one customer_replied row, by the adapter on the customer's behalf",
                  [("customer_replied", "mail", "adapter", "awaiting_customer", "investigating",
                    "answer-%d@mail.example.net" % os.getpid())],
                  [tuple(r[:6]) for r in rows])
    checks.expect_true("the audit row keeps the customer's words", rows and WORDS in rows[0][6])
    checks.expect("the version moved by one", int(before[1]) + 1, int(case(no)[1]))
    rc, out, err = checks.run([A.ctl, "show", no])
    checks.expect("complaintctl show as the handler: exit status", 0, rc)
    checks.expect_true("complaintctl show: the handler sees the customer's words", WORDS in out,
                       err.strip()[-200:])
    evs = checks.wait_events("complaint.customer_replied on the stream",
                             "type = 'complaint.customer_replied' and complaint_no = :'no'", 1,
                             no=no)
    checks.expect("one complaint.customer_replied event", 1, len(evs))
    data = evs[0][2].get("data", {}) if evs else {}
    checks.expect("the event: actor and role", ("mail", "adapter"),
                  (data.get("actor"), data.get("actor_role")))
    checks.expect("no event of the case carries the words or the address", [],
                  checks.leaking_events("十一月三日|扣费账单|li\\.reply|@example", 
                                        "complaint_no = :'no'", no=no))

    # 2. The same message again: recorded once, intake answered duplicate.
    code, text = mail_e2e.lmtp_send(answer, sender=CUSTOMER)
    checks.expect("LMTP: the same reply again accepted", 250, code)
    checks.wait_for("the spool drained", spool_drained, 20)
    checks.wait_for("intake answered the copy as a duplicate",
                    lambda: (mail_e2e.metric(mail_e2e.metrics(), "complaints_spool_submitted_total",
                                             '{result="duplicate"}') or 0) >= 1, 20)
    checks.expect("still one customer_replied row", 1,
                  len(actions(no, "a.action = 'customer_replied'")))
    checks.expect("the version did not move", int(before[1]) + 1, int(case(no)[1]))

    # 3. "编号 N" in the subject, into the Maildir: a note, state unchanged.
    ref3 = "note-%d@mail.example.net" % os.getpid()
    mail_e2e.maildir_put("%d.note.test" % time.time(),
                         message(ref3, "Re: 编号 %s 补充一张截图" % no, "还有一张截图，请查收。"))
    checks.wait_sql("the subject reply is a note on the case",
                    "select count(*) = 1 from case_action a join complaint c on c.id = a.complaint_id"
                    " where c.complaint_no = :'no' and a.details ->> 'ref' = :'ref'", 20,
                    no=no, ref=ref3)
    rows = actions(no, "a.details ->> 'ref' = '%s'" % ref3)
    checks.expect("the note: action, actor, state unchanged",
                  [("note", "mail", "adapter", "investigating", "investigating")],
                  [tuple(r[:5]) for r in rows])
    checks.expect("state still investigating", "investigating", case(no)[0])
    checks.expect("one complaint.noted event by the adapter", 1,
                  len([e for e in checks.wait_events(
                       "the adapter's complaint.noted on the stream",
                       "type = 'complaint.noted' and complaint_no = :'no'", 1,
                       match=lambda ev: ev.get("data", {}).get("actor") == "mail", no=no)
                       if e[2].get("data", {}).get("actor") == "mail"]))

    # 4. A stranger writes "编号 N": refused, quarantined, nothing on the case.
    n_actions = len(actions(no))
    version = case(no)[1]
    quarantined = set(mail_e2e.files("quarantine", "*.reason"))
    code, text = mail_e2e.lmtp_send(message("stranger-%d@example.org" % os.getpid(),
                                            "编号 %s" % no, "我也要查这个案子。",
                                            sender=STRANGER), sender=STRANGER)
    checks.expect("LMTP: the stranger's mail accepted (kept, never dropped)", 250, code)
    new = checks.wait_until(lambda: set(mail_e2e.files("quarantine", "*.reason")) - quarantined,
                            20)
    checks.expect("one message quarantined", 1, len(new or ()))
    reason = open(sorted(new)[0]).read() if new else ""
    checks.expect_true("its reason: forbidden, field from, intake's sentence",
                       "code=forbidden\n" in reason and "field=from\n" in reason
                       and "not the customer" in reason, reason)
    eml = sorted(new)[0][:-len(".reason")] + ".eml" if new else ""
    checks.expect_true("the message beside its reason", eml and os.path.exists(eml))
    checks.expect("nothing left in replies/ for it", [],
                  [f for f in mail_e2e.files("replies", "*.eml")
                   if os.path.basename(f) == os.path.basename(eml)])
    checks.expect("nothing on the case", (n_actions, version), (len(actions(no)), case(no)[1]))
    checks.expect("the spool's rejected/ keeps the request", True,
                  len(os.listdir(os.path.join(A.dir, "spool", "rejected"))) >= 1)
    text = mail_e2e.metrics()
    checks.expect("complaints_spool_rejected_total forbidden", 1.0,
                  mail_e2e.metric(text, "complaints_spool_rejected_total", '{code="forbidden"}'))


def keys(no):
    """The reply request straight on intake's socket (client.py, pyzmq's
    CURVE): only an adapter key given the channel may send it."""
    import client
    ep = "tcp://127.0.0.1:%d" % (int(A.lmtp_port) - 3)
    n_actions = len(actions(no))
    req = {"op": "reply", "complaint_no": no, "channel": "email", "ref": "keys-1@test",
           "from": CUSTOMER, "text": "x"}
    for key, channel, why in (("operator", "email", "an operator key"),
                              ("mail", "web", "the e-mail adapter for another channel")):
        rep = client.ask(ep, dict(req, channel=channel), key=key) or {}
        err = rep.get("error") or {}
        checks.expect("reply by %s: forbidden, field channel" % why, ("forbidden", "channel"),
                      (err.get("code"), err.get("field")))
    rep = client.ask(ep, dict(req, **{"from": "Li.Reply@Example.COM"}), key="mail") or {}
    checks.expect("the adapter's key, the customer's address in other letter case: recorded",
                  (True, "note"), (rep.get("ok"), rep.get("action")))
    rep2 = client.ask(ep, dict(req, **{"from": "Li.Reply@Example.COM"}), key="mail") or {}
    checks.expect("the same ref again: the same answer, duplicate",
                  (rep.get("version"), True), (rep2.get("version"), rep2.get("duplicate")))
    checks.expect("one row for it", n_actions + 1, len(actions(no)))


def closed(no):
    checks.expect("the case is closed", "closed", case(no)[0])
    version = int(case(no)[1])
    ref = "after-close-%d@mail.example.net" % os.getpid()
    code, text = mail_e2e.lmtp_send(message(ref, "Re: 编号 %s" % no,
                                            "我还是不满意，请重新处理。"), sender=CUSTOMER)
    checks.expect("LMTP: the reply after closure accepted", 250, code)
    checks.wait_sql("the reply after closure is recorded",
                    "select count(*) = 1 from case_action a join complaint c on c.id = a.complaint_id"
                    " where c.complaint_no = :'no' and a.details ->> 'ref' = :'ref'", 20,
                    no=no, ref=ref)
    rows = checks.sql_rows(
        "select a.action, a.state_after, a.details ->> 'after_close', a.details ->> 'text'"
        " from case_action a join complaint c on c.id = a.complaint_id"
        " where c.complaint_no = :'no' and a.details ->> 'ref' = :'ref'", no=no, ref=ref)
    checks.expect("a note, the case still closed, marked after_close",
                  [("note", "closed", "true")], [tuple(r[:3]) for r in rows])
    checks.expect_true("the words kept for the handler", rows and "请重新处理" in rows[0][3])
    checks.expect("state closed, version + 1", ("closed", version + 1),
                  (case(no)[0], int(case(no)[1])))
    evs = checks.wait_events("the adapter's complaint.noted (state closed) on the stream",
                             "type = 'complaint.noted' and complaint_no = :'no'", 1,
                             match=lambda ev: (ev.get("data", {}).get("state") == "closed"
                                               and ev.get("data", {}).get("actor") == "mail"),
                             no=no)
    checks.expect_true("complaint.noted on the stream for the handler, state closed",
                       any(e[2].get("data", {}).get("state") == "closed"
                           and e[2].get("data", {}).get("actor") == "mail" for e in evs))


if __name__ == "__main__":
    sys.exit(checks.step_main({"submit": submit, "reply": reply, "keys": keys, "closed": closed},
                              ("--maildir", "--dir", "--lmtp-port", "--metrics-port", "--sink",
                               "--sink-dir", "--ctl"), setup=setup))
