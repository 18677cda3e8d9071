#!/usr/bin/python3
"""notify_hotspot.py — the checks of tests/integration/notify_hotspot.sh:
the notifier tells people of events about no single case (analytics.hotspot,
analytics.hotspot_cleared), one step at a time.

    notify_hotspot.py --mail DIR --sink smtp_sink.py STEP

    ready     the directory is in the store, the notifier consumes
    a         an outlet hot spot: the complaint office and the outlet's head,
              inbox + e-mail each, exactly once, with the right words
    b         a surge (no branch): the complaint office only, baseline, p
    c         the outlet hot spot cleared: the complaint office only
    d         after SIGKILL + restart: every row and message still once
    privacy   no address or message text in notification.* events

The events are put into the outbox here, with SQL, as the analytics daemon's
transaction would commit them: that daemon does not exist yet (issue 12).
Their data is packed with python3-msgpack from the table in proto/PROTOCOL.md
(an independent implementation of the contract); lib.sh checks every event
against proto/events.c at the test's end.
"""
import os
import re
import sys

import msgpack

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, sql_rows, wait_sql  # noqa: E402

ARGS = None

# 2026-03-02 09:00 +08:00 and later, in unix ms (the bank's calendar, cn, is
# Asia/Shanghai: the messages must print these times with +08:00).
T_FIRST = 1772413200000                 # 2026-03-02 09:00 +08:00
T_LAST = T_FIRST + 18 * 86400000 + 5.5 * 3600000   # 2026-03-20 14:30 +08:00
T_OPENED = T_LAST + 60000               # 2026-03-20 14:31 +08:00
T_CLEARED = T_OPENED + 25 * 86400000    # 2026-04-14 14:31 +08:00
T_LAST, T_OPENED, T_CLEARED = int(T_LAST), int(T_OPENED), int(T_CLEARED)
SAMPLES = ["202603200000017", "202603110000013", "202603020000011"]

OFFICE = ["chen_jing", "li_na", "liu_yang"]     # role complaint_office, directory.conf
HEAD = "deng_hao"       # manager of branch_bj, the nearest ancestor of outlet_bj_haidian with one

ALL_DONE = """select (select count(*) from notification
                       where state not in ('sent', 'dead', 'suppressed'))
                   + (select count(*) from outbox)
                   + (select count(*) from event_log
                       where seq > (select coalesce(max(last_seq), 0) from notifier_cursor)) = 0"""


def outlet_head():
    return {"kind": "outlet", "rule": "outlet_cause_30d", "branch": "outlet_bj_haidian",
            "cause": "service_attitude", "business_line": None}


def put(type_, data):
    """One event into the outbox, as its producer's transaction would."""
    hexdata = msgpack.packb(data, use_bin_type=True).hex()
    sql("insert into outbox (type, complaint_no, data) values (:'t', null, decode(:'d', 'hex'))",
        t=type_, d=hexdata)
    return wait_sql("the bus moved the %s into the log" % type_,
                    "select count(*) = 0 from outbox", 20)


def seq_of(type_, nth=1):
    rows = sql_rows("select seq from event_log where type = :'t' order by seq", t=type_)
    return int(rows[nth - 1][0]) if len(rows) >= nth else -1


def report():
    rc, out, err = checks.run([sys.executable, ARGS.sink, "report", "--dir", ARGS.mail])
    if rc != 0:
        checks.bad("smtp_sink.py report: exit %d: %s" % (rc, err.strip()[-200:]))
    return checks.jsonl(out)


def rows_of(seq):
    """(recipient, recipient_kind, channel, state, complaint_id, complaint_no) of an event."""
    return sorted(tuple(r) for r in sql_rows(
        "select recipient, recipient_kind, channel, state,"
        " coalesce(complaint_id::text, 'null'), coalesce(complaint_no, 'null')"
        " from notification where event_seq = :'s'", s=seq))


def addresses(ids):
    return sorted(sql("select string_agg(email, ' ' order by email) from staff"
                      " where id = any(string_to_array(:'ids', ','))", ids=",".join(ids)).split())


