#!/usr/bin/env python3
"""metrics_scrape.py — the checks of metrics_scrape.sh.

    metrics_scrape.py --flags DIR --count N SERVICE=PORT...

For each --unhealthy NAME=PORT (a daemon whose store is unreachable):
/healthz is 503 "store down: ..." and complaints_store_up is 0.

For each SERVICE=PORT: GET /metrics parses as Prometheus text format 0.0.4
(every sample belongs to a family with # TYPE; histogram buckets are
cumulative with le ascending, +Inf equals _count; counters are >= 0), the
metrics every daemon exports are there and moved, the service's own
counters moved as the traffic of the test says they must, GET /healthz is
200 "ok", an unknown path is 404, POST is 405. From DIR: each daemon
refused an unknown flag and an out-of-range port with exit 2 and its usage
on stderr, and --help printed the usage on stdout with exit 0.

Counters are polled until they hold or a deadline passes (the last pass of
a daemon may still be running when the test starts asking). Prints one line
per check; exits 1 when any failed.
"""
import argparse
import math
import os
import re
import sys
import time
import urllib.error
import urllib.request

FAILED = 0
PASSED = 0


def ok(msg):
    global PASSED
    PASSED += 1
    print("ok: " + msg)


def bad(msg):
    global FAILED
    FAILED += 1
    print("FAILED: " + msg)


def check(cond, msg):
    (ok if cond else bad)(msg)
    return cond


def http(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=b"x" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8")


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_labels(text):
    labels, at = {}, 0
    while at < len(text):
        m = LABEL.match(text, at)
        if not m:
            raise ValueError("bad labels: %r" % text)
        labels[m.group(1)] = m.group(2)
        at = m.end()
    return labels


def parse(text):
    """-> (types {family: type}, samples [(name, labels, value)], errors [str])"""
    types, helps, samples, errors = {}, set(), [], []
    if not text.endswith("\n"):
        errors.append("the exposition does not end with a newline")
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary",
                                                   "untyped"):
                errors.append("line %d: bad TYPE line %r" % (n, line))
            elif parts[2] in types:
                errors.append("line %d: second TYPE for %s" % (n, parts[2]))
            else:
                types[parts[2]] = parts[3]
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append("line %d: not a sample: %r" % (n, line))
            continue
        try:
            labels = parse_labels(m.group(3) or "")
            value = float(m.group(4))
        except ValueError as e:
            errors.append("line %d: %s" % (n, e))
            continue
        samples.append((m.group(1), labels, value))
    for name, labels, value in samples:
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in types \
                    and types[name[:-len(suffix)]] == "histogram":
                family = name[:-len(suffix)]
        if family not in types:
            errors.append("sample %s has no # TYPE" % name)
        elif family not in helps:
            errors.append("family %s has no # HELP" % family)
        if types.get(family) == "counter" and not value >= 0:
            errors.append("counter %s%s is %s" % (name, labels, value))
    return types, samples, errors


def histogram_errors(types, samples):
    errors = []
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for name, labels, value in samples:
            if name not in (family + "_bucket", family + "_count", family + "_sum"):
                continue
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            s = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
            if name.endswith("_bucket"):
                if "le" not in labels:
                    errors.append("%s bucket without le" % family)
                    continue
                le = math.inf if labels["le"] == "+Inf" else float(labels["le"])
                s["buckets"].append((le, value))
            elif name.endswith("_count"):
                s["count"] = value
            else:
                s["sum"] = value
        for key, s in series.items():
            b = s["buckets"]
            what = "%s%s" % (family, dict(key))
            if not b or b[-1][0] != math.inf:
                errors.append("%s: last bucket is not +Inf" % what)
                continue
            if any(b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)):
                errors.append("%s: le not ascending" % what)
            if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
                errors.append("%s: buckets not cumulative: %s" % (what, b))
            if s["count"] is None or s["sum"] is None:
                errors.append("%s: _count or _sum missing" % what)
            elif b[-1][1] != s["count"]:
                errors.append("%s: +Inf bucket %s != _count %s" % (what, b[-1][1], s["count"]))
    return errors


