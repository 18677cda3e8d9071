#!/usr/bin/python3
"""referral.py — referred complaints through intake, the router and
complaintctl (see referral.sh).

    referral.py --endpoint E --ctl complaintctl --tokens tokens.plain
"""
import argparse
import os
import re
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, run, sql, sql_int, wait_sql  # noqa: E402
from client import Client  # noqa: E402

ARGS = None
TOKENS = {}
DAY_MS = 86400 * 1000
OFFICE = "li_na"                        # the complaint office: every case is in scope
REFERRED_TEXT = "REPLY-SECRET 已向12378热线回复：年费已退还，客户认可。"


def ask(req):
    c = Client(zmq.Context.instance(), ARGS.endpoint, "intake")
    raw = c.request(msgpack.packb(req), 10000)
    c.close()
    return msgpack.unpackb(raw, raw=False) if raw is not None else None


def submit(ref, channel="letter", referral=None, **extra):
    req = {"op": "submit", "channel": channel, "ref": ref,
           "body": "信用卡年费被重复扣收，要求退还。", "subject": "年费重复扣收",
           "product": "信用卡", "customer": {"name": "李四", "phone": "13900002222"}}
    if referral is not None:
        req["referral"] = referral
    req.update(extra)
    return ask(req)


def err(reply):
    e = (reply or {}).get("error") or {}
    return "%s/%s" % (e.get("code"), e.get("field"))


def ctl(who, *argv):
    env = {k: v for k, v in os.environ.items() if k != "COMPLAINTS_TOKEN"}
    env["COMPLAINTS_TOKEN"] = TOKENS[who]
    return run([ARGS.ctl] + list(argv), env=env)


def now_ms():
    return int(sql("select (extract(epoch from app_now()) * 1000)::bigint"))


def bank_time(ms):
    zone = os.environ.get("COMPLAINTS_TIMEZONE") or "Asia/Shanghai"
    t = datetime.fromtimestamp(ms / 1000, ZoneInfo(zone))
    off = t.strftime("%z")
    return t.strftime("%Y-%m-%d %H:%M ") + off[:3] + ":" + off[3:]


def row(no):
    return sql("select coalesce(referral_source, '-'), coalesce(referrer, '-'),"
               " coalesce(referrer_ticket, '-'),"
               " coalesce((extract(epoch from referrer_due_at) * 1000)::bigint::text, '-')"
               " from complaint where complaint_no = :'no'", no=no)


def received_event(no):
    """The case's complaint.received as the bus published it: the bus moves
    the outbox row into the event log a moment after intake's commit, so
    wait for it (a deadline, not a sleep)."""
    found = []

    def probe():
        found[:] = checks.events("complaint_no = :'no' and type = 'complaint.received'", no=no)
        return bool(found)
    checks.wait_until(probe, 15)
    return found[0][2].get("data", {}) if found else {}


def wait_assigned(no):
    return wait_sql("%s routed" % no, "select state <> 'received' from complaint"
                    " where complaint_no = :'no'", 30, no=no)


def case_regulator():
    note("--- a regulator's referral, with its ticket and reply-by date")
    due = now_ms() + 10 * DAY_MS
    r = submit("ref-reg-1", "regulator", {"source": "regulator",
                                          "referrer": "国家金融监督管理总局12378热线",
                                          "ticket": "12378-2026-000123", "due_at": due})
    expect_true("regulator referral accepted", r and r.get("ok"), str(r))
    no = r["complaint_no"]
    expect("row: source, referrer, ticket, due",
           "regulator|国家金融监督管理总局12378热线|12378-2026-000123|%d" % due, row(no))
    rc, out, e = ctl(OFFICE, "show", no)
    expect("show exits 0", 0, rc)
    expect_true("show: referred by the regulator, its referrer and ticket",
                re.search(r"referred by\s+regulator: 国家金融监督管理总局12378热线, ticket "
                          r"12378-2026-000123", out), out)
    expect_true("show: reply due in the bank's zone, the offset written",
                re.search(r"reply due\s+%s" % re.escape(bank_time(due)), out), out)
    data = received_event(no)
    expect("complaint.received: referral_source", "regulator", data.get("referral_source"))
    expect_true("complaint.received: no referrer, no ticket",
                "12378-2026-000123" not in repr(data) and "12378热线" not in repr(data),
                repr(data))
    wait_assigned(no)
    expect("router: flagged regulator, P2, not major", "t|2|f",
           sql("select 'regulator' = any(flags), priority, major from complaint"
               " where complaint_no = :'no'", no=no))

    note("--- the same submit again: the first complaint, nothing new")
    r2 = submit("ref-reg-1", "regulator", {"source": "regulator",
                                           "referrer": "国家金融监督管理总局12378热线",
                                           "ticket": "12378-2026-000123", "due_at": due})
    expect("duplicate: same number, duplicate", (no, True),
           (r2.get("complaint_no"), r2.get("duplicate")))
    expect("one complaint with that ref", 1,
           sql_int("select count(*) from complaint where ref = 'ref-reg-1'"))

    note("--- channel regulator without a referral: the regulator referred it")
    r3 = submit("ref-reg-2", "regulator")
    expect_true("accepted", r3 and r3.get("ok"), str(r3))
    expect("row: source regulator, nothing else", "regulator|-|-|-", row(r3["complaint_no"]))
    return no


