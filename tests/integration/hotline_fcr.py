#!/usr/bin/python3
"""hotline_fcr.py — first-contact resolution through intake (see hotline_fcr.sh).

    hotline_fcr.py --endpoint E --tokens tokens.plain
"""
import argparse
import os
import sys

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_sql  # noqa: E402
from client import Client  # noqa: E402

ARGS = None
TOKENS = {}


def ask(req):
    c = Client(zmq.Context.instance(), ARGS.endpoint, "intake", "hotline")
    raw = c.request(msgpack.packb(req), 10000)
    c.close()
    return msgpack.unpackb(raw, raw=False) if raw is not None else None


def submit(ref, first_contact, **extra):
    req = {"op": "submit", "channel": "hotline", "ref": ref,
           "body": "客户来电：信用卡年费被扣两次，询问原因。", "demand": "解释年费",
           "product": "信用卡", "branch": "上海分行",
           "customer": {"name": "王小明", "phone": "13800001111"}}
    req.update(extra)
    if first_contact is not None:
        req["first_contact"] = first_contact
    return ask(req)


def err(reply):
    e = (reply or {}).get("error") or {}
    return "%s/%s" % (e.get("code"), e.get("field"))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--tokens", required=True)
    ARGS = p.parse_args()
    TOKENS.update(checks.staff_tokens(ARGS.tokens))
    agent = "zhao_min"                  # a handler (card_center)
    fc = {"token": TOKENS[agent], "outcome": "explanation",
          "text": "FCR-SECRET 已在电话中解释：第二笔为年费分期，客户接受。"}

    note("--- solved on the call")
    r = submit("call-fcr-1", fc)
    expect_true("reply ok", r and r.get("ok"), str(r))
    no = r["complaint_no"]
    expect("state in the reply", "resolved", r.get("state"))
    expect("version in the reply (received 1, accepted 2, resolved 3)", 3, r.get("version"))
    expect("not a duplicate", False, r.get("duplicate"))
    expect_true("a query code to read out", len(r.get("query_code") or "") == 11, str(r))
    expect("row: state, handler, department, outcome, accepted_at, resolved_at",
           "resolved|zhao_min|card_center|explanation|t|t",
           sql("select state, handler, department, resolution_outcome,"
               " accepted_at is not null, resolved_at is not null"
               " from complaint where complaint_no = :'no'", no=no))
    expect("audit trail: accept then resolve by the agent, from received",
           "accept zhao_min handler received accepted 2|resolve zhao_min handler accepted resolved 3",
           "|".join(l for l in sql(
               "select a.action || ' ' || a.actor || ' ' || a.actor_role || ' ' || a.state_before"
               " || ' ' || a.state_after || ' ' || a.version_after from case_action a"
               " join complaint c on c.id = a.complaint_id where c.complaint_no = :'no'"
               " order by a.id", no=no).splitlines()))
    expect("the resolve row keeps the text and says first_contact", "t|t",
           sql("select a.details->>'text' like 'FCR-SECRET%', (a.details->>'first_contact')::boolean"
               " from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and a.action = 'resolve'", no=no))
    wait_sql("three events on the stream", "select count(*) = 3 from event_log"
             " where complaint_no = :'no'", 20, no=no)
    evs = checks.events("complaint_no = :'no'", no=no)
    expect("events in order", ["complaint.received", "complaint.accepted", "complaint.resolved"],
           [t for _, t, _ in evs])
    body = [e for _, _, e in evs]
    data = [e.get("data", e) for e in body]
    expect("accepted: actor, from, state, version",
           ("zhao_min", "received", "accepted", 2),
           tuple(data[1].get(k) for k in ("actor", "from", "state", "version")))
    expect("resolved: outcome, from, state, version",
           ("explanation", "accepted", "resolved", 3),
           tuple(data[2].get(k) for k in ("outcome", "from", "state", "version")))
    expect_true("no event carries the agent's text", "FCR-SECRET" not in repr(body))

    note("--- the same call id again: the same case, nothing new")
    r2 = submit("call-fcr-1", fc)
    expect("duplicate: same number, duplicate, state, same code",
           (no, True, "resolved", r["query_code"]),
           (r2.get("complaint_no"), r2.get("duplicate"), r2.get("state"), r2.get("query_code")))
    expect("still two audit rows (accept, resolve)", 2,
           sql_int("select count(*) from case_action a join complaint c on c.id = a.complaint_id"
                   " where c.complaint_no = :'no'", no=no))
    # One statement, one snapshot: read apart, an event the bus moved from
    # the outbox to the log in between was counted twice (or not at all).
    expect("still three events", 3,
           sql_int("select (select count(*) from outbox where complaint_no = :'no')"
                   " + (select count(*) from event_log where complaint_no = :'no')", no=no))

    note("--- refusals: nothing written")
    before = sql_int("select count(*) from complaint")
    bad = dict(fc, token="0" * 64)
    expect("unknown token", "unauthenticated/first_contact.token", err(submit("call-fcr-2", bad)))
    mgr = dict(fc, token=TOKENS["zhang_wei"])
    expect("a manager may not resolve", "forbidden/first_contact.token",
           err(submit("call-fcr-3", mgr)))
    refund = dict(fc, outcome="refund")
    expect("refund without an amount", "missing_field/first_contact.amount",
           err(submit("call-fcr-4", refund)))
    expect("unknown outcome", "invalid_field/first_contact.outcome",
           err(submit("call-fcr-5", dict(fc, outcome="magic"))))
    expect("no text", "missing_field/first_contact.text",
           err(submit("call-fcr-6", {"token": fc["token"], "outcome": "apology"})))
    expect("nothing stored by the refusals", before, sql_int("select count(*) from complaint"))

    note("--- a refund solved on the call; then a call that was not solved")
    r3 = submit("call-fcr-7", dict(fc, outcome="refund", amount="120.50"))
    expect("refund: state and amount", "resolved|120.50",
           sql("select state, resolution_amount from complaint where complaint_no = :'no'",
               no=r3.get("complaint_no")))
    r4 = submit("call-plain-1", None)
    expect_true("a plain call is a plain submit", r4 and r4.get("ok") and "state" not in r4, str(r4))
    wait_sql("the router assigns the plain call", "select state = 'assigned' from complaint"
             " where complaint_no = :'no'", 30, no=r4["complaint_no"])
    expect("the router never assigned the first-contact cases", 0,
           sql_int("select count(*) from case_action a join complaint c on c.id = a.complaint_id"
                   " where c.complaint_no in (:'a', :'b') and a.action = 'assign'",
                   a=no, b=r3["complaint_no"]))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