def value(samples, name, **labels):
    """Sum of the samples of name whose labels include the given ones."""
    total, found = 0.0, False
    for n, l, v in samples:
        if n == name and all(l.get(k) == str(x) for k, x in labels.items()):
            total += v
            found = True
    return total if found else None


# What each daemon's own counters must show after the test's traffic:
# (description, metric, labels, minimum). N is the number of complaints.
def expectations(n):
    return {
        "bus": [
            ("events published", "complaints_bus_events_published_total", {}, 2 * n),
            ("drain batches observed", "complaints_bus_drain_batch_size_count", {}, 1),
            ("active", "complaints_bus_active", {}, 1),
            ("last seq", "complaints_bus_last_seq", {}, 2 * n),
            ("drain round trips", "complaints_store_round_trip_seconds_count", {"op": "drain"}, 1),
        ],
        "intake": [
            ("submits received", "complaints_intake_requests_total", {"op": "submit"}, n),
            ("submits accepted", "complaints_intake_submits_total", {"result": "accepted"}, n),
            ("the malformed request counted by its code", "complaints_intake_errors_total",
             {"code": "missing_field"}, 1),
            ("batches observed", "complaints_intake_batch_size_count", {}, 1),
            ("batch round trips", "complaints_store_round_trip_seconds_count", {"op": "batch"}, 1),
        ],
        "router": [
            ("complaints claimed", "complaints_router_claimed_total", {}, n),
            ("complaints assigned", "complaints_router_assigned_total", {}, n),
            ("claim round trips", "complaints_store_round_trip_seconds_count",
             {"op": "claim_batch"}, 1),
            ("bus seq seen", "complaints_bus_seq_seen", {}, 1),
            ("SIGHUP reload accepted", "complaints_reloads_total", {"result": "accepted"}, 1),
        ],
        "watchdog": [
            ("cases recomputed", "complaints_watchdog_recomputed_total", {}, n),
            ("ticks observed", "complaints_watchdog_tick_seconds_count", {}, 1),
            ("tick round trips", "complaints_store_round_trip_seconds_count", {"op": "tick"}, 1),
            ("SIGHUP reload accepted", "complaints_reloads_total", {"result": "accepted"}, 1),
        ],
        "notifier": [
            ("events consumed", "complaints_notifier_events_consumed_total", {}, 2 * n),
            ("rows created", "complaints_notifier_rows_created_total", {}, n),
            ("SMS receipts failed (no gateway)", "complaints_notifier_deliveries_total",
             {"channel": "sms", "state": "failed"}, n),
            ("the e-mail receipt sent to the sink", "complaints_notifier_deliveries_total",
             {"channel": "email", "state": "sent"}, 1),
            ("cursor seq", "complaints_notifier_cursor_seq", {}, 2 * n),
            ("pass round trips", "complaints_store_round_trip_seconds_count", {"op": "pass"}, 1),
        ],
        "mail": [
            ("the Maildir complaint taken", "complaints_mail_messages_total",
             {"source": "maildir", "result": "complaint"}, 1),
            ("the complaint acknowledged by intake", "complaints_spool_submitted_total",
             {"result": "accepted"}, 1),
        ],
    }


COMMON = ["complaints_store_round_trip_seconds", "complaints_last_pass_timestamp_seconds",
          "complaints_store_up", "complaints_reloads_total", "complaints_wakeups_total"]


