#!/usr/bin/python3
"""status_view.py — the checks of status_view.sh: the public status view of
`get` (issue 13). Every request goes through client.py's socket code (the
independent client), over CURVE. A status query goes as one of the
adapter keys status_view.sh made (web-a ... web-h, no status permission):
intake counts failures per key, so "another peer" is another key. The key
desk may see status without a code (keys new --status).

    status_view.py --endpoint E --mail DIR --sink smtp_sink.py --logs DIR --token T

The intake under test runs with --status-failures 4 and
--status-case-failures 5 (status_view.sh).
"""
import argparse
import hashlib
import json
import os
import re
import sys

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_for, wait_sql  # noqa: E402
from client import Client, complaint_no, unpack  # noqa: E402

ARGS = None
CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
STATUS_KEYS = {"complaint_no", "state", "received_at", "accepted_at", "due_at", "resolved_at",
               "closed_at", "next_step", "next_step_text"}
PEER_FAILURES = 4
CASE_FAILURES = 5
SECRETS = ["SUBJ-SECRET", "BODY-SECRET", "DEMAND-SECRET", "王小明", "13912345678",
           "wang.xm@example.com", "6222021234567890", "11010519491231002X", "sv-ref-1"]


def ask(req, key=None):
    """One request on a DEALER of its own, as client key `key` (default:
    the tool's, operator)."""
    ctx = zmq.Context.instance()
    c = Client(ctx, ARGS.endpoint, key=key)
    raw = c.request(msgpack.packb(req), 5000)
    c.close()
    return unpack(raw) if raw is not None else None


def submit(ref, subject="年费 SUBJ-SECRET"):
    return ask({"op": "submit", "channel": "web", "ref": ref, "lang": "en",
                "subject": subject, "body": "I was charged twice BODY-SECRET",
                "demand": "refund DEMAND-SECRET", "product": "信用卡",
                "customer": {"name": "王小明", "phone": "13912345678",
                             "email": "wang.xm@example.com", "account": "6222021234567890",
                             "id_no": "11010519491231002X"}})


def status(no, code=None, key="web-a"):
    req = {"op": "get", "complaint_no": no}
    if code is not None:
        req["query_code"] = code
    return ask(req, key)


def not_found(no):
    return {"ok": False, "error": {"code": "not_found", "field": "complaint_no",
                                   "message": "no complaint has number %s" % no}}


def unknown_number():
    """A well-formed number no complaint has."""
    return complaint_no("2020010199%04d" % (os.getpid() % 10000))


def step_submit():
    note("--- a: submit, retry, receipt")
    rep = submit("sv-ref-1") or {}
    code = rep.get("query_code") or ""
    no = rep.get("complaint_no")
    expect_true("submit: ok, a number and a query code of 10 base32 characters",
                rep.get("ok") is True and no and CODE_RE.match(code), repr(rep))
    again = submit("sv-ref-1") or {}
    expect("the same submit again: the same number and code, duplicate",
           (no, code, True), (again.get("complaint_no"), again.get("query_code"),
                              again.get("duplicate")))
    other = submit("sv-ref-2") or {}
    expect_true("another complaint: another code",
                other.get("query_code") and other.get("query_code") != code)
    return no, code, other.get("complaint_no"), other.get("query_code")


def step_receipt(no, code):
    def mails():
        rc, out, _ = checks.run([sys.executable, ARGS.sink, "report", "--dir", ARGS.mail])
        return [m for m in checks.jsonl(out) if no in m.get("subject", "")
                and "wang.xm@example.com" in m.get("rcpt", "")]
    wait_for("the receipt for %s e-mailed to the customer's (decrypted) address" % no,
             mails, 30)
    got = mails()
    body = got[0]["body"] if got else ""
    expect_true("the receipt holds the query code", code in body, body[:300])
    expect_true("the receipt holds no narrative", "BODY-SECRET" not in body)


