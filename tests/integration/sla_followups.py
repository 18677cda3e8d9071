#!/usr/bin/python3
"""sla_followups.py — the watchdog's follow-ups of issue 16 (sla_followups.sh
describes the steps), against a running bus, intake, router, two watchdogs
and a notifier with an smtp-sink; the store's clock moved as the SLA tests
move it (app_clock_set, nearly stopped).

    sla_followups.py --ctl complaintctl --tokens tokens.plain --directory FILE
                     --out DIR --mail DIR --logs DIR STEP [ARG ...]

Every check is counted (checks.py); exits 1 if any failed.
"""
import argparse
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import lifecycle  # noqa: E402
from checks import expect, expect_ge, expect_true, note, sql, sql_int, wait_sql  # noqa: E402
from lifecycle import ctl, handler, refused, step, submit, wait_assigned  # noqa: E402

OFFICE = "li_na"            # the complaint office (deploy/org/directory.conf)
A = None
STATE = {}                  # numbers kept between steps: out/state.txt


def ms(text):
    return int(datetime.datetime.fromisoformat(text).timestamp() * 1000)


def at(text):
    """The store's clock at TEXT, (almost) stopped there."""
    sql("select app_clock_set(:'t'::timestamptz, 0.000001)", t=text)
    note("store clock at %s" % text)


def settled():
    checks.wait_sql("the watchdogs settled (nothing dirty, nothing due, outbox empty)",
                    checks.SLA_SETTLED, 30)


def keep(name, value):
    with open(os.path.join(A.out, "state.txt"), "a") as f:
        f.write("%s %s\n" % (name, value))