def case_association():
    note("--- an association's referral, receipt from the adapter")
    recv = now_ms() - 3600 * 1000
    due = recv + 7 * DAY_MS
    r = submit("ref-assoc-1", "letter", {"source": "association", "referrer": "辽宁省银行业协会",
                                         "ticket": "LNBA-2026-0042", "due_at": due},
               received_at=recv)
    expect_true("association referral accepted", r and r.get("ok"), str(r))
    no = r["complaint_no"]
    expect("row: source, referrer, ticket, due",
           "association|辽宁省银行业协会|LNBA-2026-0042|%d" % due, row(no))
    rc, out, _ = ctl(OFFICE, "show", no)
    expect_true("show: referred by the association, ticket, reply due",
                re.search(r"referred by\s+association: 辽宁省银行业协会, ticket LNBA-2026-0042",
                          out) and ("reply due      %s" % bank_time(due)) in out, out)
    expect("complaint.received: referral_source", "association",
           received_event(no).get("referral_source"))
    wait_assigned(no)
    expect("router: no regulator flag, P2 by priority.conf's referral line, not major",
           "f|2|f", sql("select 'regulator' = any(flags), priority, major from complaint"
                        " where complaint_no = :'no'", no=no))
    return no


def case_media():
    note("--- a media referral: flagged media, so major")
    r = submit("ref-media-1", "letter", {"source": "media", "referrer": "某某晚报"})
    expect_true("media referral accepted", r and r.get("ok"), str(r))
    no = r["complaint_no"]
    expect("row: source media, no ticket, no due", "media|某某晚报|-|-", row(no))
    wait_assigned(no)
    expect("router: flagged media, major", "t|t",
           sql("select 'media' = any(flags), major from complaint where complaint_no = :'no'",
               no=no))


