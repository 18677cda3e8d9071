#!/usr/bin/python3
"""replay_stalled.py — a stalled replay client does not delay publishing
(tests/integration/replay_stalled.sh).

1. Fill the event log: --fill complaints with a 30 KB body each (so a
   replay page is as big as the bus allows).
2. Baseline: for --seconds, submit one complaint every 50 ms and time each
   from intake's answer to its complaint.received on a SUB socket of the
   bus's PUB (another subscriber), and the gaps between heartbeats.
3. Stall: a replay client asks for the whole log, page after page, 200
   requests, and never reads a reply (its socket buffers set tiny); then the
   same measurement for --seconds while it hangs there.
4. A well-behaved replay client still pages through the log meanwhile.

Checks: every submitted complaint's event arrived on PUB in both phases;
in the stall phase the slowest arrival is under --deadline-s and the largest
heartbeat gap under 2.5 s (the bus beats every second); the well-behaved
replay client got the whole log. The figures (p50, p99, max of both phases;
the bus's VmRSS peak) are printed.

    replay_stalled.py --intake E --pub E --replay E --bus-pid PID [--fill N]
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


def submit(ref, body):
    return pack({"op": "submit", "channel": "web", "ref": ref, "body": body,
                 "customer": {"name": "Replay Test", "phone": "13800000002"}})


class Subscriber(threading.Thread):
    """Every complaint.received's arrival time by complaint number, and the
    heartbeat gaps, from the bus's PUB."""

    def __init__(self, ctx, endpoint, bus_pid):
        super().__init__(daemon=True)
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.setsockopt(zmq.RCVHWM, 0)
        curve_connect(self.sock, endpoint, "bus")
        self.arrived = {}
        self.beats = []
        self.stop = False
        self.bus_pid = bus_pid
        self.rss_peak = 0
        self.phase = "baseline"
        self.phase_peak = {}

    def run(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        while not self.stop:
            kib = checks.rss_kib(self.bus_pid)
            if kib:
                self.rss_peak = max(self.rss_peak, kib)
                self.phase_peak[self.phase] = max(self.phase_peak.get(self.phase, 0), kib)
            if not poller.poll(50):
                continue
            while True:
                try:
                    frames = self.sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                now = time.monotonic()
                if frames[0] == b"$heartbeat":
                    self.beats.append(now)
                    continue
                if frames[0] != b"complaint.received":
                    continue
                ev = msgpack.unpackb(frames[2], raw=False)
                no = ev.get("complaint_no")
                if no and no not in self.arrived:
                    self.arrived[no] = now


def measure(ctx, intake, sub, seconds, tag):
    """Submit every 50 ms for `seconds`; latency from answer to arrival."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 10000)
    curve_connect(sock, intake)
    acked = {}
    end = time.monotonic() + seconds
    n = 0
    beats_from = len(sub.beats)
    while time.monotonic() < end:
        n += 1
        sock.send_multipart([b"", submit("rs-%s-%d-%d" % (tag, os.getpid(), n), "ping " * 20)])
        reply = msgpack.unpackb(sock.recv_multipart()[-1], raw=False)
        if reply.get("ok"):
            acked[reply["complaint_no"]] = time.monotonic()
        time.sleep(0.05)
    sock.close()
    checks.wait_until(lambda: all(no in sub.arrived for no in acked), 30)
    lat = sorted(max(0.0, sub.arrived[no] - t) for no, t in acked.items() if no in sub.arrived)
    missing = sum(1 for no in acked if no not in sub.arrived)
    beats = sub.beats[beats_from:]
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    return acked, lat, missing, max(gaps) if gaps else None


def pct(lat, p):
    return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--intake", required=True)
    ap.add_argument("--pub", required=True)
    ap.add_argument("--replay", required=True)
    ap.add_argument("--bus-pid", type=int, required=True)
    ap.add_argument("--fill", type=int, default=1500)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--deadline-s", type=float, default=1.0)
    args = ap.parse_args()
    ctx = zmq.Context()

    # 1. fill: pipelined from one DEALER
    body = ("The fee was charged twice. " * 1200)[:30000]
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 30000)
    curve_connect(sock, args.intake)
    filled = 0
    for start in range(0, args.fill, 100):
        batch = range(start, min(args.fill, start + 100))
        for i in batch:
            sock.send_multipart([b"", submit("fill-%d-%d" % (os.getpid(), i), body)])
        for _ in batch:
            filled += bool(msgpack.unpackb(sock.recv_multipart()[-1], raw=False).get("ok"))
    sock.close()
    checks.expect("complaints filled into the log", args.fill, filled)

    sub = Subscriber(ctx, args.pub, args.bus_pid)
    sub.start()
    checks.wait_for("the subscriber sees heartbeats", lambda: len(sub.beats) >= 2, 10)

    # 2. baseline
    acked0, lat0, missing0, gap0 = measure(ctx, args.intake, sub, args.seconds, "base")

    # 3. stall: ask for everything, many times, never read
    sub.phase = "stall"
    stalled = ctx.socket(zmq.DEALER)
    stalled.setsockopt(zmq.LINGER, 0)
    stalled.setsockopt(zmq.RCVHWM, 1)
    stalled.setsockopt(zmq.RCVBUF, 4096)
    stalled.setsockopt(zmq.SNDHWM, 10000)
    curve_connect(stalled, args.replay, "bus")
    asks = 0
    for i in range(200):
        stalled.send_multipart([b"", pack({"op": "replay", "from": (i * 50) % args.fill,
                                           "limit": 10000})])
        asks += 1
    checks.note("stalled replay client: %d requests for up to 10,000 events each, never read"
                % asks)
    time.sleep(1.0)     # let the bus start on them
    acked1, lat1, missing1, gap1 = measure(ctx, args.intake, sub, args.seconds, "stall")

    # 4. a well-behaved replay client meanwhile
    good = ctx.socket(zmq.DEALER)
    good.setsockopt(zmq.LINGER, 0)
    good.setsockopt(zmq.RCVTIMEO, 20000)
    curve_connect(good, args.replay, "bus")
    seen, last, pages = 0, 0, 0
    try:
        while True:
            good.send_multipart([b"", pack({"op": "replay", "from": last, "limit": 10000})])
            reply = msgpack.unpackb(good.recv_multipart()[-1], raw=False)
            events = reply.get("events", [])
            if not events:
                break
            pages += 1
            seen += len(events)
            last = events[-1]["seq"]
            if reply.get("last_seq", 0) < last:
                checks.bad("last_seq %s below the page's last event %s"
                           % (reply.get("last_seq"), last))
    except zmq.Again:
        checks.bad("the well-behaved replay client got no answer within 20 s")
    good.close()
    stalled.close()
    sub.stop = True
    sub.join(2)
    total = checks.sql_int("select count(*) from event_log")
    checks.expect_ge("a well-behaved replay client paged the whole log (events)", total, seen)
    checks.note("well-behaved replay: %d events in %d pages" % (seen, pages))

    for name, acked, lat, missing, gap in (("baseline", acked0, lat0, missing0, gap0),
                                           ("stalled replay", acked1, lat1, missing1, gap1)):
        checks.note("%s: %d events, publish latency (answer -> PUB) p50 %.1f ms, p99 %.1f ms,"
                    " max %.1f ms; largest heartbeat gap %.2f s"
                    % (name, len(acked), 1000 * (pct(lat, 0.5) or 0), 1000 * (pct(lat, 0.99) or 0),
                       1000 * (lat[-1] if lat else 0), gap or 0))
    checks.note("bus VmRSS peak: %.1f MiB before the stalled client (after the fill), %.1f MiB"
                " with it" % (sub.phase_peak.get("baseline", 0) / 1024.0,
                              sub.phase_peak.get("stall", 0) / 1024.0))
    checks.expect("baseline: events that never arrived on PUB", 0, missing0)
    checks.expect("stalled replay: events that never arrived on PUB", 0, missing1)
    checks.expect_ge("stalled replay: events submitted", 20, len(acked1))
    checks.expect_le("stalled replay: slowest publish (s)", args.deadline_s,
                     round(lat1[-1], 3) if lat1 else None)
    checks.expect_le("stalled replay: largest heartbeat gap (s)", 2.5,
                     round(gap1, 3) if gap1 else None)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
