#!/usr/bin/python3
"""analytics_e2e.py — the checks of tests/integration/analytics_e2e.sh
against a running bus, intake, router and analytics (issue 12).

    analytics_e2e.py scenario --ctl PATH --tokens FILE --out DIR --a EP --b EP
        six complaints through intake, worked by named staff with
        `complaintctl act` (lifecycle.py's helpers): accepted and closed
        satisfied; transferred and resolved with a refund, then not
        satisfied, reviewed, reopened, resolved again and closed; accepted
        only; rejected; withdrawn; untouched. The kpi answer of instance A
        must equal what this script counts itself; instance B (a second
        analytics, not the consumer) answers the same; the rollups equal a
        GROUP BY over the contribution views; bad queries get the
        protocol's errors naming the field; a ten-year range is bounded.
    analytics_e2e.py snapshot NAME --a EP
        wait until A has applied the whole log, keep its kpi and series
        answers and the tables' contents as NAME
    analytics_e2e.py compare NAME1 NAME2
        the two snapshots are exactly equal (every figure, every row)

Every check is counted (checks.py).
"""
import argparse
import hashlib
import os
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, mark_load, mark_save, note, sql, sql_int  # noqa: E402
import lifecycle as L  # noqa: E402

DAY = 86400000


def query(endpoint, req, timeout=5000):
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send_multipart([b"", msgpack.packb(req)])
    if not s.poll(timeout):
        s.close()
        return None
    frames = s.recv_multipart()
    s.close()
    return msgpack.unpackb(frames[-1], raw=False)


def last_seq():
    return sql_int("select coalesce(max(seq), 0) from event_log")


def range_now():
    now = int(time.time() * 1000)
    return now - 2 * DAY, now + DAY


def wait_applied(endpoint, desc, timeout=60):
    """Until the kpi answer's as_of_seq reaches the end of the log (and the
    outbox is empty: nothing more is coming)."""
    frm, to = range_now()
    got = [None]

    def probe():
        if sql_int("select count(*) from outbox") != 0:
            return False
        want = last_seq()
        r = query(endpoint, {"op": "kpi", "from": frm, "to": to}, 2000)
        got[0] = r
        return r is not None and r.get("ok") and r["as_of_seq"] >= want
    checks.wait_for(desc, probe, timeout)
    return got[0]


def case_set():
    """The scenario. Returns {name: complaint_no} and the expected counts."""
    a = L.submit("an-a", "信用卡", "信用卡年费被重复扣收两次，要求说明原因。")
    b = L.submit("an-b", "信用卡", "借记卡被误当作信用卡收取了年费300元，要求退还。")
    c = L.submit("an-c", "手机银行", "手机银行转账失败但钱被扣了。")
    d = L.submit("an-d", "信用卡", "信用卡积分没有到账。")
    e = L.submit("an-e", "手机银行", "手机银行登录不了。")
    f = L.submit("an-f", "信用卡", "信用卡账单寄错地址。")
    for no in (a, b, c, d, e, f):
        L.wait_assigned(no)
    ha = L.handler(a)
    L.step("a accept", "accepted", ha, a, "accept")
    L.step("a resolve", "resolved", ha, a, "resolve", "--outcome", "explanation",
           "--text", "已解释")
    L.step("a feedback yes", "resolved", ha, a, "feedback", "--satisfied", "yes")
    L.step("a close", "closed", ha, a, "close", "--reason", "satisfied")

    h1, d2 = L.handler(b), "deposits_accounts"
    L.step("b accept", "accepted", h1, b, "accept")
    L.step("b transfer", "assigned", h1, b, "transfer", "--department", d2, "--text", "转办")
    h2 = L.handler(b)
    L.step("b accept (new handler)", "accepted", h2, b, "accept")
    L.step("b resolve refund", "resolved", h2, b, "resolve", "--outcome", "refund",
           "--amount", "300.00", "--text", "已退还")
    L.step("b feedback no", "resolved", h2, b, "feedback", "--satisfied", "no")
    L.step("b review", "under_review", h2, b, "review", "--text", "客户要求复核")
    sup = L.staff_in(d2, "supervisor")
    L.step("b reopen (supervisor)", "reopened", sup, b, "reopen", "--text", "复核")
    L.step("b investigate", "investigating", h2, b, "investigate")
    L.step("b resolve apology", "resolved", h2, b, "resolve", "--outcome", "apology",
           "--text", "致歉")
    L.step("b feedback yes", "resolved", h2, b, "feedback", "--satisfied", "yes")
    L.step("b close", "closed", h2, b, "close", "--reason", "satisfied")

    L.step("c accept", "accepted", L.handler(c), c, "accept")
    L.step("d reject", "rejected", L.handler(d), d, "reject", "--reason", "not_a_complaint")
    L.step("e withdraw", "withdrawn", L.handler(e), e, "withdraw")
    nos = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
    want = {"received": 6, "accepted": 3, "rejected": 1, "withdrawn": 1, "resolved": 2,
            "closed": 2, "ended": 4, "reopened": 1, "reviewed": 1, "escalated": 0,
            "transferred": 1, "answered": 3, "answered_24h": 3, "withdrawn_unanswered": 1,
            "satisfied": 2, "not_satisfied": 0, "decided_15d": 3, "decided_30d": 3,
            "decided_60d": 3, "outcome_explanation": 1, "outcome_apology": 1,
            "outcome_refund": 0, "amount_cents": 0}
    rates = {"answered_24h_rate": 3 / 5, "satisfaction_rate": 1.0, "closure_rate": 4 / 6,
             "decided_15d_rate": 3 / 5}
    return nos, want, rates, d2