def expect_told(desc, seq, staff_kinds):
    """Exactly one inbox row and one e-mail row, sent, per person; no case."""
    want = sorted((sid, kind, ch, "sent", "null", "null")
                  for sid, kind in staff_kinds for ch in ("email", "inbox"))
    expect("%s: one inbox and one e-mail row per person, sent, about no case" % desc, want,
           rows_of(seq))
    expect("%s: one staff_inbox row per person" % desc, sorted(s for s, _ in staff_kinds),
           sorted(r[0] for r in sql_rows(
               "select i.staff_id from staff_inbox i join notification n on n.id = i.notification_id"
               " where n.event_seq = :'s' and i.complaint_no is null", s=seq)))


def mails_for(seq):
    ids = sql("select string_agg(message_id, ' ') from notification where event_seq = :'s'"
              " and channel = 'email'", s=seq).split()
    return [m for m in report() if m["message_id"] in ids]


# ------------------------------------------------------------------ steps

def step_ready(a):
    wait_sql("the router loaded the directory (the office and deng_hao)",
             "select count(*) = 4 from staff where active and (role = 'complaint_office'"
             " or id = 'deng_hao')", 30)
    expect("the complaint office officers of deploy/org/directory.conf", OFFICE,
           sql("select string_agg(id, ' ' order by id) from staff where active"
               " and role = 'complaint_office'").split())
    expect("deng_hao manages branch_bj, the parent of outlet_bj_haidian", "manager|branch_bj",
           sql("select s.role || '|' || d.parent from staff s, department d"
               " where s.id = 'deng_hao' and d.id = 'outlet_bj_haidian'"))
    wait_sql("the notifier's cursor exists", "select count(*) = 1 from notifier_cursor", 20)


def step_a(a):
    data = dict(outlet_head(), count=3, window="30d", first_at=T_FIRST, last_at=T_LAST,
                samples=SAMPLES, threshold=3, baseline=None, baseline_days=None, p_value=None,
                opened_at=T_OPENED)
    put("analytics.hotspot", data)
    wait_sql("every notification of the hot spot sent", ALL_DONE, 30)
    seq = seq_of("analytics.hotspot")
    expect_told("outlet hot spot", seq,
                [(s, "complaint_office") for s in OFFICE] + [(HEAD, "department_head")])
    mails = mails_for(seq)
    expect("outlet hot spot: one e-mail to each officer and to the outlet's head",
           addresses(OFFICE + [HEAD]), sorted(m["rcpt"] for m in mails))
    for m in mails:
        who = m["rcpt"]
        expect_true("%s: the subject (RFC 2047, decoded) names the kind, the outlet, the cause"
                    " and the count" % who,
                    m["subject_encoded"] and m["subject"].startswith("投诉热点：同一网点同类投诉")
                    and "北京分行海淀支行" in m["subject"] and "service_attitude" in m["subject"]
                    and "3 件" in m["subject"], m["subject"])
        body = m["body"]
        want = ["网点：北京分行海淀支行（outlet_bj_haidian）", "投诉原因：service_attitude",
                "件数：3 件（规则门槛 3 件），时间窗：30d", "首件：2026-03-02 09:00 +08:00",
                "末件：2026-03-20 14:30 +08:00", "发现时间：2026-03-20 14:31 +08:00",
                "规则：outlet_cause_30d", "样本投诉编号：" + ", ".join(SAMPLES), "第十二条"]
        expect("%s: the body states the outlet, cause, count, window, times (+08:00), rule,"
               " samples, why" % who, [], [w for w in want if w not in body])
        expect_true("%s: no placeholder left" % who, "{{" not in body)
    expect("outlet hot spot: the inbox rows hold the same words", 4,
           sql_int("select count(*) from staff_inbox i join notification n"
                   " on n.id = i.notification_id where n.event_seq = :'s'"
                   " and i.subject like '投诉热点：同一网点同类投诉%北京分行海淀支行%'"
                   " and i.body like '%首件：2026-03-02 09:00 +08:00%'", s=seq))
    expect("outlet hot spot: the rows' zone is the bank's", "Asia/Shanghai",
           sql("select string_agg(distinct zone, ',') from notification where event_seq = :'s'",
               s=seq))


