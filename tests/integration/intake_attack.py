#!/usr/bin/python3
"""intake_attack.py — an outside attacker against intake's memory bounds,
while a well-behaved client keeps submitting (tests/integration/intake_attack.sh).

The good client submits one complaint at a time (its own DEALER, a fresh
ref each, resent with the same ref when not answered within 2 s) for the
whole run. Meanwhile the attacks, one after another, each from its own
sockets:

  oversized   frames of 1 MiB (over ZMQ_MAXMSGSIZE: the peer is cut off) and
              of 300 KiB (answered too_large)
  envelopes   messages of 1,000 frames before the body, and one with four
              correlation frames (dropped, never answered)
  bombs       deep nesting (too_deep), 100,000 nils (too_large: the object
              budget), a valid submit with 5,000 unknown keys (too_large), a
              valid submit padded with one unknown 200 KiB field
              (unknown_field, named), an unknown key in customer
  flood       20,000 invalid requests from 8 sockets that never read
  padded      200 valid-looking 250 KiB submits pipelined at once (before
              the bounds: accepted, ~8 MB of heap each while in a batch)

intake's VmRSS (/proc/PID/status) is sampled every 20 ms throughout; the
checks: its peak stays under --rss-mib, the good client got every answer,
each within --answer-s, the attacks got the answers stated above.

    intake_attack.py --endpoint E --pid PID --rss-mib 64 [--answer-s 5]
    (--rss-mib 0: the RSS is printed, not judged; --report-only: no figure judged)
"""
import argparse
import os
import sys
import threading
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from client import curve_connect  # noqa: E402  (CURVE, as every client)


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def submit(ref, **extra):
    req = {"op": "submit", "channel": "web", "ref": ref,
           "body": "The ATM kept my card and the branch did not answer.",
           "customer": {"name": "Attack Test", "phone": "13800000001"}}
    req.update(extra)
    return req


class Sampler(threading.Thread):
    """intake's VmRSS every 20 ms: the peak, and the peak per phase."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.phase_peak = {}
        self.phase = "start"
        self.stop = False

    def run(self):
        while not self.stop:
            kib = checks.rss_kib(self.pid)
            if kib:
                self.peak = max(self.peak, kib)
                self.phase_peak[self.phase] = max(self.phase_peak.get(self.phase, 0), kib)
            time.sleep(0.02)


class GoodClient(threading.Thread):
    """One request in flight, each answered or resent with the same ref."""

    def __init__(self, ctx, endpoint):
        super().__init__(daemon=True)
        self.ctx = ctx
        self.endpoint = endpoint
        self.stop = False
        self.answered = 0
        self.unanswered = 0      # requests given up on (never, unless intake stalls)
        self.latencies = []      # first send to answer, per ref
        self.errors = {}

    def run(self):
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        curve_connect(sock, self.endpoint)
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        n = 0
        while not self.stop:
            n += 1
            ref = "good-%d-%d" % (os.getpid(), n)
            body = pack(submit(ref))
            start = time.monotonic()
            got = None
            while got is None and time.monotonic() - start < 30:
                sock.send_multipart([b"", body])
                deadline = time.monotonic() + 2.0
                while got is None and time.monotonic() < deadline:
                    if poller.poll(100):
                        frames = sock.recv_multipart()
                        got = msgpack.unpackb(frames[-1], raw=False)
            if got is None:
                self.unanswered += 1
                continue
            self.latencies.append(time.monotonic() - start)
            if got.get("ok"):
                self.answered += 1
            else:
                code = got.get("error", {}).get("code", "?")
                self.errors[code] = self.errors.get(code, 0) + 1
        sock.close()


def ask(ctx, endpoint, frames, timeout_ms=3000):
    """Send one request from a fresh DEALER, return the decoded reply or None."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
    curve_connect(sock, endpoint)
    sock.send_multipart(frames)
    try:
        reply = msgpack.unpackb(sock.recv_multipart()[-1], raw=False)
    except zmq.Again:
        reply = None
    sock.close()
    return reply


def code_field(reply):
    if not reply or reply.get("ok") is not False:
        return (None, None)
    err = reply.get("error", {})
    return (err.get("code"), err.get("field"))


