#!/usr/bin/python3
"""reject_merge.py — issue 16 §1 "Merging": the rejection notice and
merging a duplicate after acceptance, against a running bus, intake, router
and a notifier writing to an smtp-sink (reject_merge.sh describes the
steps). Every action is `complaintctl act` as a named person (lifecycle.py's
helpers); the customer's messages are read decoded from the sink's folder.

    reject_merge.py --ctl complaintctl --tokens tokens.plain --directory FILE --out DIR --mail DIR

Every check is counted (checks.py); exits 1 if any failed.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import client  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_true, note, sql, wait_for, wait_sql  # noqa: E402
from lifecycle import (LAST_ERR, NO_TOKEN, ctl, dept, handler, refused, staff_in, step,  # noqa: E402
                       wait_assigned)

MAIL = [None]
CODES = {}                  # complaint number -> the customer's query code
BODY = "信用卡年费被重复收取，要求退还。"


def submit(ref, lang, email, phone):
    """A new complaint's number: a web complaint of the customer with this
    e-mail and phone (two submissions with the same ones are one customer)."""
    rc, out, err = ctl(NO_TOKEN, "submit", "--channel", "web", "--ref", ref, "--lang", lang,
                       "--product", "信用卡", "--body", BODY, "--email", email, "--phone", phone,
                       "--name", "测试客户-" + ref)
    reply = (checks.jsonl(out) or [{}])[0]
    no = reply.get("complaint_no", "")
    CODES[no] = reply.get("query_code", "")
    expect_true("%s: a complaint number" % ref, re.fullmatch(r"[0-9]{15,}", no),
                "%r %s" % (no, err.strip()[-200:]))
    return no if wait_assigned(no) else None


def says(desc, *words):
    expect_true(desc, all(w in LAST_ERR[0] for w in words), LAST_ERR[0].strip()[-300:])


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


def clocks(no):
    """The case's clocks: "stage:state" sorted, space-separated."""
    return sql("select string_agg(k.stage || ':' || k.state, ' ' order by k.stage, k.round)"
               " from sla_clock k join complaint c on c.id = k.complaint_id"
               " where c.complaint_no = :'no'", no=no)


def show(who, no):
    rc, out, err = ctl(who, "show", no)
    expect("show %s: exit status" % no, 0, rc)
    return [line.split() for line in out.splitlines()]