def kept(name):
    with open(os.path.join(A.out, "state.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            if k == name:
                STATE[k] = v
    return STATE.get(name, "")


def due(no, stage, rnd=0):
    return sql_int("select " + checks.SQL_MS % "due_at" + " from sla_clock where complaint_id ="
                   " (select id from complaint where complaint_no = :'no') and stage = :'s'"
                   " and round = :'r'", no=no, s=stage, r=rnd)


def notifier_caught_up():
    """The outbox published and the notifier past every event logged."""
    wait_sql("the outbox drained", "select count(*) = 0 from outbox", 15)
    wait_sql("the notifier read every event", "select coalesce(max(last_seq), 0) >="
             " (select max(seq) from event_log) from notifier_cursor", 20)


def new_case(ref, body, *flags):
    no = submit(ref, "信用卡", body, "--email", "%s@example.com" % ref, *flags)
    if no and wait_assigned(no):
        return no, handler(no)
    return no, ""


# ------------------------------------------------------------------ media

def step_media():
    """issue 16 follow-up 5: the accountability sweep's media trigger."""
    at("2026-02-02 10:00:00+08")
    m1, _ = new_case("fu-media-ref", "报社转来读者投诉：信用卡年费被重复收取。",
                     "--referral-source", "media", "--referrer", "某市晚报")
    m2, _ = new_case("fu-media-flag", "再不退还年费我就找记者曝光。")
    plain, _ = new_case("fu-media-none", "信用卡年费被重复收取，要求退还。")
    expect("media: the router flagged the threat `media`", "t",
           sql("select 'media' = any (flags) from complaint where complaint_no = :'no'", no=m2))
    for desc, no in (("a media referral", m1), ("a media-flagged case", m2)):
        wait_sql("media: %s opened a media item" % desc,
                 "select count(*) = 1 from accountability_item a join complaint c"
                 " on c.id = a.complaint_id where c.complaint_no = :'no' and a.trigger = 'media'",
                 20, no=no)
        expect("media: %s's item names its department" % desc,
               sql("select department from complaint where complaint_no = :'no'", no=no),
               sql("select a.department from accountability_item a join complaint c"
                   " on c.id = a.complaint_id where c.complaint_no = :'no'", no=no))
    wait_sql("media: the outbox drained", "select count(*) = 0 from outbox", 15)
    expect("media: one item each, none for the plain case", [[m1, "media"], [m2, "media"]],
           checks.sql_rows("select c.complaint_no, a.trigger from accountability_item a"
                           " join complaint c on c.id = a.complaint_id"
                           " where c.complaint_no in (:'a', :'b', :'c') order by c.id",
                           a=m1, b=m2, c=plain))
    opened = checks.events("type = 'accountability.opened'")
    expect("media: accountability.opened told once per case with two watchdogs",
           sorted([(m1, "media"), (m2, "media")]),
           sorted(((e.get("data") or {}).get("complaint_no"), (e.get("data") or {}).get("trigger"))
                  for _, _, e in opened))
    wait_sql("media: the complaint office told", "select count(*) > 0 from notification"
             " where event_type = 'accountability.opened' and recipient = :'r'", 20, r=OFFICE)
    rc, out, err = ctl(OFFICE, "accountability", "list")
    expect_true("media: the register lists both", rc == 0 and m1 in out and m2 in out
                and "media" in out, (out + err)[-400:])


# ------------------------------------------------------------------ pause

def step_pause():
    """issue 16 follow-up 2: a pause of a d clock counts what was paused."""
    at("2026-03-03 10:00:00+08")
    p1, h1 = new_case("fu-pause-2s", "信用卡被盗刷，要求鉴定签名。")
    p2, h2 = new_case("fu-pause-36h", "信用卡被盗刷，要求鉴定签名并退款。")
    settled()
    mar18_end = ms("2026-03-19T00:00:00+08:00")
    for no in (p1, p2):
        expect("pause %s: 15d from Tue 03-03 10:00: the end of Wed 03-18" % no, mar18_end,
               due(no, "resolution"))
    sup = lifecycle.staff_in(sql("select department from complaint where complaint_no = :'n'",
                                 n=p1), "supervisor")
    at("2026-03-05 10:00:00+08")
    for no, h in ((p1, h1), (p2, h2)):
        step("pause %s accept" % no, "accepted", h, no, "accept")
        step("pause %s appraisal_start" % no, "accepted", sup, no, "appraisal_start",
             "--reason", "appraisal", "--text", "送司法鉴定机构做笔迹鉴定")
    at("2026-03-05 10:00:02+08")
    step("pause p1 appraisal_end after 2 s", "accepted", sup, p1, "appraisal_end",
         "--text", "鉴定完成")
    at("2026-03-06 22:00:00+08")
    step("pause p2 appraisal_end after 36 h", "accepted", sup, p2, "appraisal_end",
         "--text", "鉴定完成")
    settled()
    expect("pause p1: 2 s paused, the deadline still the end of 03-18 (rounding gave 03-19)",
           "2000|%d" % mar18_end,
           checks.sla_clock(p1, "resolution", "paused_ms || '|' || " + checks.SQL_MS % "due_at"))
    expect("pause p2: 36 h paused, the start moved 36 h: the end of Thu 03-19 (rounding gave "
           "03-20)", "%d|%d" % (36 * 3600000, ms("2026-03-20T00:00:00+08:00")),
           checks.sla_clock(p2, "resolution", "paused_ms || '|' || " + checks.SQL_MS % "due_at"))
    rc, out, err = ctl(OFFICE, "show", p2)
    expect_true("pause p2: show prints the deadline in the bank's zone",
                rc == 0 and "2026-03-19 24:00 +08:00" in out, out[-600:])


# ------------------------------------------------------------------ review

def mail_of(no, word):
    return [(s, b) for s, b in checks.mail_texts(A.mail) if no in s + b and word in s + b]


def reminder_seqs(no, stage):
    """The sla.reminder events of the case's STAGE (decoded: the stage is in
    the msgpack data)."""
    return [seq for seq, _, e in checks.events("type = 'sla.reminder' and complaint_no = :'no'",
                                                no=no)
            if (e.get("data") or {}).get("stage") == stage]


def reminder_rows(no, stage):
    """[recipient_kind, recipient] of the inbox rows of those reminders."""
    seqs = reminder_seqs(no, stage)
    if not seqs:
        return []
    return checks.sql_rows("select recipient_kind, recipient from notification"
                           " where event_type = 'sla.reminder' and channel = 'inbox'"
                           " and event_seq = any (string_to_array(:'s', ',')::bigint[])"
                           " order by recipient, event_seq",
                           s=",".join(str(x) for x in seqs))


def step_review():
    """issue 16 follow-ups 3 and 4: the review window on the calendar; the
    call-back's reminders to the complaint office."""
    at("2026-09-05 10:00:00+08")        # a Saturday
    r1, h1 = new_case("fu-review-1", "信用卡年费被重复收取，要求退还。")
    r2, h2 = new_case("fu-review-2", "信用卡年费被重复收取，要求退还并道歉。")
    o, ho = new_case("fu-review-open", "信用卡账单金额有误。")
    for no, h in ((r1, h1), (r2, h2)):
        step("review %s accept" % no, "accepted", h, no, "accept")
        step("review %s resolve" % no, "resolved", h, no, "resolve", "--outcome", "explanation",
             "--text", "已向客户解释年费规则")
    step("review open case accept", "accepted", ho, o, "accept")
    settled()
    # 30 days from Sat 09-05: day 30 is Mon 10-05, 国庆节 (10-01..10-07) ->
    # the window ends with Thu 10-08, the next working day
    wait_sql("review: the customer's decision e-mail arrived",
             "select count(*) > 0 from notification where event_type = 'complaint.resolved'"
             " and complaint_id = (select id from complaint where complaint_no = :'no')"
             " and channel = 'email' and state = 'sent'", 30, no=r1)
    mails = mail_of(r1, "处理")
    expect_true("review: the notice's last review date is rolled past National Day: "
                "（至 2026-10-08）", any("（至 2026-10-08）" in b for _, b in mails),
                [b[-400:] for _, b in mails][:1])
    expect_true("review: ... not the holiday 2026-10-05",
                not any("2026-10-05" in b for _, b in mails), "")
    # the reminders: the open case's first_response (24 h) at 50 % is the
    # handler's; the call-back's (3wd from Sat 09-05: the end of Wed 09-09;
    # 50 % is Mon 09-07 ~17:00) is the complaint office's
    at("2026-09-05 23:00:00+08")
    settled()
    checks.wait_for("review: the open case's first-response reminder on the stream",
                    lambda: reminder_seqs(o, "first_response"), 20)
    notifier_caught_up()
    expect("review: the first-response reminder goes to the handler only", [["handler", ho]],
           reminder_rows(o, "first_response"))
    at("2026-09-08 12:00:00+08")
    settled()
    for no in (r1, r2):
        checks.wait_for("review %s: the call-back's reminder on the stream" % no,
                        lambda: reminder_seqs(no, "callback"), 20)
    notifier_caught_up()
    office = [["complaint_office", s] for s in
              sql("select string_agg(id, ' ' order by id) from staff"
                  " where role = 'complaint_office' and active").split()]
    expect_ge("review: the complaint office has officers", 1, len(office))
    for no, h in ((r1, h1), (r2, h2)):
        rows = reminder_rows(no, "callback")
        expect("review %s: the call-back reminder goes to every complaint-office officer"
               % no, office, rows)
        expect_true("review %s: ... never to the handler" % no,
                    all(r[1] != h for r in rows), rows)
    expect("review: one sla.reminder event per call-back (two watchdogs)", [1, 1],
           [len(reminder_seqs(no, "callback")) for no in (r1, r2)])
    for no in (r1, r2):
        step("review %s call-back reached, not satisfied" % no, "resolved", OFFICE, no,
             "callback", "--reason", "reached", "--satisfied", "no")
    # Wed 10-07, day 32: within the rolled window
    at("2026-10-07 10:00:00+08")
    step("review r1 at day 32 (10-07): inside the window that ends with 10-08",
         "under_review", h1, r1, "review", "--text", "客户不满意，要求复核")
    at("2026-10-09 10:00:00+08")
    refused("review r2 at day 34 (10-09): after the window", 1, "invalid_transition", h2, r2,
            "review", "--text", "太晚了")
    err = lifecycle.LAST_ERR[0]
    expect_true("review: the refusal names the window's end, 2026-10-08 24:00 +08:00",
                "window closed at 2026-10-08 24:00 +08:00" in err, err.strip()[-300:])
    keep("r1", r1)


# ------------------------------------------------------------------ calendar

def hashes():
    return sql("select string_agg(calendar || '=' || hash, ' ' order by calendar)"
               " from sla_calendar_state")


def step_calendar_start():
    """issue 16 follow-up 1: hashes recorded; every open clock carries its
    calendar's."""
    settled()
    h = sql("select hash from sla_calendar_state where calendar = 'cn'")
    expect_true("calendar: the store keeps cn's content hash (32 hex)",
                re.fullmatch(r"[0-9a-f]{32}", h), hashes())
    expect("calendar: every open clock on cn carries that hash", 0,
           sql_int("select count(*) from sla_clock where calendar = 'cn'"
                   " and state in ('running', 'paused', 'breached')"
                   " and calendar_hash is distinct from :'h'", h=h))
    expect_ge("calendar: open clocks to re-plan if cn changed", 5,
              sql_int("select count(*) from sla_clock where calendar = 'cn'"
                      " and state in ('running', 'paused', 'breached')"))
    keep("hash", h)
    keep("open_cases", sql_int("select count(distinct complaint_id) from sla_clock"
                               " where calendar = 'cn' and state in ('running', 'paused',"
                               " 'breached')"))


def synced_lines(wd):
    return checks.log_lines(os.path.join(A.logs, wd + ".log"), "event=calendars_synced")


def step_synced(wd, count, changed):
    """WD logged its COUNT-th calendars_synced line; CHANGED (0/any)."""
    count = int(count)
    checks.wait_for("calendar: %s synced its calendars (%d)" % (wd, count),
                    lambda: len(synced_lines(wd)) >= count, 20)
    last = (synced_lines(wd) or [""])[-1]
    if changed.startswith("0"):
        expect_true("calendar: %s: nothing changed, no case marked" % wd,
                    "changed=0 cases=0" in last, last)
        expect("calendar: ... and no case is dirty", 0,
               sql_int("select count(*) from complaint where sla_dirty"))
    if changed == "0":
        expect("calendar: the stored hash is still the one first recorded", kept("hash"),
               sql("select hash from sla_calendar_state where calendar = 'cn'"))


def step_changed():
    """After the holiday 2026-11-06 was added and both watchdogs reloaded."""
    r1, old = kept("r1"), kept("hash")
    settled()
    new = sql("select hash from sla_calendar_state where calendar = 'cn'")
    expect_true("calendar changed: a new hash is recorded", new and new != old, new)
    expect("calendar changed: every open clock on cn re-counted on it", 0,
           sql_int("select count(*) from sla_clock where calendar = 'cn'"
                   " and state in ('running', 'paused', 'breached')"
                   " and calendar_hash is distinct from :'h'", h=new))
    # r1's review round 0: 30d from Wed 10-07 10:00 = Fri 11-06, now a day
    # off -> the end of Mon 11-09
    expect("calendar changed: r1's review deadline moved to the end of Mon 11-09",
           ms("2026-11-10T00:00:00+08:00"), due(r1, "review"))
    wait_sql("calendar changed: the outbox drained", "select count(*) = 0 from outbox", 15)
    moved = checks.events("type = 'sla.deadline_moved' and complaint_no = :'no'", no=r1)
    expect("calendar changed: one sla.deadline_moved for it, from 11-06 to 11-09",
           [("review", ms("2026-11-07T00:00:00+08:00"), ms("2026-11-10T00:00:00+08:00"))],
           [((e.get("data") or {}).get("stage"), (e.get("data") or {}).get("previous_due_at"),
             (e.get("data") or {}).get("due_at")) for _, _, e in moved])
    marks = []
    for wd in ("wd-a", "wd-b"):
        for line in checks.log_lines(os.path.join(A.logs, wd + ".log"),
                                     "event=calendar_changed calendar=cn hash=" + new):
            m = re.search(r"was=(\w+) by=(\w+) cases=(\d+)", line)
            if m:
                marks.append((wd, m.group(1) == old, m.group(2), int(m.group(3))))
    note("  calendar_changed lines: %s (open cases before: %s)" % (marks, kept("open_cases")))
    expect("calendar changed: one watchdog found the store's hash old and marked every case "
           "with an open clock on cn", [int(kept("open_cases"))],
           [m[3] for m in marks if m[1] and m[2] == "store"])
    expect_true("calendar changed: the other marked at most what it had counted on the old "
                "days meanwhile",
                sum(m[3] for m in marks if m[2] == "clocks") <= int(kept("open_cases")),
                str(marks))
    keep("new_hash", new)


def step_stale():
    """A clock counted on other days (its hash changed by hand, as a
    watchdog that had the old files would leave it): the next start of a
    watchdog marks that case, and only it."""
    no = kept("r1")
    sql("update sla_clock set calendar_hash = 'stale' where complaint_id ="
        " (select id from complaint where complaint_no = :'no') and stage = 'review'", no=no)
    keep("stale_case", no)


def step_restarted(wd, count):
    count = int(count)
    checks.wait_for("calendar: %s synced its calendars (%d)" % (wd, count),
                    lambda: len(synced_lines(wd)) >= count, 20)
    last = (synced_lines(wd) or [""])[-1]
    expect_true("calendar: %s restarted marked the one case counted on other days" % wd,
                "changed=0 cases=1" in last, last)
    settled()
    expect("calendar: ... re-counted on cn's hash", kept("new_hash"),
           checks.sla_clock(kept("stale_case"), "review", "calendar_hash"))
    expect("calendar: ... its deadline did not move, so nothing told", 1,
           len(checks.events("type = 'sla.deadline_moved' and complaint_no = :'no'",
                             no=kept("stale_case"))))


def main():
    global A
    p = argparse.ArgumentParser()
    for opt in ("--ctl", "--tokens", "--directory", "--out", "--mail", "--logs"):
        p.add_argument(opt, required=True)
    p.add_argument("step")
    p.add_argument("args", nargs="*")
    A = p.parse_args()
    lifecycle.setup(A.ctl, A.tokens, A.out)
    steps = {"media": step_media, "pause": step_pause, "review": step_review,
             "calendar-start": step_calendar_start, "synced": step_synced,
             "changed": step_changed, "stale": step_stale, "restarted": step_restarted}
    if A.step == "media" and not lifecycle.wait_directory(A.directory):
        return checks.status()
    steps[A.step](*A.args)
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
