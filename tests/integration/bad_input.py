#!/usr/bin/python3
"""bad_input.py — the malformed-request table for tests/integration/bad_input.sh.

Sends each malformed frame to intake over a DEALER socket and checks the
reply is {"ok":false,"error":{"code","field","message"}} with the expected
stable code (proto/proto.h PROTO_E_*) and field; after each, checks intake
still answers. Then a valid submit must succeed, and `get` must find it;
the store (PG* variables) must hold exactly that one complaint and its one
complaint.received: nothing malformed was written. Prints one line per
check (checks.py counts them); exits 1 if any failed.

    bad_input.py --endpoint tcp://127.0.0.1:26140
"""
import argparse
import sys

import msgpack
import zmq

sys.path.insert(0, __import__("os").path.dirname(__file__))
import checks  # noqa: E402
from client import Client, complaint_no, damm, unpack  # noqa: E402

ANY = object()      # the field is not checked (the code is)
NONE = None         # no "field" in the error


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def submit(**over):
    req = {"op": "submit", "channel": "web", "ref": "bad-input-0001",
           "body": "My card was charged twice for the annual fee.",
           "customer": {"name": "Test Customer", "phone": "13800000000"}}
    for k, v in over.items():
        if v is None:
            req.pop(k, None)
        else:
            req[k] = v
    return pack(req)


def act(**over):
    """An act that is well formed except for what `over` changes (a None
    removes the field); its token is not a real one."""
    req = {"op": "act", "complaint_no": complaint_no("20261123000042"), "action": "accept",
           "token": "not-a-token", "version": 1}
    for k, v in over.items():
        if v is None:
            req.pop(k, None)
        else:
            req[k] = v
    return pack(req)