def rollups_exact(desc):
    """The rollups equal a GROUP BY over the contribution views, row for row."""
    key = "day, hour, channel, business_line, cause, department, branch, priority"
    cols = [r for r in sql("select attname from pg_attribute where attrelid ="
                           " 'analytics_rollup'::regclass and attnum > 8 and not attisdropped"
                           " order by attnum").split("\n") if r]
    sums = ", ".join("sum(%s)" % c for c in cols)
    diff = sql_int("select count(*) from ((select %s, %s from analytics_rollup"
                   " except select %s, %s from analytics_contribution group by %s)"
                   " union all (select %s, %s from analytics_contribution group by %s"
                   " except select %s, %s from analytics_rollup)) x"
                   % (key, ", ".join(cols), key, sums, key, key, sums, key, key,
                      ", ".join(cols)))
    expect("%s: rollup rows differing from GROUP BY analytics_contribution" % desc, 0, diff)
    tdiff = sql_int("select count(*) from ((select %s, metric, bucket, cases from"
                    " analytics_rollup_time except select %s, metric, bucket, count(*) from"
                    " analytics_contribution_time group by %s, metric, bucket) union all"
                    " (select %s, metric, bucket, count(*) from analytics_contribution_time"
                    " group by %s, metric, bucket except select %s, metric, bucket, cases"
                    " from analytics_rollup_time)) x" % (key, key, key, key, key, key))
    expect("%s: time rollup rows differing from GROUP BY analytics_contribution_time" % desc,
           0, tdiff)
    expect("%s: no empty cell left" % desc, 0,
           sql_int("select count(*) from analytics_rollup where received = 0"))


def cmd_scenario(args):
    L.setup(args.ctl, args.tokens, args.out)
    nos, want, rates, d2 = case_set()
    r = wait_applied(args.a, "A applied the whole log")
    if not r:
        return
    kpi = r["kpi"]
    expect("kpi counts = what the test did", want, {k: kpi[k] for k in want})
    for name, value in rates.items():
        expect_true("kpi %s = %.4f" % (name, value), abs((kpi[name] or -1) - value) < 1e-9,
                    "got %r" % kpi[name])
    expect("kpi satisfaction target (seed 002)", 0.85, r["targets"]["satisfaction_rate"])
    expect("kpi zone", "Asia/Shanghai", r["zone"])
    expect("time_to answer: cases", 3, kpi["time_to"]["answer"]["cases"])
    expect("time_to answer: p90 within the first bucket (1 h)", 3600000,
           kpi["time_to"]["answer"]["p90_ms"])
    expect("time_to resolve: cases", 2, kpi["time_to"]["resolve"]["cases"])
    # by department: the transferred case counts in its new department only
    frm, to = range_now()
    r = query(args.a, {"op": "kpi", "from": frm, "to": to, "by": "department"})
    groups = {g["key"]: g["kpi"] for g in r["groups"]}
    want_by = {}
    for no in nos.values():
        dep = L.dept(no)
        want_by[dep] = want_by.get(dep, 0) + 1
    expect("kpi by department: received per department (b in %s)" % d2, want_by,
           {k: v["received"] for k, v in groups.items()})
    expect("kpi by department: the groups add up", 6, sum(v["received"] for v in groups.values()))
    # the store: facts, rollups, privacy
    expect("one fact per complaint", sorted(nos.values()),
           sorted(x for x in sql("select complaint_no from analytics_fact").split("\n") if x))
    expect("b's fact: department, transfers, reopen, review, last outcome",
           "%s|1|1|1|apology|t" % d2,
           sql("select department, transferred, reopened, reviewed, outcome, satisfied"
               " from analytics_fact where complaint_no = :'no'", no=nos["b"]))
    expect_true("facts carry pseudonyms only (32 hex)",
                sql_int("select count(*) from analytics_fact where customer !~ '^[0-9a-f]{32}$'")
                == 0)
    rollups_exact("after the scenario")
    # series: one day bucket holds every complaint, the hours add up
    r = query(args.a, {"op": "series", "metric": "received", "from": frm, "to": to,
                       "bucket": "day"})
    expect_true("series received by day: 3 or 4 local days", len(r["points"]) in (3, 4),
                len(r["points"]))
    expect("series received by day: 6 in all", 6, sum(p[1] for p in r["points"]))
    r = query(args.a, {"op": "series", "metric": "closure_rate", "from": frm, "to": to,
                       "bucket": "hour"})
    expect_true("series closure_rate by hour: every hour touched (72 or 73)",
                len(r["points"]) in (72, 73), len(r["points"]))
    expect_true("series closure_rate: the hour with cases = 4/6 (or those split)",
                any(p[1] is not None for p in r["points"]))
    # instance B: not the consumer, the same figures
    rb = wait_applied(args.b, "B answers as of the end of the log")
    ra = query(args.a, {"op": "kpi", "from": frm, "to": to})
    expect("B's kpi = A's kpi", ra["kpi"], rb["kpi"] if rb else None)
    # bad queries name the field
    ten_years = 10 * 365 * DAY
    bad = [
        ({"op": "nope", "from": frm, "to": to}, "unknown_op", "op"),
        ({"op": "kpi", "to": to}, "missing_field", "from"),
        ({"op": "kpi", "from": "yesterday", "to": to}, "wrong_type", "from"),
        ({"op": "kpi", "from": to, "to": frm}, "invalid_field", "to"),
        ({"op": "kpi", "from": frm, "to": to, "by": "colour"}, "invalid_field", "by"),
        ({"op": "series", "from": frm, "to": to}, "missing_field", "metric"),
        ({"op": "series", "metric": "x", "from": frm, "to": to}, "invalid_field", "metric"),
        ({"op": "series", "metric": "received", "from": frm, "to": to, "bucket": "week"},
         "invalid_field", "bucket"),
        ({"op": "series", "metric": "received", "from": to - ten_years, "to": to,
          "bucket": "hour"}, "too_large", "bucket"),
        ({"op": "series", "metric": "received", "from": to - ten_years, "to": to},
         "too_large", "to"),
        ({"op": "kpi", "from": to - 12 * 366 * DAY, "to": to}, "too_large", "to"),
    ]
    for req, code, field in bad:
        r = query(args.a, req)
        err = (r or {}).get("error", {})
        expect("bad query %r: code, field" % (req,), (False, code, field),
               ((r or {}).get("ok"), err.get("code"), err.get("field")))
    t0 = time.monotonic()
    r = query(args.a, {"op": "kpi", "from": to - ten_years, "to": to, "by": "branch"})
    expect("a ten-year kpi by branch answers", True, (r or {}).get("ok"))
    expect_true("... in bounded time (< 2 s)", time.monotonic() - t0 < 2.0)
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(args.a)
    raw.send_multipart([b"", b"\xc1"])
    ok = raw.poll(5000)
    r = msgpack.unpackb(raw.recv_multipart()[-1], raw=False) if ok else {}
    raw.close()
    expect("malformed msgpack: malformed", "malformed", r.get("error", {}).get("code"))


