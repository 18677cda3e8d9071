#!/usr/bin/python3
"""analytics_surge.py — the checks of tests/integration/analytics_surge.sh:
the surge rules of deploy/analytics/hotspots.conf over eight days of real
history (issue 12, section 3), one step at a time.

    analytics_surge.py --ctl complaintctl --tokens T --out DIR --a ENDPOINT STEP

    history   the store's clock set to 2026-12-01 12:00 +08:00 (a fixed day:
              no midnight can fall inside the test); eight earlier days of
              complaints, each with the adapter's received_at (the submit
              request's `received_at`): a steady baseline of 2 a day for
              annual-fee complaints (cause product_terms_pricing, line
              cards) and 6 a day for mobile-banking faults (system_fault,
              ebanking_app); then today, with no received_at (the store's
              clock): 10 annual-fee complaints (a surge) and 6 faults (the
              baseline). Analytics is not running yet.
    surge     analytics started: it consumed the history and today. The test
              computes every surge rule's verdict itself from the store's
              classification (complaint.cause, business_line by the bank's
              calendar day): the trailing mean λ over the days there are (8,
              at most the rule's baseline), today's count x, the Poisson
              tail P(X >= x | λ) summed here in Python; a key opens when
              P <= p and x >= min. Then exactly the expected analytics.hotspot
              events of kind surge (the cause, and its business line when it
              too is unusual), each with baseline, baseline_days, p_value and
              threshold as computed here; none for the fault cause at its
              baseline; the open rows count today's x.
    clear     the clock moved two days: the hot day ended and the rules'
              `cool` (1 day) passed -> one analytics.hotspot_cleared (reason
              cooled) per surge, nothing open.

Every check is counted (checks.py).
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import client  # noqa: E402
from checks import expect, expect_true, note, sql  # noqa: E402
import lifecycle as L  # noqa: E402

ARGS = None
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(ROOT, "deploy", "analytics", "hotspots.conf")
ZONE = "Asia/Shanghai"              # the bank's calendar (targets.conf: cn)
TODAY_NOON = "2026-12-01 12:00+08"
DAY_MS = 86400000
HISTORY_DAYS = 8
SURGE = {"name": "fee", "product": "信用卡", "cause": "product_terms_pricing",
         "body": "信用卡年费收取不合理，没有任何提示就扣了年费（第%d件）。",
         "per_day": 2, "today": 10}
STEADY = {"name": "fault", "product": "手机银行", "cause": "system_fault",
          "body": "手机银行登录时系统故障，转账失败（第%d件）。",
          "per_day": 6, "today": 6}
NOS_FILE = "nos"


def query(req, timeout=5000):
    """The analytics daemon's answer to req (None: no answer in time)."""
    return client.ask(ARGS.a, req, timeout, server="analytics")


def surge_rules():
    """The surge lines of the shipped hotspots.conf: by, name, p, min,
    baseline and history days."""
    rules = []
    with open(RULES, encoding="utf-8") as f:
        for line in f:
            words = line.split("#")[0].split()
            if not words or words[0] != "surge":
                continue
            kv = dict(zip(words[2::2], words[3::2]))
            rules.append({"by": words[1], "name": kv["name"], "p": float(kv["p"]),
                          "min": int(kv["min"]), "baseline": int(kv["baseline"].rstrip("d")),
                          "history": int(kv["history"].rstrip("d"))})
    return rules


def poisson_tail(x, lam):
    """P(X >= x) for X ~ Poisson(lam), the upper tail summed term by term
    (every term positive: no digit lost to 1 - sum cancellation)."""
    if x <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    total, k = 0.0, x
    while True:
        term = math.exp(k * math.log(lam) - lam - math.lgamma(k + 1))
        total += term
        if k > lam and term < total * 1e-17:
            return total
        k += 1


def submit(kind, k, received_at=None):
    ref = "surge-%s-%d" % (kind["name"], k)
    flags = ["--received-at", str(received_at)] if received_at else []
    return L.submit(ref, kind["product"], kind["body"] % k, *flags)


def load_nos():
    with open(os.path.join(ARGS.out, NOS_FILE)) as f:
        return [line.strip() for line in f if line.strip()]