def step_b(a):
    data = {"kind": "surge", "rule": "surge_cause", "branch": None, "cause": "fees",
            "business_line": None, "count": 10, "window": "1d", "first_at": T_FIRST,
            "last_at": T_FIRST + 7 * 3600000, "samples": SAMPLES[:2], "threshold": 5,
            "baseline": "2.00", "baseline_days": 28, "p_value": "4.65e-05",
            "opened_at": T_FIRST + 7 * 3600000 + 60000}
    put("analytics.hotspot", data)
    wait_sql("every notification of the surge sent", ALL_DONE, 30)
    seq = seq_of("analytics.hotspot", 2)
    expect_told("surge (no branch)", seq, [(s, "complaint_office") for s in OFFICE])
    mails = mails_for(seq)
    expect("surge: one e-mail to each officer, none to a branch head", addresses(OFFICE),
           sorted(m["rcpt"] for m in mails))
    expect("surge: every e-mail gives the kind, the cause, the baseline and the p-value", 3,
           sum(1 for m in mails if m["subject"].startswith("投诉热点：投诉量激增 — fees，10 件")
               and "基线：每日 2.00 件（近 28 日），P 值：4.65e-05" in m["body"]
               and "件数：10 件（规则门槛 5 件），时间窗：1d" in m["body"]))
    checks.expect_ge("surge: the notifier logged that no department head was named", 1,
                     len(checks.log_lines(os.path.join(os.environ["TEST_DIR"], "notifier.log"),
                                          "event=no_recipient .*kind=department_head")))


def step_c(a):
    data = dict(outlet_head(), count=1, window="30d", opened_at=T_OPENED, cleared_at=T_CLEARED,
                reason="cooled")
    put("analytics.hotspot_cleared", data)
    wait_sql("every notification of the cleared hot spot sent", ALL_DONE, 30)
    seq = seq_of("analytics.hotspot_cleared")
    expect_told("cleared", seq, [(s, "complaint_office") for s in OFFICE])
    mails = mails_for(seq)
    expect("cleared: one e-mail to each officer", addresses(OFFICE),
           sorted(m["rcpt"] for m in mails))
    expect("cleared: subject and body say what cooled, when, by which rule", 3,
           sum(1 for m in mails if m["subject"].startswith("投诉热点已消退：同一网点同类投诉")
               and "北京分行海淀支行" in m["subject"]
               and "时间窗 30d 内现有 1 件" in m["body"]
               and "发现时间：2026-03-20 14:31 +08:00" in m["body"]
               and "消退时间：2026-04-14 14:31 +08:00（已降至规则的消退线）" in m["body"]
               and "规则：outlet_cause_30d" in m["body"]))


def step_d(a):
    wait_sql("after the restart: the notifier consumed to the end", ALL_DONE, 30)
    expect("rows of the three events: 8 + 6 + 6, none twice", 20,
           sql_int("select count(*) from notification where event_type like 'analytics.%'"))
    expect("no (event, recipient, channel) twice", 0,
           sql_int("select count(*) from (select event_seq, recipient, channel from notification"
                   " group by 1, 2, 3 having count(*) > 1) d"))
    rep = report()
    expect("the mailbox: 4 + 3 + 3 messages, each Message-ID once", (10, 10),
           (len(rep), len(set(m["message_id"] for m in rep))))
    expect("staff_inbox: 10 rows, one per notification", 10,
           sql_int("select count(*) from staff_inbox"))
    note("rows by state: %s" % sql("select string_agg(state || '=' || n, ' ') from"
                                   " (select state, count(*) n from notification group by 1) s"))


def step_privacy(a):
    expect("notification.* events carrying an address or message text", [],
           checks.leaking_events(r"@|投诉|(?i:hot spot)", "type like 'notification.%'"))
    expect("notification.* events: one sent per row", 20,
           sql_int("select count(*) from event_log where type = 'notification.sent'"))
    expect("hot-spot events in the log carry no complaint_no", 0,
           sql_int("select count(*) from event_log where type like 'analytics.%'"
                   " and complaint_no is not null"))


STEPS = {"ready": step_ready, "a": step_a, "b": step_b, "c": step_c, "d": step_d,
         "privacy": step_privacy}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--mail", "--sink"), setup, lambda step, args: step(args))


if __name__ == "__main__":
    sys.exit(main())