def cases():
    ok_no = complaint_no("20261123000042")
    bad_no = ok_no[:-1] + str((int(ok_no[-1]) + 1) % 10)
    # Bytes that are a valid submit except one string holds invalid UTF-8:
    # build with a placeholder of the same length and patch the bytes.
    utf8 = submit(body="BAD-UTF8-HERE").replace(b"BAD-UTF8-HERE", b"bad \xc3\x28 utf8")
    return [
        # (name, frame, code, field)
        ("not msgpack (0xc1)", b"\xc1", "malformed", ANY),
        ("empty frame", b"", "malformed", ANY),
        ("truncated map", pack({"op": "submit"})[:-2], "malformed", ANY),
        ("trailing bytes", pack({"op": "get"}) + b"\x00", "malformed", ANY),
        ("map claims 2^32-1 entries", b"\xdf\xff\xff\xff\xff", "malformed", ANY),
        ("not a map (1)", pack(1), "not_a_map", ANY),
        ("not a map (array)", pack(["op", "submit"]), "not_a_map", ANY),
        ("unknown op", pack({"op": "delete"}), "unknown_op", "op"),
        ("missing op", pack({"channel": "web", "ref": "x"}), "missing_field", "op"),
        ("op wrong type", pack({"op": 1}), "wrong_type", "op"),
        ("missing channel", submit(channel=None), "missing_field", "channel"),
        ("channel wrong type (int)", submit(channel=7), "wrong_type", "channel"),
        ("unknown channel", submit(channel="fax"), "unknown_channel", "channel"),
        ("missing ref", submit(ref=None), "missing_field", "ref"),
        ("ref over 128 bytes", submit(ref="r" * 129), "too_large", "ref"),
        ("missing body", submit(body=None), "missing_field", "body"),
        ("empty body", submit(body=""), "invalid_field", "body"),
        ("body is binary", submit(body=b"\x01\x02"), "wrong_type", "body"),
        ("body over 64 KiB", submit(body="x" * (64 * 1024 + 1)), "too_large", "body"),
        ("message over 256 KiB", submit(body="y" * (300 * 1024)), "too_large", ANY),
        ("invalid UTF-8 in body", utf8, "invalid_utf8", ANY),
        ("nesting deeper than the bound",
         submit(customer={"name": [[[["deep"]]]]}), "too_deep", ANY),
        ("customer missing", submit(customer=None), "missing_field", "customer"),
        ("customer empty", submit(customer={}), "missing_field", "customer"),
        ("customer not a map", submit(customer="Zhang San"), "wrong_type", "customer"),
        ("customer.email without @", submit(customer={"email": "nobody.example.com"}),
         "invalid_field", "customer.email"),
        ("customer.phone with letters", submit(customer={"phone": "call me"}),
         "invalid_field", "customer.phone"),
        ("get: missing complaint_no", pack({"op": "get"}), "missing_field", "complaint_no"),
        ("get: wrong check digit", pack({"op": "get", "complaint_no": bad_no}),
         "invalid_field", "complaint_no"),
        ("get: letters in number", pack({"op": "get", "complaint_no": "2026112300004X2"}),
         "invalid_field", "complaint_no"),
        ("get: unknown but valid number", pack({"op": "get", "complaint_no": ok_no}),
         "not_found", ANY),
        ("amount negative", submit(amount=-5), "invalid_field", "amount"),
        ("amount not a decimal", submit(amount="12,50"), "invalid_field", "amount"),
        ("lang fr", submit(lang="fr"), "invalid_field", "lang"),
        ("narrative_consent not a bool", submit(narrative_consent="yes"), "wrong_type",
         "narrative_consent"),
        ("received_at wrong type", submit(received_at="yesterday"), "wrong_type", "received_at"),
        ("received_at out of range", submit(received_at=1), "invalid_field", "received_at"),
        # act: decoded and checked against the lifecycle table before any lookup
        ("act: unknown action", act(action="fly"), "invalid_field", "action"),
        ("act: action wrong type", act(action=3), "wrong_type", "action"),
        ("act: missing action", act(action=None), "missing_field", "action"),
        ("act: missing token", act(token=None), "missing_field", "token"),
        ("act: token wrong type", act(token=12345), "wrong_type", "token"),
        ("act: token over 128 bytes", act(token="a" * 129), "too_large", "token"),
        ("act: missing version", act(version=None), "missing_field", "version"),
        ("act: version 0", act(version=0), "invalid_field", "version"),
        ("act: version a string", act(version="3"), "wrong_type", "version"),
        ("act: missing complaint_no", act(complaint_no=None), "missing_field", "complaint_no"),
        ("act: wrong check digit", act(complaint_no=bad_no), "invalid_field", "complaint_no"),
        ("act: note without text", act(action="note"), "missing_field", "text"),
        ("act: text over 4 KiB", act(action="note", text="n" * 4097), "too_large", "text"),
        ("act: text empty", act(action="note", text=""), "invalid_field", "text"),
        ("act: field the action does not take", act(action="note", text="x", level="regulator"),
         "invalid_field", "level"),
        ("act: resolve without outcome", act(action="resolve", text="done"),
         "missing_field", "outcome"),
        ("act: unknown outcome", act(action="resolve", text="done", outcome="bribe"),
         "invalid_field", "outcome"),
        ("act: refund without amount", act(action="resolve", text="done", outcome="refund"),
         "missing_field", "amount"),
        ("act: amount with 3 decimals",
         act(action="resolve", text="done", outcome="refund", amount="1.005"),
         "invalid_field", "amount"),
        ("act: amount negative",
         act(action="resolve", text="done", outcome="refund", amount=-1),
         "invalid_field", "amount"),
        ("act: satisfied a string", act(action="feedback", satisfied="yes"),
         "wrong_type", "satisfied"),
        ("act: close with unknown reason", act(action="close", reason="bored"),
         "invalid_field", "reason"),
        ("act: escalate to branch", act(action="escalate", text="x", level="branch"),
         "invalid_field", "level"),
        ("act: duplicate without duplicate_of", act(action="reject", reason="duplicate"),
         "missing_field", "duplicate_of"),
        ("act: duplicate_of wrong check digit",
         act(action="reject", reason="duplicate", duplicate_of=bad_no),
         "invalid_field", "duplicate_of"),
        ("act: transfer without department", act(action="transfer", text="x"),
         "missing_field", "department"),
        ("act: extend without text (the reason)", act(action="extend"), "missing_field", "text"),
        ("act: extend with empty text", act(action="extend", text=""), "invalid_field", "text"),
        ("act: extend with a level", act(action="extend", text="x", level="head_office"),
         "invalid_field", "level"),
        ("act: extend with an outcome", act(action="extend", text="x", outcome="apology"),
         "invalid_field", "outcome"),
        ("act: malformed token", act(), "unauthenticated", "token"),
        ("act: unknown token", act(token="0" * 64), "unauthenticated", "token"),
        # queue
        ("queue: missing token", pack({"op": "queue"}), "missing_field", "token"),
        ("queue: unknown scope", pack({"op": "queue", "token": "0" * 64, "scope": "world"}),
         "invalid_field", "scope"),
        ("queue: unknown state", pack({"op": "queue", "token": "0" * 64, "state": "asleep"}),
         "invalid_field", "state"),
        ("queue: limit 0", pack({"op": "queue", "token": "0" * 64, "limit": 0}),
         "invalid_field", "limit"),
        ("queue: limit 501", pack({"op": "queue", "token": "0" * 64, "limit": 501}),
         "invalid_field", "limit"),
        ("queue: unknown token", pack({"op": "queue", "token": "0" * 64}),
         "unauthenticated", "token"),
        ("get: token wrong type", pack({"op": "get", "complaint_no": ok_no, "token": 1}),
         "wrong_type", "token"),
        ("get: unknown token", pack({"op": "get", "complaint_no": ok_no, "token": "0" * 64}),
         "unauthenticated", "token"),
        ("get: query_code wrong type", pack({"op": "get", "complaint_no": ok_no,
                                             "query_code": 12345}), "wrong_type", "query_code"),
        ("get: query_code over 32 bytes", pack({"op": "get", "complaint_no": ok_no,
                                                "query_code": "A" * 33}),
         "too_large", "query_code"),
    ]


