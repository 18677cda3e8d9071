#!/usr/bin/python3
"""evidence.py — a case's evidence (issue 16 §3) against a running bus,
intake and router with the real directory:

  a  the case's handler hands a PDF in (complaintctl evidence add): stored
     once with intake's SHA-256 (checked here with hashlib), the size and
     media type; the case's version one up; the audit row `evidence` holds
     the name and never the bytes
  b  the same file again: answered as a duplicate, nothing stored; the same
     bytes under another name: a second item
  c  out of scope (another department's handler): refused, forbidden,
     nothing stored; the same for `evidence get`
  d  too big: one byte over the per-item limit, as a raw request (the
     error names the field `content`) and through complaintctl; a
     recording_ref with content, a path as a name: refused naming the field
  e  a recording's reference (recording_ref): kept without bytes
  f  `show` lists the items (human and --json), `evidence get` gives the
     bytes back byte for byte, the reference back as it was
  g  the stream: complaint.evidence_added per item with kind, size and
     media type, never the file's name

    evidence.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR --endpoint EP

Every check is counted (checks.py); exits 1 if any failed.
"""
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_sql  # noqa: E402
from client import ask  # noqa: E402
from lifecycle import NO_TOKEN, ctl, env_for, handler, submit, wait_assigned  # noqa: E402

MAX_BYTES = 200 * 1024      # REQUEST_EVIDENCE_MAX_BYTES (proto/evidence_request.h)
OUTSIDER = "wu_xia"         # retail_lending's handler: a card case is not hers
NAME = "张三-信用卡账单-2026-11.pdf"   # a name that carries the customer's name
REF = "ivr://recordings/2026/11/23/call-000427.mp3"


def pdf(size, seed):
    """A PDF-looking file of SIZE bytes, different for each seed."""
    body = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    return (head + body)[:size]


def ctl_bytes(who, *argv):
    """complaintctl as WHO with stdout as bytes: (status, stdout, stderr)."""
    r = subprocess.run([lifecycle.ARGS.ctl] + list(argv), capture_output=True,
                       env=env_for(who))
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def rows(no):
    return sql("select count(*) from evidence e join complaint c on c.id = e.complaint_id"
               " where c.complaint_no = :'no'", no=no)


def version(no):
    return int(sql("select version from complaint where complaint_no = :'no'", no=no))


