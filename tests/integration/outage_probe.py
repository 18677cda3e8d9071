#!/usr/bin/python3
"""outage_probe.py — while the store is down, intake answers at once
(tests/integration/fault_pg_outage.sh).

Submits one complaint after another for --seconds from its own DEALER, each
with a fresh ref, and checks every one is answered within --deadline-s
(intake's writers make at most one connection attempt per back-off step and
answer "unavailable" otherwise; before, a writer slept in the back-off until
the store came back, and every request waited the whole outage). The
answers must be "unavailable" (or ok, for a request that beat the cut); at
least one must be "unavailable", or the probe did not run during the outage.

    outage_probe.py --endpoint E [--seconds 2] [--deadline-s 1]
"""
import argparse
import os
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from client import curve_connect  # noqa: E402  (CURVE, as every client)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--deadline-s", type=float, default=1.0)
    args = ap.parse_args()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    curve_connect(sock, args.endpoint)
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    codes, late, slowest, n = {}, 0, 0.0, 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        n += 1
        req = {"op": "submit", "channel": "web", "ref": "outage-probe-%d-%d" % (os.getpid(), n),
               "body": "Probe during the store outage.", "customer": {"name": "Probe"}}
        start = time.monotonic()
        sock.send_multipart([b"", msgpack.packb(req, use_bin_type=True)])
        if not poller.poll(int(args.deadline_s * 1000)):
            late += 1
            # the answer may still come: drain it so the next one is ours
            if poller.poll(30000):
                sock.recv_multipart()
            continue
        took = time.monotonic() - start
        slowest = max(slowest, took)
        reply = msgpack.unpackb(sock.recv_multipart()[-1], raw=False)
        code = "ok" if reply.get("ok") else reply.get("error", {}).get("code", "?")
        codes[code] = codes.get(code, 0) + 1
        time.sleep(0.05)
    checks.note("probe: %d submits during the outage, answers %s, slowest %.3f s"
                % (n, codes, slowest))
    checks.expect("submits not answered within %g s during the outage" % args.deadline_s, 0, late)
    checks.expect_ge("answers 'unavailable' during the outage", 1, codes.get("unavailable", 0))
    checks.expect("answers other than ok or unavailable", [],
                  sorted(c for c in codes if c not in ("ok", "unavailable")))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
