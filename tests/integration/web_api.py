#!/usr/bin/python3
"""web_api.py — the checks of web_api.sh: the web adapter over HTTP, with
Python's own http.client (not our code), one step per call:

    web_api.py --url URL --state FILE api|form|staff|down|back

The web daemon under test runs with --trust-forwarded (the checker plays
several customers by X-Forwarded-For, as the bank's proxy would), a submit
burst of 5 per address, and --answer-wait-ms 1500. The state file carries
what one step leaves for a later one (the 202'd key).
"""
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql_int, step_main, wait_for  # noqa: E402

ARGS = None
CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
NO_RE = re.compile(r"^[0-9]{15,28}$")
SECRET_WORDS = ["BODY-SECRET", "DEMAND-SECRET", "王小明", "13912345678"]


def request(method, path, body=None, headers=None, client="10.1.0.1"):
    """One request on its own connection: (status, headers dict, body bytes)."""
    u = urllib.parse.urlparse(ARGS.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
    h = {"X-Forwarded-For": client}
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
    elif isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    # several Set-Cookie headers: keep them all
    hdrs["set-cookie-all"] = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    return r.status, hdrs, data


def as_json(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def complaint(body="I was charged the annual fee twice BODY-SECRET"):
    return {"customer": {"name": "王小明", "phone": "13912345678"},
            "subject": "年费", "body": body, "demand": "refund DEMAND-SECRET",
            "product": "信用卡", "lang": "zh", "amount": "300.00"}


def submit(doc, key, client="10.1.0.1", ctype="application/json"):
    headers = {"Content-Type": ctype}
    if key is not None:
        headers["Idempotency-Key"] = key
    return request("POST", "/api/v1/complaints", doc, headers, client)


def expect_error(desc, answer, status, code, field):
    st, _, data = answer
    err = (as_json(data) or {}).get("error") or {}
    expect(desc + ": status", status, st)
    expect(desc + ": error code and field", (code, field), (err.get("code"), err.get("field")))
    expect_true(desc + ": a message for a person", len(err.get("message") or "") > 10,
                repr(err))


def stored(key):
    return sql_int("select count(*) from complaint where channel = 'web' and ref = :'ref'",
                   ref=key)


def state_save(**kv):
    state = state_load()
    state.update(kv)
    with open(ARGS.state, "w") as f:
        json.dump(state, f)


def state_load():
    try:
        with open(ARGS.state) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


# ------------------------------------------------------------------- api

def step_api():
    note("--- api: 201, retry, errors, limits, status")
    key = str(uuid.uuid4())
    st, hdrs, data = submit(complaint(), key)
    rep = as_json(data) or {}
    no, code = rep.get("complaint_no", ""), rep.get("query_code", "")
    expect("submit: 201 Created", 201, st)
    expect_true("submit: a complaint number", NO_RE.match(no or ""), repr(rep))
    expect_true("submit: a query code XXXXX-XXXXX", CODE_RE.match(code or ""), repr(rep))
    expect("submit: Location is its status URL", "/api/v1/complaints/" + no, hdrs.get("location"))
    expect("submit: in the store once, channel web, the key as ref", 1, stored(key))
    expect("submit: received_at stamped by the adapter, within a minute of now", 1,
           sql_int("select count(*) from complaint where ref = :'ref' and "
                   "abs(extract(epoch from received_at - now())) < 60", ref=key))

    st2, _, data2 = submit(complaint(), key)
    rep2 = as_json(data2) or {}
    expect("retry with the same Idempotency-Key: 201", 201, st2)
    expect("retry: the same number and code",
           (no, code), (rep2.get("complaint_no"), rep2.get("query_code")))
    expect("retry: said to be a duplicate", True, rep2.get("duplicate"))
    expect("retry: still one complaint in the store", 1, stored(key))

    # Every 4xx names its field. Each from its own address, so no limit hits.
    expect_error("no Idempotency-Key", submit(complaint(), None, "10.2.0.1"),
                 400, "idempotency_key", "Idempotency-Key")
    expect_error("a short Idempotency-Key", submit(complaint(), "abc", "10.2.0.2"),
                 400, "idempotency_key", "Idempotency-Key")
    expect_error("not JSON", submit("{\"body\": ", str(uuid.uuid4()), "10.2.0.3"),
                 400, "malformed", "")
    expect_error("JSON, not an object", submit([1, 2], str(uuid.uuid4()), "10.2.0.4"),
                 400, "not_a_map", "")
    big = complaint(body="x" * 300000)
    expect_error("a body over --max-body", submit(big, str(uuid.uuid4()), "10.2.0.5"),
                 413, "too_large", "request")
    expect_error("text/plain", submit(complaint(), str(uuid.uuid4()), "10.2.0.6", "text/plain"),
                 415, "unsupported_media_type", "Content-Type")
    doc = complaint()
    del doc["body"]
    expect_error("no body field", submit(doc, str(uuid.uuid4()), "10.2.0.7"),
                 422, "missing_field", "body")
    doc = complaint()
    doc["customer"]["phone"] = "call me maybe"
    expect_error("a bad phone", submit(doc, str(uuid.uuid4()), "10.2.0.8"),
                 422, "invalid_field", "customer.phone")
    doc = complaint()
    doc["colour"] = "red"
    expect_error("an unknown field", submit(doc, str(uuid.uuid4()), "10.2.0.9"),
                 422, "unknown_field", "colour")
    doc = complaint()
    doc["ref"] = "mine"
    expect_error("the ref is the adapter's", submit(doc, str(uuid.uuid4()), "10.2.0.10"),
                 422, "unknown_field", "ref")
    doc = complaint(body="长" * 22000)        # 66000 bytes of UTF-8: over intake's 64 KiB
    expect_error("a complaint text over 64 KiB", submit(doc, str(uuid.uuid4()), "10.2.0.11"),
                 422, "too_large", "body")
    expect_true("refused requests stored nothing",
                sql_int("select count(*) from complaint where channel = 'web'") == 1)

    # 429: the sixth submission from one address (burst 5), with Retry-After;
    # another address is not slowed.
    answers = [submit(complaint(), str(uuid.uuid4()), "10.3.0.1") for _ in range(6)]
    expect("five from one address accepted", [201] * 5, [a[0] for a in answers[:5]])
    expect_error("the sixth from that address", answers[5], 429, "rate_limited", "")
    expect_true("429 says when to retry (Retry-After, seconds)",
                int(answers[5][1].get("retry-after", "0")) > 0, repr(answers[5][1]))
    expect("another address is not limited", 201,
           submit(complaint(), str(uuid.uuid4()), "10.3.0.2")[0])

    st, _, _ = request("GET", "/api/v1/complaints")
    expect("GET on the collection: 405", 405, st)
    expect_error("an unknown API path", request("GET", "/api/v2/nothing"), 404, "not_found",
                 "path")

    # The status view.
    st, _, data = request("GET", "/api/v1/complaints/" + no, headers={"X-Query-Code": code},
                          client="10.4.0.1")
    view = as_json(data) or {}
    expect("status with the right code: 200", 200, st)
    expect("status: the number and its state", (no, "received"),
           (view.get("complaint_no"), view.get("state")))
    expect_true("status: a next step and received_at (ms) with its local time and zone",
                view.get("next_step") and isinstance(view.get("received_at"), int)
                and "+08:00" in (view.get("local") or {}).get("received_at", "")
                and view.get("time_zone") == "Asia/Shanghai", repr(view))
    leaked = [w for w in SECRET_WORDS if w in data.decode()]
    expect("status: no free text, no identity", [], leaked)
    st_q, _, data_q = request("GET", "/api/v1/complaints/%s?code=%s" % (no, code.lower()),
                              client="10.4.0.2")
    expect("status with the code as a parameter, in small letters: 200", 200, st_q)
    wrong = request("GET", "/api/v1/complaints/" + no, headers={"X-Query-Code": "AAAAA-AAAAA"},
                    client="10.4.0.3")
    unknown_no = no[:-6] + ("%05d" % ((int(no[-6:-1]) + 7) % 100000))
    # a well-formed number no complaint has: fix its check digit by trying all ten
    unknown = None
    for d in "0123456789":
        cand = unknown_no + d
        a = request("GET", "/api/v1/complaints/" + cand, headers={"X-Query-Code": code},
                    client="10.4.1.%s" % d)
        if a[0] == 404:
            unknown = a
            break
    expect("a wrong code: 404", 404, wrong[0])
    expect_true("an unknown number: 404", unknown is not None)
    if unknown:
        expect("a wrong code is answered exactly like an unknown number (body)",
               unknown[2], wrong[2])
    expect_error("no code", request("GET", "/api/v1/complaints/" + no, client="10.4.0.4"),
                 400, "missing_field", "query_code")
    state_save(no=no, code=code, key=key)


# ------------------------------------------------------------------ form

def form_get(path="/", client="10.5.0.1", cookie=None, lang=None):
    headers = {"Accept-Language": lang} if lang else {}
    if cookie:
        headers["Cookie"] = cookie
    st, hdrs, data = request("GET", path, headers=headers, client=client)
    page = data.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    ref = re.search(r'name="ref" value="([^"]+)"', page)
    cookies = [c.split(";")[0] for c in hdrs["set-cookie-all"]]
    session = next((c for c in cookies if c.startswith("csrf_session=")), cookie)
    return st, page, token.group(1) if token else None, ref.group(1) if ref else None, session


def form_post(fields, cookie, path="/", client="10.5.0.1"):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    body = urllib.parse.urlencode(fields)
    st, hdrs, data = request("POST", path, body, headers, client)
    return st, data.decode()


def step_form():
    note("--- form: CSRF, confirmation, errors beside fields, status page")
    st, page, token, ref, session = form_get(lang="zh-CN,zh;q=0.9")
    expect("GET /: 200", 200, st)
    expect_true("the form is in Chinese for a Chinese browser", '<html lang="zh-CN">' in page)
    expect_true("the form carries a CSRF token, a ref and sets a session cookie",
                token and ref and session, repr((token, ref, session)))
    expect_true("every input has a label",
                all('<label for="%s"' % i in page
                    for i in re.findall(r'<(?:input|textarea)[^>]* id="([^"]+)"', page)),
                "")
    fields = {"csrf": token, "ref": ref, "lang": "zh", "customer.name": "李雷",
              "customer.phone": "13800000000", "body": "网银转账失败但扣款 FORM-TEXT",
              "product": "网上银行"}
    # Without the token: refused, nothing stored.
    no_token = dict(fields)
    del no_token["csrf"]
    st, page = form_post(no_token, session)
    expect("posted without the CSRF token: 403", 403, st)
    expect_true("... the form again, with what was typed", "FORM-TEXT" in page)
    expect("... nothing stored", 0, stored(ref))
    # Another browser's token (its own cookie): refused.
    _, _, other_token, _, other_session = form_get(client="10.5.0.2")
    st, _ = form_post(dict(fields, csrf=other_token), session)
    expect("posted with another session's token: 403", 403, st)
    st, _ = form_post(fields, None)
    expect("posted without the cookie: 403", 403, st)
    expect("... still nothing stored", 0, stored(ref))
    # A bad phone: 422, the message beside the field.
    st, page = form_post(dict(fields, **{"customer.phone": "电话"}), session, client="10.5.0.3")
    expect("a bad phone: 422", 422, st)
    expect_true("... the error beside the field, described-by and aria-invalid",
                'id="err-customer.phone"' in page
                and 'aria-describedby="hint-customer.phone err-customer.phone"' in page
                and 'aria-invalid="true"' in page, "")
    # With the token: the confirmation.
    st, page = form_post(fields, session, client="10.5.0.4")
    no = re.search(r'id="complaint-no">([0-9]+)<', page)
    code = re.search(r'id="query-code">([0-9A-Z-]+)<', page)
    expect("posted with its token: 200, the confirmation", 200, st)
    expect_true("the confirmation shows the number and the query code",
                no and code and CODE_RE.match(code.group(1)), page[:300])
    expect("the form's complaint is in the store once", 1, stored(ref))
    st, page2 = form_post(fields, session, client="10.5.0.5")
    no2 = re.search(r'id="complaint-no">([0-9]+)<', page2)
    expect("the same form posted twice: the same number",
           no.group(1) if no else None, no2.group(1) if no2 else None)
    expect("... and one complaint", 1, stored(ref))
    # The status page.
    if no and code:
        st, page, token, _, session = form_get("/status?no=" + no.group(1), client="10.5.0.6")
        expect("GET /status: 200, the number filled in", (200, True),
               (st, ('value="%s"' % no.group(1)) in page))
        st, page = form_post({"csrf": token, "lang": "en", "no": no.group(1),
                              "code": code.group(1)}, session, "/status", "10.5.0.6")
        expect("the status page with number and code: 200", 200, st)
        expect_true("... shows the state and the time zone",
                    'data-state="received"' in page and "Asia/Shanghai" in page
                    and "+08:00" in page, page[:400])
        st, page = form_post({"csrf": token, "lang": "en", "no": no.group(1),
                              "code": "AAAAA-AAAAA"}, session, "/status", "10.5.0.6")
        expect("the status page with a wrong code: 404 and the form again", (404, True),
               (st, 'id="err-status"' in page))
        st, _ = form_post({"lang": "en", "no": no.group(1), "code": code.group(1)}, session,
                          "/status", "10.5.0.7")
        expect("the status page without its token: 403", 403, st)


# ----------------------------------------------------------------- staff

def incident_of(ref):
    rows = checks.sql_rows(
        "select coalesce(staff_concerned, '-'), coalesce((extract(epoch from incident_at)"
        " * 1000)::bigint::text, '-'), coalesce(incident_place, '-') from complaint"
        " where channel = 'web' and ref = :'ref'", ref=ref)
    return tuple(rows[0]) if rows else None


def step_staff():
    """issue 16 follow-up (adapters2): the incident fields (submit's
    `incident`, migration 046) through the form's optional staff section
    and the JSON API."""
    note("--- staff: the incident through the form (zh/en) and the API")
    st, page, token, ref, session = form_get(client="10.6.0.1", lang="en")
    expect_true("the form (en): the optional staff section with its three fields, labelled",
                st == 200 and "About a member of staff (optional)" in page
                and all('<label for="f-incident.%s"' % f in page
                        for f in ("staff_concerned", "at", "place"))
                and 'type="datetime-local" id="f-incident.at"' in page, page[:200])
    st, page_zh, _, _, _ = form_get(client="10.6.0.1", lang="zh-CN")
    expect_true("the form (zh): 涉及工作人员（选填）", "涉及工作人员（选填）" in page_zh, "")
    fields = {"csrf": token, "ref": ref, "lang": "en", "customer.name": "韩梅梅",
              "body": "柜员态度恶劣 STAFF-FORM", "incident.staff_concerned": "3号窗口柜员",
              "incident.at": "2026-12-01T10:30", "incident.place": "朝阳支行营业厅"}
    st, page = form_post(dict(fields, **{"incident.at": "last Tuesday"}), session,
                         client="10.6.0.2")
    expect("a time that is not one: 422", 422, st)
    expect_true("... the error beside the time field, described-by, aria-invalid, linked",
                'id="err-incident.at"' in page
                and 'aria-describedby="hint-incident.at err-incident.at"' in page
                and '<a href="#f-incident.at">When it happened</a>' in page, page[:300])
    expect_true("... what was typed kept", 'value="3号窗口柜员"' in page
                and 'value="朝阳支行营业厅"' in page, "")
    expect("... nothing stored", 0, stored(ref))
    st, page = form_post(dict(fields, **{"incident.at": "2099-01-01T10:00"}), session,
                         client="10.6.0.3")
    expect_true("a time later than now: 422 beside the field",
                st == 422 and 'id="err-incident.at"' in page, st)
    st, page = form_post(dict(fields, **{"incident.place": "地" * 201}), session,
                         client="10.6.0.4")
    expect_true("a place over 200 characters: 422 beside the field (intake's rule)",
                st == 422 and 'id="err-incident.place"' in page, st)
    st, page = form_post(fields, session, client="10.6.0.5")
    expect("the staff section filled: 200, the confirmation", (200, True),
           (st, 'id="complaint-no"' in page))
    # 2026-12-01 10:30 in Beijing is 02:30 UTC
    expect("... stored: the staff concerned, the time (the bank's zone), the place",
           ("3号窗口柜员", "1796092200000", "朝阳支行营业厅"), incident_of(ref))
    _, _, token2, ref2, session2 = form_get(client="10.6.0.6")
    st, page = form_post({"csrf": token2, "ref": ref2, "lang": "zh", "customer.name": "李",
                          "body": "没有涉及员工", "incident.staff_concerned": "",
                          "incident.at": "", "incident.place": ""}, session2, client="10.6.0.6")
    expect("the section left empty: stored without an incident", (200, ("-", "-", "-")),
           (st, incident_of(ref2)))
    # The API: intake's own shape, at in unix ms.
    key = str(uuid.uuid4())
    doc = dict(complaint(), incident={"staff_concerned": "客户经理张某", "at": 1764556200000,
                                      "place": "电话"})
    st, _, data = submit(doc, key, client="10.6.0.7")
    expect("the API with an incident: 201", 201, st)
    expect("... stored", ("客户经理张某", "1764556200000", "电话"), incident_of(key))
    expect_error("the API with incident.at a string",
                 submit(dict(complaint(), incident={"at": "yesterday"}), str(uuid.uuid4()),
                        client="10.6.0.8"), 422, "wrong_type", "incident.at")
    expect_error("the API with incident.at later than now",
                 submit(dict(complaint(), incident={"at": 4000000000000}), str(uuid.uuid4()),
                        client="10.6.0.10"), 422, "invalid_field", "incident.at")
    expect_error("the API with an unknown incident field",
                 submit(dict(complaint(), incident={"who": "x"}), str(uuid.uuid4()),
                        client="10.6.0.9"), 422, "unknown_field", "incident.who")


# --------------------------------------------------------------- metrics

def step_metrics(port):
    note("--- metrics: /healthz and /metrics on --metrics-port")
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    expect("/healthz: 200 ok", (200, "ok"), (r.status, r.read().decode().strip()))
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()

    def value(line_start):
        for line in text.splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
        return None
    expect_true("201s counted by route and status",
                (value('complaints_web_requests_total{route="api_submit",status="201"}') or 0)
                >= 8, "")
    expect_true("422s counted", (value('complaints_web_requests_total{route="api_submit",'
                                       'status="422"}') or 0) >= 5, "")
    expect_true("429s counted by kind", (value('complaints_web_rate_limited_total{kind="submit"}')
                                          or 0) >= 1, "")
    expect_true("intake's outcomes counted", (value('complaints_web_outcomes_total{outcome='
                                                   '"accepted"}') or 0) >= 8, "")
    # The depth is sampled once a second (the sender's tick), so a scrape
    # right after the last answer may still show it pending: wait for the
    # next samples (10 s: a loaded CI runner under ASan ticks late).
    def depth():
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
        c.request("GET", "/metrics")
        body = c.getresponse().read().decode()
        c.close()
        for line in body.splitlines():
            if line.startswith("complaints_spool_depth"):
                return float(line.rsplit(" ", 1)[1])
        return None
    wait_for("the spool's depth: nothing pending", lambda: depth() == 0.0, 10, 0.25)
    expect_true("the latency histogram by route",
                'complaints_web_request_seconds_bucket{route="form"' in text, "")


# ------------------------------------------------------------ down / back

def step_down():
    note("--- down: intake is killed; a submission is spooled and answered 202")
    key = str(uuid.uuid4())
    t0 = time.monotonic()
    st, hdrs, data = submit(complaint(), key, "10.6.0.1")
    rep = as_json(data) or {}
    expect("intake away: 202 Accepted", 202, st)
    expect("... naming the key to retry with", key, rep.get("idempotency_key"))
    expect_true("... with Retry-After", int(hdrs.get("retry-after", "0")) > 0)
    expect_true("... after the answer wait (1.5 s), not before",
                time.monotonic() - t0 >= 1.4, "%.2f s" % (time.monotonic() - t0))
    # The status view without intake: 503, said plainly.
    state = state_load()
    st, _, data = request("GET", "/api/v1/complaints/" + state.get("no", "1"),
                          headers={"X-Query-Code": state.get("code", "x")}, client="10.6.0.2")
    expect_error("status while intake is away", (st, {}, data), 503, "unavailable", "")
    state_save(down_key=key)


def step_back():
    note("--- back: intake restarted; the spooled submission arrives once")
    key = state_load().get("down_key")
    wait_for("the 202'd submission in the store", lambda: stored(key) == 1, 30)
    st, _, data = submit(complaint(), key, "10.7.0.1")
    rep = as_json(data) or {}
    expect("the same request again: 201 with its number", (201, True),
           (st, bool(NO_RE.match(rep.get("complaint_no") or ""))))
    expect("... still exactly one complaint for the key", 1, stored(key))


def main():
    def setup(args):
        global ARGS
        ARGS = args
    return step_main({"api": step_api, "form": step_form, "staff": step_staff,
                      "metrics": step_metrics,
                      "down": step_down,
                      "back": step_back}, ("--url", "--state"), setup)


if __name__ == "__main__":
    sys.exit(main())