def main():
    args = lifecycle.start("--endpoint")
    if not args:
        return checks.status()
    out = args.out
    no = submit("ev-a", "信用卡", "信用卡年费被重复收取，附上账单。")
    if not no or not wait_assigned(no):
        return checks.status()
    h = handler(no)
    note("case %s, handler %s" % (no, h))

    note("--- a: the handler hands a PDF in")
    data = pdf(48213, "a")
    path = os.path.join(out, NAME)
    with open(path, "wb") as f:
        f.write(data)
    v0 = version(no)
    rc, o, e = ctl(h, "evidence", "add", no, path)
    note("  " + (o or e).strip())
    expect("a: evidence add exit status", 0, rc)
    expect_true("a: the output names item 1 and the hash", "evidence #1 on " + no in o
                and hashlib.sha256(data).hexdigest() in o, o.strip())
    expect("a: stored once, intake's sha256 = hashlib's, size, type, kind, uploader",
           "1|%s|48213|application/pdf|document|%s|handler|%s" % (
               hashlib.sha256(data).hexdigest(), h, NAME),
           sql("select e.seq || '|' || encode(e.sha256, 'hex') || '|' || e.size || '|'"
               " || e.media_type || '|' || e.kind || '|' || e.uploader || '|'"
               " || e.uploader_role || '|' || e.name"
               " from evidence e join complaint c on c.id = e.complaint_id"
               " where c.complaint_no = :'no'", no=no))
    expect("a: the stored bytes are the file's", hashlib.sha256(data).hexdigest(),
           sql("select encode(sha256(content), 'hex') from evidence e join complaint c"
               " on c.id = e.complaint_id where c.complaint_no = :'no' and seq = 1", no=no))
    expect("a: the case's version one up", v0 + 1, version(no))
    expect("a: the audit row: action evidence, the name, no bytes",
           "%s|48213|application/pdf|false" % NAME,
           sql("select a.details->>'name' || '|' || (a.details->>'size') || '|'"
               " || (a.details->>'media_type') || '|' || (a.details ? 'content')::text"
               " from case_action a join complaint c on c.id = a.complaint_id"
               " where c.complaint_no = :'no' and a.action = 'evidence'", no=no))

    note("--- b: a duplicate is not stored twice")
    rc, o, e = ctl(h, "evidence", "add", no, path)
    expect("b: the same file again: exit 0", 0, rc)
    expect_true("b: the output says it was kept already", "already kept" in o, o.strip())
    expect("b: still one row, version unchanged", "1 %d" % (v0 + 1),
           "%s %d" % (rows(no), version(no)))
    rc, o, e = ctl(h, "evidence", "add", no, path, "--name", "bill-copy.pdf")
    expect("b: the same bytes under another name: a second item", (0, "2"), (rc, rows(no)))

    note("--- c: out of scope")
    rc, o, e = ctl(OUTSIDER, "evidence", "add", no, path, "--name", "other.pdf")
    expect("c: another department's handler: exit 1", 1, rc)
    expect_true("c: error forbidden", "error forbidden" in e, e.strip())
    expect("c: nothing stored", "2", rows(no))
    rc, o, e = ctl_bytes(OUTSIDER, "evidence", "get", no, "1")
    expect("c: evidence get out of scope: exit 1, no bytes", (1, b""), (rc, o))
    expect_true("c: evidence get out of scope: error forbidden", "error forbidden" in e,
                e.strip())
    rc, o, e = ctl(NO_TOKEN, "evidence", "add", no, path)
    expect("c: no token: a usage error (exit 2)", 2, rc)

    note("--- d: limits and bad fields")
    token = lifecycle.TOKENS[h]
    base = {"op": "evidence_add", "complaint_no": no, "token": token, "kind": "document",
            "name": "big.pdf", "media_type": "application/pdf"}
    r = ask(args.endpoint, dict(base, content=b"x" * (MAX_BYTES + 1)), 10000) or {}
    err = r.get("error") or {}
    expect("d: one byte over the limit: too_large, field content",
           ("too_large", "content"), (err.get("code"), err.get("field")))
    expect_true("d: the message says the limit", str(MAX_BYTES) in err.get("message", ""),
                err.get("message", ""))
    r = ask(args.endpoint, dict(base, content=b"x" * MAX_BYTES), 10000) or {}
    expect("d: exactly the limit: stored", (True, MAX_BYTES), (r.get("ok"), r.get("size")))
    big = os.path.join(out, "big.bin")
    with open(big, "wb") as f:
        f.write(b"y" * (MAX_BYTES + 10))
    rc, o, e = ctl(h, "evidence", "add", no, big)
    expect_true("d: complaintctl, a file over the limit: exit 1, too_large field=content",
                rc == 1 and "error too_large field=content" in e, "%d %s" % (rc, e.strip()))
    for desc, extra, field in (
            ("a path as a name", {"name": "../etc/passwd", "content": b"x"}, "name"),
            ("a recording_ref with content", {"kind": "recording_ref", "content": b"x",
                                              "reference": REF}, "content"),
            ("a media type with parameters", {"media_type": "text/plain; charset=gbk",
                                              "content": b"x"}, "media_type"),
            ("content as a string", {"content": "x"}, "content"),
            ("the mail adapter's kind from staff", {"kind": "email_attachment",
                                                    "content": b"x"}, "kind")):
        r = ask(args.endpoint, dict(base, **extra)) or {}
        expect("d: %s: refused naming %s" % (desc, field), field,
               (r.get("error") or {}).get("field"))
    expect("d: nothing stored by the refusals", "3", rows(no))

    note("--- e: a recording's reference")
    rc, o, e = ctl(h, "evidence", "add", no, "--kind", "recording_ref", "--reference", REF,
                   "--name", "来电录音 2026-11-23", "--type", "audio/mpeg")
    expect("e: recording_ref: exit 0", 0, rc)
    expect("e: kept without bytes, size 0, its reference",
           "4|recording_ref|0|true|" + REF,
           sql("select seq || '|' || kind || '|' || size || '|' || (content is null)::text"
               " || '|' || reference from evidence e join complaint c on c.id = e.complaint_id"
               " where c.complaint_no = :'no' and kind = 'recording_ref'", no=no))

    note("--- f: show and get")
    rc, o, e = ctl(h, "show", no)
    lifecycle.save("show.txt", o)
    expect_true("f: show lists 4 items with the hash and the reference",
                "evidence (4 items)" in o and hashlib.sha256(data).hexdigest() in o
                and "reference " + REF in o and NAME in o, o[-800:])
    rc, o, e = ctl(h, "show", no, "--json")
    items = (json.loads(o) if rc == 0 else {}).get("evidence") or []
    expect("f: show --json: seq, kind, size of each",
           [(1, "document", 48213), (2, "document", 48213), (3, "document", MAX_BYTES),
            (4, "recording_ref", 0)],
           [(i.get("seq"), i.get("kind"), i.get("size")) for i in items])
    expect_true("f: show --json carries no bytes", all("content" not in i for i in items))
    rc, got, e = ctl_bytes(h, "evidence", "get", no, "1")
    expect("f: evidence get 1: exit 0", 0, rc)
    expect("f: evidence get 1: byte for byte (sha256 by hashlib)",
           hashlib.sha256(data).hexdigest(), hashlib.sha256(got).hexdigest())
    expect("f: and the same length", len(data), len(got))
    rc, got, e = ctl_bytes(h, "evidence", "get", no, "4")
    expect("f: evidence get of the recording: its reference", (0, REF + "\n"),
           (rc, got.decode()))
    rc, got, e = ctl_bytes(h, "evidence", "get", no, "9")
    expect_true("f: evidence get of no such item: exit 1, not_found seq",
                rc == 1 and "error not_found field=seq" in e, e.strip())

    note("--- g: the stream")
    wait_sql("g: the outbox drained", "select count(*) = 0 from outbox", 15)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.evidence_added'", no=no)
    expect("g: one complaint.evidence_added per item (seq, kind, size, media type)",
           [(1, "document", 48213, "application/pdf"), (2, "document", 48213, "application/pdf"),
            (3, "document", MAX_BYTES, "application/pdf"), (4, "recording_ref", 0, "audio/mpeg")],
           [(d.get("seq"), d.get("kind"), d.get("size"), d.get("media_type"))
            for d in (x.get("data", {}) for _, _, x in ev)])
    expect_true("g: no event carries a name", all("name" not in x.get("data", {})
                                                   for _, _, x in ev))
    expect("g: the file's name (the customer's) nowhere on the stream", [],
           checks.leaking_events("张三|bill-copy|来电录音", "complaint_no = :'no'", no=no))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
