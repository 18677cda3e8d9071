#!/usr/bin/python3
"""analytics_exports.py — the checks of tests/integration/analytics_exports.sh
against a running bus, intake, router and analytics (issue 12 section 5).

    analytics_exports.py --ctl PATH --tokens FILE --out DIR --a EP scenario
        nine complaints through intake — some with the customer's consent to
        publish the text, narratives holding phone and card numbers, commas,
        quotes and a line break — worked by named staff: closed with an
        explanation; refunded, not satisfied, reviewed (disputed); paid
        compensation; apologised; rejected; left open. Then:
          - `complaintctl export cfpb` (pages of 2): the header is the
            bureau's, byte for byte (tests/data/cfpb_complaints_sample.csv);
            every row as this script maps it itself: product and issue by
            name, company response from the outcome, timely, disputed,
            submitted via, Complaint ID our number; the narrative only with
            consent, equal to the scrubbed text of complaint.received, no
            phone or card digits anywhere; valid RFC 4180 (CRLF records);
          - `complaintctl export jrt`: the counts per month and JR/T codes
            equal a GROUP BY over the facts, counts 1..4 written "<5", the
            codes' zh names those of jrt0169.conf; --min-cell 1 shows them;
          - the queries' errors name the field (axis, period, limit,
            after_no); bad arguments exit 2;
          - `complaintctl report` prints names, not the router's ids.

Every check is counted (checks.py).
"""
import csv
import io
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_rows  # noqa: E402
import lifecycle as L  # noqa: E402
from analytics_e2e import DAY, query, wait_applied  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PHONE = "13812345678"
CARD = "6222 0212 3456 7890"


def conf_names(path, keyword, value):
    """{id: name} from the deploy file's `KEYWORD ID ...` lines, the name
    being VALUE's (a regex) first group; read here, independently of
    complaintctl's reader."""
    names = {}
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        for line in f:
            m = re.match(r'\s*%s\s+(\S+)\s+.*?%s' % (keyword, value), line)
            if m:
                names[m.group(1)] = m.group(2)
    return names


def jrt_zh():
    return conf_names("deploy/routing/jrt0169.conf", "code", r'"([^"]*)"')


def label_en(kind):
    return conf_names("deploy/routing/labels.conf", kind, r'en="([^"]*)"')


def read_csv(path):
    raw = open(path, "rb").read()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))


def cases():
    """Submit and work the scenario. Returns [(name, complaint_no, consent,
    want company response, want disputed)]."""
    story_a = ("They charged my card %s twice, call me on %s. He said \"no\",\n"
               "then hung up, twice." % (CARD, PHONE))
    story_b = "年费扣了两次，电话 %s，卡号 %s。" % (PHONE, CARD)
    a = L.submit("ex-a", "信用卡", story_a, "--consent", "--lang", "en")
    b = L.submit("ex-b", "信用卡", story_b)
    c = L.submit("ex-c", "信用卡", "信用卡年费多扣了，电话 %s，要求赔偿。" % PHONE, "--consent")
    d = L.submit("ex-d", "信用卡", "信用卡客服态度不好。")
    e = L.submit("ex-e", "信用卡", "信用卡账单寄错地址。", "--consent")
    f = L.submit("ex-f", "信用卡", "信用卡积分没有到账。")
    g = L.submit("ex-g", "手机银行", "手机银行登录不了，电话 %s。" % PHONE, "--consent",
                 "--channel", "hotline")
    h = L.submit("ex-h", "手机银行", "手机银行转账失败但钱被扣了。", "--channel", "letter")
    i = L.submit("ex-i", "信用卡", "信用卡额度被无故降低。")
    for no in (a, b, c, d, e, f, g, h, i):
        L.wait_assigned(no)
    ha = L.handler(a)
    L.step("a accept", "accepted", ha, a, "accept")
    L.step("a resolve", "resolved", ha, a, "resolve", "--outcome", "explanation", "--text", "ok")
    L.step("a feedback yes", "resolved", ha, a, "feedback", "--satisfied", "yes")
    L.step("a close", "closed", ha, a, "close", "--reason", "satisfied")
    hb = L.handler(b)
    L.step("b accept", "accepted", hb, b, "accept")
    L.step("b resolve refund", "resolved", hb, b, "resolve", "--outcome", "refund",
           "--amount", "300.00", "--text", "已退还")
    L.step("b feedback no", "resolved", hb, b, "feedback", "--satisfied", "no")
    L.step("b review", "under_review", hb, b, "review", "--text", "客户要求复核")
    hc = L.handler(c)
    L.step("c accept", "accepted", hc, c, "accept")
    L.step("c resolve compensation", "resolved", hc, c, "resolve", "--outcome", "compensation",
           "--amount", "50.00", "--text", "赔偿")
    hd = L.handler(d)
    L.step("d accept", "accepted", hd, d, "accept")
    L.step("d resolve apology", "resolved", hd, d, "resolve", "--outcome", "apology",
           "--text", "致歉")
    L.step("e accept", "accepted", L.handler(e), e, "accept")
    L.step("f reject", "rejected", L.handler(f), f, "reject", "--reason", "not_a_complaint")
    return [("a", a, True, "Closed with explanation", "No", "Web"),
            ("b", b, False, "In progress", "Yes", "Web"),
            ("c", c, True, "Closed with monetary relief", "No", "Web"),
            ("d", d, False, "Closed with non-monetary relief", "No", "Web"),
            ("e", e, True, "In progress", "No", "Web"),
            ("f", f, False, "Closed", "No", "Web"),
            ("g", g, True, "In progress", "No", "Phone"),
            ("h", h, False, "In progress", "No", "Postal mail"),
            ("i", i, False, "In progress", "No", "Web")]


