#!/usr/bin/python3
"""survey.py — issue 16 §2 "Satisfaction survey": the link in the
resolution e-mail answered through the web adapter by real HTTP requests,
once; refusals; an expired link (survey.sh describes the steps).

    survey.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR
              --mail DIR --web URL

Every check is counted (checks.py); exits 1 if any failed.
"""
import http.cookiejar
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_for, wait_sql  # noqa: E402
from lifecycle import NO_TOKEN, ctl, handler, refused, step, wait_assigned  # noqa: E402

ARGS = [None]
LINK_RE = re.compile(r"(http://\S+/survey\?t=([0-9]+\.[0-9a-f]{32}))")


def opener():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


SEEN = set()                # (path, method, status) answered, for docs/web-api.yaml


def fetch(op, method, url, data=None, headers=None):
    """(status, body text) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with op.open(req, timeout=20) as r:
            st, text = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        st, text = e.code, e.read().decode("utf-8", "replace")
    SEEN.add((urllib.parse.urlsplit(url).path, method.lower(), str(st)))
    return st, text


def step_doc():
    """docs/web-api.yaml's survey operations (x-covered-by: this test) list
    exactly the answers provoked here."""
    import yaml
    doc = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                                           "web-api.yaml")))
    documented = set()
    for path in ("/survey", "/api/v1/survey"):
        for method, op in doc["paths"].get(path, {}).items():
            expect_true("web-api.yaml: %s %s names its test" % (method, path),
                        "survey.sh" in op.get("x-covered-by", ""), repr(op)[:200])
            documented |= {(path, method, str(st)) for st in op.get("responses", {})}
    expect("web-api.yaml's survey answers are those provoked", [],
           sorted(documented ^ SEEN))


def published(no):
    """Until nothing of NO waits in the outbox: every event committed before
    the answers just read is on the event log, where the checks count them
    (the bus publishes a moment after the commit)."""
    wait_sql("every event of %s committed so far on the stream" % no,
             "select count(*) = 0 from outbox where complaint_no = :'no'", 20, no=no)


def resolved_case(ref, email):
    rc, out, err = ctl(NO_TOKEN, "submit", "--channel", "web", "--ref", ref, "--lang", "zh",
                       "--product", "信用卡", "--body", "信用卡年费被重复收取，要求退还。",
                       "--email", email, "--name", "测试客户-" + ref)
    no = (checks.jsonl(out) or [{}])[0].get("complaint_no", "")
    expect_true("%s: a complaint number" % ref, re.fullmatch(r"[0-9]{15,}", no), err[-200:])
    if not no or not wait_assigned(no):
        return None
    h = handler(no)
    step("%s accept" % ref, "accepted", h, no, "accept")
    step("%s resolve" % ref, "resolved", h, no, "resolve", "--outcome", "explanation",
         "--text", "已向客户解释年费规则")
    return no


def link_of(no):
    """The survey link in the resolution e-mail about NO."""
    def found():
        for s, b in checks.mail_texts(ARGS[0].mail):
            if no in s and "处理完毕" in s:
                m = LINK_RE.search(b)
                if m:
                    return m
        return None
    if not wait_for("%s: the resolution e-mail with the survey link" % no, found, 30):
        return None, None
    m = found()
    note("  %s: link %s" % (no, m.group(1)))
    # The notice says until when the link works: the survey row's expiry
    # (intake's --survey-days) in the bank's zone, not a fixed "30 days".
    body = next(b for s, b in checks.mail_texts(ARGS[0].mail) if no in s and "处理完毕" in s)
    until = sql("select to_char(s.expires_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
                " from survey s join complaint c on c.id = s.complaint_id"
                " where c.complaint_no = :'no'", no=no)
    expect_true("%s: the notice says the link is valid until %s +08:00" % (no, until),
                until and ("有效期至 %s +08:00" % until) in body, body[-400:])
    return m.group(1), m.group(2)


def form_csrf(page):
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    return m.group(1) if m else ""


def post_form(op, token, **fields):
    body = urllib.parse.urlencode(dict({"t": token, "lang": "zh"}, **fields)).encode()
    return fetch(op, "POST", ARGS[0].web + "/survey", body,
                {"Content-Type": "application/x-www-form-urlencoded"})


def api(token, score, comment=None):
    body = {"token": token, "score": score}
    if comment is not None:
        body["comment"] = comment
    st, text = fetch(opener(), "POST", ARGS[0].web + "/api/v1/survey",
                    json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        return st, json.loads(text)
    except ValueError:
        return st, {"raw": text}


def step_form():
    note("--- the link in the e-mail, the form answered once")
    no = resolved_case("sv-1", "sv.one@example.com")
    if not no:
        return
    url, token = link_of(no)
    if not url:
        return
    rc, out, err = ctl("li_na", "show", no)
    expect_true("show: the survey sent, not answered, valid until a time with its zone",
                re.search(r"survey\s+sent, not answered; the link is valid until 20\d\d-", out),
                out[:1500])
    expect("the store keeps the token hashed and sealed, never in clear", 0,
           sql_int("select count(*) from survey s join complaint c on c.id = s.complaint_id"
                   " where c.complaint_no = :'no' and (encode (s.token_hash, 'escape')"
                   " like '%' || :'t' || '%' or encode (s.token_sealed, 'escape') like"
                   " '%' || :'t' || '%')", no=no, t=token.split(".")[1]))
    op = opener()
    st, page = fetch(op, "GET", url)
    expect("GET the form: 200", 200, st)
    expect_true("the form (zh): five scores, a comment, a CSRF token, the token hidden",
                all(w in page for w in ('name="score" value="5"', "非常满意", 'name="comment"',
                                         'name="t" value="%s"' % token)) and form_csrf(page),
                page[:300])
    st, page2 = fetch(op, "GET", url + "&lang=en")
    expect_true("the form in English", st == 200 and "Very satisfied" in page2, page2[:200])
    # refusals first: no CSRF, no score, a link of the wrong shape
    st, body = post_form(opener(), token, score="2")
    expect("POST without the CSRF session: 403", 403, st)
    st, body = post_form(op, "nonsense", csrf=form_csrf(page), score="3")
    expect("POST with a link of the wrong shape: 404", 404, st)
    st, body = post_form(op, token, csrf=form_csrf(page), comment="只写意见")
    expect_true("POST without a score: 422, the form again saying so",
                st == 422 and "请选择一个评分" in body, "%d %s" % (st, body[:200]))
    expect("nothing recorded yet", "", sql("select coalesce(answered_at::text, '') from survey s"
                                             " join complaint c on c.id = s.complaint_id"
                                             " where c.complaint_no = :'no'", no=no))
    st, body = post_form(op, token, csrf=form_csrf(page), score="2",
                         comment="SECRET-WEB-COMMENT 解释不够清楚")
    expect_true("POST the answer: 200, thanks", st == 200 and "感谢您的评价" in body,
                "%d %s" % (st, body[:300]))
    expect("the survey row: answered, score 2, channel web, the comment kept",
           "2|web|SECRET-WEB-COMMENT 解释不够清楚",
           sql("select s.score || '|' || s.channel || '|' || s.comment from survey s"
               " join complaint c on c.id = s.complaint_id where c.complaint_no = :'no'", no=no))
    expect("the audit row: survey, score 2", "survey|2|web",
           sql("select a.action || '|' || (a.details->>'score') || '|' || (a.details->>'channel')"
               " from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and a.action = 'survey'", no=no))
    wait_sql("complaint.survey_answered on the stream", "select count(*) > 0 from event_log"
             " where complaint_no = :'no' and type = 'complaint.survey_answered'", 20, no=no)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.survey_answered'", no=no)
    expect("one complaint.survey_answered: score 2, channel web",
           [(2, "web")], [(e["data"].get("score"), e["data"].get("channel")) for _, _, e in ev])
    expect("the comment is on no event", [],
           checks.leaking_events("SECRET-WEB-COMMENT", "complaint_no = :'no'", no=no))
    # once
    st, body = post_form(op, token, csrf=form_csrf(page), score="5")
    expect_true("a second answer: 409, already rated", st == 409 and "已经评价过" in body,
                "%d %s" % (st, body[:300]))
    st, j = api(token, 4)
    expect("the API's second answer: 409, conflict, field token",
           (409, "conflict", "token"),
           (st, j.get("error", {}).get("code"), j.get("error", {}).get("field")))
    refused("the call-back may not score it again", 1, "invalid_transition", "li_na", no,
            "callback", "--reason", "reached", "--satisfied", "no", "--score", "3")
    published(no)
    expect("still one answer", 1,
           sql_int("select count(*) from event_log where complaint_no = :'no'"
                   " and type = 'complaint.survey_answered'", no=no))
    # issue 16 follow-up (adapters2): the link opened again says so at once
    st, body = fetch(opener(), "GET", url)
    expect_true("GET the answered link: 409, already rated, no form (zh)",
                st == 409 and "已经评价过" in body and 'name="score"' not in body
                and "<form" not in body, "%d %s" % (st, body[:300]))
    st, body = fetch(opener(), "GET", url + "&lang=en")
    expect_true("GET the answered link in English: 409, already rated, no form",
                st == 409 and "already rated" in body and "<form" not in body,
                "%d %s" % (st, body[:300]))
    expect_true("the page leaks nothing: not the number, not the secret, not the score",
                no not in body and token.split(".")[1] not in body
                and "SECRET-WEB-COMMENT" not in body, body[:400])
    # a link of the wrong shape, a wrong secret
    st, body = fetch(opener(), "GET", ARGS[0].web + "/survey?t=nonsense")
    expect("GET a link of the wrong shape: 404", 404, st)
    wrong = token.split(".")[0] + "." + ("0" * 32)
    st, body2 = fetch(opener(), "GET", ARGS[0].web + "/survey?t=" + wrong)
    expect_true("GET a wrong secret: 404, not valid, no form, the same page as a wrong shape",
                st == 404 and "评价链接无效" in body2 and "<form" not in body2
                and body2 == body, "%d %s" % (st, body2[:300]))
    st, body2 = fetch(opener(), "GET", ARGS[0].web + "/survey?t=" + wrong + "&lang=en")
    expect_true("GET a wrong secret in English: 404, not valid",
                st == 404 and "not valid" in body2, "%d %s" % (st, body2[:300]))
    st, j = api(wrong, 3)
    expect("the API with a wrong secret: 404, not_found, field token",
           (404, "not_found", "token"),
           (st, j.get("error", {}).get("code"), j.get("error", {}).get("field")))
    st, j = api(token, 9)
    expect("the API with score 9: 400, field score", (400, "score"),
           (st, j.get("error", {}).get("field")))


def step_api():
    note("--- the JSON API, and the same answer sent again (a retry)")
    no = resolved_case("sv-3", "sv.three@example.com")
    if not no:
        return
    url, token = link_of(no)
    if not url:
        return
    st, j = api(token, 5, "处理及时")
    expect("the API: 200, ok, the number, score 5", (200, True, no, 5),
           (st, j.get("ok"), j.get("complaint_no"), j.get("score")))
    st, j = api(token, 5, "处理及时")
    expect("the same answer again (a retry): 200", (200, True), (st, j.get("ok")))
    published(no)
    expect("recorded once", 1, sql_int("select count(*) from event_log where complaint_no = :'no'"
                                       " and type = 'complaint.survey_answered'", no=no))


def step_expired():
    note("--- an expired link")
    no = resolved_case("sv-2", "sv.two@example.com")
    if not no:
        return
    url, token = link_of(no)
    if not url:
        return
    # the form opened before the expiry, sent after it
    op = opener()
    st, page = fetch(op, "GET", url)
    expect_true("GET before the expiry: 200, the form", st == 200 and form_csrf(page), st)
    sql("select app_clock_set((select s.expires_at + interval '1 hour' from survey s"
        " join complaint c on c.id = s.complaint_id where c.complaint_no = :'no'), 1)", no=no)
    st, j = api(token, 5, "迟到的评价")
    expect("the API after the expiry: 410, invalid_transition, field token",
           (410, "invalid_transition", "token"),
           (st, j.get("error", {}).get("code"), j.get("error", {}).get("field")))
    expect_true("the message says it expired", "expired" in j.get("error", {}).get("message", ""),
                repr(j))
    st, body = post_form(op, token, csrf=form_csrf(page), score="5")
    expect_true("the form after the expiry: 410, the link has expired",
                st == 410 and "已过有效期" in body, "%d %s" % (st, body[:200]))
    # issue 16 follow-up (adapters2): opened after the expiry, it says so at once
    st, body = fetch(opener(), "GET", url)
    expect_true("GET the expired link: 410, expired, no form (zh)",
                st == 410 and "已过有效期" in body and "<form" not in body,
                "%d %s" % (st, body[:300]))
    st, body = fetch(opener(), "GET", url + "&lang=en")
    expect_true("GET the expired link in English: 410, expired",
                st == 410 and "has expired" in body, "%d %s" % (st, body[:300]))
    expect("the checks wrote nothing: no survey audit row",
           0, sql_int("select count(*) from case_action a join complaint c"
                      " on c.id = a.complaint_id where c.complaint_no = :'no'"
                      " and a.action = 'survey'", no=no))
    published(no)
    expect("nothing recorded", 0,
           sql_int("select count(*) from event_log where complaint_no = :'no'"
                   " and type = 'complaint.survey_answered'", no=no))


def main():
    args = lifecycle.start("--mail", "--web")
    if not args:
        return checks.status()
    ARGS[0] = args
    step_form()
    step_api()
    step_expired()
    step_doc()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
