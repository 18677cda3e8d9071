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

Every check is counted (checks.py).
"""
import argparse
import os
import sys

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int  # noqa: E402
import lifecycle as L  # noqa: E402

ARGS = None
BRANCH = "outlet_bj_haidian"
CAUSE = "service_attitude"
RULE = "outlet_cause_30d"
BODY = "海淀支行柜台工作人员态度恶劣，很不耐烦，第%d次遇到。"
NOS_FILE = "nos"


def query(req, timeout=5000):
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(ARGS.a)
    s.send_multipart([b"", msgpack.packb(req)])
    if not s.poll(timeout):
        s.close()
        return None
    frames = s.recv_multipart()
    s.close()
    return msgpack.unpackb(frames[-1], raw=False)


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
    note("  submitted %d complaints while analytics was down" % 2)


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
    rc, out, err = L.ctl(L.NO_TOKEN, "hotspots", "--all", "--json", "--endpoint", ARGS.a)
    expect("complaintctl hotspots --all --json exits 0", 0, rc)
    rows = checks.jsonl(out)
    expect_true("--json: the hot spot as one JSON line", len(rows) == 1
                and rows[0].get("rule") == RULE, out[-300:])


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--ctl", required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--a", required=True)
    p.add_argument("step")
    ARGS = p.parse_args()
    L.setup(ARGS.ctl, ARGS.tokens, ARGS.out)
    steps = {"burst": step_burst, "more": step_more, "dead": step_dead,
             "restarted": step_restarted, "clear": step_clear, "again": step_again,
             "badquery": step_badquery, "ctl": step_ctl}
    steps[ARGS.step]()
    sys.exit(checks.status())


if __name__ == "__main__":
    main()
