#!/usr/bin/python3
"""analytics_hotspot.py — the checks of tests/integration/analytics_hotspot.sh:
the analytics daemon detects an outlet hot spot end to end (issue 12,
section 3), one step at a time.

    analytics_hotspot.py --ctl complaintctl --tokens T --out DIR --a ENDPOINT STEP

    burst     three complaints about one outlet's service (海淀支行, rude
              staff: the router's `route @branch cause = service_attitude`)
              -> exactly one analytics.hotspot (outlet_cause_30d, the
              outlet, the cause, count 3, the three numbers latest first, no
              complaint number) and one open hot spot in the query
    more      two more while it is hot -> still one event; the query's count
              follows (5)
    dead      two more submitted while analytics is down (the shell killed
              it with SIGKILL) and it restarted -> still one event, count 7
    clear     the store's clock moved 31 days (every complaint ages out of
              the 30-day window) -> exactly one analytics.hotspot_cleared;
              nothing open; `state: all` shows it cleared
    again     after another restart (and a rebuild, step rebuilt): still one
              event of each type
    badquery  a bad `state` is refused naming the field
    ctl       complaintctl hotspots prints it for people (+08:00) and --json
    reopen    three more at the outlet, all from one customer (the clock is
              past the first window) -> a second analytics.hotspot of the
              outlet rule, and one of repeat_customer_90d
    removed   the shell removed outlet_cause_30d from the file and sent
              SIGHUP -> exactly one analytics.hotspot_cleared with reason
              `rule_removed` for it (count 3, its key), nothing open for the
              rule in the query; repeat_customer_90d stays open, and after a
              later sweep (its row judged again) still one such event
    changed   the shell gave the name repeat_customer_90d to an outlet rule
              (branch_cause, count 3) and sent SIGHUP -> the repeat
              customer's open hot spot cleared once, reason `rule_changed`;
              the renamed rule opens its own (the outlet's three recent
              complaints), and while that one is judged sweep after sweep
              no second clearing is told
    branches  the outlet on complaint.assigned: a card-fee complaint whose
              branch field names the outlet in English ("Haidian
              sub-branch"): the card centre leads, the outlet cooperates,
              `outlet` says which cooperating department it is; analytics'
              branch is the outlet's id, not the text. A branch the
              directory does not know: `outlet` nil, the branch as written.

Every check is counted (checks.py).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import client  # noqa: E402
from checks import expect, expect_true, note, sql  # noqa: E402
import lifecycle as L  # noqa: E402

ARGS = None
BRANCH = "outlet_bj_haidian"
CAUSE = "service_attitude"
RULE = "outlet_cause_30d"
BODY = "海淀支行柜台工作人员态度恶劣，很不耐烦，第%d次遇到。"
NOS_FILE = "nos"


def query(req, timeout=5000):
    """The analytics daemon's answer to req (None: no answer in time)."""
    return client.ask(ARGS.a, req, timeout, server="analytics")


def hot_events(type_):
    return [ev for _, _, ev in checks.events("type = :'t'", t=type_)]


def submit(n):
    """n more complaints about the outlet, each from another customer."""
    nos = load_nos()
    for i in range(n):
        k = len(nos) + 1
        no = L.submit("hot-%d" % k, "信用卡", BODY % k)
        nos.append(no)
    with open(os.path.join(ARGS.out, NOS_FILE), "w") as f:
        f.write("\n".join(nos))
    return nos


