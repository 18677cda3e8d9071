#!/usr/bin/python3
"""analytics_outcomes.py — issue 16 follow-up (analytics2): every outcome of
a decision, the valid-complaint determination (有效投诉认定) and the survey's
score distribution, end to end, a step of tests/integration/analytics_e2e.sh
(real bus, intake, router, two analytics; docs/analytics.md "Outcomes",
"Valid complaints", "Survey scores").

    analytics_outcomes.py --ctl PATH --tokens FILE --out DIR --a EP --b EP

Three complaints worked with `complaintctl act` after the scenario:
    g  resolved with a refund (120 CNY), an apology and goodwill; the
       call-back reached the customer, satisfied, score 5; closed; valid
    h  resolved with an explanation; call-back: not satisfied, score 2;
       closed as informed_of_routes; invalid
    i  resolved with an apology; call-back: satisfied, score 4 (left open)
The kpi answer moves by exactly these cases (g counts in refund, apology
AND goodwill); valid_rate and the scores by channel; g's fact keeps every
kind once; the rollups still equal a GROUP BY over the contribution view;
complaintctl kpi and report (en, zh) print the new figures; instance B
answers the same. Replaying the stream is the e2e's --rebuild step (its
snapshot digests cover the new columns).
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql  # noqa: E402
import lifecycle as L  # noqa: E402
import analytics_e2e as E  # noqa: E402

OFFICE = "li_na"            # the complaint office (deploy/org/directory.conf)
NEW = ["outcome_goodwill", "determined_valid", "determined_invalid",
       "score_1", "score_2", "score_3", "score_4", "score_5"]
MOVED = {"received": 3, "resolved": 3, "closed": 2, "outcome_refund": 1,
         "outcome_apology": 2, "outcome_goodwill": 1, "outcome_explanation": 1,
         "amount_cents": 12000, "determined_valid": 1, "determined_invalid": 1,
         "score_2": 1, "score_4": 1, "score_5": 1, "satisfied": 2, "not_satisfied": 1}


def kpi_whole(a):
    frm, to = E.range_now()
    r = E.query(a, {"op": "kpi", "from": frm, "to": to})
    return r["kpi"] if r and r.get("ok") else {}


def work():
    g = L.submit("an-g", "信用卡", "信用卡年费多扣了120元，客服态度也不好，要求退款并道歉。")
    h = L.submit("an-h", "信用卡", "信用卡分期手续费和宣传的不一样。")
    i = L.submit("an-i", "手机银行", "手机银行转账限额被无故调低。")
    for no in (g, h, i):
        L.wait_assigned(no)
    hg = L.handler(g)
    L.step("g accept", "accepted", hg, g, "accept")
    L.step("g resolve: refund, apology, goodwill", "resolved", hg, g, "resolve",
           "--outcome", "refund:120", "--outcome", "apology", "--outcome", "goodwill",
           "--text", "退还年费并致歉，赠送积分")
    L.step("g callback: satisfied, score 5", "resolved", OFFICE, g, "callback",
           "--reason", "reached", "--satisfied", "yes", "--score", "5")
    L.step("g close", "closed", OFFICE, g, "close", "--reason", "satisfied")
    L.step("g determine valid", "closed", OFFICE, g, "determine", "--reason", "valid",
           "--text", "年费扣收错误，投诉成立")
    hh = L.handler(h)
    L.step("h accept", "accepted", hh, h, "accept")
    L.step("h resolve: explanation", "resolved", hh, h, "resolve", "--outcome", "explanation",
           "--text", "已解释手续费规则")
    L.step("h callback: not satisfied, score 2", "resolved", OFFICE, h, "callback",
           "--reason", "reached", "--satisfied", "no", "--score", "2")
    L.step("h close: informed of routes", "closed", OFFICE, h, "close",
           "--reason", "informed_of_routes", "--text", "已告知其他救济途径")
    L.step("h determine invalid", "closed", OFFICE, h, "determine", "--reason", "invalid",
           "--text", "收费符合合同约定")
    hi = L.handler(i)
    L.step("i accept", "accepted", hi, i, "accept")
    L.step("i resolve: apology", "resolved", hi, i, "resolve", "--outcome", "apology",
           "--text", "致歉")
    L.step("i callback: satisfied, score 4", "resolved", OFFICE, i, "callback",
           "--reason", "reached", "--satisfied", "yes", "--score", "4")
    return g, h, i


def main():
    p = argparse.ArgumentParser()
    for opt in ("--ctl", "--tokens", "--out", "--a", "--b"):
        p.add_argument(opt, required=True)
    args = p.parse_args()
    L.setup(args.ctl, args.tokens, args.out)
    E.wait_applied(args.a, "outcomes: A applied the whole log before")
    before = kpi_whole(args.a)
    expect_true("outcomes: the kpi answer has the new metrics and valid_rate",
                all(k in before for k in NEW + ["valid_rate"]), sorted(before)[:5])
    g, h, i = work()
    r = E.wait_applied(args.a, "outcomes: A applied the three cases")
    after = r["kpi"] if r else {}
    expect("outcomes: the kpi moved by exactly the three cases (g in refund, apology and"
           " goodwill)", MOVED, {k: after.get(k, 0) - before.get(k, 0) for k in MOVED})
    expect("outcomes: nothing else among the new metrics moved", {},
           {k: after.get(k, 0) - before.get(k, 0) for k in NEW
            if k not in MOVED and after.get(k, 0) != before.get(k, 0)})
    valid, invalid = after.get("determined_valid", 0), after.get("determined_invalid", 0)
    expect_true("outcomes: valid_rate = valid / (valid + not valid)",
                valid + invalid > 0
                and abs((after.get("valid_rate") or -1) - valid / (valid + invalid)) < 1e-9,
                after.get("valid_rate"))
    expect("outcomes: g's fact keeps every kind once, the score and how it was answered,"
           " the determination",
           "{refund,apology,goodwill}|refund|5|callback|valid",
           sql("select outcomes, outcome, survey_score, survey_channel, determination"
               " from analytics_fact where complaint_no = :'no'", no=g))
    expect("outcomes: h's and i's facts", ["{explanation}|2|invalid", "{apology}|4|"],
           [sql("select outcomes, survey_score, coalesce(determination, '')"
                " from analytics_fact where complaint_no = :'no'", no=no) for no in (h, i)])
    # by channel: the scores' distribution per intake channel adds up
    frm, to = E.range_now()
    r = E.query(args.a, {"op": "kpi", "from": frm, "to": to, "by": "channel"})
    groups = (r or {}).get("groups", [])
    for s in ("score_2", "score_4", "score_5", "determined_valid"):
        expect("outcomes: kpi by channel: %s adds up to the whole" % s, after.get(s),
               sum(gr["kpi"].get(s, 0) for gr in groups))
    chan = sql("select channel from analytics_fact where complaint_no = :'no'", no=g)
    mine = [gr["kpi"] for gr in groups if gr["key"] == chan]
    expect_true("outcomes: g's channel (%s) has its score 5" % chan,
                mine and mine[0].get("score_5", 0) >= 1, mine[:1])
    # a series of a new metric by day
    r = E.query(args.a, {"op": "series", "metric": "score_5", "from": frm, "to": to,
                         "bucket": "day"})
    expect("outcomes: series score_5 by day sums to the kpi", after.get("score_5"),
           sum(pt[1] or 0 for pt in (r or {}).get("points", [])))
    rb = E.wait_applied(args.b, "outcomes: B answers as of the end of the log")
    expect("outcomes: B's new figures = A's", {k: after.get(k) for k in NEW + ["valid_rate"]},
           {k: (rb or {}).get("kpi", {}).get(k) for k in NEW + ["valid_rate"]})
    E.rollups_exact("after the outcomes")
    # complaintctl for people
    rc, out, err = E.ctl_run(args.ctl, args.a, "kpi")
    expect("outcomes: complaintctl kpi exits 0", 0, rc)
    E.save(args.out, "kpi-outcomes.txt", out)
    expect_true("outcomes: kpi prints every outcome kind with goodwill",
                re.search(r"refund %d,.*\n.*goodwill %d" % (after.get("outcome_refund"),
                                                            after.get("outcome_goodwill")),
                          out), out[-500:])
    expect_true("outcomes: kpi prints the determinations",
                "determined valid %d, not valid %d" % (valid, invalid) in out, out[-500:])
    dist = " ".join("%d:%d" % (s, after.get("score_%d" % s, 0)) for s in range(1, 6))
    expect_true("outcomes: kpi prints the score distribution (%s)" % dist,
                "survey scores: " + dist in out, out[-300:])
    expect_true("outcomes: kpi's rate table has valid complaints",
                re.search(r"valid complaints\s+\d+(\.\d)?%", out), out[:600])
    rc, out, err = E.ctl_run(args.ctl, args.a, "report", "--min-cell", "1")
    expect("outcomes: report exits 0", 0, rc)
    E.save(args.out, "report-outcomes-en.txt", out)
    expect_true("outcomes: report names the zone of its period",
                re.search(r"Period: .*\(Asia/Shanghai\)", out), out[:300])
    expect_true("outcomes: report's outcomes have goodwill %d" % after.get("outcome_goodwill"),
                re.search(r"goodwill / extra service\s+%d\b" % after.get("outcome_goodwill"),
                          out), out[-1500:])
    expect_true("outcomes: report's satisfaction has score 5: %d" % after.get("score_5"),
                re.search(r"survey score 5 \(very satisfied\)\s+%d\b" % after.get("score_5"),
                          out), out[-1500:])
    expect_true("outcomes: report's section 8 gives the valid rate and counts",
                re.search(r"8\. Valid complaints\n.*valid complaints.*\n.*determined valid\s+%d"
                          % valid, out), out[-800:])
    rc, out, err = E.ctl_run(args.ctl, args.a, "report", "--min-cell", "1", "--lang", "zh")
    E.save(args.out, "report-outcomes-zh.txt", out)
    expect_true("outcomes: the Chinese report: 八、有效投诉认定, 有效投诉率, 调查评分 2",
                rc == 0 and "八、有效投诉认定" in out and "有效投诉率" in out
                and re.search(r"调查评分 2\s+%d\b" % after.get("score_2"), out), out[-800:])
    rc, out, err = E.ctl_run(args.ctl, args.a, "report")
    expect_true("outcomes: with the default minimum cell (5) one goodwill case is \"<5\"",
                rc == 0 and re.search(r"goodwill / extra service\s+<5", out), out[-1500:])
    sys.exit(1 if checks.FAILED else 0)


if __name__ == "__main__":
    main()