def step_merge():
    note("--- merge: a duplicate found after acceptance (合并处理)")
    target = submit("mg-1", "zh", "mg.cust@example.com", "13800000163")
    dup = submit("mg-2", "zh", "mg.cust@example.com", "13800000163")
    closed = submit("mg-3", "zh", "mg.cust@example.com", "13800000163")
    stranger = submit("mg-4", "zh", "mg.other@example.com", "13800000164")
    if not (target and dup and closed and stranger):
        return
    h = handler(dup)
    sv = staff_in(dept(dup), "supervisor")
    step("merge: accept the duplicate", "accepted", h, dup, "accept")
    step("merge: investigate", "investigating", h, dup, "investigate")
    step("merge: reject mg-3 (not open afterwards)", "rejected", handler(closed), closed,
         "reject", "--reason", "not_a_complaint")
    wait_sql("merge: the watchdog runs the duplicate's clocks", "select count(*) > 0 from"
             " sla_clock k join complaint c on c.id = k.complaint_id where c.complaint_no ="
             " :'no' and k.state = 'running'", 20, no=dup)
    refused("merge: by its handler", 1, "forbidden", h, dup, "merge", "--duplicate-of", target)
    refused("merge: without duplicate_of (the tool's check)", 2, None, sv, dup, "merge")
    says("merge: the refusal names duplicate_of", "duplicate")
    refused("merge: into itself", 1, "invalid_field", sv, dup, "merge", "--duplicate-of", dup)
    says("merge: ... says why", "duplicate_of", "itself")
    unknown = client.complaint_no("20991231999999")     # well formed, never issued
    refused("merge: into an unknown number", 1, "invalid_field", sv, dup, "merge",
            "--duplicate-of", unknown)
    says("merge: ... names it", "duplicate_of", "no complaint has number " + unknown)
    refused("merge: into a case not open (rejected)", 1, "invalid_field", sv, dup, "merge",
            "--duplicate-of", closed)
    says("merge: ... says it is not open", "duplicate_of", "not open")
    refused("merge: into another customer's open case", 1, "invalid_field", sv, dup, "merge",
            "--duplicate-of", stranger)
    says("merge: ... says it is another customer's", "duplicate_of", "another customer")
    step("merge: by the supervisor", "rejected", sv, dup, "merge", "--duplicate-of", target,
         "--text", "与 mg-1 同一事项 SECRET-MERGE-NOTE")
    expect("merge: reject_reason merged, duplicate_of the target", "merged|" + target,
           sql("select reject_reason || '|' || duplicate_of from complaint"
               " where complaint_no = :'no'", no=dup))
    expect("merge: the target is untouched (still open)", "assigned",
           sql("select state from complaint where complaint_no = :'no'", no=target))
    refused("merge: a second time (from rejected)", 1, "invalid_transition", sv, dup, "merge",
            "--duplicate-of", target)
    wait_sql("merge: the outbox drained", "select count(*) = 0 from outbox", 15)
    ev = checks.events("complaint_no = :'no' and type = 'complaint.merged'", no=dup)
    expect("merge: one complaint.merged, merged_into the target, state rejected",
           [(target, "rejected", "merge")],
           [(e["data"].get("merged_into"), e["data"].get("state"), e["data"].get("action"))
            for _, _, e in ev])
    expect("merge: no note text on the stream", [],
           checks.leaking_events("SECRET-MERGE-NOTE", "complaint_no = :'no'", no=dup))
    # The clocks: every one that ran ends cancelled (a merge is no decision);
    # acknowledge was met by the acceptance.
    wait_sql("merge: no clock of the merged case runs any more", "select count(*) = 0 from"
             " sla_clock k join complaint c on c.id = k.complaint_id where c.complaint_no ="
             " :'no' and (k.state = 'running' or k.state = 'paused')", 20, no=dup)
    got = (clocks(dup) or "").split()
    expect_true("merge: acknowledge met, every other clock cancelled",
                "acknowledge:met" in got and len(got) >= 3
                and all(c == "acknowledge:met" or c.endswith(":cancelled") for c in got),
                repr(got))
    merge_ms = sql("select (extract(epoch from a.at) * 1000)::bigint from case_action a"
                   " join complaint c on c.id = a.complaint_id where c.complaint_no = :'no'"
                   " and a.action = 'merge'", no=dup)
    ended = (sql("select string_agg(distinct (extract(epoch from k.ended_at) * 1000)::bigint"
                 "::text, ' ') from sla_clock k join complaint c on c.id = k.complaint_id"
                 " where c.complaint_no = :'no' and k.state = 'cancelled'", no=dup) or "")
    expect("merge: the merge ended them (ended_at = the merge's time, ms)", merge_ms, ended)
    # The customer is told.
    s, b = one_mail("merge (zh)", dup, "合并")
    expect_true("merge: the subject says merged, with the number", "合并处理" in s and dup in s, s)
    expect_true("merge: it names the target and asks to quote it from now on",
                ("并入" in b or "合并" in b) and "请引用编号 %s" % target in b, b)
    expect_true("merge: no placeholder, not the staff's text",
                "{{" not in b and "SECRET" not in b and " - " not in b, b)
    # The customer's status view says where the matter went.
    rc, out, err = ctl(NO_TOKEN, "status", dup, "--code", CODES.get(dup, ""), "--json")
    expect("merge: status view: exit status", 0, rc)
    try:
        view = json.loads(out)
    except ValueError:
        view = {}
    view = view.get("complaint", view)
    expect("merge: status view: rejected, next step none, the text names the target",
           ("rejected", "none",
            "merged into your complaint %s and handled there; please quote %s" % (target, target)),
           (view.get("state"), view.get("next_step"), view.get("next_step_text")))
    # show: the link both ways.
    lines = show(sv, dup)
    expect_true("merge: show of the merged case: 'merged into' the target",
                any(l[:2] == ["merged", "into"] and target in l for l in lines), repr(lines))
    lines = show(sv, target)
    expect_true("merge: show of the target: 'merged here' the merged case",
                any(l[:2] == ["merged", "here"] and dup in l for l in lines), repr(lines))


def main():
    args = lifecycle.start("--mail")
    if not args:
        return checks.status()
    MAIL[0] = args.mail
    step_reject()
    step_merge()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
