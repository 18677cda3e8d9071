#!/usr/bin/python3
"""reject_merge.py — issue 16 §1 "Merging": the rejection notice and
merging a duplicate after acceptance, against a running bus, intake, router
and a notifier writing to an smtp-sink (reject_merge.sh describes the
steps). Every action is `complaintctl act` as a named person (lifecycle.py's
helpers); the customer's messages are read decoded from the sink's folder.

    reject_merge.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR --mail DIR

Every check is counted (checks.py); exits 1 if any failed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_for, wait_sql  # noqa: E402
from lifecycle import NO_TOKEN, ctl, handler, step, wait_assigned  # noqa: E402

MAIL = [None]
BODY = "信用卡年费被重复收取，要求退还。"


def submit(ref, lang, email, phone):
    """A new complaint's number: a web complaint of the customer with this
    e-mail and phone (two submissions with the same ones are one customer)."""
    rc, out, err = ctl(NO_TOKEN, "submit", "--channel", "web", "--ref", ref, "--lang", lang,
                       "--product", "信用卡", "--body", BODY, "--email", email, "--phone", phone,
                       "--name", "测试客户-" + ref)
    no = (checks.jsonl(out) or [{}])[0].get("complaint_no", "")
    expect_true("%s: a complaint number" % ref, re.fullmatch(r"[0-9]{15,}", no),
                "%r %s" % (no, err.strip()[-200:]))
    return no if wait_assigned(no) else None


def mails(no, word):
    """The decoded e-mails about complaint NO (its number in the subject)
    whose subject or body holds WORD."""
    return [(s, b) for s, b in checks.mail_texts(MAIL[0]) if no in s and word in s + b]


def one_mail(desc, no, word):
    """Wait for the one e-mail about NO holding WORD; its (subject, body)."""
    wait_for(desc + ": the e-mail arrives", lambda: mails(no, word), 20)
    got = mails(no, word)
    expect(desc + ": exactly one such e-mail", 1, len(got))
    if got:
        note("  %s: %s // %s" % (no, got[0][0], got[0][1].replace("\n", " / ")))
    return got[0] if got else ("", "")


def step_reject():
    note("--- reject: the customer told why (不予受理)")
    first = submit("rj-1", "zh", "rj.cust@example.com", "13800000161")
    dup = submit("rj-2", "zh", "rj.cust@example.com", "13800000161")
    other = submit("rj-3", "en", "rj.other@example.com", "13800000162")
    if not (first and dup and other):
        return
    step("reject dup", "rejected", handler(dup), dup, "reject", "--reason", "duplicate",
         "--duplicate-of", first, "--text", "与前一件投诉重复")
    s, b = one_mail("reject (zh, duplicate)", dup, "不予受理")
    expect_true("reject (zh): the subject says not accepted, with the number",
                "未予受理" in s and dup in s, s)
    expect_true("reject (zh): the reason in words, naming the open complaint it duplicates",
                "原因：与您尚在处理中的投诉 %s 内容相同" % first in b, b)
    expect_true("reject (zh): where to go if they disagree (us, the regulator, mediation...)",
                all(w in b for w in ("如您对此决定有异议", "监管部门", "调解", "仲裁", "诉讼")),
                b)
    expect_true("reject (zh): no code word, no placeholder, not the staff's text",
                all(w not in b for w in ("duplicate", "{{", "与前一件投诉重复", " - ")), b)
    step("reject other (outside_scope)", "rejected", handler(other), other, "reject",
         "--reason", "outside_scope")
    s, b = one_mail("reject (en, outside_scope)", other, "not accepted")
    expect_true("reject (en): the reason in English words",
                "Why: the matter is not part of this bank's business." in b, b)
    expect_true("reject (en): where to go if they disagree",
                all(w in b for w in ("If you", "disagree", "regulator", "mediation")), b)
    expect_true("reject (en): no code word, no placeholder",
                all(w not in b for w in ("outside_scope", "{{")), b)
    wait_sql("reject: one customer notification row per rejection (e-mail)",
             "select count(*) = 2 from notification where complaint_no in (:'a', :'b')"
             " and event_type = 'complaint.rejected' and recipient_kind = 'customer'"
             " and channel = 'email'", 20, a=dup, b=other)
    return first


def main():
    args = lifecycle.start("--mail")
    if not args:
        return checks.status()
    MAIL[0] = args.mail
    step_reject()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