def case_refused():
    note("--- bad referral fields: refused, each naming its field; nothing written")
    before = sql_int("select count(*) from complaint")
    now = now_ms()
    cases = [
        ("unknown source", {"source": "newspaper"}, {}, "invalid_field/referral.source"),
        ("ticket over 64 bytes", {"source": "media", "ticket": "T" * 65}, {},
         "too_large/referral.ticket"),
        ("referrer over 200 characters", {"source": "media", "referrer": "会" * 201}, {},
         "too_large/referral.referrer"),
        ("a ticket without a source", {"ticket": "X-1"}, {}, "missing_field/referral.source"),
        ("an unknown key", {"source": "media", "colour": "red"}, {},
         "unknown_field/referral.colour"),
        ("referral not a map", "regulator", {}, "wrong_type/referral"),
        ("due_at not a number", {"source": "regulator", "due_at": "tomorrow"}, {},
         "wrong_type/referral.due_at"),
        ("due before the receipt (the store's clock)",
         {"source": "regulator", "due_at": now - DAY_MS}, {}, "invalid_field/referral.due_at"),
        ("due more than a year after the receipt",
         {"source": "regulator", "due_at": now + 370 * DAY_MS}, {},
         "invalid_field/referral.due_at"),
        ("due before the adapter's receipt",
         {"source": "association", "due_at": now - 2 * DAY_MS}, {"received_at": now - DAY_MS},
         "invalid_field/referral.due_at"),
    ]
    for i, (what, referral, extra, want) in enumerate(cases):
        r = submit("ref-bad-%d" % i, "letter", referral, **extra)
        expect(what, want, err(r))
    r = submit("ref-bad-msg", "letter", {"source": "regulator", "due_at": now - DAY_MS})
    expect_true("the message says why, the receipt in the bank's zone with its offset",
                re.search(r"before the complaint's receipt \(\d{4}-\d\d-\d\d \d\d:\d\d "
                          r"[+-]\d\d:\d\d\)",
                          ((r or {}).get("error") or {}).get("message", "")), str(r))
    expect("nothing written", before, sql_int("select count(*) from complaint"))

    note("--- a bad referral in a batch does not refuse its neighbours")
    c = Client(zmq.Context.instance(), ARGS.endpoint, "intake")
    good = {"op": "submit", "channel": "letter", "ref": "ref-batch-good", "body": "b",
            "customer": {"name": "n"}, "referral": {"source": "media"}}
    worse = dict(good, ref="ref-batch-bad", referral={"source": "media", "due_at": now - DAY_MS})
    tags = [c.send(msgpack.packb(good)), c.send(msgpack.packb(worse))]
    replies = [c.wait(t, 10000) for t in tags]
    c.close()
    replies = [msgpack.unpackb(x, raw=False) if x else None for x in replies]
    expect("good accepted, bad refused", (True, "invalid_field/referral.due_at"),
           ((replies[0] or {}).get("ok"), err(replies[1])))

    note("--- first contact (one transaction): the same judgement, the same refusal")
    fc = {"token": TOKENS["zhao_min"], "outcome": "explanation", "text": "已在电话中解释"}
    r = submit("ref-fc-bad", "hotline", {"source": "consumer_association",
                                         "due_at": now - DAY_MS}, first_contact=fc)
    expect("a first contact with a due date before the receipt",
           "invalid_field/referral.due_at", err(r))
    expect("nothing written", 0, sql_int("select count(*) from complaint where ref = 'ref-fc-bad'"))
    r = submit("ref-fc-good", "hotline", {"source": "consumer_association",
                                          "ticket": "XF-2026-7", "due_at": now + DAY_MS},
               first_contact=fc)
    expect("a first contact with a referral: resolved, stored with it",
           ("resolved", "consumer_association|-|XF-2026-7|%d" % (now + DAY_MS)),
           ((r or {}).get("state"), row((r or {}).get("complaint_no", ""))))

    note("--- complaintctl submit: the flags, the due time in the bank's zone")
    rc, out, e = run([ARGS.ctl, "submit", "--channel", "letter", "--ref", "ref-ctl-1",
                      "--body", "年费", "--name", "王五", "--referral-source", "consumer_association",
                      "--referrer", "某市消费者协会", "--referrer-ticket", "XF-88",
                      "--referrer-due", "2099-01-01 12:00"])
    expect("a due date 70 years ahead is refused, naming the field", (1, True),
           (rc, "referral.due_at" in out + e))
    day = datetime.fromtimestamp(now / 1000 + 5 * 86400,
                                 ZoneInfo(os.environ.get("COMPLAINTS_TIMEZONE")
                                          or "Asia/Shanghai")).strftime("%Y-%m-%d")
    rc, out, e = run([ARGS.ctl, "submit", "--channel", "letter", "--ref", "ref-ctl-2",
                      "--body", "年费", "--name", "王五", "--referral-source", "consumer_association",
                      "--referrer", "某市消费者协会", "--referrer-ticket", "XF-88",
                      "--referrer-due", day])
    expect("complaintctl submit with a referral exits 0", 0, rc)
    no = checks.jsonl(out)[0]["complaint_no"] if rc == 0 else ""
    expect("row: consumer_association, the end of that day in the bank's zone",
           "consumer_association|某市消费者协会|XF-88|" + day + " 23:59:59.999",
           sql("select referral_source, referrer, referrer_ticket,"
               " to_char(referrer_due_at at time zone :'tz', 'YYYY-MM-DD HH24:MI:SS.MS')"
               " from complaint where complaint_no = :'no'", no=no,
               tz=os.environ.get("COMPLAINTS_TIMEZONE") or "Asia/Shanghai"))
    rc, out, e = run([ARGS.ctl, "submit", "--channel", "letter", "--ref", "ref-ctl-3",
                      "--body", "b", "--name", "n", "--referrer-ticket", "X"])
    expect("a ticket without --referral-source: usage error", 2, rc)


def act(who, no, *argv):
    return ctl(who, "act", no, *argv)