def alive(ctx, endpoint):
    c = Client(ctx, endpoint)
    rep = c.request(pack({"op": "get", "complaint_no": complaint_no("20200101000001")}), 3000)
    c.close()
    return rep is not None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    args = p.parse_args()
    ctx = zmq.Context.instance()
    table = cases()
    for name, frame, code, field in table:
        c = Client(ctx, args.endpoint)
        raw = c.request(frame, 5000)
        c.close()
        if raw is None:
            checks.bad("%-32s no reply within 5 s" % name)
        else:
            try:
                rep = unpack(raw)
            except Exception as e:  # noqa: BLE001 - any decode failure is a finding
                checks.bad("%-32s reply is not msgpack: %s" % (name, e))
                rep = None
            if rep is not None:
                err = rep.get("error") if isinstance(rep, dict) else None
                got_code = err.get("code") if isinstance(err, dict) else None
                got_field = err.get("field") if isinstance(err, dict) else None
                msg = err.get("message") if isinstance(err, dict) else None
                problems = []
                if rep.get("ok") is not False:
                    problems.append("ok is %r, want false" % rep.get("ok"))
                if got_code != code:
                    problems.append("code %r, want %r" % (got_code, code))
                if field is not ANY and got_field != field:
                    problems.append("field %r, want %r" % (got_field, field))
                if not msg:
                    problems.append("no message")
                if problems:
                    checks.bad("%-32s %s (reply %r)" % (name, "; ".join(problems), rep))
                else:
                    checks.ok("%-32s -> %s%s" % (name, got_code,
                                                  " field=%s" % got_field if got_field else ""))
        if not alive(ctx, args.endpoint):
            checks.bad("intake does not answer after case %r" % name)
            break

    # A valid submit afterwards succeeds, and get finds it.
    c = Client(ctx, args.endpoint)
    raw = c.request(submit(ref="bad-input-valid-after", lang="en", amount="12.50"), 5000)
    rep = unpack(raw) if raw is not None else None
    if not rep or rep.get("ok") is not True:
        checks.bad("valid submit after the table: %r" % rep)
    else:
        no = rep["complaint_no"]
        if damm(no) != 0 or rep.get("duplicate") is not False:
            checks.bad("valid submit reply %r (check digit or duplicate flag)" % rep)
        else:
            checks.ok("valid submit after %d bad requests -> complaint_no %s duplicate=false"
                  % (len(table), no))
        raw = c.request(pack({"op": "get", "complaint_no": no,
                              "query_code": rep.get("query_code")}), 5000)
        got = unpack(raw) if raw is not None else None
        comp = got.get("complaint") if got else None
        if not got or got.get("ok") is not True or not isinstance(comp, dict):
            checks.bad("get %s with its query code: %r" % (no, got))
        else:
            checks.ok("get %s with its query code -> state=%s" % (no, comp.get("state")))
        # Nothing malformed reached the store: the valid one alone.
        checks.expect("complaints stored", "1", checks.sql("select count(*) from complaint"))
        checks.expect("the stored complaint is the valid one", no,
                      checks.sql("select complaint_no from complaint"))
        checks.expect("its outbox/event rows (one complaint.received)", "1",
                      checks.sql("select (select count(*) from outbox)"
                                 " + (select count(*) from event_log)"))
    c.close()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
