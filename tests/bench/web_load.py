#!/usr/bin/python3
"""web_load.py — the web adapter's load generator (tests/bench/web.sh).

    web_load.py --url URL closed --clients C --seconds T
    web_load.py --url URL open --rate R --seconds T [--threads N]

closed: C clients, each one keep-alive connection, submit back to back for
        T seconds: the most the adapter answers (submissions/s).
open:   R submissions/s offered on a fixed schedule for T seconds whatever
        the answers do; latency runs from the scheduled send time, so a
        stall is charged to every request it delayed (no coordinated
        omission). N sender threads share the schedule.

Each submission is a unique complaint (a ~300-byte Chinese/English body, a
customer with name and phone) with a fresh Idempotency-Key. Only 201s
count as done; 202s (the number not ready within --answer-wait-ms),
errors and late answers are printed beside. Output: `name value unit`
lines, one per figure, like the other benchmarks. The client is Python
(http.client) on the same machine: its CPU is printed too, since it takes
from what the adapter and intake could have used.
"""
import argparse
import http.client
import json
import os
import resource
import threading
import time
import urllib.parse
import uuid

BODY = ("我的信用卡年费在2026年11月被重复扣收两次，每次300元，客服电话一直占线。"
        "I was charged the annual fee twice in November; please refund 300 yuan. ") * 2


def body(n):
    return json.dumps({"customer": {"name": "压测客户%d" % n, "phone": "139%08d" % (n % 10**8)},
                       "body": BODY, "product": "信用卡", "lang": "zh"},
                      ensure_ascii=False).encode()


class Conn:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.c = None

    def submit(self, n):
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.c.request("POST", "/api/v1/complaints", body=body(n),
                               headers={"Content-Type": "application/json",
                                        "Idempotency-Key": "bench-%s" % uuid.uuid4()})
                r = self.c.getresponse()
                r.read()
                return r.status
            except (OSError, http.client.HTTPException):
                self.c.close()
                self.c = None
        return None


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def report(prefix, statuses, lat, seconds, cpu0):
    done = sum(1 for s in statuses if s == 201)
    print("%s_submitted_per_s %.1f 1/s" % (prefix, done / seconds))
    print("%s_201 %d count" % (prefix, done))
    print("%s_202 %d count" % (prefix, sum(1 for s in statuses if s == 202)))
    print("%s_other %d count" % (prefix, sum(1 for s in statuses if s not in (201, 202))))
    print("%s_latency_p50 %.2f ms" % (prefix, pct(lat, 50) * 1000))
    print("%s_latency_p99 %.2f ms" % (prefix, pct(lat, 99) * 1000))
    print("%s_latency_max %.2f ms" % (prefix, max(lat) * 1000 if lat else float("nan")))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("%s_client_cpu %.2f s" % (prefix, ru.ru_utime + ru.ru_stime - cpu0))


def closed(args):
    statuses, lat, lock = [], [], threading.Lock()
    end = time.monotonic() + args.seconds
    counter = [0]

    def worker():
        c = Conn(args.url)
        while time.monotonic() < end:
            with lock:
                counter[0] += 1
                n = counter[0]
            t0 = time.monotonic()
            st = c.submit(n)
            dt = time.monotonic() - t0
            with lock:
                statuses.append(st)
                lat.append(dt)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("# closed loop: %d clients, keep-alive, %d s" % (args.clients, args.seconds))
    report("closed", statuses, lat, time.monotonic() - t0, cpu0)


def open_loop(args):
    total = int(args.rate * args.seconds)
    start = time.monotonic() + 0.2
    statuses, lat, lock = [], [], threading.Lock()
    nxt = [0]

    def worker():
        c = Conn(args.url)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= total:
                return
            due = start + i / args.rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            st = c.submit(i)
            done = time.monotonic()
            with lock:
                statuses.append(st)
                lat.append(done - due)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    print("# open loop: %d/s offered for %d s (%d submissions), %d sender threads"
          % (args.rate, args.seconds, total, args.threads))
    print("open_offered_per_s %d 1/s" % args.rate)
    print("open_elapsed %.2f s" % elapsed)
    report("open", statuses, lat, elapsed, cpu0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("mode", choices=["closed", "open"])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--threads", type=int, default=32)
    args = p.parse_args()
    (closed if args.mode == "closed" else open_loop)(args)


if __name__ == "__main__":
    main()
