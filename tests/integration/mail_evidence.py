#!/usr/bin/python3
"""mail_evidence.py — an e-mail's attachments on the case as evidence (issue
16 §3), through real processes: Python's email package builds the MIME
mail, smtplib.LMTP delivers it to the mail daemon, intake joins the parts.
Steps (mail_evidence.sh drives; each a deadline, never a sleep):

  submit     a complaint with a Chinese-named PDF and a 1 MiB file; waits for
             the router's handler; writes OUT/no and OUT/handler
  check NO   both attachments whole on the case: names, types, sizes, the
             source (Message-ID#N), the adapter as uploader; `evidence get`
             byte for byte (hashlib); `show` lists them; no parts left; the
             events carry kind and size, never the name
  reply NO   the customer's reply with an attachment lands on the case
  keys NO    parts straight to intake: an operator key refused; a part twice
             stored once; an item over the limit and one whose parts do not
             match its hash recorded as refused, `show` says why; `evidence
             get` of a refused item: not_found
  frozen     (intake SIGSTOPped) a complaint with an attachment is taken
             (250) and its message kept in evidence/
  crashed    (the adapter was killed -9 and restarted, intake thawed) the
             complaint and its attachment are on the case
  staged     (the adapter killed -9) the disk as a crash between the
             submit's answer and the parts leaves it: done/ID.reply and
             evidence/ID.eml
  resumed    the restarted adapter sends the parts again: intake answers
             duplicates, still one row
  limited    (--max-attachment 100000) the complaint goes in; the attachment
             over the adapter's limit is listed as not kept, with the reason
  (issue 16 follow-up, adapters2)
  limits NO  the case's own limits, parts straight to intake: an item that
             would pass the case's 10 MiB (case_bytes), the 101st item
             (case_items); each a refused row at its first part, shown NOT
             KEPT, complaint.evidence_refused by code, no bytes, no parts
  finished NO  (the case withdrawn by its handler) an attachment for it:
             refused case_finished, the same way
  sweep      on the `limited` case: item X's first part, item Y's first two
             of three; the store's clock +12 h, Y's second part; +25 h:
             intake's sweep (--evidence-sweep-s 1) records X as refused
             `incomplete` (NOT KEPT, the event with actor intake, the audit
             row, its part gone) and leaves Y, which its third part then
             completes; X's late part is answered as the refused row again
"""
import glob
import hashlib
import json
import os
import sys
from email.message import EmailMessage

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import mail_e2e  # noqa: E402

A = None
CUSTOMER = "wang.evidence@example.com"
PDF_NAME = "扣费账单 2026年11月.pdf"
BIG_NAME = "交易流水.bin"
REPLY_NAME = "补充截图.png"
MAX_PART = 200 * 1024           # REQUEST_EVIDENCE_MAX_BYTES


def setup(args):
    global A
    A = args
    os.makedirs(args.out, exist_ok=True)
    mail_e2e.setup(args)


def blob(size, seed):
    """size bytes no compressor shrinks, the same for the same seed."""
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def pdf(size, seed):
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    return head + blob(size - len(head), seed)


def mail(mid, subject, body, attachments):
    m = EmailMessage()
    m["From"] = "王五 <%s>" % CUSTOMER
    m["To"] = "complaints@bank.example.cn"
    m["Subject"] = subject
    m["Message-ID"] = "<%s>" % mid
    m.set_content(body)
    for name, maintype, subtype, data in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def save(name, value):
    with open(os.path.join(A.out, name), "wb" if isinstance(value, bytes) else "w") as f:
        f.write(value)


def load(name, binary=False):
    with open(os.path.join(A.out, name), "rb" if binary else "r") as f:
        return f.read()


def items(no):
    return checks.sql_rows(
        "select e.seq, e.kind, e.name, e.media_type, e.size, encode(e.sha256, 'hex'),"
        " e.uploader, e.uploader_role, coalesce(e.source, ''), coalesce(e.refused, ''),"
        " e.content is not null from evidence e join complaint c on c.id = e.complaint_id"
        " where c.complaint_no = :'no' order by e.seq", no=no)


