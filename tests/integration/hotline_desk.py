#!/usr/bin/python3
"""hotline_desk.py — the agent desk through HTTP (see hotline_desk.sh).

    hotline_desk.py --desk URL --endpoint INTAKE --tokens tokens.plain --spool DIR

A real HTTP client (http.client): the cookie and the forms are handled
here, as a browser would, not by any of our code.
"""
import argparse
import html
import http.client
import os
import re
import sys
import urllib.parse

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_sql  # noqa: E402
from client import Client  # noqa: E402

ARGS = None
TOKENS = {}


class Browser:
    """One agent's browser: a cookie jar of one cookie, and the last page."""

    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.cookie = None

    def request(self, method, path, form=None, cookie=True):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie and self.cookie:
            headers["Cookie"] = "desk=" + self.cookie
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        page = r.read().decode("utf-8", "replace")
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("desk="):
                self.cookie = v.split(";")[0][5:]
        conn.close()
        return r.status, page, dict((k.lower(), v) for k, v in r.getheaders())


def csrf_of(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return html.unescape(m.group(1)) if m else None


def by_id(page, ident):
    m = re.search(r'id="%s"[^>]*>([^<]*)<' % re.escape(ident), page)
    return html.unescape(m.group(1)).strip() if m else None


def call_form(**fields):
    base = {"call_id": "", "caller_number": "13900001111", "customer_name": "李雷",
            "complaint": "客户来电：手机银行转账失败但已扣款，\n要求尽快退回。",
            "demand": "退回 500 元", "product": "电子银行", "branch": "上海分行浦东支行",
            "ivr_path": "1-4-2", "recording_ref": "REC-20261205-7781", "amount": "500.00",
            "lang": "zh"}
    base.update(fields)
    return base


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--desk", required=True)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--spool", required=True)
    ARGS = p.parse_args()
    TOKENS.update(checks.staff_tokens(ARGS.tokens))
    agent = "zhao_min"

    note("--- before signing in")
    b = Browser(ARGS.desk)
    st, page, _ = b.request("GET", "/")
    expect("first page: the sign-in form", 200, st)
    expect_true("a session cookie is set", b.cookie and len(b.cookie) == 32, str(b.cookie))
    token0 = csrf_of(page)
    expect_true("the form carries a CSRF token", token0)
    expect_true("labels in both languages, the token field labelled",
                '<label for="token">' in page and "Staff token" in page and "员工令牌" in page)
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-NOAUTH-1"), csrf=token0))
    expect("a call before sign-in: 401", 401, st)
    st, page, _ = b.request("POST", "/signin", {"csrf": token0, "token": "f" * 64})
    expect("a wrong token: 401", 401, st)
    expect_true("... and says why", "token is unknown" in page, page[:300])
    st, page, _ = b.request("POST", "/signin", {"token": TOKENS[agent]})
    expect("sign-in without the CSRF token: 403", 403, st)
    st, page, _ = b.request("POST", "/signin", {"csrf": token0, "token": TOKENS[agent]},
                            cookie=False)
    expect("sign-in without the cookie: 403", 403, st)

    note("--- signed in")
    old = b.cookie
    st, page, hdrs = b.request("POST", "/signin", {"csrf": token0, "token": TOKENS[agent]})
    expect("sign-in: 303 to the desk", (303, "/"), (st, hdrs.get("location")))
    expect_true("a new session value after sign-in", b.cookie and b.cookie != old)
    expect_true("the cookie is HttpOnly and SameSite=Strict",
                "HttpOnly" in hdrs.get("set-cookie", "") and "SameSite=Strict" in hdrs.get("set-cookie", ""))
    st, page, hdrs = b.request("GET", "/")
    expect("the call form", 200, st)
    expect_true("no script, a CSP that forbids it",
                "<script" not in page and "default-src 'none'" in hdrs.get("content-security-policy", ""))
    for name in ("call_id", "caller_number", "customer_name", "customer_email",
                 "customer_account", "complaint", "demand", "product",
                 "branch", "ivr_path", "recording_ref", "resolved_on_call", "outcome",
                 "resolution"):
        if not expect_true("a label for %s" % name, '<label for="%s"' % name in page):
            break
    desk_id = re.search(r'id="call_id"[^>]*value="([^"]*)"', page)
    expect_true("the call id is pre-filled with a desk id",
                desk_id and desk_id.group(1).startswith("desk-"))
    token = csrf_of(page)

    before = sql_int("select count(*) from complaint")
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-CSRF-1"), csrf="1.00"))
    expect("a call with a wrong CSRF token: 403", 403, st)
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-BAD-1",
                                                            caller_number="call me"), csrf=token))
    expect("a bad caller number: 422", 422, st)
    expect_true("the message is beside the field",
                'id="caller_number-error"' in page and 'aria-invalid="true"' in page, page[:400])
    expect_true("what was typed is kept", "手机银行转账失败" in page)
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-BAD-2", complaint=" "),
                                                 csrf=token))
    expect("no words: 422 on complaint", (422, True), (st, 'id="complaint-error"' in page))
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-BAD-3",
                                                            resolved_on_call="yes",
                                                            outcome="refund",
                                                            resolution="已退款"), csrf=token))
    expect("a refund without its amount: 422 on resolution_amount",
           (422, True), (st, 'id="resolution_amount-error"' in page))
    expect("nothing stored by the refusals", before, sql_int("select count(*) from complaint"))

    note("--- a call registered")
    form = dict(call_form(call_id="CC-20261205-0001", customer_email="li.lei@example.com"),
                csrf=token)
    st, page, _ = b.request("POST", "/call", form)
    expect("registered: 201", 201, st)
    no, code = by_id(page, "complaint-no"), by_id(page, "query-code")
    expect_true("a complaint number and a query code on the page",
                no and no.isdigit() and code and len(code) == 11, page[:500])
    when = by_id(page, "registered-at") or ""
    expect_true("the time with its zone", re.search(r"\(Asia/Shanghai, UTC\+08:00\)$", when), when)
    expect("the row: channel, ref, state",
           "hotline|CC-20261205-0001|t",
           sql("select channel, ref, state in ('received', 'assigned') from complaint"
               " where complaint_no = :'no'", no=no))
    expect_true("the words and the evidence lines in the body",
                sql_int("select count(*) from complaint where complaint_no = :'no'"
                        " and body like '%手机银行转账失败%' and body like '%IVR: 1-4-2%'"
                        " and body like '%录音 recording: REC-20261205-7781%'", no=no) == 1)
    st, page, _ = b.request("POST", "/call", form)
    expect("the same form again: the same number, said duplicate",
           (201, no, True), (st, by_id(page, "complaint-no"), "registered before" in page))
    expect_true("the e-mail given is the customer's (a lookup hash made for it)",
                sql_int("select count(*) from complaint where complaint_no = :'no'"
                        " and customer_email_hash is not null", no=no) == 1)
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-BAD-4",
                                                            customer_email="no-at-sign"), csrf=token))
    expect("a bad e-mail: 422 beside customer_email",
           (422, True), (st, 'id="customer_email-error"' in page))
    expect("one complaint for the call id", 1,
           sql_int("select count(*) from complaint where ref = 'CC-20261205-0001'"))

    note("--- about a member of staff (issue 16 follow-up: submit's incident)")
    st, page, _ = b.request("GET", "/")
    expect_true("labels for staff_concerned, incident_at, incident_place",
                all('<label for="%s"' % n in page
                    for n in ("staff_concerned", "incident_at", "incident_place")), "")
    staff = {"staff_concerned": "大堂经理王某", "incident_at": "2026-11-30 09:15",
             "incident_place": "浦东支行营业厅"}
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-STAFF-BAD-1",
                                                            **dict(staff, incident_at="上周")),
                                                 csrf=token))
    expect_true("a time that is not one: 422 beside incident_at, what was typed kept",
                st == 422 and 'id="incident_at-error"' in page and "大堂经理王某" in page,
                "%d %s" % (st, page[:300]))
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-STAFF-BAD-2",
                                                            **dict(staff,
                                                                   incident_at="2099-01-01 10:00")),
                                                 csrf=token))
    expect("a time in the future: 422 beside incident_at", (422, True),
           (st, 'id="incident_at-error"' in page))
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-STAFF-BAD-3",
                                                            **dict(staff,
                                                                   staff_concerned="某" * 201)),
                                                 csrf=token))
    expect("a name over 200 characters: 422 beside staff_concerned (intake's rule)", (422, True),
           (st, 'id="staff_concerned-error"' in page))
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-STAFF-1", **staff),
                                                 csrf=token))
    sno = by_id(page, "complaint-no")
    expect("registered with the incident: 201", 201, st)
    # 2026-11-30 09:15 in Beijing is 01:15 UTC
    expect("the row: the staff concerned, the time (the bank's zone), the place",
           "大堂经理王某|1796001300000|浦东支行营业厅",
           sql("select staff_concerned || '|' || (extract(epoch from incident_at) * 1000)::bigint"
               " || '|' || incident_place from complaint where complaint_no = :'no'", no=sno))

    note("--- solved on the call")
    st, page, _ = b.request("POST", "/call", dict(call_form(
        call_id="CC-20261205-0002", complaint="客户询问年费为何扣两次。",
        resolved_on_call="yes", outcome="explanation",
        resolution="FCR-DESK 已解释：第二笔为分期年费，客户接受。", amount=""), csrf=token))
    fno = by_id(page, "complaint-no")
    expect("first contact: 201, state resolved", (201, "resolved"), (st, by_id(page, "state")))
    expect("the row: resolved by the agent", "resolved|%s|explanation" % agent,
           sql("select state, handler, resolution_outcome from complaint"
               " where complaint_no = :'no'", no=fno))
    wait_sql("the three events on the stream",
             "select count(*) = 3 from event_log where complaint_no = :'no'", 20, no=fno)
    expect("received, accepted, resolved by the agent",
           [("complaint.received", None), ("complaint.accepted", agent),
            ("complaint.resolved", agent)],
           [(t, (e.get("data") or e).get("actor")) for _, t, e in
            checks.events("complaint_no = :'no'", no=fno)])

    note("--- a manager may not resolve: intake refuses the first contact, the desk says so")
    m = Browser(ARGS.desk)
    st, page, _ = m.request("GET", "/")
    st, page, _ = m.request("POST", "/signin", {"csrf": csrf_of(page), "token": TOKENS["zhang_wei"]})
    st, page, _ = m.request("GET", "/")
    st, page, _ = m.request("POST", "/call", dict(call_form(
        call_id="CC-20261205-0003", resolved_on_call="yes", outcome="apology",
        resolution="已致歉"), csrf=csrf_of(page)))
    expect("refused by intake: 422 beside resolved_on_call",
           (422, True), (st, 'id="resolved_on_call-error"' in page))
    expect("nothing stored for it", 0,
           sql_int("select count(*) from complaint where ref = 'CC-20261205-0003'"))
    rejected = [e for e in os.listdir(os.path.join(ARGS.spool, "rejected")) if e.endswith(".reply")]
    expect("kept in the spool's rejected/ with intake's answer, not retried", 1, len(rejected))

    note("--- the query code opens the status view")
    c = Client(zmq.Context.instance(), ARGS.endpoint, "intake")
    raw = c.request(msgpack.packb({"op": "get", "complaint_no": no, "query_code": code}), 5000)
    c.close()
    r = msgpack.unpackb(raw, raw=False) if raw else {}
    expect("status view with the code read out", True, bool(r.get("ok")))

    note("--- sign out")
    st, page, _ = b.request("POST", "/signout", {"csrf": token})
    expect("sign out: 303", 303, st)
    st, page, _ = b.request("POST", "/call", dict(call_form(call_id="CC-OUT-1"), csrf=token))
    expect("a call after signing out: 401", 401, st)
    expect("the spool holds nothing unanswered", [],
           sorted(os.listdir(os.path.join(ARGS.spool, "new"))))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
