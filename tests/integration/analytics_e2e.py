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
    analytics_e2e.py cli --ctl PATH --out DIR --a EP
        after the scenario: `complaintctl kpi --json` is the raw kpi answer;
        the human kpi shows the scenario's rates against their targets with
        met/MISSED and counts, times in the bank's zone with the offset;
        `kpi --by department` lists the groups; `series` lists the buckets;
        `report` (en, zh) shows "<5" for small cells and no rate over fewer
        than K cases; bad arguments exit 2 naming the argument; an error
        reply prints code and field (exit 1); no analytics: exit 3 naming
        the endpoint
    analytics_e2e.py snapshot NAME --a EP
        wait until A has applied the whole log, keep its kpi and series
        answers and the tables' contents as NAME
    analytics_e2e.py compare NAME1 NAME2
        the two snapshots are exactly equal (every figure, every row)

Every check is counted (checks.py).
"""
import argparse
import hashlib
import json
import re
import subprocess
import os
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, mark_load, mark_save, note, sql, sql_int  # noqa: E402
import lifecycle as L  # noqa: E402
from client import ask, curve_connect  # noqa: E402


def query(endpoint, req, timeout_ms=5000):
    """One request to the analytics query endpoint (over CURVE)."""
    return ask(endpoint, req, timeout_ms, server="analytics")


DAY = 86400000


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
    # issue 15: the review is the complaint office's, never the deciding
    # department's: its supervisor decides it, and the case goes back
    sup = L.staff_in("complaint_office", "supervisor")
    L.step("b reopen (the complaint office's supervisor)", "reopened", sup, b, "reopen",
           "--text", "复核")
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
    # The period rollups (migrations 014, 018): per hour (grain 0), day
    # (grain 1) and month (grain 2) x one dimension, the same GROUP BY with
    # GROUPING SETS; dim numbers are analytics_day_dims ().
    dims = ["channel", "business_line", "cause", "department", "branch", "priority::text"]
    grains = [(0, "day, hour"), (1, "day, 0::smallint"),
              (2, "date_trunc('month', day)::date, 0::smallint")]

    def sets(select, group, view):
        parts = []
        for g, period in grains:
            parts.append("(select %d::smallint, 0::smallint, %s, ''::text, %s from %s"
                         " group by %s%s)" % (g, period, select, view, period, group))
            parts += ["(select %d::smallint, %d::smallint, %s, %s, %s from %s"
                      " group by %s, %s%s)" % (g, i + 1, period, d, select, view, period, d,
                                               group)
                      for i, d in enumerate(dims)]
        return " union all ".join(parts)

    want = sets(sums, "", "analytics_contribution")
    ddiff = sql_int("select count(*) from ((select grain, dim, day, hour, key, %s from"
                    " analytics_rollup_dim except (%s)) union all ((%s) except"
                    " select grain, dim, day, hour, key, %s from analytics_rollup_dim)) x"
                    % (", ".join(cols), want, want, ", ".join(cols)))
    expect("%s: period rollup rows differing from GROUP BY hour, day and month x each"
           " dimension" % desc, 0, ddiff)
    want = sets("metric, bucket, count(*)", ", metric, bucket", "analytics_contribution_time")
    tddiff = sql_int("select count(*) from ((select grain, dim, day, hour, key, metric, bucket,"
                     " cases from analytics_rollup_dim_time except (%s)) union all ((%s) except"
                     " select grain, dim, day, hour, key, metric, bucket, cases from"
                     " analytics_rollup_dim_time)) x" % (want, want))
    expect("%s: period time rollup rows differing from GROUP BY hour, day and month x each"
           " dimension" % desc, 0, tddiff)
    expect("%s: every grain of the period rollups written" % desc, [0, 1, 2],
           [int(g) for g in sql("select distinct grain from analytics_rollup_dim"
                                " order by 1").split()])
    expect("%s: no empty period cell left" % desc, 0,
           sql_int("select (select count(*) from analytics_rollup_dim where received = 0)"
                   " + (select count(*) from analytics_rollup_time where cases = 0)"
                   " + (select count(*) from analytics_rollup_dim_time where cases = 0)"))


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
    curve_connect(raw, args.a, "analytics")
    raw.send_multipart([b"", b"\xc1"])
    ok = raw.poll(5000)
    r = msgpack.unpackb(raw.recv_multipart()[-1], raw=False) if ok else {}
    raw.close()
    expect("malformed msgpack: malformed", "malformed", r.get("error", {}).get("code"))


def ctl_run(ctl, a, *argv, timeout=30):
    """(status, stdout, stderr) of complaintctl against analytics A."""
    env = dict(os.environ, COMPLAINTS_ANALYTICS_ENDPOINT=a)
    r = subprocess.run([ctl] + list(argv), capture_output=True, text=True, env=env,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def save(folder, name, text):
    """Keep a printed report beside the test's logs, for a person to read."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


