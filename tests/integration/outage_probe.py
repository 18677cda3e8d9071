#!/usr/bin/python3
"""outage_probe.py — while the store is down, the services that answer
requests answer at once (tests/integration/fault_pg_outage.sh).

For --seconds it sends one request after another and checks every one is
answered within --deadline-s. Before, a writer (intake) or the analytics
read side slept in its reconnect back-off until the store came back, and
every request waited the whole outage; now each makes at most one
connection attempt per back-off step and answers "unavailable" otherwise.
The answers must be "unavailable" (or ok, for a request that beat the cut
or came after the store was back); at least one must be "unavailable", or
the probe did not run during the outage.

    outage_probe.py --kind submit --endpoint E   intake: a submit, fresh ref each
    outage_probe.py --kind query  --endpoint E   analytics: a kpi query
    outage_probe.py --kind page   --url URL      analytics: a dashboard page (503)
        [--seconds 2] [--deadline-s 1]
"""
import argparse
import os
import sys
import time
import urllib.error
import urllib.request

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from client import curve_connect  # noqa: E402  (CURVE, as every client)


def zmq_asker(endpoint, kind, deadline_s):
    """A function sending one request and returning its code, or None when
    no answer came within the deadline."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    curve_connect(sock, endpoint, "analytics" if kind == "query" else "intake")
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    n = [0]

    def ask():
        n[0] += 1
        if kind == "submit":
            req = {"op": "submit", "channel": "web",
                   "ref": "outage-probe-%d-%d" % (os.getpid(), n[0]),
                   "body": "Probe during the store outage.", "customer": {"name": "Probe"}}
        else:
            now = int(time.time() * 1000)
            req = {"op": "kpi", "from": now - 86400000, "to": now}
        sock.send_multipart([b"", msgpack.packb(req, use_bin_type=True)])
        if not poller.poll(int(deadline_s * 1000)):
            # the answer may still come: drain it so the next one is ours
            if poller.poll(30000):
                sock.recv_multipart()
            return None
        reply = msgpack.unpackb(sock.recv_multipart()[-1], raw=False)
        return "ok" if reply.get("ok") else reply.get("error", {}).get("code", "?")
    return ask


def page_asker(url, deadline_s):
    def ask():
        try:
            with urllib.request.urlopen(url, timeout=deadline_s) as r:
                r.read()
                return "ok" if r.status == 200 else "http %d" % r.status
        except urllib.error.HTTPError as e:
            return "unavailable" if e.code == 503 else "http %d" % e.code
        except (TimeoutError, OSError):
            return None
    return ask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=("submit", "query", "page"), default="submit")
    ap.add_argument("--endpoint")
    ap.add_argument("--url")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--deadline-s", type=float, default=1.0)
    args = ap.parse_args()
    if args.kind == "page":
        ask = page_asker(args.url, args.deadline_s)
    else:
        ask = zmq_asker(args.endpoint, args.kind, args.deadline_s)
    codes, late, slowest, n = {}, 0, 0.0, 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        n += 1
        start = time.monotonic()
        code = ask()
        took = time.monotonic() - start
        if code is None or took > args.deadline_s:
            late += 1
            continue
        slowest = max(slowest, took)
        codes[code] = codes.get(code, 0) + 1
        time.sleep(0.05)
    what = {"submit": "submits", "query": "kpi queries", "page": "dashboard pages"}[args.kind]
    checks.note("probe: %d %s during the outage, answers %s, slowest %.3f s"
                % (n, what, codes, slowest))
    checks.expect("%s not answered within %g s during the outage" % (what, args.deadline_s),
                  0, late)
    checks.expect_ge("%s answered 'unavailable' during the outage" % what, 1,
                     codes.get("unavailable", 0))
    checks.expect("%s: answers other than ok or unavailable" % what, [],
                  sorted(c for c in codes if c not in ("ok", "unavailable")))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
