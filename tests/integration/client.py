#!/usr/bin/python3
"""client.py — the integration tests' own ZeroMQ client, independent of the
C code under test (so a bug shared by complaintctl and intake cannot hide).

Run it with Debian's /usr/bin/python3 (python3-zmq, python3-msgpack); the
pyenv python3 first in PATH has neither.

    client.py ping     --endpoint E [--timeout MS]
        exit 0 once the ROUTER at E answers a request (any reply)
    client.py request  --endpoint E (--json DOC | --hex BYTES) [--timeout MS]
        send one frame, print the reply as JSON
    client.py replay   --endpoint E --from N [--limit M] [--count]
        page the bus's replay until events is empty; print one JSON event per
        line (or only how many with --count)
    client.py load     --endpoint E --workers K --seconds S --out FILE
                       [--prefix P] [--grace S] [--channel C] [--count N]
        K concurrent submitters, each with its own DEALER socket and one
        request in flight, each ref unique; a request not answered within
        --retry-ms is sent again with the SAME ref (idempotent), until acked.
        Every acknowledgement is appended to FILE as "ref complaint_no dup".
        After S seconds no new refs are started; un-acked ones are retried
        for --grace more seconds. Prints a summary line.
    client.py seqcheck FILE
        FILE holds JSON events one per line (complaintctl tail/replay): check
        the seqs are 1..N in order, no gap, no repeat; print "N first last".

Request/reply envelope: DEALER sends [tag, "", msgpack], the ROUTER echoes
[tag, ""] and one reply frame; the tag correlates retries with answers.

Transport: CURVE, as every C client (common/curve.h; docs/security.md
"Transport (CURVE)"), with pyzmq's own implementation: this process's key
pair is COMPLAINTS_KEYS/NAME.cert_secret (NAME: --key, else COMPLAINTS_KEY,
else "operator"), the server's public key COMPLAINTS_KEYS/SERVER.cert
(SERVER: --server, default intake; bus for replay). COMPLAINTS_CURVE=off or
--plain: plaintext. The other test drivers connect through curve_connect.
"""
import argparse
import json
import os
import sys
import threading
import time

import msgpack
import zmq
import zmq.auth

DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
]


def damm(digits):
    i = 0
    for d in digits:
        i = DAMM[i][int(d)]
    return i


def complaint_no(prefix):
    """A well-formed number (right check digit) from a digit prefix."""
    return prefix + str(damm(prefix))