def received_bodies():
    """complaint_no -> the body complaint.received published (scrubbed)."""
    return {ev["complaint_no"]: ev["data"]["body"]
            for _, _, ev in checks.events("type = 'complaint.received'")}


def check_cfpb(args, story):
    out = os.path.join(args.out, "cfpb.csv")
    rc, _, err = L.ctl(L.NO_TOKEN, "export", "cfpb", "--analytics", args.a, "--page", "2",
                       "--company", "Bank, Test \"Co\"", "--out", out)
    expect("export cfpb: exit status", 0, rc)
    note("  " + err.strip())
    expect_true("export cfpb: 9 rows in 5 pages of 2", "9 rows in 5 pages" in err, err)
    raw, rows = read_csv(out)
    with open(os.path.join(ROOT, "tests/data/cfpb_complaints_sample.csv"), "rb") as f:
        sample_header = f.readline().rstrip(b"\r\n")
    expect("export cfpb: the header is the bureau's, byte for byte", sample_header,
           raw.split(b"\r\n", 1)[0])
    expect_true("export cfpb: records end in CRLF", raw.endswith(b"\r\n")
                and raw.count(b"\r\n") >= 10)
    expect("export cfpb: 18 columns in every record", [18] * len(rows), [len(r) for r in rows])
    head, body = rows[0], rows[1:]
    by_id = {r[head.index("Complaint ID")]: dict(zip(head, r)) for r in body}
    expect("export cfpb: one row per complaint, Complaint ID our number",
           sorted(n for _, n, *_ in story), sorted(by_id))
    published = received_bodies()
    facts = {r[0]: r[1:] for r in sql_rows(
        "select complaint_no, business_line, cause, to_char(received_day, 'YYYY-MM-DD')"
        " from analytics_fact")}
    lines, causes = label_en("line"), label_en("cause")
    for name, no, consent, response, disputed, via in story:
        row = by_id.get(no, {})
        line, cause, day = facts.get(no, ["", "", ""])
        want = {
            "Date received": day, "Product": lines.get(line, line),
            "Sub-product": "", "Issue": causes.get(cause, cause), "Sub-issue": "",
            "Consumer complaint narrative": published.get(no) if consent else "",
            "Company public response": "", "Company": "Bank, Test \"Co\"", "State": "",
            "ZIP code": "", "Tags": "",
            "Consumer consent provided?": "Consent provided" if consent
                                          else "Consent not provided",
            "Submitted via": via, "Date sent to company": day,
            "Company response to consumer": response,
            # decided (resolved or rejected) within 15 days; b too, before
            # its review; the open ones are undecided and inside the 15 days
            "Timely response?": "Yes" if name in "abcdf" else "",
            "Consumer disputed?": disputed, "Complaint ID": no,
        }
        expect("export cfpb: %s's row" % name, want, row)
    a_text = by_id.get(story[0][1], {}).get("Consumer complaint narrative", "")
    expect_true("export cfpb: a's narrative kept its comma, quotes and line break",
                '"no",\nthen' in a_text, repr(a_text))
    expect_true("export cfpb: no phone or card digits anywhere",
                PHONE.encode() not in raw and b"6222" not in raw and b"3456" not in raw)
    expect_true("export cfpb: no customer name anywhere", "测试客户".encode() not in raw)
    expect("facts: a narrative only where consent is recorded", "0",
           sql("select count(*) from analytics_fact where narrative is not null"
               " and not narrative_consent"))