def step_view(no, code):
    note("--- b: the right code")
    wait_sql("%s assigned by the router and given a due date by the watchdog" % no,
             "select state = 'assigned' and due_at is not null from complaint"
             " where complaint_no = :'no'", 30, no=no)
    rep = status(no, code) or {}
    comp = rep.get("complaint") or {}
    expect("with the right code: ok", True, rep.get("ok"))
    expect("with the right code: the reply has exactly ok and complaint", {"ok", "complaint"},
           set(rep))
    expect("with the right code: exactly the status keys", sorted(STATUS_KEYS), sorted(comp))
    expect("the number and the state", (no, "assigned"), (comp.get("complaint_no"),
                                                          comp.get("state")))
    expect("the next step", "waiting_for_handler", comp.get("next_step"))
    expect_true("the next step's sentence gives the due date",
                re.search(r"due by \d{4}-\d{2}-\d{2}$", comp.get("next_step_text") or ""),
                repr(comp.get("next_step_text")))
    expect_true("received_at and due_at are ms, accepted/resolved/closed nil",
                isinstance(comp.get("received_at"), int) and isinstance(comp.get("due_at"), int)
                and comp.get("accepted_at") is None and comp.get("closed_at") is None)
    row = sql("select ref || '|' || coalesce (department, '') || '|' || coalesce (handler, '')"
              " || '|' || customer_pseudonym from complaint where complaint_no = :'no'", no=no)
    hidden = [s for s in row.split("|") if s] + SECRETS
    leaked = [s for s in hidden for v in checks.strings(rep) if s in v]
    expect("no free text, identity, ref, department, handler or pseudonym anywhere in it",
           [], leaked)
    lenient = status(no, code.lower().replace("-", " ")) or {}
    expect("the code typed in lower case with a space: the same view", rep, lenient)
    return rep


def step_refusals(no, code, view):
    note("--- c: no code, a wrong one, a malformed one: as an unknown number")
    unknown = unknown_number()
    wrong = ("00000-00000" if code != "00000-00000" else "11111-11111")
    answers = [("an unknown number", unknown, status(unknown, "ABCDE-FGHJK")),
               ("no code", no, status(no)),
               ("a wrong code", no, status(no, wrong))]
    for what, n, rep in answers:
        expect("%s: exactly an unknown number's reply" % what, not_found(n), rep)
    note("--- d: per peer")
    rep = status(no, "not a code")
    expect("a malformed code: not_found (the 4th failure of this key)", not_found(no), rep)
    rep = status(no, wrong) or {}
    err = rep.get("error") or {}
    expect("the 5th failure from this key: rate_limited, field query_code",
           ("rate_limited", "query_code"), (err.get("code"), err.get("field")))
    expect_true("... saying from your key and when to retry",
                "key" in err.get("message", "") and "retry in" in err.get("message", ""),
                err.get("message", ""))
    rep = status(no, code) or {}
    expect("the right code from the refused key: rate_limited too",
           "rate_limited", (rep.get("error") or {}).get("code"))
    expect("the right code from another key: the view", view, status(no, code, "web-b"))
    note("--- g: a certificate allowed to see status")
    expect("desk (--status), no code: the same view, never more", view, status(no, None, "desk"))


def step_case_cap(no2, code2):
    note("--- e: per complaint, many keys")
    # 4 failures from web-c, 1 from web-d: the complaint's 5 for the hour
    for i in range(PEER_FAILURES):
        status(no2, "00000-0000%d" % i, "web-c")
    rep = status(no2, "00000-00009", "web-d")
    expect("the complaint's 5th failure (2nd key): still not_found", not_found(no2), rep)
    rep = status(no2, code2, "web-e") or {}
    err = rep.get("error") or {}
    expect("then even the right code from a fresh key: rate_limited for the complaint",
           ("rate_limited", "query_code"), (err.get("code"), err.get("field")))
    expect_true("... naming the complaint and the hour",
                no2 in err.get("message", "") and "hour" in err.get("message", ""),
                err.get("message", ""))
    expect("the failures counted for the number", CASE_FAILURES,
           sql_int("select failures from status_guess where complaint_no = :'no'", no=no2))
    unknown = complaint_no("2020010188%04d" % (os.getpid() % 10000))
    for i in range(PEER_FAILURES):
        status(unknown, "00000-0000%d" % i, "web-f")
    status(unknown, "00000-00009", "web-g")
    rep2 = status(unknown, "00000-00008", "web-h") or {}
    expect("an unknown number is capped the same way (the cap says nothing about existence)",
           json.loads(json.dumps(rep).replace(no2, unknown)), rep2)