def to_json(obj):
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, dict):
        return {str(to_json(k)): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj


def unpack(frame):
    return msgpack.unpackb(frame, raw=False, strict_map_key=False)


# What curve_secure does when not told: the process's defaults, settable
# from the command line (--key, --plain) for every socket of this run.
CURVE = {"key": None, "plain": False}


def curve_secure(sock, server, key=None, plain=None):
    """Make sock a CURVE client of server ("intake", "bus", "analytics"):
    the key pair NAME.cert_secret and the server's SERVER.cert, both read
    from COMPLAINTS_KEYS with zmq.auth.load_certificate (zcert's format).
    Before connect. Plaintext only when asked (plain, --plain) or with
    COMPLAINTS_CURVE=off."""
    plain = CURVE["plain"] if plain is None else plain
    if plain or os.environ.get("COMPLAINTS_CURVE", "on") == "off":
        return sock
    keys = os.environ.get("COMPLAINTS_KEYS") or "var/keys"
    name = key or CURVE["key"] or os.environ.get("COMPLAINTS_KEY") or "operator"
    public, secret = zmq.auth.load_certificate(os.path.join(keys, name + ".cert_secret"))
    server_public, _ = zmq.auth.load_certificate(os.path.join(keys, server + ".cert"))
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.curve_serverkey = server_public
    return sock


def curve_connect(sock, endpoint, server="intake", key=None, plain=None):
    curve_secure(sock, server, key, plain)
    sock.connect(endpoint)
    return sock


class Client:
    """One DEALER socket; request() sends a frame and waits for its reply."""

    def __init__(self, ctx, endpoint, server="intake", key=None, plain=None):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        curve_connect(self.sock, endpoint, server, key, plain)
        self.n = 0

    def send(self, frame):
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.send_multipart([tag, b"", frame])
        return tag

    def wait(self, tag, timeout_ms):
        """The reply frame for tag, or None on timeout (stale replies to
        earlier tags are dropped)."""
        deadline = time.monotonic() + timeout_ms / 1000.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not self.sock.poll(int(left * 1000) + 1):
                continue
            parts = self.sock.recv_multipart()
            if len(parts) >= 3 and parts[0] == tag and parts[1] == b"":
                return parts[-1]

    def request(self, frame, timeout_ms=5000):
        tag = self.send(frame)
        return self.wait(tag, timeout_ms)

    def close(self):
        self.sock.close(0)


def ask(endpoint, req, timeout_ms=5000, server="intake", key=None):
    """One request (a map, packed here) on a DEALER of its own: the decoded
    reply, or None when none came within timeout_ms."""
    c = Client(zmq.Context.instance(), endpoint, server, key)
    raw = c.request(msgpack.packb(req), timeout_ms)
    c.close()
    return unpack(raw) if raw is not None else None


def cmd_ping(args):
    ctx = zmq.Context.instance()
    c = Client(ctx, args.endpoint, args.server)
    req = msgpack.packb({"op": "get", "complaint_no": complaint_no("20200101000001")})
    reply = c.request(req, args.timeout)
    c.close()
    return 0 if reply is not None else 1


def cmd_request(args):
    ctx = zmq.Context.instance()
    c = Client(ctx, args.endpoint, args.server)
    if args.hex is not None:
        frame = bytes.fromhex(args.hex)
    else:
        frame = msgpack.packb(json.loads(args.json), use_bin_type=True)
    reply = c.request(frame, args.timeout)
    c.close()
    if reply is None:
        print("no reply within %d ms" % args.timeout, file=sys.stderr)
        return 2
    print(json.dumps(to_json(unpack(reply)), ensure_ascii=False))
    return 0


def cmd_replay(args):
    ctx = zmq.Context.instance()
    c = Client(ctx, args.endpoint, args.server or "bus")
    start = args.__dict__["from"]
    count = 0
    while True:
        req = {"op": "replay", "from": start}
        if args.limit:
            req["limit"] = args.limit
        reply = c.request(msgpack.packb(req), args.timeout)
        if reply is None:
            print("replay: no reply within %d ms" % args.timeout, file=sys.stderr)
            return 2
        rep = unpack(reply)
        if not rep.get("ok"):
            print("replay error: %s" % json.dumps(to_json(rep)), file=sys.stderr)
            return 3
        events = rep.get("events", [])
        if args.count:
            count += len(events)
            if args.limit and args.limit == 1:
                break           # a liveness probe
        else:
            for ev in events:
                print(json.dumps(to_json(ev), ensure_ascii=False))
        if not events:
            break
        start = events[-1]["seq"]
    c.close()
    if args.count:
        print(count)
    return 0


def cmd_load(args):
    ctx = zmq.Context.instance()
    lock = threading.Lock()
    out = open(args.out, "a", buffering=1)
    stats = {"acked": 0, "dup": 0, "retries": 0, "errors": 0, "unacked": 0,
             "started": 0}
    stop_new = time.monotonic() + args.seconds
    budget = [args.count]       # refs left to start when --count is given
    hard_stop = stop_new + args.grace
    pid = os.getpid()

    def worker(w):
        c = Client(ctx, args.endpoint, args.server)
        i = 0
        while time.monotonic() < stop_new:
            if args.count:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
            i += 1
            ref = "%s-%d-w%d-%06d" % (args.prefix, pid, w, i)
            req = msgpack.packb({
                "op": "submit", "channel": args.channel, "ref": ref,
                "body": "load test complaint %s: card charged twice" % ref,
                "customer": {"name": "Load Tester %d" % w, "phone": "1380000%04d" % w},
                "lang": "en",
            })
            with lock:
                stats["started"] += 1
            acked = False
            first = True
            while time.monotonic() < hard_stop:
                if not first:
                    with lock:
                        stats["retries"] += 1
                first = False
                reply = c.request(req, args.retry_ms)
                if reply is None:
                    # The peer may be gone: a fresh socket drops whatever
                    # the old one still had queued for the dead connection.
                    c.close()
                    c = Client(ctx, args.endpoint, args.server)
                    continue
                rep = unpack(reply)
                if rep.get("ok"):
                    with lock:
                        out.write("%s %s %d\n" % (ref, rep["complaint_no"],
                                                  1 if rep.get("duplicate") else 0))
                        stats["acked"] += 1
                        stats["dup"] += 1 if rep.get("duplicate") else 0
                    acked = True
                    break
                code = rep.get("error", {}).get("code")
                if code != "unavailable":
                    with lock:
                        stats["errors"] += 1
                    print("load: %s rejected: %s" % (ref, json.dumps(rep)), file=sys.stderr)
                    break
                time.sleep(0.05)
            if not acked:
                with lock:
                    stats["unacked"] += 1
        c.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()
    print("load: started %(started)d acked %(acked)d duplicate-acks %(dup)d "
          "retries %(retries)d rejected %(errors)d never-acked %(unacked)d" % stats)
    return 1 if stats["errors"] else 0


def cmd_seqcheck(args):
    seqs = []
    with open(args.file, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            seqs.append(int(json.loads(line)["seq"]))
    if not seqs:
        print("0 0 0")
        print("seqcheck: no events", file=sys.stderr)
        return 1
    bad = []
    for i, s in enumerate(seqs):
        if s != i + 1:
            bad.append((i, s))
            if len(bad) >= 5:
                break
    print("%d %d %d" % (len(seqs), seqs[0], seqs[-1]))
    if bad:
        print("seqcheck: position/seq where the stream is not 1..N: %s" % bad, file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ping")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--timeout", type=int, default=1000)
    s = sub.add_parser("request")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--json")
    s.add_argument("--hex")
    s.add_argument("--timeout", type=int, default=5000)
    s = sub.add_parser("replay")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--from", type=int, default=0)
    s.add_argument("--limit", type=int, default=0)
    s.add_argument("--count", action="store_true")
    s.add_argument("--timeout", type=int, default=5000)
    s = sub.add_parser("load")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--workers", type=int, default=4)
    s.add_argument("--seconds", type=float, default=5)
    s.add_argument("--grace", type=float, default=10)
    s.add_argument("--retry-ms", type=int, default=1000)
    s.add_argument("--count", type=int, default=0,
                   help="start at most this many refs in all (0 = no limit)")
    s.add_argument("--out", required=True)
    s.add_argument("--prefix", default="load")
    s.add_argument("--channel", default="web")
    s = sub.add_parser("seqcheck")
    s.add_argument("file")
    for name, s in sub.choices.items():
        if name != "seqcheck":
            s.add_argument("--server", default=None if name == "replay" else "intake",
                           help="whose public key: intake, bus, analytics")
            s.add_argument("--key", help="this client's identity (default "
                           "COMPLAINTS_KEY, else operator)")
            s.add_argument("--plain", action="store_true", help="no CURVE")
    args = p.parse_args()
    CURVE["key"] = getattr(args, "key", None)
    CURVE["plain"] = getattr(args, "plain", False)
    return {"ping": cmd_ping, "request": cmd_request, "replay": cmd_replay,
            "load": cmd_load, "seqcheck": cmd_seqcheck}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
