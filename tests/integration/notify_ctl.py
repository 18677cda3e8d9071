#!/usr/bin/python3
"""notify_ctl.py — the checks of tests/integration/notify_ctl.sh (issue 5:
`complaintctl notifications` and `complaintctl optout`), against a running
bus, intake, router and notifier. Like e2e_import.py it runs the client it
checks; the shell starts the services and the SMTP server between steps.

    notify_ctl.py --ctl complaintctl --sink smtp_sink.py --mail DIR --out DIR STEP

    ab   (no SMTP server, --max-attempts 1) two complaints; every e-mail
         row dead; `notifications` lists them masked (text, --json,
         filters, --summary); `show ID` prints subject and body as stored;
         no address whole in any output
    c    (the server back) `retry ID`: sent once, attempts from 0,
         retried_by, one notification.retried event; refusals: a sent row,
         an unknown id, a bad --state, retry with nothing (exit 1, 1, 2, 2)
    d    `retry --dead`: every e-mail row sent, the mailbox holds each once
    e    `optout` add / list / remove by pseudonym across a customer's
         complaints; a bad channel exit 2, an unknown complaint exit 1

The figures a later step needs (complaint numbers, the row retried) are
kept between runs (checks.mark_save).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import (expect, expect_ge, expect_true, note, sql, sql_int,  # noqa: E402
                    wait_sql)
from client import damm  # noqa: E402

ARGS = None
MARKS = "notify_ctl"


def ctl(*argv, name=None):
    """complaintctl ARGV: (exit status, stdout, stderr); the output is kept
    in --out/NAME (and NAME.err) for the no-address check and a post-mortem."""
    rc, out, err = checks.run([ARGS.ctl] + list(argv))
    if name:
        with open(os.path.join(ARGS.out, name), "w") as f:
            f.write(out)
        with open(os.path.join(ARGS.out, name + ".err"), "w") as f:
            f.write(err)
    return rc, out, err


def report():
    rc, out, _ = checks.run([sys.executable, ARGS.sink, "report", "--dir", ARGS.mail])
    return checks.jsonl(out) if rc == 0 else []


def submit(ref, email, phone, idno):
    rc, out, err = ctl("submit", "--channel", "web", "--ref", ref, "--lang", "zh",
                       "--product", "信用卡", "--email", email, "--phone", phone, "--id-no", idno,
                       "--name", "客户-" + ref, "--body", "信用卡年费被多扣，请退还 " + ref)
    no = (checks.jsonl(out) or [{}])[0].get("complaint_no", "")
    expect_true("submit %s: a complaint number" % ref, no, err.strip()[-200:])
    return no


def match(desc, pattern, text, flags=0):
    return expect_true("%s: /%s/" % (desc, pattern), re.search(pattern, text, flags), text[-300:])


EMAIL_SETTLED = """select (select count(*) from notification where channel = 'email'
                            and state not in ('sent', 'dead', 'suppressed'))
                       + (select count(*) from outbox)
                       + (select count(*) from event_log
                           where seq > (select last_seq from notifier_cursor)) = 0"""


# ------------------------------------------------------------------ a, b

def step_ab():
    no1 = submit("r1", "cust.r1@example.com", "13812345678", "110101199001011234")
    no2 = submit("r2", "cust.r2@example.com", "13912340002", "110101199002021111")
    wait_sql("2 complaints assigned",
             "select count(*) >= 2 from complaint where state = 'assigned'", 20)
    wait_sql("2 e-mail rows", "select count(*) >= 2 from notification where channel = 'email'", 20)
    wait_sql("every e-mail row decided (dead or sent), the log consumed", EMAIL_SETTLED, 30)
    n_dead = sql_int("select count(*) from notification where state = 'dead'")
    n_email = sql_int("select count(*) from notification where channel = 'email'")
    expect("every e-mail row is dead (no server, --max-attempts 1)", n_email,
           sql_int("select count(*) from notification where channel = 'email' and state = 'dead'"))
    expect_ge("e-mail rows (receipts and handler e-mails)", 2, n_email)

    rc, out, _ = ctl("notifications", "--state", "dead", name="dead.txt")
    expect("notifications --state dead: exit status", 0, rc)
    expect("notifications --state dead: one line per dead row (and a header)", n_dead + 1,
           len(out.splitlines()))
    match("the receipt of %s is listed, its address sealed (the tool holds no key)" % no1,
          r"%s .*customer .*email +\(sealed\) +dead" % no1, out)
    rc, out, _ = ctl("notifications", "--state", "dead", "--json", name="dead.json")
    rows = checks.jsonl(out)
    expect("--json: one object per dead row", n_dead, len(rows))
    ids = [r["id"] for r in rows]
    expect("--json: every row dead, newest first", "dead true",
           "%s %s" % (",".join(sorted({r["state"] for r in rows})),
                      str(ids == sorted(ids, reverse=True)).lower()))
    expect("--json: customer addresses sealed", ["(sealed)", "(sealed)"],
           [r["address"] for r in rows if r["recipient_kind"] == "customer"])
    expect_true("--json: the last error is kept (the transport's)",
                rows and all(r.get("last_error") for r in rows))
    rc, out, _ = ctl("notifications", "--complaint", no1, "--channel", "email", "--limit", "1",
                     "--json", name="filter.json")
    expect("--complaint --channel --limit 1: one row of %s" % no1, [(no1, "email")],
           [(r["complaint_no"], r["channel"]) for r in checks.jsonl(out)])
    rc, out, _ = ctl("notifications", "--summary", name="summary.txt")
    expect("--summary: exit status", 0, rc)
    match("--summary: the dead row of the table counts every dead row",
          r"^dead +.* %d$" % n_dead, out, re.M)
    rc, out, _ = ctl("notifications", "--summary", "--json", name="summary.json")
    expect("--summary --json: dead e-mail = %d" % n_email, n_email,
           (json.loads(out or "{}").get("counts") or {}).get("dead", {}).get("email"))

    # b: show
    id1 = sql("select id from notification where complaint_no = :'no'"
              " and recipient_kind = 'customer' and channel = 'email'", no=no1)
    rc, out, _ = ctl("notifications", "show", id1, name="show.txt")
    expect("show %s: exit status" % id1, 0, rc)
    subject = sql("select subject from notification where id = :'id'", id=id1)
    expect("show: the subject as stored", ["subject: " + subject],
           [line for line in out.splitlines() if line.startswith("subject: ")])
    # A customer's message is sealed in the store (it holds their query
    # code): the tool, which holds no key, says so instead of printing it.
    body = sql("select body from notification where id = :'id'", id=id1)
    expect_true("the customer's message is stored sealed", body.startswith("sealed:"), body[:40])
    lines = out.splitlines()
    shown = lines[lines.index("body:") + 1:] if "body:" in lines else []
    expect("show: the body says it is sealed, and nothing of it",
           ["(sealed: a message to the customer; only the notifier can open it)"], shown)
    expect_true("show: the complaint number is shown", no1 in out)
    # the case in the Message-ID since migration 025 (a reply names it)
    match("show: the message id", r"message id +<n%s\.[0-9]+\.%s\.[0-9a-f]{8}@complaints\.local>"
          % (id1, no1), out)
    expect_true("show: the state, and the customer's address sealed (the tool has no key)",
                re.search(r"state +dead", out) and re.search(r"address +\(sealed\)", out))
    rc, out, _ = ctl("notifications", "show", id1, "--json", name="show.json")
    view = json.loads(out or "{}")
    expect("show --json: subject, body (sealed), attempts, retried_by", [True, True, 1, None],
           [bool(view.get("subject")), (view.get("body") or "").startswith("(sealed"),
            view.get("attempts"), view.get("retried_by")])
    expect("addresses printed whole in the tool's output", [], whole_addresses())
    checks.mark_save(MARKS, "ab", {"no1": no1, "no2": no2, "id1": id1, "n_email": n_email})


def whole_addresses():
    """Addresses of the store that appear whole in anything the tool printed."""
    printed = ""
    for name in sorted(os.listdir(ARGS.out)):
        with open(os.path.join(ARGS.out, name), errors="replace") as f:
            printed += f.read()
    addrs = [a for a in sql("select distinct address from notification"
                            " where address is not null").split("\n") if a]
    return [a for a in addrs if a in printed]


# ------------------------------------------------------------------ c, d

def step_c():
    m = checks.mark_load(MARKS, "ab")
    no1, id1 = m["no1"], m["id1"]
    rc, out, err = ctl("notifications", "retry", id1, "--by", "tester", name="retry1.txt")
    expect("retry %s: exit status" % id1, 0, rc)
    match("retry: says what it retried", "retried %s: was dead after 1 attempt" % id1, out + err)
    wait_sql("the retried row %s sent" % id1,
             "select state = 'sent' from notification where id = :'id'", 20, id=id1)
    expect("after retry: sent, attempts counted from 0, retried_by", "sent|1|tester",
           sql("select state, attempts, retried_by from notification where id = :'id'", id=id1))
    expect("the receipt reached the customer once", 1,
           sum(1 for r in report() if r["rcpt"] == "cust.r1@example.com"))
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 10)
    evs = [dict(ev["data"], complaint_no=ev["complaint_no"]) for _, _, ev in
           checks.events("type = 'notification.retried'")]
    mine = [e for e in evs if str(e.get("id")) == id1]
    expect("one notification.retried event for %s" % id1, 1, len(mine))
    e = mine[0] if mine else {}
    expect("its data: channel, kind, attempts before the reset, by, complaint",
           ["email", "customer", 1, "tester", no1],
           [e.get(k) for k in ("channel", "recipient_kind", "attempts", "by", "complaint_no")])
    expect("its data carries no address", [],
           [s for s in checks.strings(mine) if "@" in s])

    rc, out, err = ctl("notifications", "retry", id1, name="retry_sent.txt")
    expect("retry of a sent row: exit 1", 1, rc)
    match("retry of a sent row: names its state", "notification %s is sent" % id1, err)
    rc, out, err = ctl("notifications", "retry", "99999999")
    expect("retry of an unknown id: exit 1", 1, rc)
    match("retry of an unknown id: says so", "no notification 99999999", err)
    rc, _, _ = ctl("notifications", "show", "99999999")
    expect("show of an unknown id: exit 1", 1, rc)
    rc, out, err = ctl("notifications", "--state", "bogus")
    expect("--state bogus: exit 2", 2, rc)
    match("--state bogus: names the field", "--state 'bogus' is not one of", err)
    rc, _, _ = ctl("notifications", "retry")
    expect("retry without ids or --dead: exit 2", 2, rc)


def step_d():
    n_email = checks.mark_load(MARKS, "ab")["n_email"]
    n_dead = sql_int("select count(*) from notification where state = 'dead'")
    rc, out, err = ctl("notifications", "retry", "--dead", "--by", "tester", name="retry_dead.txt")
    expect("retry --dead: exit status", 0, rc)
    last = (out + err).strip().split("\n")[-1]
    match("retry --dead: retried every dead row", r"^retried %d dead notifications?$" % n_dead, last)
    wait_sql("every e-mail row sent after retry --dead",
             "select count(*) = 0 from notification where channel = 'email' and state <> 'sent'", 30)
    expect("every e-mail row sent, retried_by set on each", "%d|%d" % (n_email, n_email),
           sql("select count(*) filter (where state = 'sent'),"
               " count(*) filter (where retried_by = 'tester')"
               " from notification where channel = 'email'"))
    rep = report()
    expect("the mailbox: one message per e-mail row", n_email, len({r["message_id"] for r in rep}))
    expect("the mailbox: no message twice", len(rep), len({r["message_id"] for r in rep}))
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 10)
    expect("notification.retried events: one per row retried", 1 + n_dead,
           sql_int("select count(*) from event_log where type = 'notification.retried'"))
    rc, out, _ = ctl("notifications", "--state", "dead", name="dead_after.txt")
    expect("no dead e-mail row is listed any more", 0,
           sum(1 for line in out.splitlines() if " email " in line))


# ------------------------------------------------------------------ e

def step_e():
    m = checks.mark_load(MARKS, "ab")
    no1, no2 = m["no1"], m["no2"]
    # the same customer (phone and ID number) complains again
    no3 = submit("r3", "cust.r1@example.com", "13812345678", "110101199001011234")
    expect("the same customer: one pseudonym for %s and %s" % (no1, no3), 1,
           sql_int("select count(distinct customer_pseudonym) from complaint"
                   " where complaint_no in (:'a', :'b')", a=no1, b=no3))
    rc, _, _ = ctl("optout", "add", no1, "sms", "--reason", "客户来电要求不发短信", "--by", "tester",
                   name="optout_add.txt")
    expect("optout add %s sms: exit status" % no1, 0, rc)
    expect("one customer_optout row, keyed by the pseudonym", "1|sms|%s|tester" % no1,
           sql("select count(*), min(o.channel), min(o.complaint_no), min(o.created_by)"
               " from customer_optout o join complaint c"
               " on c.customer_pseudonym = o.customer_pseudonym"
               " where c.complaint_no = :'no'", no=no1))
    rc, _, _ = ctl("optout", "add", no1, "sms", "--reason", "again", "--by", "tester2")
    expect("optout add again: exit 0 (idempotent)", 0, rc)
    expect("optout add again: still one row, reason and by updated", "1|again|tester2",
           sql("select count(*), min(reason), min(created_by) from customer_optout"))
    rc, out, _ = ctl("optout", "list", no3, "--json", name="optout_list3.json")
    rows = checks.jsonl(out)
    expect("optout list %s (the second complaint) shows the opt-out made via %s" % (no3, no1),
           [["sms", no1, "again", "tester2"]],
           [[r.get(k) for k in ("channel", "complaint_no", "reason", "by")] for r in rows])
    pseudonym = sql("select customer_pseudonym from complaint where complaint_no = :'no'", no=no1)
    expect("the list shows the pseudonym's first 8 characters only", [pseudonym[:8]],
           [r.get("pseudonym") for r in rows])
    rc, out, _ = ctl("optout", "list", name="optout_list.txt")
    match("optout list (text): pseudonym…, channel, complaint",
          "^%s… +sms +%s " % (pseudonym[:8], no1), (out.strip().split("\n") or [""])[-1])
    rc, out, _ = ctl("optout", "list", no2)
    expect("optout list %s (another customer): none" % no2,
           "no opt-outs for the customer of %s" % no2, out.strip())
    rc, _, err = ctl("optout", "add", no1, "fax")
    expect("optout add with channel fax: exit 2", 2, rc)
    match("optout add fax: names the field", "channel 'fax' is not one of email, sms, push", err)
    base = "20200101999999"
    unknown = next(base + str(d) for d in range(10) if damm(base + str(d)) == 0)
    rc, _, err = ctl("optout", "add", unknown, "sms")
    expect("optout add for an unknown complaint: exit 1", 1, rc)
    match("optout add unknown: names the complaint", "no complaint %s" % unknown, err)
    rc, _, _ = ctl("optout", "remove", no3, "sms", name="optout_remove.txt")
    expect("optout remove through %s: exit 0" % no3, 0, rc)
    expect("optout remove: the row is gone", 0, sql_int("select count(*) from customer_optout"))
    rc, _, _ = ctl("optout", "remove", no3, "sms")
    expect("optout remove again: exit 1 (nothing to remove)", 1, rc)
    rc, out, _ = ctl("optout", "list", no1)
    expect("optout list %s after remove: none" % no1,
           "no opt-outs for the customer of %s" % no1, out.strip())
    expect("--help: exit 0 for both", [0, 0],
           [ctl("optout", "--help")[0], ctl("notifications", "--help")[0]])
    expect("addresses printed whole in the tool's output", [], whole_addresses())


STEPS = {"ab": step_ab, "c": step_c, "d": step_d, "e": step_e}


def setup(args):
    global ARGS
    ARGS = args
    os.makedirs(ARGS.out, exist_ok=True)
    note("notify_ctl.py %s" % ARGS.step)


def main():
    return checks.step_main(STEPS, ("--ctl", "--sink", "--mail", "--out"), setup,
                            lambda step, args: step())


if __name__ == "__main__":
    sys.exit(main())
