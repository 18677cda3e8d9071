#!/usr/bin/python3
"""curve_attack.py — CURVE on every endpoint, tried from outside
(tests/integration/curve_attack.sh; docs/security.md "Transport (CURVE)").

Steps (one per call, the shell starts and stops the daemons):

  transport   plaintext clients get no answer from intake, bus replay or
              analytics, and no event (not even a heartbeat) from the bus
              PUB; a key nobody allowed gets none; an analyst's key (allowed
              at bus and analytics) gets none at intake; the operator, the
              adapter at intake and the analyst at bus and analytics are
              answered
  channels    an adapter for web submits email: forbidden / channel, nothing
              stored; for web: accepted; an e-mail adapter for email: accepted
  refs        adapter B sends adapter A's ref: a new complaint (not a
              duplicate, another number); A's retry: A's number, duplicate;
              the store keeps each under its submitter
  revoke      web-b's connection stays open while `complaintctl keys revoke
              web-b` runs: its next request is refused (unauthenticated /
              key) within 1.5 s; a new connection with its key gets nothing;
              web-a still works
  refused NAME STATUS LOG
              a daemon started with a transport it must refuse exited 2 at
              once and said why (curve_refused, and the flag for plaintext)
  plain EP    intake --curve off on loopback answers a plaintext client

    curve_attack.py --intake E --replay E --pub E --analytics E --keys DIR
                    --ctl COMPLAINTCTL STEP [ARG ...]
"""
import os
import sys
import time

import msgpack
import zmq
import zmq.auth

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, sql  # noqa: E402
from client import Client, curve_connect, unpack  # noqa: E402

ARGS = None
QUIET_MS = 1500         # a refused client: no answer in this long


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def submit(channel, ref):
    return {"op": "submit", "channel": channel, "ref": ref,
            "body": "The card was charged twice for one purchase.",
            "customer": {"name": "Curve Test", "phone": "13800000009"}}


def answered(client, req, timeout_ms=5000):
    raw = client.request(pack(req), timeout_ms)
    client.close()
    return unpack(raw) if raw is not None else None


def ask(endpoint, server, req, key=None, plain=None, timeout_ms=5000):
    ctx = zmq.Context.instance()
    return answered(Client(ctx, endpoint, server, key=key, plain=plain), req, timeout_ms)