def step_history():
    rc, out, err = L.ctl(L.NO_TOKEN, "clock", "set", TODAY_NOON)
    expect("complaintctl clock set %s" % TODAY_NOON, 0, rc)
    noon = int(sql("select (extract(epoch from timestamptz :'t') * 1000)::bigint",
                   t=TODAY_NOON))
    nos = []
    for kind in (SURGE, STEADY):
        k = 0
        for day in range(HISTORY_DAYS, 0, -1):
            for i in range(kind["per_day"]):
                k += 1
                # 09:00, 09:30, ... on that earlier day, the bank's zone
                nos.append(submit(kind, k, noon - day * DAY_MS - 3 * 3600000 + i * 1800000))
    for kind in (SURGE, STEADY):
        for i in range(kind["today"]):
            nos.append(submit(kind, 1000 + i))
    with open(os.path.join(ARGS.out, NOS_FILE), "w") as f:
        f.write("\n".join(nos))
    checks.wait_sql("the router assigned all %d" % len(nos),
                    "select count(*) = %d from complaint where complaint_no = any(:'nos')"
                    " and state = 'assigned'" % len(nos), 90, nos="{" + ",".join(nos) + "}")
    expect("the router's causes, as the bodies intend",
           sorted([SURGE["cause"], STEADY["cause"]]),
           sql("select string_agg(distinct cause, ' ' order by cause) from complaint"
               " where complaint_no = any(:'nos')", nos="{" + ",".join(nos) + "}").split())


def expected_surges(nos):
    """Every surge rule's verdict per key, computed here from the store's
    classification: {(rule, key): figures} of the keys that open, and the
    figures of every key for the report."""
    rows = checks.sql_rows(
        "select cause, business_line, (received_at at time zone :'z')::date"
        "  - (app_now() at time zone :'z')::date, complaint_no"
        "  from complaint where complaint_no = any(:'nos')"
        " order by received_at desc, complaint_no desc",
        z=ZONE, nos="{" + ",".join(nos) + "}")
    first = min(int(r[2]) for r in rows)          # days before today, negative
    opened, figures = {}, {}
    for rule in surge_rules():
        col = 0 if rule["by"] == "cause" else 1
        ndays = min(rule["baseline"], -first)
        for key in sorted(set(r[col] for r in rows)):
            mine = [r for r in rows if r[col] == key]
            x = sum(1 for r in mine if int(r[2]) == 0)
            past = sum(1 for r in mine if -ndays <= int(r[2]) < 0)
            lam = past / ndays if ndays else 0.0
            p = poisson_tail(x, lam)
            decided = ndays >= rule["history"]
            hot = decided and x >= rule["min"] and p <= rule["p"]
            # the smallest count of today at which it would open (judged
            # after each complaint it opens there; all at once, at x)
            x0 = next((n for n in range(rule["min"], x + 1)
                       if poisson_tail(n, lam) <= rule["p"]), None)
            f = {"x": x, "lam": lam, "ndays": ndays, "p": p, "x0": x0, "min": rule["min"],
                 "today": [r[3] for r in mine if int(r[2]) == 0]}
            figures[(rule["name"], key)] = f
            note("  %s %s: today %d, λ %.2f over %d days, P(X >= %d) = %.3g -> %s"
                 % (rule["name"], key, x, lam, ndays, x, p, "SURGE" if hot else "no surge"))
            if hot:
                opened[(rule["name"], key)] = f
    return opened, figures


def surge_events(type_):
    evs = [ev.get("data", {}) for _, _, ev in checks.events("type = :'t'", t=type_)]
    return [d for d in evs if d.get("kind") == "surge"]


def event_key(d):
    return (d.get("rule"), d.get("cause") or d.get("business_line"))