def scrape_service(name, port, wants, deadline):
    # Wait until the service's counters hold (or the deadline passes), then
    # check everything on that one scrape.
    while True:
        try:
            status, ctype, text = http(port, "/metrics")
        except OSError as e:
            status, ctype, text = None, "", str(e)
        types, samples, errors = ({}, [], ["no answer"]) if status != 200 else parse(text)
        short = [w for w in wants
                 if (value(samples, w[1], **w[2]) or 0) < w[3]]
        if status == 200 and not short or time.time() > deadline:
            break
        time.sleep(0.3)
    if not check(status == 200, "%s /metrics answers 200 (got %s: %s)"
                 % (name, status, text[:200] if status != 200 else "")):
        return
    check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
          "%s /metrics Content-Type is text format 0.0.4 (%s)" % (name, ctype))
    check(not errors, "%s: the exposition parses, every sample has # TYPE and # HELP%s"
          % (name, "" if not errors else ": " + "; ".join(errors[:5])))
    herr = histogram_errors(types, samples)
    nhist = sum(1 for t in types.values() if t == "histogram")
    check(not herr and nhist >= 1, "%s: %d histograms, buckets cumulative, +Inf = _count%s"
          % (name, nhist, "" if not herr else ": " + "; ".join(herr[:5])))
    for family in COMMON:
        check(family in types, "%s exports %s (%s)" % (name, family, types.get(family)))
    check(value(samples, "complaints_store_up") == 1, "%s: complaints_store_up = 1" % name)
    last = value(samples, "complaints_last_pass_timestamp_seconds") or 0
    check(abs(time.time() - last) < 120, "%s: last pass %.1f s ago" % (name, time.time() - last))
    for what, metric, labels, minimum in wants:
        v = value(samples, metric, **labels)
        check(v is not None and v >= minimum, "%s: %s: %s%s = %s (>= %s)"
              % (name, what, metric, labels or "", v, minimum))

    status, _, body = http(port, "/healthz")
    check(status == 200 and body == "ok\n", "%s /healthz: %s %r" % (name, status, body))
    status, _, _ = http(port, "/nothing-here")
    check(status == 404, "%s: an unknown path is 404 (%s)" % (name, status))
    status, _, _ = http(port, "/metrics", method="POST")
    check(status == 405, "%s: POST is 405 (%s)" % (name, status))


def check_flags(flags_dir, name):
    def read(kind, ext):
        with open(os.path.join(flags_dir, "%s.%s.%s" % (name, kind, ext))) as f:
            return f.read()
    for kind, flag in (("unknown", "--no-such-flag"), ("range", "--metrics-port 70000")):
        rc, err = read(kind, "rc").strip(), read(kind, "err")
        check(rc == "2", "%s %s exits 2 (got %s)" % (name, flag, rc))
        check(err.startswith(name + ": ") and ("usage: " + name) in err
              and "--metrics-port" in err,
              "%s %s: the reason and the usage on stderr (%r)" % (name, flag, err[:80]))
    rc, out = read("help", "rc").strip(), read("help", "out")
    check(rc == "0" and out.startswith("usage: " + name) and "--pg" in out and "--help" in out,
          "%s --help: usage on stdout, exit 0 (got %s)" % (name, rc))
    env = "COMPLAINTS_%s_METRICS_PORT" % name.upper()
    check(env in out, "%s --help names %s" % (name, env))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flags", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--unhealthy", action="append", default=[],
                    help="NAME=PORT of a daemon whose store is unreachable")
    ap.add_argument("services", nargs="+", help="NAME=PORT")
    args = ap.parse_args()
    wants = expectations(args.count)
    deadline = time.time() + args.timeout
    for spec in args.services:
        name, port = spec.split("=")
        check_flags(args.flags, name)
        scrape_service(name, int(port), wants.get(name, []), deadline)
    for spec in args.unhealthy:
        name, port = spec.split("=")
        status, _, body = http(int(port), "/healthz")
        check(status == 503 and body.startswith("store down: "),
              "%s without a store: /healthz %s %r" % (name, status, body))
        status, _, text = http(int(port), "/metrics")
        _, samples, errors = parse(text)
        check(status == 200 and not errors and value(samples, "complaints_store_up") == 0,
              "%s without a store: /metrics parses, complaints_store_up = 0" % name)
    print("metrics_scrape.py: %d passed, %d failed" % (PASSED, FAILED))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
