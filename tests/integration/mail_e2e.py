#!/usr/bin/python3
"""mail_e2e.py — the e-mail adapter end to end (issue 14 §3), and the
message generator and arrival checks its fault test uses (mail_faults.sh).

Steps (checks.step_main):
  corpus     every message of tests/data/mail dropped into the Maildir, and
             every complaint of it (its Message-ID made new: "lmtp-NAME@...")
             plus a bounce and a malformed one delivered over LMTP by
             Python's smtplib.LMTP — a client that is not ours. Checks: each
             complaint is in the store once, channel email, with its
             subject, body and language; LMTP answered 250 for each
             complaint and the bounce, 550 with the reason for the
             malformed one; automatic mail kept in automatic/, unparsable
             mail in quarantine/ with a .reason naming its code, the replies
             (no such case in this store) in quarantine/ too (unknown_case,
             not_found) — none a complaint; new/ empty, cur/ full;
             the spool drained; the adapter's metrics.
  feed N S   N generated messages over S seconds, half into the Maildir,
             half over LMTP (each LMTP delivery must be answered 250):
             used while intake is down. Their refs go to TEST_DIR/refs.
  drop N     N generated messages into the Maildir at once (refs appended).
  some N     wait until at least N of the refs are in the store.
  midway     (after a kill) not all are in the store, some left in new/.
  arrive     every ref in TEST_DIR/refs is in the store exactly once, and
             the spool's new/ is empty.
"""
import email
import email.utils
import hashlib
import glob
import json
import os
import re
import smtplib
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402

A = None


def setup(args):
    global A
    A = args


def maildir_put(name, data):
    """Deliver as an MTA does: write into tmp/, then rename into new/."""
    tmp = os.path.join(A.maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(A.maildir, "new", name))


def with_message_id(data, mid):
    """The message with its Message-ID replaced (or added)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    nl = b"\r\n" if sep == b"\r\n\r\n" else b"\n"
    lines = [l for l in head.split(nl) if not l.lower().startswith(b"message-id:")]
    return nl.join([b"Message-ID: <" + mid.encode() + b">"] + lines) + sep + body


def lmtp_send(data, sender="customer@example.com"):
    """One message over LMTP; (code, text) of the one recipient's reply."""
    with smtplib.LMTP("127.0.0.1", int(A.lmtp_port), timeout=30) as c:
        c.ehlo_or_helo_if_needed()
        try:
            refused = c.sendmail(sender, ["complaints@bank.example.cn"], data)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode(errors="replace")
        except smtplib.SMTPRecipientsRefused as e:
            code, text = list(e.recipients.values())[0]
            return code, text.decode(errors="replace")
        if refused:
            code, text = list(refused.values())[0]
            return code, text.decode(errors="replace")
        return 250, "ok"


def ref_of(data):
    """The ref the adapter must use, worked out here: the Message-ID
    without brackets, else "sha256:" and the hash of the message's bytes."""
    mid = (email.message_from_bytes(data).get("Message-ID") or "").strip()
    if mid.startswith("<") and mid.endswith(">"):
        mid = mid[1:-1]
    if mid and len(mid) <= 128:
        return mid
    return "sha256:" + hashlib.sha256(data).hexdigest()


def files(folder, pattern="*"):
    return sorted(glob.glob(os.path.join(A.dir, folder, pattern)))


def metrics():
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % A.metrics_port, timeout=5) as r:
        return r.read().decode()


