#!/usr/bin/python3
"""e2e_import.py — the checks of tests/integration/e2e_import.sh (invariants
1, 3, 4, 6, 8 end to end), against a running bus + intake + router.

    e2e_import.py --csv FILE --ctl complaintctl --tokens tokens.plain
                  --intake EP --replay EP --out DIR

  1. `complaintctl import FILE`: every row acknowledged with a number, none
     duplicate, no error line, numbers distinct, stored with channel
     regulator;
  2. waits (deadline 90 s) until event_log holds 2N events, then reads the
     stream twice, with `complaintctl replay --from 0` and with client.py's
     own replay client: 2N events, seqs 1..2N in order, exactly one
     complaint.received and one complaint.assigned per acknowledged number,
     received before assigned;
  3. privacy: "CFPB consumer" nowhere in the stream or in event_log's raw
     bytes, a 32-hex pseudonym in each complaint.received; `complaintctl
     get` with the complaint office's token shows the identity, without a
     token it does not;
  4. importing again: every row duplicate with the same number. No event
     may follow: a sentinel complaint is submitted after the re-import and
     once its complaint.received is in event_log (the bus logs in commit
     order, so anything the re-import committed would be before it), the
     events after the first import's are the sentinel's alone.

Every check is counted (checks.py); exits 1 if any failed.
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql_int  # noqa: E402
from client import Client, unpack  # noqa: E402


def run(argv, out_path, env=None):
    """Run a client, its stdout to out_path; return (exit status, lines)."""
    with open(out_path, "w") as out, open(out_path + ".err", "w") as err:
        rc = subprocess.run(argv, stdout=out, stderr=err, env=env).returncode
    with open(out_path) as f:
        return rc, [line for line in f.read().split("\n") if line.strip()]


def jsonl(lines):
    return [json.loads(line) for line in lines if line.startswith("{")]


def replay_all(endpoint):
    """Every event from seq 0 through the bus's replay socket (our client)."""
    c = Client(zmq.Context.instance(), endpoint, "bus")
    events, start = [], 0
    while True:
        raw = c.request(msgpack.packb({"op": "replay", "from": start}), 5000)
        if raw is None:
            break
        rep = unpack(raw)
        page = rep.get("events") or [] if rep.get("ok") else []
        if not page:
            break
        events += page
        start = page[-1]["seq"]
    c.close()
    return events


def imported(acks):
    """ref -> complaint_no of the acknowledged rows."""
    return {a["ref"]: a["complaint_no"] for a in acks if a.get("complaint_no")}