def table_digest(table, order):
    text = sql("select md5(coalesce(string_agg(t::text, E'\\n' order by %s), ''))"
               " from %s t" % (order, table))
    return text


def cmd_snapshot(args):
    r = wait_applied(args.a, "%s: applied the whole log" % args.name, 120)
    frm, to = range_now()
    figures = {"kpi": query(args.a, {"op": "kpi", "from": frm, "to": to})["kpi"],
               "by_dept": query(args.a, {"op": "kpi", "from": frm, "to": to,
                                         "by": "department"})["groups"],
               "series": query(args.a, {"op": "series", "metric": "answered_24h_rate",
                                        "from": frm, "to": to, "bucket": "hour",
                                        "by": "channel"})["groups"],
               "as_of_seq": r["as_of_seq"] if r else None,
               "fact": table_digest("analytics_fact", "complaint_no"),
               "rollup": table_digest("analytics_rollup",
                                      "day, hour, channel, business_line, cause, department,"
                                      " branch, priority"),
               "rollup_time": table_digest("analytics_rollup_time",
                                           "day, hour, channel, business_line, cause,"
                                           " department, branch, priority, metric, bucket"),
               "facts": sql_int("select count(*) from analytics_fact"),
               "complaints": sql_int("select count(*) from complaint")}
    note("%s: as_of_seq %s, %d facts, %d complaints, received %s" % (
        args.name, figures["as_of_seq"], figures["facts"], figures["complaints"],
        figures["kpi"]["received"]))
    expect("%s: one fact per complaint" % args.name, figures["complaints"], figures["facts"])
    expect("%s: received = complaints" % args.name, figures["complaints"],
           figures["kpi"]["received"])
    rollups_exact(args.name)
    mark_save("analytics", args.name, figures)


def cmd_compare(args):
    one, two = mark_load("analytics", args.one), mark_load("analytics", args.two)
    for k in sorted(one):
        expect("%s = %s: %s" % (args.one, args.two, k), one[k], two[k])


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scenario")
    s.add_argument("--ctl", required=True)
    s.add_argument("--tokens", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("name")
    s.add_argument("--a", required=True)
    s = sub.add_parser("compare")
    s.add_argument("one")
    s.add_argument("two")
    args = p.parse_args()
    {"scenario": cmd_scenario, "snapshot": cmd_snapshot, "compare": cmd_compare}[args.cmd](args)
    sys.exit(1 if checks.FAILED else 0)


if __name__ == "__main__":
    main()
