#!/usr/bin/python3
"""web_fault_kill.py — the load and the checks of web_fault_kill.sh.

    web_fault_kill.py --url U --answers FILE --spool DIR load --clients N --count M
    web_fault_kill.py ... spooled      entries in the spool's new/ right now
    web_fault_kill.py ... check        every 201/202 stored exactly once

`load` writes one JSON line per 201 or 202 answer ({"key", "status", "no"})
as it comes; a connection refused or cut (the daemon killed) is retried
with the same key after 100 ms, like a real client. When every key had an
answer, the keys answered 202 are asked again (same key) until each has
its number (201), within 90 s. Exit 0 when every key got a 201.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import expect, expect_true, note, sql_rows, wait_for  # noqa: E402

LOCK = threading.Lock()


def submit(url, key, n):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    body = json.dumps({"customer": {"name": "Fault %d" % n}, "body": "web fault kill %d" % n,
                       "lang": "en"})
    try:
        conn.request("POST", "/api/v1/complaints", body=body,
                     headers={"Content-Type": "application/json", "Idempotency-Key": key})
        r = conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else {}
    except (OSError, http.client.HTTPException, ValueError):
        return None, None
    finally:
        conn.close()


def record(path, key, status, reply):
    with LOCK:
        with open(path, "a") as f:
            f.write(json.dumps({"key": key, "status": status,
                                "no": (reply or {}).get("complaint_no")}) + "\n")
            f.flush()


def until_answered(args, key, n, deadline):
    while time.monotonic() < deadline:
        status, reply = submit(args.url, key, n)
        if status in (201, 202):
            record(args.answers, key, status, reply)
            return status
        if status is not None and status != 503:
            note("unexpected answer %s for %s: %r" % (status, key, reply))
            return status
        time.sleep(0.1)
    return None


def cmd_load(args):
    keys = ["wfk-%s" % uuid.uuid4() for _ in range(args.count)]
    final = {}
    deadline = time.monotonic() + 180

    def worker(i):
        for n in range(i, len(keys), args.clients):
            final[keys[n]] = until_answered(args, keys[n], n, deadline)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    note("first answers: %d x 201, %d x 202, %d other" % (
        sum(1 for v in final.values() if v == 201), sum(1 for v in final.values() if v == 202),
        sum(1 for v in final.values() if v not in (201, 202))))
    # The 202'd: ask again until each has its number.
    pending = [k for k, v in final.items() if v == 202]
    end = time.monotonic() + 90
    while pending and time.monotonic() < end:
        left = []
        for k in pending:
            st = until_answered(args, k, keys.index(k), end)
            if st != 201:
                left.append(k)
        pending = left
        if pending:
            time.sleep(0.5)
    bad = [k for k, v in final.items() if v not in (201, 202)]
    expect("every key had a 201 or 202", [], bad[:5])
    expect("every 202'd key got its number afterwards (same key, 201)", [], pending[:5])
    return 0 if not bad and not pending else 1


def spool_new(args):
    path = os.path.join(args.spool, "new")
    return len([f for f in os.listdir(path) if not f.startswith(".")]) if os.path.isdir(path) \
        else 0


def cmd_spooled(args):
    n = spool_new(args)
    note("entries in the spool's new/ at the kill: %d" % n)
    expect_true("entries were waiting in the spool when web was killed", n > 0, n)
    return 0


def cmd_check(args):
    answers = [json.loads(line) for line in open(args.answers)]
    keys = {a["key"] for a in answers}
    numbers = {}
    for a in answers:
        if a["status"] == 201:
            numbers.setdefault(a["key"], set()).add(a["no"])
    note("answers: %d (%d x 201, %d x 202) for %d keys" % (
        len(answers), sum(1 for a in answers if a["status"] == 201),
        sum(1 for a in answers if a["status"] == 202), len(keys)))
    wait_for("the spool drained (nothing left in new/)", lambda: spool_new(args) == 0, 60)
    rows = sql_rows("select ref, complaint_no from complaint where channel = 'web'"
                    " and ref like 'wfk-%'")
    stored = {}
    for ref, no in rows:
        stored.setdefault(ref, []).append(no)
    expect("every key answered 201 or 202 is in the store",
           [], sorted(k for k in keys if k not in stored)[:5])
    expect("none is there twice", [], sorted(k for k, v in stored.items() if len(v) != 1)[:5])
    expect("nothing stored that no one was answered for", [],
           sorted(k for k in stored if k not in keys)[:5])
    expect("every 201 for a key named the one stored number", [],
           sorted(k for k, v in numbers.items() if v != {stored.get(k, [None])[0]})[:5])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--answers", required=True)
    p.add_argument("--spool", required=True)
    p.add_argument("step", choices=["load", "spooled", "check"])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--count", type=int, default=400)
    args = p.parse_args()
    rc = {"load": cmd_load, "spooled": cmd_spooled, "check": cmd_check}[args.step](args)
    from checks import status
    return rc or status()


if __name__ == "__main__":
    sys.exit(main())