def parts_left():
    return checks.sql_int("select count(*) from evidence_part")


def ctl_bytes(*argv):
    import subprocess
    p = subprocess.run([A.ctl] + list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def wait_case(ref):
    checks.wait_sql("the complaint is in the store with a handler",
                    "select count(*) = 1 from complaint where ref = :'ref' and handler is not null",
                    30, ref=ref)
    return checks.sql_rows("select complaint_no, handler from complaint where ref = :'ref'",
                           ref=ref)[0]


def wait_items(no, n, desc):
    checks.wait_sql(desc, "select count(*) >= %d from evidence e join complaint c"
                    " on c.id = e.complaint_id where c.complaint_no = :'no'" % n, 30, no=no)


def spool_drained():
    return (not os.listdir(os.path.join(A.dir, "spool", "new"))
            and not glob.glob(os.path.join(A.dir, "evidence", "*.eml")))


def submit():
    mid = "evidence-%d@mail.example.net" % os.getpid()
    data = mail(mid, "信用卡年费重复扣除，附账单", "我的信用卡年费被重复扣了两次，账单和流水见附件。",
                [(PDF_NAME, "application", "pdf", pdf(48 * 1024, "bill")),
                 (BIG_NAME, "application", "octet-stream", blob(1024 * 1024, "statement"))])
    code, text = mail_e2e.lmtp_send(data, sender=CUSTOMER)
    checks.expect("LMTP: the complaint with two attachments accepted", 250, code)
    no, handler = wait_case(mid)
    checks.note("case %s, handler %s" % (no, handler))
    save("no", no + "\n")
    save("handler", handler + "\n")
    save("mid", mid)


def check(no):
    mid = load("mid")
    bill, big = pdf(48 * 1024, "bill"), blob(1024 * 1024, "statement")
    wait_items(no, 2, "both attachments are on the case")
    # Each item is numbered when its last part lands: compare by source.
    rows = sorted(items(no), key=lambda r: r[8])
    checks.expect("two items (seq 1 and 2), whole, named and typed as the mail gave them, "
                  "from the adapter",
                  ([1, 2], [("email_attachment", PDF_NAME, "application/pdf", len(bill),
                             hashlib.sha256(bill).hexdigest(), "mail", "adapter", mid + "#1", "",
                             "t"),
                            ("email_attachment", BIG_NAME, "application/octet-stream", len(big),
                             hashlib.sha256(big).hexdigest(), "mail", "adapter", mid + "#2", "",
                             "t")]),
                  (sorted(int(r[0]) for r in rows),
                   [(r[1], r[2], r[3], int(r[4]), r[5], r[6], r[7], r[8], r[9], r[10])
                    for r in rows]))
    seqs = [r[0] for r in rows] if len(rows) == 2 else ["1", "2"]
    for seq, data in ((seqs[0], bill), (seqs[1], big)):
        rc, got, err = ctl_bytes("evidence", "get", no, seq)
        checks.expect("evidence get %s: exit 0, the exact bytes (sha256 by hashlib)" % seq,
                      (0, hashlib.sha256(data).hexdigest()), (rc, hashlib.sha256(got).hexdigest()))
    rc, out, err = checks.run([A.ctl, "show", no])
    checks.expect("complaintctl show: exit 0", 0, rc)
    checks.expect_true("show lists both items by name", "evidence (2 items)" in out
                       and PDF_NAME in out and BIG_NAME in out, out[-600:] + err[-200:])
    checks.expect("no parts left in evidence_part", 0, parts_left())
    evs = checks.wait_events("both complaint.evidence_added on the stream",
                             "type = 'complaint.evidence_added' and complaint_no = :'no'", 2,
                             no=no)
    checks.expect("two complaint.evidence_added events: kind, size, the adapter",
                  [("email_attachment", len(bill), "mail", "adapter"),
                   ("email_attachment", len(big), "mail", "adapter")],
                  sorted((e[2]["data"].get("kind"), e[2]["data"].get("size"),
                          e[2]["data"].get("actor"), e[2]["data"].get("actor_role"))
                         for e in evs))
    checks.expect("no event of the case carries a file's name", [],
                  checks.leaking_events("扣费账单|交易流水|\\.pdf", "complaint_no = :'no'", no=no))
    checks.wait_for("the adapter's spool drained, no message left in evidence/", spool_drained, 20)


def reply(no):
    shot = blob(30 * 1024, "screenshot")
    mid = "evidence-reply-%d@mail.example.net" % os.getpid()
    before = len(items(no))
    data = mail(mid, "Re: 编号 %s 补充一张截图" % no, "补充扣费短信截图一张。",
                [(REPLY_NAME, "image", "png", shot)])
    code, text = mail_e2e.lmtp_send(data, sender=CUSTOMER)
    checks.expect("LMTP: the reply with an attachment accepted", 250, code)
    wait_items(no, before + 1, "the reply's attachment is on the case")
    row = items(no)[-1]
    checks.expect("the reply's attachment: name, type, bytes, source",
                  (REPLY_NAME, "image/png", hashlib.sha256(shot).hexdigest(), mid + "#1", "t"),
                  (row[2], row[3], row[5], row[8], row[10]))
    checks.expect("the reply itself is on the case too", 1, checks.sql_int(
        "select count(*) from case_action a join complaint c on c.id = a.complaint_id"
        " where c.complaint_no = :'no' and a.details ->> 'ref' = :'ref'", no=no, ref=mid))
    checks.expect("the kept attachment's audit row: its source and kind, no refusal",
                  "email_attachment|false", checks.sql(
                      "select (a.details ->> 'kind') || '|' || (a.details ? 'refused')::text"
                      "  from case_action a join complaint c on c.id = a.complaint_id"
                      " where c.complaint_no = :'no' and a.action = 'evidence'"
                      "   and a.details ->> 'source' = :'src'", no=no, src=mid + "#1"))


def keys(no):
    """Parts straight on intake's socket with the adapter's key (client.py)."""
    import client
    ep = "tcp://127.0.0.1:%d" % (int(A.lmtp_port) - 3)

    def part(source, data, size, sha, offset, name="x.pdf", key="mail"):
        return client.ask(ep, {"op": "evidence_add", "complaint_no": no,
                               "kind": "email_attachment", "name": name,
                               "media_type": "application/pdf", "source": source,
                               "size": size, "sha256": sha, "offset": offset,
                               "content": data}, 10000, key=key) or {}

    n = len(items(no))
    # Another key: refused before the store.
    rep = part("k-op@test#1", b"x", 1, hashlib.sha256(b"x").hexdigest(), 0, key="operator")
    err = rep.get("error") or {}
    checks.expect("an operator key's email_attachment: forbidden, field kind",
                  ("forbidden", "kind"), (err.get("code"), err.get("field")))

    # Two parts; the first sent twice.
    data = blob(300 * 1024, "two-parts")
    sha = hashlib.sha256(data).hexdigest()
    cut = 150 * 1024
    r1 = part("k-two@test#1", data[:cut], len(data), sha, 0, "两段.pdf")
    r1b = part("k-two@test#1", data[:cut], len(data), sha, 0, "两段.pdf")
    checks.expect("part 1 (and again): held, not yet whole, nothing visible",
                  ((True, False, cut), (True, False, cut), n),
                  ((r1.get("ok"), r1.get("complete"), r1.get("received")),
                   (r1b.get("ok"), r1b.get("complete"), r1b.get("received")), len(items(no))))
    checks.expect("one row in evidence_part for the part sent twice", 1, parts_left())
    r2 = part("k-two@test#1", data[cut:], len(data), sha, cut, "两段.pdf")
    checks.expect("part 2: whole, a seq", (True, True, n + 1),
                  (r2.get("ok"), r2.get("complete"), r2.get("seq")))
    rc, got, e = ctl_bytes("evidence", "get", no, str(n + 1))
    checks.expect("the joined item byte for byte", (0, sha),
                  (rc, hashlib.sha256(got).hexdigest()))
    r3 = part("k-two@test#1", data[cut:], len(data), sha, cut, "两段.pdf")
    checks.expect("part 2 again: the same seq, duplicate", (n + 1, True),
                  (r3.get("seq"), r3.get("duplicate")))

    # Over the item limit (8 MiB): recorded as refused at its first part.
    r4 = part("k-big@test#1", b"y" * 10, 9 * 1024 * 1024, "ab" * 32, 0, "太大.pdf")
    checks.expect_true("an item of 9 MiB: ok, refused item_too_large, a seq",
                       r4.get("ok") and str(r4.get("refused", "")).startswith("item_too_large")
                       and r4.get("seq") == n + 2, repr(r4))
    r4b = part("k-big@test#1", b"y" * 10, 9 * 1024 * 1024, "ab" * 32, 10, "太大.pdf")
    checks.expect("its next part: the same refusal, duplicate", (n + 2, True),
                  (r4b.get("seq"), r4b.get("duplicate")))

    # Parts that do not join to the declared hash.
    r5 = part("k-bad@test#1", b"a" * 10, 20, hashlib.sha256(b"b" * 20).hexdigest(), 0, "坏.pdf")
    r6 = part("k-bad@test#1", b"a" * 10, 20, hashlib.sha256(b"b" * 20).hexdigest(), 10, "坏.pdf")
    checks.expect_true("the last part of a mismatched item: refused hash_mismatch",
                       r5.get("complete") is False
                       and str(r6.get("refused", "")).startswith("hash_mismatch"), (r5, r6))
    checks.expect("no parts left", 0, parts_left())

    rows = items(no)[n:]
    checks.expect("the rows: kept, refused (no bytes), refused",
                  [("两段.pdf", "", "t"), ("太大.pdf", "item_too_large", "f"),
                   ("坏.pdf", "hash_mismatch", "f")],
                  [(r[2], r[9].split(":")[0], r[10]) for r in rows])
    rc, out, err = checks.run([A.ctl, "show", no])
    checks.expect_true("show: the refused items with their reasons",
                       out.count("NOT KEPT: ") == 2 and "NOT KEPT: item_too_large" in out
                       and "NOT KEPT: hash_mismatch" in out, out[-800:])
    rc, got, e = ctl_bytes("evidence", "get", no, str(n + 2))
    checks.expect_true("evidence get of a refused item: exit 1, not_found", rc == 1
                       and "not_found" in e, e)
    evs = checks.wait_events("both complaint.evidence_refused on the stream",
                             "type = 'complaint.evidence_refused' and complaint_no = :'no'", 2,
                             no=no)
    checks.expect("complaint.evidence_refused: the reasons by code",
                  ["hash_mismatch", "item_too_large"],
                  sorted(e[2]["data"].get("reason") for e in evs))
    rep = client.ask(ep, {"op": "evidence_add", "complaint_no": no, "kind": "email_attachment",
                          "name": "x.pdf", "media_type": "application/pdf", "source": "s#1",
                          "size": 5, "sha256": "00" * 32, "offset": 3, "content": b"abcd"},
                     key="mail") or {}
    checks.expect("a part past its item's size: invalid_field content",
                  ("invalid_field", "content"),
                  ((rep.get("error") or {}).get("code"), (rep.get("error") or {}).get("field")))


def send_part(no, source, data, size, sha, offset, name="x.pdf", key="mail",
              media_type="application/pdf"):
    """One evidence_add part straight on intake's socket (client.py)."""
    import client
    ep = "tcp://127.0.0.1:%d" % (int(A.lmtp_port) - 3)
    return client.ask(ep, {"op": "evidence_add", "complaint_no": no,
                           "kind": "email_attachment", "name": name,
                           "media_type": media_type, "source": source,
                           "size": size, "sha256": sha, "offset": offset,
                           "content": data}, 10000, key=key) or {}


def send_item(no, source, data, name):
    """A whole item in parts of at most MAX_PART; the last reply."""
    sha = hashlib.sha256(data).hexdigest()
    rep = {}
    for off in range(0, len(data), MAX_PART):
        rep = send_part(no, source, data[off:off + MAX_PART], len(data), sha, off, name)
        if not rep.get("ok"):
            break
    return rep


def totals(no):
    """(items kept, bytes kept) as intake counts them (case_evidence_totals)."""
    rows = checks.sql_rows("select count(*) filter (where e.refused is null),"
                           " coalesce(sum(e.size) filter (where e.content is not null), 0)"
                           " from evidence e join complaint c on c.id = e.complaint_id"
                           " where c.complaint_no = :'no'", no=no)
    return int(rows[0][0]), int(rows[0][1])


def refused_by_name(no, name):
    rows = [r for r in items(no) if r[2] == name]
    return rows[0] if rows else None


def limits(no):
    """case_bytes and case_items, each refused at the item's first part."""
    case_items, case_bytes = 100, 10 * 1024 * 1024      # services/intake/case_evidence.h
    n_items, n_bytes = totals(no)
    # One real item of 1 MiB, then one whose declared size passes the case's
    # bytes by one (under the item limit: the case's limit is the one that says no).
    rep = send_item(no, "lim-fill@test#1", blob(1024 * 1024, "fill"), "填充.bin")
    checks.expect("a 1 MiB item kept whole", (True, True), (rep.get("ok"), rep.get("complete")))
    n_items, n_bytes = totals(no)
    over = case_bytes - n_bytes + 1
    checks.expect_true("what passes the case's bytes is under the item limit (8 MiB)",
                       0 < over <= 8 * 1024 * 1024, over)
    data = blob(1000, "over-bytes")
    rep = send_part(no, "lim-bytes@test#1", data, over, "cd" * 32, 0, "超出总量.pdf")
    checks.expect_true("an item passing the case's 10 MiB: refused case_bytes at its first part",
                       rep.get("ok") and str(rep.get("refused", "")).startswith("case_bytes")
                       and rep.get("complete") is False and rep.get("seq"), repr(rep))
    checks.expect_true("... the reason names the bytes held and the limit",
                       ("holds %d bytes" % n_bytes) in rep.get("refused", "")
                       and str(case_bytes) in rep.get("refused", ""), rep.get("refused"))
    rep2 = send_part(no, "lim-bytes@test#1", data, over, "cd" * 32, 1000, "超出总量.pdf")
    checks.expect("its next part: the same refusal, duplicate", (rep.get("seq"), True),
                  (rep2.get("seq"), rep2.get("duplicate")))
    # Fill the case to its 100 items with tiny ones, then one more.
    n_items, n_bytes = totals(no)
    for i in range(case_items - n_items):
        d = ("item %d" % i).encode()
        r = send_part(no, "lim-item-%d@test#1" % i, d, len(d), hashlib.sha256(d).hexdigest(), 0,
                      "小件%03d.txt" % i)
        if not r.get("complete"):
            checks.expect_true("tiny item %d kept" % i, False, repr(r))
            break
    checks.expect("the case holds exactly 100 items", case_items, totals(no)[0])
    d = b"one too many"
    rep = send_part(no, "lim-101@test#1", d, len(d), hashlib.sha256(d).hexdigest(), 0,
                    "第101件.txt")
    checks.expect_true("the 101st item: refused case_items",
                       rep.get("ok") and str(rep.get("refused", "")).startswith("case_items")
                       and "100" in rep.get("refused", ""), repr(rep))
    checks.expect("still 100 items kept", case_items, totals(no)[0])
    for name, code in (("超出总量.pdf", "case_bytes"), ("第101件.txt", "case_items")):
        r = refused_by_name(no, name)
        checks.expect("%s: a refused row, no bytes" % code, (code, "f"),
                      (r[9].split(":")[0], r[10]) if r else None)
    checks.expect("no parts left", 0, parts_left())
    rc, out, err = checks.run([A.ctl, "show", no])
    checks.expect_true("show: NOT KEPT with case_bytes and case_items",
                       "NOT KEPT: case_bytes" in out and "NOT KEPT: case_items" in out,
                       out[-800:])
    def refusals():
        return checks.events("type = 'complaint.evidence_refused' and complaint_no = :'no'",
                             no=no)

    def reasons():
        return [e[2]["data"].get("reason") for e in refusals()]
    checks.wait_for("complaint.evidence_refused: case_bytes and case_items on the stream",
                    lambda: "case_bytes" in reasons() and "case_items" in reasons(), 20)
    evs = refusals()
    checks.expect("the events carry no names", [],
                  [e for e in evs if "超出总量" in json.dumps(e, ensure_ascii=False)
                   or "第101件" in json.dumps(e, ensure_ascii=False)])


def finished(no):
    """The case withdrawn (by its handler, COMPLAINTS_TOKEN): refused case_finished."""
    rc, out, err = checks.run([A.ctl, "act", no, "withdraw", "--text", "客户撤回投诉"])
    checks.expect("the case withdrawn by its handler", 0, rc)
    d = pdf(2000, "after-the-end")
    rep = send_part(no, "fin@test#1", d, len(d), hashlib.sha256(d).hexdigest(), 0, "撤回后.pdf")
    checks.expect_true("an attachment for a withdrawn case: refused case_finished",
                       rep.get("ok") and str(rep.get("refused", "")).startswith("case_finished")
                       and "withdrawn" in rep.get("refused", ""), repr(rep))
    r = refused_by_name(no, "撤回后.pdf")
    checks.expect("a refused row, no bytes", ("case_finished", "f"),
                  (r[9].split(":")[0], r[10]) if r else None)
    checks.expect("no parts left", 0, parts_left())
    checks.wait_for("complaint.evidence_refused: case_finished on the stream",
                    lambda: "case_finished" in [
                        e[2]["data"].get("reason") for e in checks.events(
                            "type = 'complaint.evidence_refused' and complaint_no = :'no'",
                            no=no)], 20)


def shift(hours):
    checks.sql("select app_clock_set(now() + interval '%d hours', 1)" % hours)


def sweep():
    """Parts that never become whole: swept as incomplete under the shifted clock."""
    no = load("limited_no")
    x = blob(300 * 1024, "never-whole")
    y = blob(3 * 100 * 1024, "slow-but-whole")
    xsha, ysha = hashlib.sha256(x).hexdigest(), hashlib.sha256(y).hexdigest()
    cut = 100 * 1024
    r = send_part(no, "sweep-x@test#1", x[:cut], len(x), xsha, 0, "半截附件.pdf")
    checks.expect("X: its first part held", (True, False), (r.get("ok"), r.get("complete")))
    r = send_part(no, "sweep-y@test#1", y[:cut], len(y), ysha, 0, "慢慢来.pdf")
    checks.expect("Y: its first part held", (True, False), (r.get("ok"), r.get("complete")))
    checks.expect("the parts table: X's and Y's", 2, parts_left())
    checks.expect("the parts keep what the item declared (054)",
                  {("半截附件.pdf", "application/pdf", len(x), xsha, "mail"),
                   ("慢慢来.pdf", "application/pdf", len(y), ysha, "mail")},
                  set((r[0], r[1], int(r[2]), r[3], r[4]) for r in checks.sql_rows(
                      "select name, media_type, size, encode(sha256, 'hex'), uploader"
                      " from evidence_part")))
    shift(12)
    r = send_part(no, "sweep-y@test#1", y[cut:2 * cut], len(y), ysha, cut, "慢慢来.pdf")
    checks.expect("+12 h: Y's second part held", (True, False), (r.get("ok"), r.get("complete")))
    n = len(items(no))
    shift(25)
    checks.wait_sql("+25 h: X recorded as not kept by intake's sweep",
                    "select count(*) = 1 from evidence e join complaint c on c.id = e.complaint_id"
                    " where c.complaint_no = :'no' and e.source = 'sweep-x@test#1'", 20, no=no)
    row = refused_by_name(no, "半截附件.pdf")
    checks.expect_true("X: refused incomplete, its declared size and hash, the adapter as"
                       " uploader, no bytes",
                       row and row[9].startswith("incomplete: 102400 of 307200 bytes came in 1"
                                                 " part") and row[4] == str(len(x))
                       and row[5] == xsha and row[6] == "mail" and row[10] == "f", row)
    checks.expect("X's part gone; Y's two parts still there (its last part 13 h old)",
                  (0, 2), (checks.sql_int("select count(*) from evidence_part where source ="
                                          " 'sweep-x@test#1'"),
                           checks.sql_int("select count(*) from evidence_part where source ="
                                          " 'sweep-y@test#1'")))
    checks.expect("one row more on the case", n + 1, len(items(no)))
    audit = checks.sql_rows("select a.actor, a.actor_role, a.details->>'refused' from case_action a"
                            " join complaint c on c.id = a.complaint_id where c.complaint_no ="
                            " :'no' and a.action = 'evidence' and a.details->>'source' ="
                            " 'sweep-x@test#1'", no=no)
    checks.expect_true("the audit row: intake, system, the reason",
                       len(audit) == 1 and audit[0][0] == "intake" and audit[0][1] == "system"
                       and audit[0][2].startswith("incomplete"), audit)
    def incomplete_events():
        return [e for e in checks.events("type = 'complaint.evidence_refused'"
                                         " and complaint_no = :'no'", no=no)
                if e[2]["data"].get("reason") == "incomplete"]
    checks.wait_for("complaint.evidence_refused incomplete on the stream", incomplete_events, 20)
    evs = incomplete_events()
    checks.expect("... actor intake, role system, no name",
                  [("intake", "system", False)],
                  [(e[2]["data"].get("actor"), e[2]["data"].get("actor_role"),
                    "半截附件" in json.dumps(e, ensure_ascii=False)) for e in evs])
    tokens = checks.staff_tokens(os.path.join(os.environ["TEST_DIR"], "staff", "tokens.plain"))
    handler = checks.sql("select handler from complaint where complaint_no = :'no'", no=no)
    rc, out, err = checks.run([A.ctl, "show", no],
                              env=dict(os.environ, COMPLAINTS_TOKEN=tokens.get(handler, "")))
    checks.expect_true("show: NOT KEPT: incomplete", "NOT KEPT: incomplete" in out, out[-600:])
    # X's late part: the refused row again, nothing stored
    r = send_part(no, "sweep-x@test#1", x[cut:2 * cut], len(x), xsha, cut, "半截附件.pdf")
    checks.expect_true("X's late part: the refused row again (duplicate), not stored",
                       r.get("duplicate") and str(r.get("refused", "")).startswith("incomplete")
                       and parts_left() == 2, repr(r))
    r = send_part(no, "sweep-y@test#1", y[2 * cut:], len(y), ysha, 2 * cut, "慢慢来.pdf")
    checks.expect("Y's third part: Y whole, kept", (True, True), (r.get("ok"), r.get("complete")))
    import subprocess
    p = subprocess.run([A.ctl, "evidence", "get", no, str(r.get("seq"))], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE,
                       env=dict(os.environ, COMPLAINTS_TOKEN=tokens.get(handler, "")))
    checks.expect("Y byte for byte (as the case's handler)", ysha,
                  hashlib.sha256(p.stdout).hexdigest() if p.returncode == 0 else p.stderr)
    checks.expect("no parts left", 0, parts_left())
    checks.sql("select app_clock_set(now(), 1)")


def frozen():
    mid = "evidence-crash-%d@mail.example.net" % os.getpid()
    receipt = pdf(40 * 1024, "receipt")
    data = mail(mid, "ATM吞卡未退款", "ATM吞卡后款项未退回，回单见附件。",
                [("回单.pdf", "application", "pdf", receipt)])
    save("crash_mid", mid)
    save("crash.eml", data)
    code, text = mail_e2e.lmtp_send(data, sender=CUSTOMER)
    checks.expect("LMTP (intake frozen): the complaint accepted", 250, code)
    checks.expect("its message kept in evidence/ before the 250", 1,
                  len(glob.glob(os.path.join(A.dir, "evidence", "*.eml"))))


def crashed():
    mid = load("crash_mid")
    no, handler = wait_case(mid)
    save("crash_no", no)
    wait_items(no, 1, "after the kill -9 and restart, the attachment is on the case")
    rows = items(no)
    receipt = pdf(40 * 1024, "receipt")
    checks.expect("one item, whole, the exact bytes",
                  [("回单.pdf", hashlib.sha256(receipt).hexdigest(), mid + "#1", "t")],
                  [(r[2], r[5], r[8], r[10]) for r in rows])
    checks.wait_for("the adapter's spool drained", spool_drained, 20)


def staged():
    no = load("crash_no")
    found = None
    for path in glob.glob(os.path.join(A.dir, "spool", "done", "*.reply")):
        with open(path, "rb") as f:
            rep = msgpack.unpackb(f.read(), raw=False)
        if isinstance(rep, dict) and rep.get("complaint_no") == no and "source" not in rep:
            found = os.path.basename(path)[:-len(".reply")]
    checks.expect_true("the submit's answer is in spool/done/", found)
    if found:
        with open(os.path.join(A.dir, "evidence", found + ".eml"), "wb") as f:
            f.write(load("crash.eml", binary=True))


def resumed():
    no = load("crash_no")
    checks.wait_for("the restarted adapter spooled and sent the parts again", spool_drained, 30)
    checks.wait_for("intake answered them as duplicates",
                    lambda: (mail_e2e.metric(mail_e2e.metrics(), "complaints_spool_submitted_total",
                                             '{result="duplicate"}') or 0) >= 1, 20)
    checks.expect("still one item on the case", 1, len(items(no)))
    checks.expect("no parts left", 0, parts_left())


def limited():
    mid = "evidence-limit-%d@mail.example.net" % os.getpid()
    big, small = blob(150 * 1024, "over-limit"), pdf(20 * 1024, "under-limit")
    data = mail(mid, "贷款提前还款违约金争议", "提前还款被收取违约金，合同和录音截图见附件。",
                [("贷款合同扫描.pdf", "application", "pdf", small),
                 ("录音截图.bin", "application", "octet-stream", big)])
    code, text = mail_e2e.lmtp_send(data, sender=CUSTOMER)
    checks.expect("LMTP: a complaint with an attachment over the adapter's limit accepted",
                  250, code)
    no, handler = wait_case(mid)
    save("limited_no", no)
    wait_items(no, 2, "both attachments are listed on the case")
    # The two items are sent independently: their seq order is the order
    # intake finished them, so compare by name.
    rows = sorted(items(no), key=lambda r: r[2])
    checks.expect("the small one kept; the big one refused by the adapter, no bytes",
                  sorted([("贷款合同扫描.pdf", hashlib.sha256(small).hexdigest(), "", "t"),
                          ("录音截图.bin", hashlib.sha256(big).hexdigest(), "adapter_limit", "f")]),
                  [(r[2], r[5], r[9].split(":")[0], r[10]) for r in rows])
    reason = [r[9] for r in rows if r[9]]
    checks.expect_true("the reason names the size and the limit",
                       len(reason) == 1 and "153600 bytes" in reason[0] and "100000" in reason[0],
                       reason)
    tokens = checks.staff_tokens(os.path.join(os.environ["TEST_DIR"], "staff", "tokens.plain"))
    rc, out, err = checks.run([A.ctl, "show", no],
                              env=dict(os.environ, COMPLAINTS_TOKEN=tokens.get(handler, "")))
    checks.expect_true("show (as the case's handler): NOT KEPT with the adapter's reason",
                       "NOT KEPT: adapter_limit: the attachment is 153600 bytes" in out, out[-600:])
    evs = checks.wait_events("complaint.evidence_refused on the stream",
                             "type = 'complaint.evidence_refused' and complaint_no = :'no'", 1,
                             no=no)
    checks.expect("complaint.evidence_refused: adapter_limit", ["adapter_limit"],
                  [e[2]["data"].get("reason") for e in evs])
    checks.wait_for("the adapter's spool drained", spool_drained, 20)


if __name__ == "__main__":
    sys.exit(checks.step_main({"submit": submit, "check": check, "reply": reply, "keys": keys,
                               "frozen": frozen, "crashed": crashed, "staged": staged,
                               "resumed": resumed, "limited": limited, "limits": limits,
                               "finished": finished, "sweep": sweep},
                              ("--maildir", "--dir", "--lmtp-port", "--metrics-port", "--ctl",
                               "--out"), setup=setup))
