#!/usr/bin/python3
"""notify_http.py — the checks of tests/integration/notify_http.sh (issue 5:
SMS and push over a real HTTP gateway; quiet hours, opt-outs, rates), one
subcommand per step; the shell starts and stops the services and the
gateway, moves the store's clock, submits, and calls these at each step's
end.

    notify_http.py --gateway DIR --sink http_sink.py --auth VALUE STEP ARGS...

    a NO1 NO2 NO3          phone-only receipts by SMS (zh, en), e-mail only
                           for a customer with an e-mail
    b NO                   SMS and push, each with its own key
    c NO                   503 twice with Retry-After 1: retried no sooner
    d1 NO / d2 NO1 NO2     503 forever: dead after 3; 400: dead after 1
    mark KEY               a baseline: requests at the gateway, last row id
    e-night KEY NO1 NO2    23:30 +08: the SMS waits for 08:00, the e-mail goes
    e-morning NO           ... sent at 08:00
    e-urgent NO            an urgent rule goes at night
    e-london NO            a London calendar: 23:30 +08 is daytime there
    e-london-night NO      23:30 London waits for 08:00 London
    f1 NO                  opted out, no other channel: suppressed
    f2 NO1 NO2             an opt-out while the SMS waits: suppressed, never
                           at the gateway
    g KEY NOS...           two notifiers at --rate-sms 4: 20 SMS, the rate kept
    h KEY                  after SIGKILL + restart: every key at the gateway,
                           at most one twice
    privacy                no phone, account, address or text in events
  and the waits a step of the scenario needs before the shell goes on
  (each with a deadline, each a check):
    wait-state NO STATE S, wait-deferred NO S, wait-logged NO S, quiet S,
    wait-bucket S, wait-gw KEY N S; killed KEY (a note at the kill).

"Nothing reached the gateway" is checked once nothing is owed (no row
sending or failed, none pending and due): by then the notifier has decided
every row, and the sink stores a request before it answers.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import (expect, expect_ge, expect_le, expect_true, note, sql,  # noqa: E402
                    sql_int, wait_for, wait_sql)

ARGS = None
MARKS = "notify_http"

QUIET = """select count(*) = 0 from notification where state in ('sending', 'failed')
            or (state = 'pending' and next_attempt_at <= app_now ())"""


def gw(accepted=False):
    argv = [sys.executable, ARGS.sink, "report", "--dir", ARGS.gateway]
    if accepted:
        argv.append("--accepted")
    rc, out, err = checks.run(argv)
    if rc != 0:
        checks.bad("http_sink.py report: exit %d: %s" % (rc, err.strip()[-200:]))
    return checks.jsonl(out)


def ref(r):
    return (r.get("body") or {}).get("reference")


def row(no, fields):
    """The customer row of a complaint (one channel): FIELDS as psql prints."""
    return sql("select " + fields + " from notification where complaint_no = :'no'"
               " and recipient_kind = 'customer' order by id limit 1", no=no)


def wait_state(no, state, timeout, desc=None):
    return wait_for(desc or "the receipt of %s %s" % (no, state),
                    lambda: row(no, "state") == state, timeout, 0.2)


def wait_deferred(no, timeout):
    return wait_for("the SMS of %s deferred" % no, lambda: row(no, "deferred_until"), timeout, 0.2)


def numbers(step, nos):
    for no in nos:
        expect_true("%s: submitted, a complaint number" % step, re.fullmatch(r"[0-9]+", no),
                    repr(no))


def key(mid):
    return mid.strip("<>")


# ------------------------------------------------------------------ a, b

def step_a(a):
    n1, n2, n3 = a.args
    numbers("a", a.args)
    for no in a.args:
        wait_state(no, "sent", 20)
    acc = gw(True)
    r1 = [r for r in acc if ref(r) == n1]
    expect("a1: one SMS at the gateway", 1, len(r1))
    r = r1[0] if r1 else {"path": "", "headers": {}, "body": {}}
    body = r["body"] or {}
    expect("a1: POST /sms with the Authorization header", "/sms|" + ARGS.auth,
           "%s|%s" % (r["path"], r["headers"].get("authorization")))
    expect("a1: the number normalised", "+8613800138001", body.get("to"))
    mid = key(row(n1, "message_id"))
    expect("a1: Idempotency-Key header = body key = the row's Message-ID without <>",
           "%s|%s" % (mid, mid), "%s|%s" % (r["headers"].get("idempotency-key"),
                                            body.get("idempotency_key")))
    text = body.get("text") or ""
    expect_true("a1: Chinese text with the number, the deadline, and short",
                n1 in text and "15日内" in text and text.startswith("【投诉受理】")
                and len(text) < 120, text)
    expect_true("a1: the time received in the case's zone, the zone written (10:00 +08:00)",
                "2026-11-24 10:00 +08:00" in text, text)
    expect_true("a2: the SMS is in English",
                any(ref(r) == n2 and r["body"]["text"].startswith("We received your complaint")
                    for r in acc))
    expect("a3 (e-mail and phone): e-mail only, no SMS", "email|0",
           "%s|%d" % (row(n3, "channel"), sum(1 for r in gw() if ref(r) == n3)))
    expect("channel rows for a1 a2 a3", "sms sms email",
           " ".join(row(no, "channel") for no in a.args))


def step_b(a):
    no = a.args[0]
    numbers("b", [no])
    wait_sql("b1's SMS and push sent", "select count(*) = 2 from notification"
             " where complaint_no = :'no' and state = 'sent'", 20, no=no)
    acc = [r for r in gw(True) if ref(r) == no]
    push = [r for r in acc if r["path"] == "/push"]
    p = push[0]["body"] if push else {}
    expect("b: one push to the customer's account", "6222020200001234",
           p.get("to") if len(push) == 1 else push)
    expect_true("b: push title = the short subject, body = the short text",
                no in (p.get("title") or "") and "15日内" in (p.get("body") or ""), repr(p))
    expect("b: SMS and push carry different keys, each its row's",
           sql("select string_agg(trim(both '<>' from message_id), ' ' order by channel)"
               " from notification where complaint_no = :'no'", no=no),
           " ".join(r["headers"].get("idempotency-key") or ""
                    for r in sorted(acc, key=lambda r: r["path"])))


# ------------------------------------------------------------------ c, d

def arrival_ms(records):
    ns = [int(os.path.basename(r["file"]).split("-")[0]) for r in records]
    return [(y - x) // 1000000 for x, y in zip(ns, ns[1:])]


def step_c(a):
    no = a.args[0]
    numbers("c", [no])
    wait_state(no, "sent", 30)
    tries = [r for r in gw() if ref(r) == no]
    expect("c: three attempts reached the gateway: 503, 503, 200", [503, 503, 200],
           [r["status"] for r in tries])
    expect("c: every attempt carried the same key", 1,
           len({r["headers"].get("idempotency-key") for r in tries}))
    gaps = arrival_ms(tries)
    note("c: gaps between attempts (ms): %s (back-off 100 ms, Retry-After 1 s)" % gaps)
    for g in gaps:
        expect_ge("c: Retry-After honoured (ms)", 950, g)
    # the failures' events are on the log once the bus publishes them
    checks.wait_until(lambda: sql_int("select count(*) from event_log where type ="
                                      " 'notification.failed' and complaint_no = :'no'",
                                      no=no) >= 2, 20)
    expect("c: attempts, two notification.failed events", "3|2",
           "%s|%s" % (row(no, "attempts"), sql_int(
               "select count(*) from event_log where type = 'notification.failed'"
               " and complaint_no = :'no'", no=no)))


def step_d1(a):
    no = a.args[0]
    numbers("d1", [no])
    wait_state(no, "dead", 30)
    got = row(no, "state || '|' || attempts || '|' || last_error")
    expect_true("d: 503 forever: dead after 3 attempts with the gateway's answer",
                got.startswith("dead|3|HTTP 503"), got)


def step_d2(a):
    no1, no = a.args
    numbers("d2", [no])
    wait_state(no, "dead", 30)
    got = row(no, "state || '|' || attempts || '|' || last_error")
    expect_true("d: 400: dead after ONE attempt (a refusal no retry changes)",
                got.startswith("dead|1|HTTP 400"), got)
    expect("d: notification.dead events", 2,
           sql_int("select count(*) from event_log where type = 'notification.dead'"
                   " and complaint_no in (:'a', :'b')", a=no1, b=no))


# ------------------------------------------------------------------ e

def step_e_night(a):
    mark, n1, n2 = a.args
    numbers("e", [n1, n2])
    wait_state(n2, "sent", 20, "e2's e-mail sent at night")
    wait_deferred(n1, 20)
    expect("e: at 23:30 +08 the SMS waits for 08:00 +08, pending, no attempt",
           "pending|0|2026-11-25 08:00:00+08",
           row(n1, "state || '|' || attempts || '|' || to_char(deferred_until"
                   " at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') || '+08'"))
    wait_sql("nothing owed (every row decided)", QUIET, 20)
    expect("e: nothing reached the gateway at night",
           checks.mark_load(MARKS, mark)["gw"], len(gw()))
    expect("e: the e-mail went at once", "sent", row(n2, "state"))


def step_e_morning(a):
    no = a.args[0]
    wait_state(no, "sent", 20, "e1's SMS sent in the morning")
    expect("e: sent in the morning, one attempt", "sent|1", row(no, "state || '|' || attempts"))


def step_e_urgent(a):
    no = a.args[0]
    numbers("e3", [no])
    wait_state(no, "sent", 20, "e3 (urgent) sent at night")
    expect("e: an urgent rule is sent at 23:30, not deferred", "sent|",
           row(no, "state || '|' || coalesce(deferred_until::text, '')"))


def step_e_london(a):
    no = a.args[0]
    numbers("e4", [no])
    wait_state(no, "sent", 20, "e4 sent (15:30 in London)")
    expect("e: zone Europe/London, sent (15:30 there)", "Europe/London|sent",
           row(no, "zone || '|' || state"))


def step_e_london_night(a):
    no = a.args[0]
    numbers("e5", [no])
    wait_deferred(no, 20)
    expect("e: 23:30 in London waits for 08:00 London", "2026-11-27 08:00",
           row(no, "to_char(deferred_until at time zone 'Europe/London', 'YYYY-MM-DD HH24:MI')"))


# ------------------------------------------------------------------ f

def step_f1(a):
    no = a.args[0]
    numbers("f1", [no])
    wait_state(no, "suppressed", 20)
    expect("f: opted out, no e-mail: suppressed (on the rule's first channel) with the reasons",
           "email|no e-mail address; opted out of sms", row(no, "channel || '|' || last_error"))
    expect("f: its notification.suppressed event", 1,
           sql_int("select count(*) from event_log where type = 'notification.suppressed'"
                   " and complaint_no = :'no'", no=no))


def step_f2(a):
    n1, n2 = a.args
    wait_state(n2, "suppressed", 20, "f2 suppressed in the morning")
    expect("f: suppressed before sending, by the late opt-out", "opted out of sms|0",
           row(n2, "last_error || '|' || attempts"))
    wait_sql("nothing owed (every row decided)", QUIET, 20)
    expect("f: the opted-out numbers never reached the gateway after opting out", 0,
           sum(1 for r in gw() if ref(r) in (n1, n2)))


# ------------------------------------------------------------------ g, h

def step_g(a):
    mark, nos = a.args[0], a.args[1:]
    numbers("g", nos)
    n0 = checks.mark_load(MARKS, mark)["accepted"]
    wait_for("20 rate-limited SMS delivered", lambda: len(gw(True)) - n0 >= 20, 30, 0.2)
    ns = sorted(int(os.path.basename(r["file"]).split("-")[0]) for r in gw(True)[n0:])
    span = (ns[-1] - ns[0]) / 1e9 if ns else 0
    worst = max((sum(1 for t in ns if s <= t < s + 1e9) for s in ns), default=0)
    note("g: requests %d, first to last %.2f s, most in any 1 s: %d" % (len(ns), span, worst))
    expect("g: 20 SMS delivered", 20, len(ns))
    expect_ge("g: 20 at 4/s (burst 4) take >= 3.5 s", 3.5, round(span, 2))
    expect_le("g: no second holds more than burst + rate", 8, worst)
    expect("g: each row was sent once", "20|20",
           sql("select count(*) || '|' || count(distinct message_id) from notification"
               " where complaint_no = any (:'nos'::text[]) and state = 'sent'",
               nos="{" + ",".join(nos) + "}"))


def step_h(a):
    mark = checks.mark_load(MARKS, a.args[0])
    wait_sql("the h rows all sent", "select count(*) = 0 from notification where id > :'id'"
             " and state <> 'sent'", 60, id=mark["id"])
    rows = sql_int("select count(*) from notification where id > :'id'", id=mark["id"])
    keys = [r["headers"].get("idempotency-key") for r in gw()[mark["gw"]:]]
    expect("h: every SMS row's key reached the gateway", rows, len(set(keys)))
    expect("h: the keys are the rows' own",
           sql("select string_agg(trim(both '<>' from message_id), ' ' order by message_id)"
               " from notification where id > :'id'", id=mark["id"]).split(" "),
           sorted(set(keys)))
    dups = len(keys) - len(set(keys))
    note("h: duplicates (same key) after SIGKILL: %d" % dups)
    expect_le("h: at most the request in flight arrived twice", 1, dups)


def step_privacy(a):
    expect("notification.* events carrying a phone, an account, an address or text", [],
           checks.leaking_events("@|1380013|6222020|投诉", "type like 'notification.%'"))
    expect_ge("notification.* events checked", 20,
              sql_int("select count(*) from event_log where type like 'notification.%'"))


# ------------------------------------------------------------------ waits

def step_mark(a):
    checks.mark_save(MARKS, a.args[0], {
        "gw": len(gw()), "accepted": len(gw(True)),
        "id": sql_int("select coalesce(max(id), 0) from notification")})


def step_wait_state(a):
    wait_state(a.args[0], a.args[1], float(a.args[2]))


def step_wait_deferred(a):
    wait_deferred(a.args[0], float(a.args[1]))


def step_wait_logged(a):
    numbers("logged", [a.args[0]])
    wait_sql("the complaint.received of %s on the log" % a.args[0],
             "select count(*) = 1 from event_log where type = 'complaint.received'"
             " and complaint_no = :'no'", float(a.args[1]), no=a.args[0])


def step_quiet(a):
    wait_sql("no work left (nothing sending, failed or due)", QUIET, float(a.args[0]))


def step_wait_bucket(a):
    # The SMS gateway's token bucket refilled to its burst (4 at 4/s), by
    # real time as notify_gateway_allow counts it.
    wait_sql("the SMS bucket refilled to its burst",
             "select coalesce((select tokens + extract (epoch from clock_timestamp ()"
             " - refilled_at) * 4 >= 4 from notify_gateway where channel = 'sms'), true)",
             float(a.args[0]))


def step_wait_gw(a):
    base = checks.mark_load(MARKS, a.args[0])["gw"]
    wait_for("%s requests at the gateway since the mark %s" % (a.args[1], a.args[0]),
             lambda: len(gw()) - base >= int(a.args[1]), float(a.args[2]), 0.1)


def step_killed(a):
    base = checks.mark_load(MARKS, a.args[0])["gw"]
    note("SIGKILL after %d requests; rows left sending: %s"
         % (len(gw()) - base, sql("select count(*) from notification where state = 'sending'")))


STEPS = {"a": step_a, "b": step_b, "c": step_c, "d1": step_d1, "d2": step_d2,
         "e-night": step_e_night, "e-morning": step_e_morning, "e-urgent": step_e_urgent,
         "e-london": step_e_london, "e-london-night": step_e_london_night,
         "f1": step_f1, "f2": step_f2, "g": step_g, "h": step_h, "privacy": step_privacy,
         "mark": step_mark, "wait-state": step_wait_state, "wait-deferred": step_wait_deferred,
         "wait-logged": step_wait_logged, "quiet": step_quiet, "wait-bucket": step_wait_bucket,
         "wait-gw": step_wait_gw, "killed": step_killed}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--gateway", "--sink", "--auth"), setup,
                            lambda step, args: step(args))


if __name__ == "__main__":
    sys.exit(main())