def line_with(text, label):
    for line in text.split("\n"):
        if line.strip().startswith(label):
            return line
    return ""


def cmd_cli(args):
    ctl, a = args.ctl, args.a
    wait_applied(a, "A applied the whole log (cli)")
    # --json is the answer itself
    rc, out, err = ctl_run(ctl, a, "kpi", "--json")
    expect("kpi --json exits 0", 0, rc)
    got = json.loads(out) if rc == 0 else {}
    expect("kpi --json is one JSON line", 1, len([x for x in out.split("\n") if x]))
    raw = query(a, {"op": "kpi", "from": got.get("from"), "to": got.get("to")})
    expect("kpi --json = the raw kpi answer", raw, got)
    expect_true("kpi default period: 30 days and a bit (whole local days)",
                30 * DAY <= got.get("to", 0) - got.get("from", 0) <= 32 * DAY,
                got.get("to", 0) - got.get("from", 0))
    # for people: rates, targets, met/MISSED, counts (the scenario's figures)
    rc, out, err = ctl_run(ctl, a, "kpi")
    expect("kpi exits 0", 0, rc)
    save(args.out, "kpi.txt", out)
    want = {"answered within 24 h": ["60.0%", "90.0%", "MISSED", "3 of 5"],
            "satisfaction": ["100.0%", "85.0%", "met", "2 of 2"],
            "closure": ["66.7%", "95.0%", "MISSED", "4 of 6"],
            "decided within 15 days": ["60.0%", "95.0%", "MISSED", "3 of 5"],
            "decided within 60 days": ["60.0%", "100.0%", "MISSED", "3 of 5"]}
    for label, parts in want.items():
        line = line_with(out, label)
        expect("kpi line %r shows %s" % (label, parts), parts,
               [p for p in parts if re.search(r"(^|\s)%s(\s|$)" % re.escape(p), line)])
    expect_true("kpi: decided within 30 days has no target",
                "met" not in line_with(out, "decided within 30 days")
                and "MISSED" not in line_with(out, "decided within 30 days"),
                line_with(out, "decided within 30 days"))
    expect_true("kpi: period in the bank's zone with its offset",
                re.search(r"received \d{4}-\d\d-\d\d 00:00 \+08:00 \.\. \d{4}-\d\d-\d\d 00:00 "
                          r"\+08:00 \(Asia/Shanghai\)", out) is not None, out.split("\n")[0])
    expect_true("kpi: as of event N", re.search(r"as of event %d\b" % raw["as_of_seq"], out)
                is not None, out)
    expect_true("kpi: counts", "received 6, accepted 3, rejected 1, withdrawn 1" in out, out)
    # --by department: one row per group, sorted, rates or —
    rc, out, err = ctl_run(ctl, a, "kpi", "--by", "department")
    expect("kpi --by department exits 0", 0, rc)
    save(args.out, "kpi_by_department.txt", out)
    raw = query(a, {"op": "kpi", "from": got["from"], "to": got["to"], "by": "department"})
    keys = sorted(g["key"] for g in raw["groups"])
    rows = [line.split()[0] for line in out.split("\n")[4:] if line.startswith("  ")
            and line.split() and line.split()[0] in keys]
    expect("kpi --by department lists the groups, sorted", keys, rows)
    for g in raw["groups"]:
        line = [x for x in out.split("\n") if x.split()[:1] == [g["key"]]][0]
        expect("kpi --by department: %s received" % g["key"], str(g["kpi"]["received"]),
               line.split()[1])
        if g["kpi"]["satisfaction_rate"] is None:
            expect_true("kpi --by: undefined rate shown as —, not 0", "—" in line, line)
    # The directory's names, last (deploy/org/directory.conf's en=, zh=).
    named = {g["key"]: re.search(r'department %s .* en="([^"]*)"' % re.escape(g["key"]),
                                 open("deploy/org/directory.conf").read())
             for g in raw["groups"] if g["key"]}
    for key, m in named.items():
        line = [x for x in out.split("\n") if x.split()[:1] == [key]][0]
        expect_true("kpi --by department: %s named %s" % (key, m.group(1) if m else None),
                    m is not None and line.rstrip().endswith("  " + m.group(1)), line)
    rc, out, err = ctl_run(ctl, a, "kpi", "--by", "department", "--lang", "zh")
    for key in named:
        zh = re.search(r'department %s .* zh="([^"]*)"' % re.escape(key),
                       open("deploy/org/directory.conf").read())
        line = [x for x in out.split("\n") if x.split()[:1] == [key]]
        expect_true("kpi --by department --lang zh: %s named %s" % (key, zh and zh.group(1)),
                    zh is not None and line and line[0].rstrip().endswith(zh.group(1)), line)
    # series
    rc, out, err = ctl_run(ctl, a, "series", "--metric", "received", "--json")
    expect("series --json exits 0", 0, rc)
    sj = json.loads(out) if rc == 0 else {"points": []}
    expect("series --json: 6 received in all", 6, sum(p[1] for p in sj["points"]))
    rc, out, err = ctl_run(ctl, a, "series", "--metric", "received")
    save(args.out, "series.txt", out)
    lines = [x for x in out.split("\n") if re.match(r"  \d{4}-\d\d-\d\d 00:00 \+08:00 ", x)]
    expect("series: one line per day bucket, in the bank's zone", len(sj["points"]), len(lines))
    expect("series: the values add up", 6, sum(int(x.split()[-1]) for x in lines))
    rc, out, err = ctl_run(ctl, a, "series", "--metric", "satisfaction_rate", "--by", "channel")
    expect("series rate --by channel exits 0", 0, rc)
    expect_true("series rate: empty buckets are —, a rate is a percentage",
                "—" in out and "100.0%" in out, out[-400:])
    # report: small cells
    rc, out, err = ctl_run(ctl, a, "report")
    expect("report exits 0", 0, rc)
    save(args.out, "report_en.txt", out)
    expect_true("report: total received 6 is published", re.search(r"received\s+6$", out, re.M)
                is not None, out)
    expect_true("report: small cells shown as <5", "<5" in out, out)
    counts = re.findall(r"^   \S.*?\s(\d+)\s+(?:\S+%|x)$", out, re.M)
    expect("report: no breakdown count from 1 to 4 published", [],
           [c for c in counts if 0 < int(c) < 5])
    sat = line_with(out, "satisfaction ")
    expect_true("report: satisfaction over 2 cases not shown",
                "not shown (fewer than 5 cases)" in sat and "%" not in sat, sat)
    ans = line_with(out, "answered within 24 h")
    expect_true("report: answered within 24 h over 5 cases shown", "60.0%" in ans
                and "over 5 cases" in ans, ans)
    expect_true("report: footer explains the small cells",
                'shown as "<5"' in out and "recognised" in out, out[-600:])
    rc, out7, err = ctl_run(ctl, a, "report", "--min-cell", "7")
    expect_true("report --min-cell 7: no rate at all (every base < 7)",
                not re.search(r"\d%\s+target", out7), out7)
    expect_true("report --min-cell 7: received shown as <7",
                re.search(r"received\s+<7$", out7, re.M) is not None, out7)
    rc, outzh, err = ctl_run(ctl, a, "report", "--lang", "zh")
    save(args.out, "report_zh.txt", outzh)
    expect("report --lang zh exits 0", 0, rc)
    expect_true("report zh: title, <5, footer", "客户投诉情况通报" in outzh and "<5" in outzh
                and "小数据保护" in outzh, outzh[:300])
    # bad arguments: exit 2, the argument named
    bad = [(["kpi", "--from", "2026-13-01"], "--from"),
           (["kpi", "--to", "yesterday"], "--to"),
           (["kpi", "--by", "colour"], "--by"),
           (["kpi", "--from", "2026-12-05", "--to", "2026-12-01"], "--from"),
           (["series"], "--metric"),
           (["series", "--metric", "nope"], "--metric"),
           (["series", "--metric", "received", "--bucket", "week"], "--bucket"),
           (["report", "--lang", "fr"], "--lang"),
           (["report", "--min-cell", "0"], "--min-cell"),
           (["kpi", "--colour"], "colour")]
    for argv, name in bad:
        rc, out, err = ctl_run(ctl, a, *argv)
        expect("complaintctl %s: exit 2 naming %s" % (" ".join(argv), name), (2, True, ""),
               (rc, name in err, out))
    # an error reply: code and field, exit 1
    rc, out, err = ctl_run(ctl, a, "series", "--metric", "received", "--bucket", "hour",
                           "--from", "2020-01-01")
    expect("an error reply: exit 1, code and field printed", (1, True),
           (rc, "error too_large field=bucket" in err))
    # no analytics: exit 3, the endpoint named
    dead = "tcp://127.0.0.1:%d" % (int(os.environ.get("TEST_ZMQ_BASE", "26140")) + 9)
    rc, out, err = ctl_run(ctl, dead, "kpi", "--timeout-ms", "300")
    expect("analytics unreachable: exit 3 naming the endpoint", (3, True), (rc, dead in err))


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
               "rollup_dim": table_digest("analytics_rollup_dim", "grain, dim, day, hour, key"),
               "rollup_dim_time": table_digest("analytics_rollup_dim_time",
                                               "grain, dim, day, hour, key, metric,"
                                               " bucket"),
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
    s = sub.add_parser("cli")
    s.add_argument("--ctl", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--a", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("name")
    s.add_argument("--a", required=True)
    s = sub.add_parser("compare")
    s.add_argument("one")
    s.add_argument("two")
    args = p.parse_args()
    {"scenario": cmd_scenario, "cli": cmd_cli, "snapshot": cmd_snapshot, "compare": cmd_compare}[args.cmd](args)
    sys.exit(1 if checks.FAILED else 0)


if __name__ == "__main__":
    main()