def main():
    p = argparse.ArgumentParser()
    for a in ("--csv", "--ctl", "--tokens", "--intake", "--replay", "--out"):
        p.add_argument(a, required=True)
    args = p.parse_args()
    with open(args.csv, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        rows = sum(1 for _ in r)
    with open(args.csv, newline="", encoding="utf-8") as f:
        consented = sorted(set("cfpb-" + row["Complaint ID"] for row in csv.DictReader(f)
                               if row["Consumer consent provided?"] == "Consent provided"))
    note("sample: %s, %d data rows" % (args.csv, rows))
    expect_true("the sample has rows", rows > 0)

    # --- first import: every row acknowledged, none duplicate
    rc, lines = run([args.ctl, "import", args.csv], os.path.join(args.out, "import1.jsonl"))
    expect("import 1 exit status", 0, rc)
    acks1 = jsonl(lines)
    numbers = imported(acks1)
    expect("import 1 rows acknowledged with a number", rows, len(numbers))
    expect("import 1 rows acknowledged as new (duplicate=false)", rows,
           sum(1 for a in acks1 if a.get("duplicate") is False))
    expect("import 1 error lines", [], [a for a in acks1 if a.get("error")])
    expect("distinct complaint numbers", rows, len(set(numbers.values())))
    expect("complaints stored (channel regulator)", rows,
           sql_int("select count(*) from complaint where channel = 'regulator'"))
    expect_true("the sample has rows with and without consent", 0 < len(consented) < rows)
    expect("narrative_consent stored exactly for the rows with \"Consent provided\"",
           consented, sorted(x for x in checks.sql(
               "select ref from complaint where channel = 'regulator' and narrative_consent"
               " order by ref").split("\n") if x))

    # --- the stream: received + assigned for each, seqs 1..2N
    want = 2 * rows
    got = checks.wait_until(
        lambda: sql_int("select count(*) from event_log") >= want, 90, 0.2)
    expect_true("event_log reaches %d events within 90 s" % want, got,
                "%s events, %s complaints still unassigned"
                % (sql_int("select count(*) from event_log"),
                   sql_int("select count(*) from complaint where state = 'received'")))
    rc, lines = run([args.ctl, "replay", "--from", "0"], os.path.join(args.out, "replay.jsonl"))
    expect("complaintctl replay exit status", 0, rc)
    stream = jsonl(lines)
    expect("events on the stream (complaintctl replay)", want, len(stream))
    expect("stream seqs are 1..N in order", list(range(1, len(stream) + 1)),
           [e["seq"] for e in stream])
    ours = replay_all(args.replay)
    expect("events by our own replay client", want, len(ours))
    expect("our client's seqs equal complaintctl's", [e["seq"] for e in stream],
           [e["seq"] for e in ours])
    types = {}
    for e in stream:
        types[e["type"]] = types.get(e["type"], 0) + 1
    note("event types: %s" % json.dumps(types, sort_keys=True))
    acked = sorted(numbers.values())
    first_seq = {}
    for typ in ("complaint.received", "complaint.assigned"):
        nos = [e["complaint_no"] for e in stream if e["type"] == typ]
        expect("%s events, one per acknowledged complaint" % typ, acked, sorted(nos))
        first_seq[typ] = {}
        for e in stream:
            if e["type"] == typ:
                first_seq[typ].setdefault(e["complaint_no"], e["seq"])
    late = [no for no, s in first_seq["complaint.received"].items()
            if s > first_seq["complaint.assigned"].get(no, 0)]
    expect("complaints assigned before they were received", [], late)

    # --- privacy: pseudonym, never the identity
    expect("events mentioning 'CFPB consumer'", 0,
           sum(1 for line in lines if "CFPB consumer" in line))
    expect("complaint.received events with a 32-hex customer pseudonym", rows,
           sum(1 for e in stream if e["type"] == "complaint.received"
               and re.fullmatch(r"[0-9a-f]{32}", str((e.get("data") or {}).get("customer")))))
    expect("event_log rows mentioning 'CFPB consumer' (raw bytes)", 0,
           sql_int("select count(*) from event_log"
                   " where position(convert_to('CFPB consumer', 'UTF8') in event) > 0"))
    first_ref = sorted(numbers)[0]
    first_no = numbers[first_ref]
    token = ""
    with open(args.tokens) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "li_na":    # the complaint office
                token = parts[1]
    expect_true("a complaint office token (li_na)", token)
    env = dict(os.environ, COMPLAINTS_TOKEN=token)
    rc, lines = run([args.ctl, "get", first_no], os.path.join(args.out, "get.json"), env)
    expect("complaintctl get %s (complaint office token) exit status" % first_no, 0, rc)
    ident = "CFPB consumer %s" % first_ref[len("cfpb-"):]
    expect_true("get %s shows the identity '%s'" % (first_no, ident),
                any(ident in line for line in lines))
    env = {k: v for k, v in os.environ.items() if k != "COMPLAINTS_TOKEN"}
    rc, lines = run([args.ctl, "get", first_no], os.path.join(args.out, "get_status.json"), env)
    expect("complaintctl get %s without a token nor query code: exit status 1" % first_no,
           1, rc)
    expect_true("get %s without a token: no identity" % first_no,
                not any("CFPB consumer" in line for line in lines))
    expect("complaints without a department", 0,
           sql_int("select count(*) from complaint where department is null"))

    # --- second import: all duplicate, same numbers, no new events
    seq_before = sql_int("select max(seq) from event_log")
    rc, lines = run([args.ctl, "import", args.csv], os.path.join(args.out, "import2.jsonl"))
    expect("import 2 exit status", 0, rc)
    acks2 = jsonl(lines)
    expect("import 2 rows acknowledged as duplicate", rows,
           sum(1 for a in acks2 if a.get("duplicate") is True))
    expect("import 2 numbers equal import 1's", numbers, imported(acks2))
    # The barrier: a new complaint after the re-import; once it is on the
    # event log, whatever the re-import had committed is there too.
    c = Client(zmq.Context.instance(), args.intake)
    raw = c.request(msgpack.packb({"op": "submit", "channel": "web", "ref": "e2e-sentinel",
                                   "body": "sentinel after the re-import",
                                   "customer": {"name": "Sentinel"}}), 10000)
    c.close()
    sentinel = (unpack(raw) if raw else {}).get("complaint_no")
    expect_true("the sentinel complaint is accepted", sentinel, repr(raw))
    on_log = checks.wait_until(
        lambda: sql_int("select count(*) from event_log where complaint_no = :'no'"
                        " and type = 'complaint.received'", no=sentinel or "") == 1, 30, 0.2)
    expect_true("the sentinel's complaint.received is on the event log within 30 s", on_log)
    expect("complaints with events after the re-import (the sentinel alone)",
           [sentinel],
           [r for r in checks.sql("select distinct complaint_no from event_log where seq > :'s'",
                                  s=seq_before).split("\n") if r])
    expect("complaints after the re-import (the sample and the sentinel)", rows + 1,
           sql_int("select count(*) from complaint"))
    n = sql_int("select count(*) from event_log")
    expect("event_log seqs are exactly 1..N (count, min, max, distinct)",
           "%d|1|%d|%d" % (n, n, n),
           checks.sql("select count(*), min(seq), max(seq), count(distinct seq) from event_log"))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