def step_store(no, code):
    note("--- f: the code is kept hashed and sealed, never in clear")
    canon = code.replace("-", "")
    rows = sql("select encode (query_code_hash, 'hex') || '|' || length (query_code_hash)"
               " || '|' || length (query_code_sealed) from complaint"
               " where complaint_no = :'no'", no=no).split("|")
    expect("query_code_hash: 33 bytes (key id + BLAKE2b-256); sealed copy 52 bytes",
           ("33", "52"), tuple(rows[1:3]) if len(rows) == 3 else rows)
    plain = [hashlib.sha256(c.encode()).hexdigest() for c in (code, canon)]
    expect_true("the hash is keyed (not SHA-256 of the code)",
                rows and not any(p in rows[0] for p in plain))
    found = sql_int("select count(*) from complaint c where c::text like '%%' || :'a' || '%%'"
                    " or c::text like '%%' || :'b' || '%%'", a=code, b=canon)
    expect("no complaint row holds the code in clear", 0, found)
    found = sql_int("select count(*) from notification n"
                    " where n::text like '%%' || :'a' || '%%' or n::text like '%%' || :'b' || '%%'",
                    a=code, b=canon)
    expect("nor the receipt's notification row (the customer's message is sealed)", 0, found)
    sealed = sql_int("select count(*) from notification where complaint_no = :'no'"
                     " and recipient_kind = 'customer' and body like 'sealed:%%'", no=no)
    expect_true("the receipt row's body is sealed", sealed >= 1)
    found = sql_int("select count(*) from event_log e where encode (e.event, 'escape')"
                    " like '%%' || :'a' || '%%'", a=canon[:10])
    expect("no event carries the code", 0, found)
    logs = []
    for name in ("intake.log", "router.log", "bus.log", "watchdog.log", "notifier.log"):
        path = os.path.join(ARGS.logs, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                if code in f.read() or canon in f.read():
                    logs.append(name)
    expect("no service log holds the code", [], logs)


def step_staff(no):
    rep = ask({"op": "get", "complaint_no": no, "token": ARGS.token}) or {}
    comp = rep.get("complaint") or {}
    expect("the staff view with a token is unchanged: the customer opened, free text there",
           ("王小明", "13912345678", "I was charged twice BODY-SECRET"),
           ((comp.get("customer") or {}).get("name"), (comp.get("customer") or {}).get("phone"),
            comp.get("body")))


def step_ctl(no, code):
    note("--- complaintctl status, as the customer's helper would run it (key web-b)")
    env = dict(os.environ, COMPLAINTS_KEY="web-b")
    rc, out, err = checks.run([ARGS.ctl, "status", no, "--code", code], env=env)
    expect("complaintctl status with the code: exit status", 0, rc)
    expect_true("... prints the number, the state and the next step",
                no in out and "state" in out and "next step" in out, out)
    rc, out, err = checks.run([ARGS.ctl, "status", no, "--code", "ZZZZZ-ZZZZZ"], env=env)
    expect("a wrong code: exit status (a refusal)", 1, rc)
    expect_true("... names the code and the field, like any refusal",
                "not_found" in err and "field=complaint_no" in err, err)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for o in ("--endpoint", "--mail", "--sink", "--logs", "--token", "--ctl"):
        p.add_argument(o, required=True)
    ARGS = p.parse_args()
    no, code, no2, code2 = step_submit()
    if not no or not code:
        return checks.status() or 1
    step_receipt(no, code)
    view = step_view(no, code)
    step_refusals(no, code, view)
    step_ctl(no, code)
    step_case_cap(no2, code2)
    step_store(no, code)
    step_staff(no)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