def check_jrt(args):
    out = os.path.join(args.out, "jrt.csv")
    rc, _, err = L.ctl(L.NO_TOKEN, "export", "jrt", "--analytics", args.a, "--out", out)
    expect("export jrt: exit status", 0, rc)
    note("  " + err.strip())
    raw, rows = read_csv(out)
    expect("export jrt: header", ["period", "channel_code", "channel_zh", "channel_en",
                                  "business_code", "business_zh", "business_en", "cause_code",
                                  "cause_zh", "cause_en", "complaints"], rows[0])
    want = {}
    for period, ch, bu, ca, n in sql_rows(
            "select to_char(received_day, 'YYYY-MM'), jrt_channel, jrt_business, jrt_cause,"
            " count(*) from analytics_fact group by 1, 2, 3, 4"):
        want[(period, ch, bu, ca)] = n if int(n) >= 5 else "<5"
    got = {(r[0], r[1], r[4], r[7]): r[10] for r in rows[1:]}
    expect("export jrt: counts = GROUP BY the facts' codes, 1..4 as <5", want, got)
    expect_true("export jrt: every code is one the router assigned (none empty)",
                all(all(k) for k in got), repr(got))
    zh, en = jrt_zh(), label_en("jrt")
    names_ok = all(r[2] == zh.get(r[1]) and r[3] == en.get(r[1]) and r[5] == zh.get(r[4])
                   and r[9] == en.get(r[7]) for r in rows[1:])
    expect_true("export jrt: each code's zh (jrt0169.conf) and en (labels.conf) name", names_ok,
                repr(rows[1:3]))
    # --axis business: the cards (B03, 7) shown, e-banking's 2 hidden
    rc, text, _ = L.ctl(L.NO_TOKEN, "export", "jrt", "--analytics", args.a, "--axis", "business")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    want = {}
    for period, bu, n in sql_rows("select to_char(received_day, 'YYYY-MM'), jrt_business,"
                                  " count(*) from analytics_fact group by 1, 2"):
        want[(period, bu)] = n if int(n) >= 5 else "<5"
    got = {(r[0], r[4]): r[10] for r in rows[1:]}
    expect("export jrt --axis business: counts by business code, 1..4 as <5", want, got)
    expect_true("export jrt --axis business: a small cell hidden and a large one shown",
                "<5" in got.values() and any(v != "<5" for v in got.values()), repr(got))
    # --min-cell 1: nothing hidden; --axis cause: one code per row
    rc, text, _ = L.ctl(L.NO_TOKEN, "export", "jrt", "--analytics", args.a, "--min-cell", "1",
                        "--axis", "cause", "--period", "day")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    want = {}
    for day, ca, n in sql_rows("select to_char(received_day, 'YYYY-MM-DD'), jrt_cause, count(*)"
                               " from analytics_fact group by 1, 2"):
        want[(day, ca)] = n
    expect("export jrt --axis cause --period day --min-cell 1: exact counts by cause", want,
           {(r[0], r[7]): r[10] for r in rows[1:]})
    expect_true("export jrt --axis cause: no channel or business code",
                all(r[1] == "" and r[4] == "" for r in rows[1:]), repr(rows[1:3]))


def check_errors(args):
    now = int(time.time() * 1000)
    for req, field in (({"op": "jrt", "from": now - DAY, "to": now, "axis": "branch"}, "axis"),
                       ({"op": "jrt", "from": now - DAY, "to": now, "period": "week"}, "period"),
                       ({"op": "cfpb", "from": now - DAY, "to": now, "limit": 5000}, "limit"),
                       ({"op": "cfpb", "from": now - DAY, "to": now, "after_us": now * 1000},
                        "after_no"),
                       ({"op": "cfpb", "from": now - DAY, "to": now, "after_us": now * 1000,
                         "after_no": "123"}, "after_no")):
        r = query(args.a, req) or {}
        expect("%s with a bad %s: refused naming it" % (req["op"], field), [False, field],
               [r.get("ok"), (r.get("error") or {}).get("field")])
    for argv, word in ((["export", "jrt", "--period", "week"], "--period"),
                       (["export", "jrt", "--axis", "x"], "--axis"),
                       (["export", "cfpb", "--page", "0"], "--page"),
                       (["export", "pdf"], "usage")):
        rc, _, err = L.ctl(L.NO_TOKEN, *argv, "--analytics", args.a)
        expect("complaintctl %s: exit 2" % " ".join(argv), 2, rc)
        expect_true("complaintctl %s: names %s" % (" ".join(argv), word), word in err, err)


def check_report_names(args):
    rc, text, _ = L.ctl(L.NO_TOKEN, "report", "--analytics", args.a, "--lang", "en")
    expect("report: exit status", 0, rc)
    lines = label_en("line")
    facts_lines = set(x for x in sql("select distinct business_line from analytics_fact")
                      .split("\n") if x)
    expect_true("report en: business lines by name (labels.conf), not ids",
                all(lines[x] in text for x in facts_lines)
                and not re.search(r"^\s+(%s)\s" % "|".join(facts_lines), text, re.M), text)
    rc, text, _ = L.ctl(L.NO_TOKEN, "report", "--analytics", args.a, "--lang", "zh")
    expect_true("report zh: 银行卡 for cards", "银行卡" in text or "cards" not in facts_lines, text)


def cmd_scenario(args):
    L.setup(args.ctl, args.tokens, args.out)
    story = cases()
    if not wait_applied(args.a, "analytics applied the whole log"):
        return
    check_cfpb(args, story)
    check_jrt(args)
    check_errors(args)
    check_report_names(args)


if __name__ == "__main__":
    sys.exit(checks.step_main({"scenario": cmd_scenario}, ("--ctl", "--tokens", "--out", "--a"),
                              call=lambda step, args: step(args)))