def blast(ctx, endpoint, messages, sockets=1):
    """Send messages (lists of frames) without ever reading a reply."""
    socks = []
    for _ in range(sockets):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDHWM, 100000)
        s.setsockopt(zmq.RCVHWM, 1)
        curve_connect(s, endpoint)
        socks.append(s)
    time.sleep(0.2)
    sent = 0
    for i, frames in enumerate(messages):
        try:
            socks[i % sockets].send_multipart(frames, zmq.NOBLOCK)
            sent += 1
        except zmq.Again:
            pass
    return socks, sent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--rss-mib", type=float, required=True)
    ap.add_argument("--answer-s", type=float, default=5.0)
    ap.add_argument("--report-only", action="store_true",
                    help="print the figures, check nothing about them (a run against an old build)")
    args = ap.parse_args()
    ctx = zmq.Context()
    sampler = Sampler(args.pid)
    base = checks.rss_kib(args.pid)
    checks.note("intake VmRSS before the attacks: %.1f MiB" % (base / 1024.0))
    sampler.start()
    good = GoodClient(ctx, args.endpoint)
    good.start()
    time.sleep(1.0)
    held = []

    # Oversized frames: 1 MiB is over ZMQ_MAXMSGSIZE (intake drops the
    # connection unread); 300 KiB is read and refused.
    sampler.phase = "oversized"
    socks, sent = blast(ctx, args.endpoint, [[b"", b"\x00" * (1024 * 1024)]] * 200, sockets=4)
    held += socks
    code, _ = code_field(ask(ctx, args.endpoint,
                             [b"", pack(submit("big", body="y" * (300 * 1024)))]))
    checks.expect("a 300 KiB request is answered", "too_large", code)

    # Many envelope frames: never answered, never kept.
    sampler.phase = "envelopes"
    tags = [b"t" * 200] * 1000
    socks, sent = blast(ctx, args.endpoint, [tags + [b"", pack(submit("env"))]] * 100, sockets=4)
    held += socks
    checks.expect("a request behind 4 correlation frames gets no answer", None,
                  ask(ctx, args.endpoint, [b"t1", b"t2", b"t3", b"t4", b"", pack(submit("e4"))],
                      timeout_ms=1500))
    reply = ask(ctx, args.endpoint, [b"t1", b"t2", b"t3", b"", pack({"op": "get"})])
    checks.expect("a request behind 3 correlation frames is answered", "missing_field",
                  code_field(reply)[0])

    # Object bombs.
    sampler.phase = "bombs"
    deep = b"\x91" * 1000 + b"\xc0"
    checks.expect("1,000 nested arrays", "too_deep",
                  code_field(ask(ctx, args.endpoint, [b"", deep]))[0])
    nils = b"\xdc" + (65535).to_bytes(2, "big") + b"\xc0" * 65535
    checks.expect("an array of 65,535 nils", "too_large",
                  code_field(ask(ctx, args.endpoint, [b"", nils]))[0])
    wide = submit("wide", **{"k%d" % i: i for i in range(5000)})
    checks.expect("a submit with 5,000 unknown keys", "too_large",
                  code_field(ask(ctx, args.endpoint, [b"", pack(wide)]))[0])
    checks.expect("a submit padded with one unknown 200 KiB field", ("unknown_field", "padding"),
                  code_field(ask(ctx, args.endpoint,
                                 [b"", pack(submit("pad", padding="p" * (200 * 1024)))])))
    cust = submit("cust")
    cust["customer"]["shoe_size"] = "42"
    checks.expect("an unknown key in customer", ("unknown_field", "customer.shoe_size"),
                  code_field(ask(ctx, args.endpoint, [b"", pack(cust)])))
    # the same, at volume, never read: each is refused before it enters a batch
    bomb_frames = [[b"", pack(wide)], [b"", nils], [b"", deep]] * 300
    socks, sent = blast(ctx, args.endpoint, bomb_frames, sockets=4)
    held += socks

    # Valid-looking submits padded to 250 KiB with unknown keys, pipelined:
    # before the bounds each was accepted into a batch with ~8 MB of heap.
    sampler.phase = "padded"
    padded = []
    for i in range(200):
        doc = submit("padded-%d-%d" % (os.getpid(), i),
                     **{"x%05d" % k: None for k in range(30000)})
        padded.append([b"", pack(doc)])
    checks.note("padded submit: %d bytes, %d keys" % (len(padded[0][1]), 30000 + 5))
    socks, sent = blast(ctx, args.endpoint, padded, sockets=8)
    held += socks

    # An invalid-request flood from sockets that never read.
    sampler.phase = "flood"
    flood = [[b"", pack({"op": "explode", "n": i})] for i in range(20000)]
    socks, sent = blast(ctx, args.endpoint, flood, sockets=8)
    held += socks
    checks.note("flood: %d invalid requests queued from 8 sockets" % sent)

    # Keep the good client going a while longer under the tail of it all.
    time.sleep(4.0)
    good.stop = True
    good.join(40)
    sampler.stop = True
    sampler.join(2)
    for s in held:
        s.close()

    lat = sorted(good.latencies)
    p50 = lat[len(lat) // 2] if lat else None
    worst = lat[-1] if lat else None
    checks.note("good client: %d answered, %d errors %s, %d given up; latency p50 %s s, max %s s"
                % (good.answered, sum(good.errors.values()), good.errors, good.unanswered,
                   "%.3f" % p50 if p50 is not None else "-",
                   "%.3f" % worst if worst is not None else "-"))
    for phase in ("oversized", "envelopes", "bombs", "padded", "flood"):
        checks.note("intake VmRSS peak during %-9s %.1f MiB"
                    % (phase + ":", sampler.phase_peak.get(phase, 0) / 1024.0))
    checks.note("intake VmRSS peak overall: %.1f MiB (bound %.0f MiB)"
                % (sampler.peak / 1024.0, args.rss_mib))
    if args.report_only:
        checks.ok("report only: figures printed")
        return 0
    if args.rss_mib > 0:
        checks.expect_le("intake VmRSS peak (MiB) under the attacks", args.rss_mib,
                         round(sampler.peak / 1024.0, 1))
    else:
        checks.note("intake VmRSS not judged (--rss-mib 0: a sanitizer build, whose"
                    " quarantine and shadow memory are not intake's)")
    checks.expect_ge("good client's submits answered ok", 20, good.answered)
    checks.expect("good client's requests given up on", 0, good.unanswered)
    checks.expect("good client's error replies", {}, good.errors)
    checks.expect_le("good client's slowest answer (s)", args.answer_s,
                     round(worst or 1e9, 3))
    return 0 if checks.FAILED == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