def case_reply(reg_no, assoc_no):
    note("--- reply_referrer on a referral: the trail keeps the text, the stream does not")
    v0 = sql_int("select version from complaint where complaint_no = :'no'", no=reg_no)
    st0 = sql("select state from complaint where complaint_no = :'no'", no=reg_no)
    rc, out, e = act(OFFICE, reg_no, "reply_referrer", "--text", REFERRED_TEXT)
    expect("reply_referrer exits 0", 0, rc)
    expect("state unchanged, version + 1", "%s|%d" % (st0, v0 + 1),
           sql("select state, version from complaint where complaint_no = :'no'", no=reg_no))
    expect("audit row keeps the text", "t",
           sql("select details->>'text' = :'t' from case_action a join complaint c"
               " on c.id = a.complaint_id where c.complaint_no = :'no'"
               " and a.action = 'reply_referrer'", no=reg_no, t=REFERRED_TEXT))
    wait_sql("complaint.referrer_replied on the stream",
             "select count(*) = 1 from event_log where complaint_no = :'no'"
             " and type = 'complaint.referrer_replied'", 20, no=reg_no)
    evs = checks.events("complaint_no = :'no' and type = 'complaint.referrer_replied'", no=reg_no)
    data = evs[0][2].get("data", {}) if evs else {}
    expect("event: action, actor, source, ticket",
           ("reply_referrer", OFFICE, "regulator", "12378-2026-000123"),
           tuple(data.get(k) for k in ("action", "actor", "referral_source", "referrer_ticket")))
    expect_true("event: no free text, no referrer name",
                "REPLY-SECRET" not in repr(evs) and "12378热线" not in repr(data), repr(data))

    note("--- refused: without text; on a direct complaint; by a manager")
    rc, out, e = act(OFFICE, reg_no, "reply_referrer")
    expect_true("without text: missing_field text", rc != 0 and "text" in out + e, out + e)
    direct = submit("ref-direct-1", "web")
    dno = direct["complaint_no"]
    wait_assigned(dno)
    rc, out, e = act(OFFICE, dno, "reply_referrer", "--text", "nothing to reply to")
    expect_true("a direct complaint: invalid_field referral",
                rc != 0 and "invalid_field" in out + e and "referral" in out + e, out + e)
    expect("nothing written on the direct complaint", 0,
           sql_int("select count(*) from case_action a join complaint c on c.id = a.complaint_id"
                   " where c.complaint_no = :'no' and a.action = 'reply_referrer'", no=dno))
    rc, out, e = act("zhang_wei", reg_no, "reply_referrer", "--text", "x")
    expect_true("a manager may not: forbidden", rc != 0 and "forbidden" in out + e, out + e)

    note("--- after closing: the reply back reports the result")
    steps = [("accept",), ("resolve", "--outcome", "explanation", "--text", "已解释"),
             ("feedback", "--satisfied", "yes"), ("close", "--reason", "satisfied")]
    for s in steps:
        rc, out, e = act(OFFICE, assoc_no, *s)
        expect("%s exits 0" % s[0], 0, rc)
    expect("closed", "closed", sql("select state from complaint where complaint_no = :'no'",
                                   no=assoc_no))
    rc, out, e = act(OFFICE, assoc_no, "reply_referrer", "--text", "已向协会报送处理结果")
    expect("reply_referrer on a closed case exits 0", 0, rc)
    expect("still closed", "closed", sql("select state from complaint where complaint_no = :'no'",
                                         no=assoc_no))
    wait_sql("its event on the stream", "select count(*) = 1 from event_log"
             " where complaint_no = :'no' and type = 'complaint.referrer_replied'", 20, no=assoc_no)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--metrics", required=True)
    ARGS = p.parse_args()
    TOKENS.update(checks.staff_tokens(ARGS.tokens))
    reg_no = case_regulator()
    assoc_no = case_association()
    case_media()
    case_refused()
    case_reply(reg_no, assoc_no)
    note("--- intake counts the referrals it registered, by source")
    import urllib.request
    text = urllib.request.urlopen(ARGS.metrics, timeout=10).read().decode()
    got = {m.group(1): int(float(m.group(2))) for m in re.finditer(
        r'^complaints_intake_referrals_total\{source="([a-z_]+)"\} (\S+)$', text, re.M)}
    # regulator: ref-reg-1, ref-reg-2 (channel alone), the direct one is not;
    # association 1; media: ref-media-1, ref-batch-good; consumer_association: ref-fc-good,
    # ref-ctl-2
    expect("referrals by source", {"regulator": 2, "association": 1, "media": 2,
                                   "consumer_association": 2}, got)
    expect("no event carries a referrer's name or the reply's text", [],
           checks.leaking_events("REPLY-SECRET|12378热线|银行业协会|晚报|消费者协会"))


if __name__ == "__main__":
    main()