def step_surge():
    nos = load_nos()
    checks.wait_sql("analytics has all %d complaints classified" % len(nos),
                    "select count(*) = %d from analytics_fact where complaint_no = any(:'nos')"
                    " and cause <> ''" % len(nos), 90, nos="{" + ",".join(nos) + "}")
    opened, figures = expected_surges(nos)
    expect_true("the fee cause surges by the test's own computation",
                ("surge_cause", SURGE["cause"]) in opened, repr(sorted(opened)))
    expect_true("the fault cause is at its baseline by the test's own computation",
                ("surge_cause", STEADY["cause"]) not in opened
                and figures.get(("surge_cause", STEADY["cause"]), {}).get("p", 0) > 0.1,
                repr(figures.get(("surge_cause", STEADY["cause"]))))
    # A sweep after the last fact: every open row counts today's x.
    for (rule, key), f in sorted(opened.items()):
        checks.wait_sql("%s %s: the open hot spot counts today's %d" % (rule, key, f["x"]),
                        "select count(*) = 1 from analytics_hotspot where rule = :'r'"
                        " and (cause = :'k' or business_line = :'k') and open"
                        " and count = %d" % f["x"], 30, r=rule, k=key)
    checks.wait_sql("the outbox is empty (the bus has every event)",
                    "select count(*) = 0 from outbox", 20)
    evs = surge_events("analytics.hotspot")
    expect("surge events: exactly the keys the test computed, each once",
           sorted(opened), sorted(event_key(d) for d in evs))
    for d in evs:
        f = opened.get(event_key(d))
        if not f:
            continue
        what = "%s %s" % event_key(d)
        count = d.get("count")
        expect_true("%s: opened at a count where P <= p (%s..%d)" % (what, f["x0"], f["x"]),
                    isinstance(count, int) and f["x0"] is not None and f["x0"] <= count <= f["x"],
                    repr(count))
        expect("%s: baseline λ, baseline_days, threshold, window" % what,
               ("%.2f" % f["lam"], f["ndays"], f["min"], "1d"),
               (d.get("baseline"), d.get("baseline_days"), d.get("threshold"), d.get("window")))
        expect("%s: p_value = P(X >= %s | %.2f) computed here" % (what, count, f["lam"]),
               "%.3g" % poisson_tail(count or 0, f["lam"]), d.get("p_value"))
        expect_true("%s: samples are today's complaints, latest first" % what,
                    d.get("samples") and all(s in f["today"] for s in d["samples"])
                    and d["samples"] == [n for n in f["today"] if n in d["samples"]],
                    repr(d.get("samples")))
        expect_true("%s: no branch, no customer" % what,
                    d.get("branch") is None and "customer" not in d, repr(d))
    expect("no surge row for the fault cause at its baseline", 0,
           checks.sql_int("select count(*) from analytics_hotspot where rule = 'surge_cause'"
                          " and cause = :'c'", c=STEADY["cause"]))
    r = query({"op": "hotspots"})
    expect("the query's open hot spots: the surges",
           sorted(opened), sorted((s["rule"], s["cause"] or s["business_line"])
                                  for s in (r or {}).get("hotspots", [])))
    with open(os.path.join(ARGS.out, "opened"), "w") as f:
        f.write("\n".join("%s %s" % k for k in sorted(opened)))


def step_clear():
    with open(os.path.join(ARGS.out, "opened")) as f:
        opened = sorted(tuple(line.split()) for line in f if line.strip())
    rc, out, err = L.ctl(L.NO_TOKEN, "clock", "shift", "2d")
    expect("complaintctl clock shift 2d", 0, rc)
    checks.wait_sql("one analytics.hotspot_cleared per surge",
                    "select count(*) >= %d from event_log"
                    " where type = 'analytics.hotspot_cleared'" % len(opened), 30)
    checks.wait_sql("the outbox is empty", "select count(*) = 0 from outbox", 20)
    evs = surge_events("analytics.hotspot_cleared")
    expect("cleared: each surge once", opened, sorted(event_key(d) for d in evs))
    expect("cleared: reason cooled, today's count 0 (a new day)",
           [("cooled", 0)] * len(evs), [(d.get("reason"), d.get("count")) for d in evs])
    expect("still one analytics.hotspot per surge", opened,
           sorted(event_key(d) for d in surge_events("analytics.hotspot")))
    r = query({"op": "hotspots"})
    expect("nothing open after the hot day cooled", [], (r or {}).get("hotspots"))


STEPS = {"history": step_history, "surge": step_surge, "clear": step_clear}


def setup(args):
    global ARGS
    ARGS = args
    L.setup(args.ctl, args.tokens, args.out)


if __name__ == "__main__":
    sys.exit(checks.step_main(STEPS, ("--ctl", "--tokens", "--out", "--a"), setup))