def metric(text, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return float(m.group(1)) if m else None


def corpus():
    expects = {}
    for path in sorted(glob.glob(os.path.join(A.corpus, "*.expect.json"))):
        name = os.path.basename(path)[:-len(".expect.json")]
        with open(path) as f:
            expects[name] = json.load(f)
    complaints = {n: e for n, e in expects.items() if e["kind"] == "complaint"}
    kinds = {}
    for name, e in expects.items():
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    checks.note("corpus: %s" % kinds)

    # The Maildir: every message, as it is.
    for name in expects:
        with open(os.path.join(A.corpus, name + ".eml"), "rb") as f:
            maildir_put("%d.%s.corpus" % (time.time(), name), f.read())

    # LMTP: every complaint again under a new Message-ID, a bounce, a malformed one.
    want = {}                               # ref -> expectation
    for name, e in complaints.items():
        with open(os.path.join(A.corpus, name + ".eml"), "rb") as f:
            data = f.read()
        want[ref_of(data)] = e
        mid = "lmtp-%s@test.example" % name
        code, text = lmtp_send(with_message_id(data, mid))
        checks.expect("LMTP reply to complaint %s" % name, 250, code)
        want[mid] = e
    with open(os.path.join(A.corpus, "bounce.eml"), "rb") as f:
        code, text = lmtp_send(f.read(), sender="")
    checks.expect("LMTP reply to a bounce (kept, never bounced back)", 250, code)
    with open(os.path.join(A.corpus, "no_separator.eml"), "rb") as f:
        code, text = lmtp_send(with_message_id(f.read(), "lmtp-bad@test.example"))
    checks.expect("LMTP reply to a malformed message", 550, code)
    checks.expect_true("the 550 says why (malformed_header)", "malformed_header" in text, text)

    # Every complaint in the store, once, with its fields.
    refs = list(want)
    checks.wait_sql("all %d complaints in the store" % len(refs),
                    "select count(*) = %d from complaint where channel = 'email'" % len(refs),
                    60)
    # one line a row: the body's line breaks (and psql's "|") made spaces
    rows = checks.sql_rows("select ref, translate(coalesce(subject, ''), E'|\\n\\r', '   '), lang,"
                           " translate(body, E'|\\n\\r', '   '),"
                           " count(*) over (partition by ref)"
                           " from complaint where channel = 'email'")
    got = {r[0]: r for r in rows}
    checks.expect("complaints in the store by ref", sorted(refs), sorted(got))
    for ref, e in want.items():
        r = got.get(ref)
        if not r:
            continue
        checks.expect("%s: one complaint" % ref, "1", r[4])
        if "subject" in e:
            checks.expect("%s: subject" % ref, e["subject"], r[1])
        if "lang" in e.get("submit", {}):
            checks.expect("%s: lang" % ref, e["submit"]["lang"], r[2])
        for words in e.get("body_contains", []):
            words = words.translate(str.maketrans("|\n\r", "   "))
            checks.expect_true("%s: body holds %r" % (ref, words[:20]), words in r[3])

    # The others: kept where they belong, none a complaint.
    n_auto = sum(1 for e in expects.values() if e["kind"] == "automatic") + 1
    n_bad = sum(1 for e in expects.values() if e["kind"] == "unparsable") + 1
    n_reply = sum(1 for e in expects.values() if e["kind"] == "reply")
    checks.expect("automatic mail kept in automatic/", n_auto, len(files("automatic", "*.eml")))
    # The corpus's replies name cases this store does not have: the two
    # answering an old notifier Message-ID (no number in it) are quarantined
    # at once (unknown_case), the one naming a number in its subject once
    # intake answered not_found (mail_reply covers replies on real cases).
    checks.wait_for("the corpus's replies moved to quarantine/ (no such case here)",
                    lambda: not files("replies", "*.eml"), 30)
    checks.expect("unparsable mail and replies without a case in quarantine/", n_bad + n_reply,
                  len(files("quarantine", "*.eml")))
    reasons = files("quarantine", "*.reason")
    checks.expect("a .reason beside each quarantined message", n_bad + n_reply, len(reasons))
    codes = set()
    for path in reasons:
        with open(path) as f:
            m = re.search(r"^code=(\S+)$", f.read(), re.M)
            codes.add(m.group(1) if m else None)
    want_codes = {e["code"] for e in expects.values() if e["kind"] == "unparsable"}
    want_codes |= {"unknown_case", "not_found"}
    checks.expect("the reasons name each unparsable message's code", sorted(want_codes),
                  sorted(codes))
    checks.expect("Maildir new/ is empty", [], os.listdir(os.path.join(A.maildir, "new")))
    checks.expect("every Maildir message is in cur/, flagged seen", len(expects),
                  len(glob.glob(os.path.join(A.maildir, "cur", "*:2,S"))))
    checks.wait_for("the spool's new/ drained",
                    lambda: not os.listdir(os.path.join(A.dir, "spool", "new")), 30)
    # The sender counts an answer just after it moves the entry out of
    # new/: wait for the count, never read it once.
    checks.wait_for("complaints_spool_submitted_total accepted >= %d" % len(refs),
                    lambda: (metric(metrics(), "complaints_spool_submitted_total",
                                    '{result="accepted"}') or 0) >= len(refs), 10)
    text = metrics()
    checks.expect_ge("complaints_spool_submitted_total accepted", len(refs),
                     metric(text, "complaints_spool_submitted_total", '{result="accepted"}') or 0)
    # The depth gauge is refreshed once a second: wait for it, never read it once.
    checks.wait_for("complaints_spool_depth falls to 0",
                    lambda: metric(metrics(), "complaints_spool_depth") == 0, 10)
    checks.expect("complaints_mail_messages_total lmtp complaints", len(complaints),
                  metric(text, "complaints_mail_messages_total",
                         '{source="lmtp",result="complaint"}'))
    checks.expect("complaints_mail_messages_total maildir unparsable", n_bad - 1,
                  metric(text, "complaints_mail_messages_total",
                         '{source="maildir",result="unparsable"}'))


def generated(tag, i):
    mid = "%s-%d-%d@faults.test" % (tag, os.getpid(), i)
    msg = ("From: =?UTF-8?B?5p2O5Zub?= <li.si.%d@example.com>\r\n"
           "To: complaints@bank.example.cn\r\n"
           "Subject: fault test %s %d\r\n"
           "Date: %s\r\n"
           "Message-ID: <%s>\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n"
           "我的信用卡被多扣了年费 %d 元，请退还。\r\n") % (
        i, tag, i, email.utils.formatdate(localtime=True), mid, i)
    return mid, msg.encode()


def save_refs(refs):
    with open(os.path.join(os.environ["TEST_DIR"], "refs"), "a") as f:
        for r in refs:
            f.write(r + "\n")


def load_refs():
    with open(os.path.join(os.environ["TEST_DIR"], "refs")) as f:
        return [l.strip() for l in f if l.strip()]


def feed(n, seconds):
    n, seconds = int(n), float(seconds)
    refs, lmtp_ok = [], 0
    start = time.monotonic()
    for i in range(n):
        mid, data = generated("feed", i)
        if i % 2:
            code, text = lmtp_send(data)
            lmtp_ok += code == 250
            if code != 250:
                checks.note("LMTP %d %s" % (code, text))
        else:
            maildir_put("%d.feed%d.test" % (time.time(), i), data)
        refs.append(mid)
        # spread over the period
        wait = start + seconds * (i + 1) / n - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    save_refs(refs)
    checks.expect("LMTP deliveries answered 250 while intake was down", n // 2, lmtp_ok)
    checks.wait_for("the Maildir messages taken while intake was down",
                    lambda: not os.listdir(os.path.join(A.maildir, "new")), 30)
    in_store = checks.sql_int("select count(*) from complaint where ref like 'feed-%%'")
    checks.expect("none in the store yet (intake is down)", 0, in_store)


def drop(n):
    refs = []
    for i in range(int(n)):
        mid, data = generated("drop", i)
        maildir_put("%d.drop%d.test" % (time.time(), i), data)
        refs.append(mid)
    save_refs(refs)
    checks.ok("%d messages dropped into the Maildir" % len(refs))


def some(n):
    refs = load_refs()
    checks.wait_for("at least %s of %d in the store" % (n, len(refs)),
                    lambda: checks.sql_int("select count(*) from complaint where channel = 'email'")
                    >= int(n), 60, 0.02)


def midway():
    """Right after the kill: work was left undone (the kill was mid-spool)."""
    refs = load_refs()
    n = checks.sql_int("select count(*) from complaint where channel = 'email'")
    checks.expect_le("complaints in the store when the adapter was killed", len(refs) - 1, n)
    left = len(os.listdir(os.path.join(A.maildir, "new"))) \
        + len(os.listdir(os.path.join(A.dir, "spool", "new")))
    checks.expect_ge("messages left in the Maildir's new/ and the spool's new/", 1, left)


def arrive():
    refs = load_refs()
    checks.wait_sql("all %d messages in the store" % len(refs),
                    "select count(distinct ref) = %d from complaint where channel = 'email'"
                    % len(refs), 120)
    rows = checks.sql_rows("select ref, count(*) from complaint where channel = 'email'"
                           " group by ref")
    counts = {r[0]: int(r[1]) for r in rows}
    missing = [r for r in refs if r not in counts]
    twice = [r for r, c in counts.items() if c != 1]
    checks.expect("messages lost", [], missing)
    checks.expect("messages stored more than once", [], twice)
    checks.expect("complaints in the store", len(refs), sum(counts.values()))
    checks.wait_for("the spool's new/ drained",
                    lambda: not os.listdir(os.path.join(A.dir, "spool", "new")), 30)


if __name__ == "__main__":
    sys.exit(checks.step_main(
        {"corpus": corpus, "feed": feed, "drop": drop, "some": some, "midway": midway,
         "arrive": arrive},
        options=("--corpus", "--maildir", "--dir", "--lmtp-port", "--metrics-port"),
        setup=setup))