def load_nos():
    try:
        with open(os.path.join(ARGS.out, NOS_FILE)) as f:
            return [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def wait_judged(nos, count):
    """Until analytics has every complaint classified in its facts and the
    hot spot's row holds `count` (a judgement after the last of them)."""
    checks.wait_sql("analytics has the %d complaints classified" % len(nos),
                    "select count(*) = %d from analytics_fact where complaint_no = any(:'nos')"
                    " and outlet = '%s' and branch = '%s' and cause = '%s'"
                    % (len(nos), BRANCH, BRANCH, CAUSE),
                    60, nos="{" + ",".join(nos) + "}")
    checks.wait_sql("the hot spot's row counts %d" % count,
                    "select count(*) = 1 from analytics_hotspot where rule = '%s'"
                    " and count = %d" % (RULE, count), 30)
    checks.wait_sql("the outbox is empty (the bus has every event)",
                    "select count(*) = 0 from outbox", 20)


def open_spots(state=None):
    req = {"op": "hotspots"}
    if state:
        req["state"] = state
    r = query(req)
    if not expect_true("hotspots answered ok", r is not None and r.get("ok"), repr(r)):
        return None
    expect_true("as_of_seq is a number", isinstance(r.get("as_of_seq"), int), repr(r))
    return r["hotspots"]


def check_one_event(count_open, count_cleared):
    expect("analytics.hotspot events on the stream", count_open,
           len(hot_events("analytics.hotspot")))
    expect("analytics.hotspot_cleared events on the stream", count_cleared,
           len(hot_events("analytics.hotspot_cleared")))


def step_burst():
    nos = submit(3)
    wait_judged(nos, 3)
    checks.wait_sql("one analytics.hotspot on the stream",
                    "select count(*) >= 1 from event_log where type = 'analytics.hotspot'", 30)
    evs = hot_events("analytics.hotspot")
    expect("exactly one analytics.hotspot", 1, len(evs))
    if not evs:
        return
    ev = evs[0]
    d = ev.get("data", {})
    expect("the event is about no case", None, ev.get("complaint_no"))
    expect("the event's head", {"kind": "outlet", "rule": RULE, "branch": BRANCH,
                                "cause": CAUSE, "business_line": None},
           {k: d.get(k) for k in ("kind", "rule", "branch", "cause", "business_line")})
    expect("count, window, threshold", (3, "30d", 3),
           (d.get("count"), d.get("window"), d.get("threshold")))
    expect("samples: the three, latest first", list(reversed(nos)), d.get("samples"))
    expect_true("first_at <= last_at", d.get("first_at", 1) <= d.get("last_at", 0), repr(d))
    spots = open_spots()
    if spots is None:
        return
    expect("one open hot spot in the query", 1, len(spots))
    if spots:
        s = spots[0]
        expect("the query's hot spot", ("outlet", RULE, BRANCH, CAUSE, None, None, 3, "30d"),
               (s["kind"], s["rule"], s["branch"], s["cause"], s["business_line"],
                s["customer"], s["count"], s["window"]))
        expect("the query's samples", list(reversed(nos)), s["samples"])
        expect("not cleared", None, s["cleared_at"])
        expect_true("opened_at is set", isinstance(s["opened_at"], int), repr(s))


def step_more():
    nos = submit(2)
    wait_judged(nos, 5)
    check_one_event(1, 0)
    spots = open_spots()
    if spots is not None:
        expect("still one open hot spot, count 5", [5], [s["count"] for s in spots])


def step_dead():
    nos = submit(2)
    note("  submitted %d complaints while analytics was down (%d in all)" % (2, len(nos)))


def step_restarted():
    nos = load_nos()
    wait_judged(nos, 7)
    check_one_event(1, 0)
    spots = open_spots()
    if spots is not None:
        expect("after SIGKILL + restart: one open hot spot, count 7", [7],
               [s["count"] for s in spots])


def step_clear():
    rc, out, err = L.ctl(L.NO_TOKEN, "clock", "shift", "31d")
    expect("complaintctl clock shift 31d", 0, rc)
    checks.wait_sql("one analytics.hotspot_cleared on the stream",
                    "select count(*) >= 1 from event_log where type = 'analytics.hotspot_cleared'",
                    30)
    checks.wait_sql("the outbox is empty", "select count(*) = 0 from outbox", 20)
    check_one_event(1, 1)
    evs = hot_events("analytics.hotspot_cleared")
    if evs:
        d = evs[0].get("data", {})
        expect("the cleared event's head and count", ("outlet", RULE, BRANCH, CAUSE, 0),
               (d.get("kind"), d.get("rule"), d.get("branch"), d.get("cause"), d.get("count")))
    spots = open_spots()
    if spots is not None:
        expect("nothing open after the window passed", 0, len(spots))
    spots = open_spots("all")
    if spots is not None:
        expect("state all: the one hot spot", 1, len(spots))
        if spots:
            expect_true("state all: it is cleared", isinstance(spots[0]["cleared_at"], int),
                        repr(spots[0]))


def step_again():
    checks.wait_sql("the outbox is empty", "select count(*) = 0 from outbox", 20)
    check_one_event(1, 1)
    expect("the hot spot's row is kept, cleared", "f",
           sql("select open from analytics_hotspot where rule = '%s'" % RULE))


def step_badquery():
    r = query({"op": "hotspots", "state": "closed"}) or {}
    e = r.get("error") or {}
    expect("a bad state is refused, naming the field", (False, "invalid_field", "state"),
           (r.get("ok"), e.get("code"), e.get("field")))


def step_ctl():
    rc, out, err = L.ctl(L.NO_TOKEN, "hotspots", "--all", "--endpoint", ARGS.a)
    expect("complaintctl hotspots --all exits 0", 0, rc)
    note("  " + out.strip().replace("\n", "\n  "))
    expect_true("it names the outlet and the cause", BRANCH in out and CAUSE in out, out)
    expect_true("times in the bank's zone, written", "+08:00" in out, out)
    # issue 16 follow-up (analytics2): the key is analytics' generated column
    # (053), answered as `key` and printed as it is
    key = sql("select hotspot_key from analytics_hotspot where rule = '%s'" % RULE)
    expect_true("the key printed is the store's derived key (%s)" % key,
                key.startswith(RULE + "/") and ("    key %s\n" % key) in out, out)
    rc, out, err = L.ctl(L.NO_TOKEN, "hotspots", "--all", "--json", "--endpoint", ARGS.a)
    expect("complaintctl hotspots --all --json exits 0", 0, rc)
    rows = checks.jsonl(out)
    expect_true("--json: the hot spot as one JSON line", len(rows) == 1
                and rows[0].get("rule") == RULE, out[-300:])
    expect("--json: its key", key, rows[0].get("key") if rows else None)


REPEAT_RULE = "repeat_customer_90d"
REPEAT_PHONE = "13900000012"


def submit_same_customer(n):
    """n more complaints about the outlet, all from one customer."""
    nos = load_nos()
    for i in range(n):
        k = len(nos) + 1
        rc, out, err = L.ctl(L.NO_TOKEN, "submit", "--channel", "web", "--ref", "hot-%d" % k,
                             "--product", "信用卡", "--body", BODY % k, "--phone", REPEAT_PHONE,
                             "--name", "回头客")
        no = (checks.jsonl(out) or [{}])[0].get("complaint_no", "")
        expect_true("hot-%d (the same customer): a complaint number" % k, no.isdigit(),
                    err.strip()[-200:])
        nos.append(no)
    with open(os.path.join(ARGS.out, NOS_FILE), "w") as f:
        f.write("\n".join(nos))
    return nos[-n:]


def rule_events(type_, rule):
    return [ev for ev in hot_events(type_) if ev.get("data", {}).get("rule") == rule]


def step_reopen():
    nos = submit_same_customer(3)
    checks.wait_sql("analytics has the 3 new complaints at the outlet",
                    "select count(*) = 3 from analytics_fact where complaint_no = any(:'nos')"
                    " and outlet = '%s' and cause = '%s'" % (BRANCH, CAUSE), 60,
                    nos="{" + ",".join(nos) + "}")
    checks.wait_sql("the outlet rule's second analytics.hotspot and the repeat customer's",
                    "select count(*) = 3 from event_log where type = 'analytics.hotspot'", 30)
    expect("the outlet rule told twice (a new hot spot after the clearing), each at 3", [3, 3],
           [ev["data"].get("count") for ev in rule_events("analytics.hotspot", RULE)])
    expect("the repeat customer told once", 1, len(rule_events("analytics.hotspot", REPEAT_RULE)))
    spots = open_spots()
    if spots is not None:
        expect("open: the outlet and the repeat customer", sorted([RULE, REPEAT_RULE]),
               sorted(s["rule"] for s in spots))
        # issue 16 follow-up (analytics2): a customer's hot spot has no key
        # (nothing a department rectifies; the pseudonym is never copied)
        expect("the repeat customer's key is nil", [None],
               [s.get("key", "absent") for s in spots if s["rule"] == REPEAT_RULE])


def step_removed():
    checks.wait_sql("an analytics.hotspot_cleared with reason rule_removed on the stream",
                    "select count(*) = 2 from event_log where type = 'analytics.hotspot_cleared'",
                    30)
    removed = [ev for ev in rule_events("analytics.hotspot_cleared", RULE)
               if ev.get("data", {}).get("reason") == "rule_removed"]
    expect("exactly one cleared event of the removed rule, reason rule_removed", 1, len(removed))
    if removed:
        d = removed[0]["data"]
        expect("its head, count and window as last told",
               ("outlet", RULE, BRANCH, CAUSE, None, 3, "30d"),
               (d.get("kind"), d.get("rule"), d.get("branch"), d.get("cause"),
                d.get("business_line"), d.get("count"), d.get("window")))
        expect_true("cleared_at >= opened_at",
                    d.get("cleared_at", 0) >= d.get("opened_at", 1), repr(d))
    spots = open_spots()
    if spots is not None:
        expect("open in the query: the repeat customer only, nothing of the removed rule",
               [REPEAT_RULE], [s["rule"] for s in spots])
    expect("the removed rule's row is closed in the store", "f|t",
           sql("select open, cleared_at is not null from analytics_hotspot where rule = '%s'"
               % RULE))
    # A later sweep (it judges the repeat customer's open row again, moving
    # judged_at past the clearing) tells nothing more.
    checks.wait_sql("a sweep after the clearing (the open row judged again)",
                    "select (select judged_at from analytics_hotspot where rule = '%s')"
                    " > (select cleared_at from analytics_hotspot where rule = '%s')"
                    % (REPEAT_RULE, RULE), 30)
    checks.wait_sql("the outbox is empty", "select count(*) = 0 from outbox", 20)
    expect("still one cleared event of the removed rule", 1,
           len([ev for ev in rule_events("analytics.hotspot_cleared", RULE)
                if ev.get("data", {}).get("reason") == "rule_removed"]))
    expect("the repeat customer is not cleared", 0,
           len(rule_events("analytics.hotspot_cleared", REPEAT_RULE)))


def step_changed():
    checks.wait_sql("the repeat customer's hot spot cleared and the renamed rule's opened",
                    "select count(*) = 1 from analytics_hotspot where rule = '%s'"
                    " and kind = 'outlet' and open" % REPEAT_RULE, 30)
    # The rows and their events commit together; the bus publishes a moment
    # later: the events are read once the outbox is empty.
    checks.wait_sql("the outbox is empty (the bus has every event)",
                    "select count(*) = 0 from outbox", 20)
    changed = [ev["data"] for ev in rule_events("analytics.hotspot_cleared", REPEAT_RULE)]
    expect("one cleared event of the changed rule, reason rule_changed, the customer's key",
           [("rule_changed", "repeat_customer", None, 3)],
           [(d.get("reason"), d.get("kind"), d.get("branch"), d.get("count")) for d in changed])
    expect_true("it names the pseudonym it was about",
                changed and len(changed[0].get("customer") or "") == 32, repr(changed))
    opened = [ev["data"] for ev in rule_events("analytics.hotspot", REPEAT_RULE)]
    expect("the rule's events: the customer's, then the outlet's under the same name",
           [("repeat_customer", None), ("outlet", BRANCH)],
           [(d.get("kind"), d.get("branch")) for d in opened])
    checks.wait_sql("a later sweep (the new hot spot judged again)",
                    "select (select judged_at from analytics_hotspot where rule = '%s'"
                    "  and kind = 'outlet') > (select cleared_at from analytics_hotspot"
                    "  where rule = '%s' and kind = 'repeat_customer')"
                    % (REPEAT_RULE, REPEAT_RULE), 30)
    checks.wait_sql("the outbox is empty", "select count(*) = 0 from outbox", 20)
    expect("still one cleared event of the changed rule", 1,
           len(rule_events("analytics.hotspot_cleared", REPEAT_RULE)))


def assigned_of(no):
    evs = [ev for _, _, ev in checks.events("type = 'complaint.assigned' and complaint_no = :'no'",
                                             no=no)]
    return evs[0].get("data", {}) if evs else {}


def step_branches():
    coop = L.submit("hot-coop", "信用卡", "信用卡年费乱收，柜台也解释不清楚。",
                    "--branch", "Haidian sub-branch")
    unknown = L.submit("hot-unknown", "信用卡", "信用卡年费乱收，柜台也解释不清楚。",
                       "--branch", "火星支行")
    checks.wait_sql("analytics has both classified",
                    "select count(*) = 2 from analytics_fact where complaint_no = any(:'nos')"
                    " and cause <> ''", 60, nos="{%s,%s}" % (coop, unknown))
    d = assigned_of(coop)
    expect("named in English: the outlet's id on complaint.assigned", BRANCH, d.get("outlet"))
    expect_true("the business department leads, the outlet is one of the cooperating",
                d.get("department") not in (None, BRANCH) and BRANCH in (d.get("cooperating") or []),
                repr(d))
    expect("analytics: its outlet and branch are the outlet's id", "%s|%s" % (BRANCH, BRANCH),
           sql("select outlet, branch from analytics_fact where complaint_no = :'no'", no=coop))
    d = assigned_of(unknown)
    expect_true("a branch the directory does not know: outlet nil",
                "outlet" in d and d["outlet"] is None, repr(d))
    expect("analytics: no outlet, the branch as written", "|火星支行",
           sql("select outlet, branch from analytics_fact where complaint_no = :'no'",
               no=unknown))


STEPS = {"burst": step_burst, "more": step_more, "dead": step_dead, "restarted": step_restarted,
         "clear": step_clear, "again": step_again, "badquery": step_badquery, "ctl": step_ctl,
         "reopen": step_reopen, "removed": step_removed, "changed": step_changed,
         "branches": step_branches}


def setup(args):
    global ARGS
    ARGS = args
    L.setup(args.ctl, args.tokens, args.out)


def main():
    return checks.step_main(STEPS, ("--ctl", "--tokens", "--out", "--a"), setup,
                            lambda step, args: step())


if __name__ == "__main__":
    sys.exit(main())