def ask_unknown_key(endpoint, server, req):
    """A client whose key pair nobody made with complaintctl, who knows the
    server's real public key (it is public)."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    public, secret = zmq.curve_keypair()
    server_public, _ = zmq.auth.load_certificate(os.path.join(ARGS.keys, server + ".cert"))
    sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = public, secret, server_public
    sock.connect(endpoint)
    sock.send_multipart([b"t1", b"", pack(req)])
    got = sock.poll(QUIET_MS)
    sock.close(0)
    return got


def pub_event(key=None, plain=None, wait_ms=3000):
    """Whether anything (heartbeats come once a second) arrives on the PUB."""
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, b"")
    curve_connect(sock, ARGS.pub, "bus", key=key, plain=plain)
    got = sock.poll(wait_ms)
    sock.close(0)
    return bool(got)


GET = {"op": "get", "complaint_no": "202001010000010"}
REPLAY = {"op": "replay", "from": 0, "limit": 1}
KPI = {"op": "kpi", "from": 0, "to": 86400000}


def step_transport():
    for what, ep, server, req in (("intake", ARGS.intake, "intake", GET),
                                  ("bus replay", ARGS.replay, "bus", REPLAY),
                                  ("analytics", ARGS.analytics, "analytics", KPI)):
        expect("plaintext client to %s: reply" % what, None,
               ask(ep, server, req, plain=True, timeout_ms=QUIET_MS))
        expect_true("unknown key to %s: no reply within %d ms" % (what, QUIET_MS),
                    not ask_unknown_key(ep, server, req))
        expect_true("operator (staff) key to %s: answered" % what,
                    ask(ep, server, req) is not None)
    expect_true("plaintext SUB to the bus PUB: no event within 3 s (heartbeats are 1/s)",
                not pub_event(plain=True))
    expect_true("analyst SUB to the bus PUB: events arrive", pub_event(key="analyst-1"))
    expect_true("service key (router) SUB to the bus PUB: events arrive",
                pub_event(key="router"))
    expect_true("analyst key to bus replay: answered",
                ask(ARGS.replay, "bus", REPLAY, key="analyst-1") is not None)
    expect_true("analyst key to analytics: answered",
                ask(ARGS.analytics, "analytics", KPI, key="analyst-1") is not None)
    expect("analyst key to intake (not in allow/intake): reply", None,
           ask(ARGS.intake, "intake", GET, key="analyst-1", timeout_ms=QUIET_MS))
    expect("adapter key to analytics (not in allow/analytics): reply", None,
           ask(ARGS.analytics, "analytics", KPI, key="web-a", timeout_ms=QUIET_MS))
    expect("adapter key to bus replay (not in allow/bus): reply", None,
           ask(ARGS.replay, "bus", REPLAY, key="web-a", timeout_ms=QUIET_MS))
    # A client that pins the wrong server key (the bus's, at intake) never
    # completes the handshake: it cannot be fooled by a server without
    # intake's secret either.
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    public, secret = zmq.auth.load_certificate(os.path.join(ARGS.keys, "operator.cert_secret"))
    wrong, _ = zmq.auth.load_certificate(os.path.join(ARGS.keys, "bus.cert"))
    sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = public, secret, wrong
    sock.connect(ARGS.intake)
    sock.send_multipart([b"t1", b"", pack(GET)])
    expect_true("client pinning the wrong server key: no reply", not sock.poll(QUIET_MS))
    sock.close(0)


def code_field(reply):
    if not reply or reply.get("ok"):
        return (None, None)
    err = reply.get("error", {})
    return (err.get("code"), err.get("field"))


def step_channels():
    before = int(sql("select count(*) from complaint"))
    r = ask(ARGS.intake, "intake", submit("email", "ch-1"), key="web-a")
    expect("web adapter submitting email: (code, field)", ("forbidden", "channel"), code_field(r))
    msg = (r or {}).get("error", {}).get("message", "")
    expect_true("the message names the key and its channels", "web-a" in msg and "web" in msg, msg)
    expect("nothing stored for the refused submit", before,
           int(sql("select count(*) from complaint")))
    r = ask(ARGS.intake, "intake", submit("web", "ch-2"), key="web-a")
    expect_true("web adapter submitting web: accepted", r and r.get("ok") and not r.get("duplicate"),
                repr(r))
    r = ask(ARGS.intake, "intake", submit("email", "ch-3"), key="mail-1")
    expect_true("email adapter submitting email: accepted", r and r.get("ok"), repr(r))
    r = ask(ARGS.intake, "intake", submit("hotline", "ch-4"), key="mail-1")
    expect("email adapter submitting hotline: code", "forbidden", code_field(r)[0])
    r = ask(ARGS.intake, "intake", submit("hotline", "ch-5"))
    expect_true("operator (staff, channels *) submitting hotline: accepted",
                r and r.get("ok"), repr(r))


def step_refs():
    ref = "form-token-%d" % os.getpid()
    a1 = ask(ARGS.intake, "intake", submit("web", ref), key="web-a")
    expect_true("adapter A submits ref R: accepted", a1 and a1.get("ok") and not a1.get("duplicate"),
                repr(a1))
    b1 = ask(ARGS.intake, "intake", submit("web", ref), key="web-b")
    expect_true("adapter B submits A's ref: accepted as new (not a duplicate)",
                b1 and b1.get("ok") and b1.get("duplicate") is False, repr(b1))
    if a1 and b1:
        expect_true("B's complaint number is not A's",
                    b1.get("complaint_no") != a1.get("complaint_no"),
                    "%s vs %s" % (a1.get("complaint_no"), b1.get("complaint_no")))
    a2 = ask(ARGS.intake, "intake", submit("web", ref), key="web-a")
    expect("A's retry: (number, duplicate)",
           ((a1 or {}).get("complaint_no"), True),
           ((a2 or {}).get("complaint_no"), (a2 or {}).get("duplicate")))
    b2 = ask(ARGS.intake, "intake", submit("web", ref), key="web-b")
    expect("B's retry: (number, duplicate)", ((b1 or {}).get("complaint_no"), True),
           ((b2 or {}).get("complaint_no"), (b2 or {}).get("duplicate")))
    expect("stored under their submitters (submitter, complaint_no)",
           sorted(["web-a|%s" % (a1 or {}).get("complaint_no"),
                   "web-b|%s" % (b1 or {}).get("complaint_no")]),
           sorted(sql("select submitter || '|' || complaint_no from complaint"
                      " where ref = :'ref'", ref=ref).splitlines()))


def step_revoke():
    ctx = zmq.Context.instance()
    live = Client(ctx, ARGS.intake, "intake", key="web-b")
    r = unpack(live.request(pack(submit("web", "rv-1")), 5000) or pack(None))
    expect_true("web-b before revocation: accepted", r and r.get("ok"), repr(r))
    rc, out, err = checks.run([ARGS.ctl, "keys", "revoke", "web-b", "--keys", ARGS.keys])
    expect("complaintctl keys revoke web-b: exit status", 0, rc)
    expect_true("web-b's cert moved to revoked/",
                os.path.exists(os.path.join(ARGS.keys, "revoked", "web-b.cert"))
                and not os.path.exists(os.path.join(ARGS.keys, "allow", "intake", "web-b.cert")))
    # Intake reads the allow list again at most once a second: the next
    # request after that is refused, over the same connection.
    time.sleep(1.2)
    t0 = time.monotonic()
    raw = live.request(pack(submit("web", "rv-2")), 5000)
    took = time.monotonic() - t0
    r = unpack(raw) if raw is not None else None
    expect("web-b's next request on its live connection: (code, field)",
           ("unauthenticated", "key"), code_field(r))
    expect_true("refused at once (%.2f s)" % took, took < 1.5)
    live.close()
    expect("nothing stored for the revoked key's request", "0",
           sql("select count(*) from complaint where ref = 'rv-2'"))
    expect("web-b on a new connection: reply", None,
           ask(ARGS.intake, "intake", submit("web", "rv-3"), key="web-b", timeout_ms=QUIET_MS))
    r = ask(ARGS.intake, "intake", submit("web", "rv-4"), key="web-a")
    expect_true("web-a still accepted", r and r.get("ok"), repr(r))
    rc, out, err = checks.run([ARGS.ctl, "keys", "list", "--keys", ARGS.keys])
    line = [x for x in out.splitlines() if x.startswith("web-b ")]
    expect_true("keys list shows web-b revoked", line and line[0].rstrip().endswith("revoked"),
                repr(line))


def sub_events(sock, ms):
    """How many messages arrive on sock within ms (heartbeats: one a second)."""
    n, until = 0, time.monotonic() + ms / 1000.0
    while True:
        left = int((until - time.monotonic()) * 1000)
        if left <= 0 or not sock.poll(left):
            return n
        sock.recv_multipart()
        n += 1


def sub_quiet(sock, ms):
    """Drop what is queued on sock, and what still arrives, until nothing
    has come for ms (what was in flight when the bus cut)."""
    while sock.poll(ms):
        sock.recv_multipart()


def step_revoke_reader():
    """An analyst's key revoked while its replay, analytics and PUB
    connections stay open: replay and analytics refuse its next request;
    the bus cuts every subscription (it cannot ask a subscriber anything),
    the others reconnect through zauth and receive again, the revoked one
    does not."""
    ctx = zmq.Context.instance()
    replay = Client(ctx, ARGS.replay, "bus", key="analyst-2")
    query = Client(ctx, ARGS.analytics, "analytics", key="analyst-2")
    subs = {}
    for key in ("analyst-2", "analyst-1"):
        sock = ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        subs[key] = curve_connect(sock, ARGS.pub, "bus", key=key)
    for what, client, req in (("replay", replay, REPLAY), ("analytics", query, KPI)):
        r = unpack(client.request(pack(req), 5000) or pack(None))
        expect_true("analyst-2's %s request before revocation: answered, not refused" % what,
                    r is not None and code_field(r)[0] != "unauthenticated", repr(r))
    for key, sock in subs.items():
        expect_true("%s's SUB receives before revocation" % key, sub_events(sock, 2500) > 0)
    bus_log = os.path.join(os.environ.get("TEST_DIR", "."), "bus.log")
    cuts = len(checks.log_lines(bus_log, r"event=pub_cut "))
    rc, out, err = checks.run([ARGS.ctl, "keys", "revoke", "analyst-2", "--keys", ARGS.keys])
    expect("complaintctl keys revoke analyst-2: exit status", 0, rc)
    # The servers look at the allow list at most once a second.
    time.sleep(1.2)
    for what, client, req in (("replay", replay, REPLAY), ("analytics", query, KPI)):
        r = unpack(client.request(pack(req), 5000) or pack(None))
        expect("analyst-2's next %s request on its live connection: (code, field)" % what,
               ("unauthenticated", "key"), code_field(r))
        expect_true("the %s refusal says the key was revoked" % what,
                    "revoked" in ((r or {}).get("error") or {}).get("message", ""), repr(r))
        client.close()
    # The bus cuts at its next heartbeat after it sees the list change (it
    # logs pub_cut): wait for that, not for a fixed time (a busy machine
    # may cut later, and what it sent before would then count as after),
    # drop what was queued before the cut, then the revoked SUB hears
    # nothing while the other hears again (it reconnected through zauth).
    checks.wait_for("the bus cut its PUB subscriptions (pub_cut logged)",
                    lambda: len(checks.log_lines(bus_log, r"event=pub_cut ")) > cuts, 15)
    for sock in subs.values():
        sub_quiet(sock, 500)
    expect("analyst-2's SUB after the cut: messages in 3.5 s", 0,
           sub_events(subs["analyst-2"], 3500))
    expect_true("analyst-1's SUB after the cut: receives again",
                sub_events(subs["analyst-1"], 3000) > 0)
    for sock in subs.values():
        sock.close(0)
    expect_true("analyst-1 still answered at replay",
                ask(ARGS.replay, "bus", REPLAY, key="analyst-1") is not None)


def step_refused(name, status, log):
    expect("%s: exit status" % name, "2", status)
    text = open(log, encoding="utf-8", errors="replace").read()
    expect_true("%s: logs curve_refused" % name, "event=curve_refused" in text, text[-400:])
    if "off" in name:
        expect_true("%s: names --curve off and loopback" % name,
                    "--curve off" in text and "loopback" in text, text[-400:])
    else:
        expect_true("%s: names the missing key" % name, "no secret key" in text, text[-400:])


def step_plain(endpoint):
    r = ask(endpoint, "intake", submit("web", "plain-1"), plain=True)
    expect_true("plaintext client to intake --curve off on loopback: accepted",
                r and r.get("ok"), repr(r))
    expect("its submitter is local", "local",
           sql("select submitter from complaint where ref = 'plain-1'"))


STEPS = {"transport": step_transport, "channels": step_channels, "refs": step_refs,
         "revoke": step_revoke,
         "revoke_reader": step_revoke_reader, "refused": step_refused, "plain": step_plain}


def setup(args):
    global ARGS
    ARGS = args
    # Every identity is read from the test's keys directory.
    os.environ["COMPLAINTS_KEYS"] = args.keys


if __name__ == "__main__":
    sys.exit(checks.step_main(STEPS, ("--intake", "--replay", "--pub", "--analytics", "--keys",
                                      "--ctl"), setup))
