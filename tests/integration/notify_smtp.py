#!/usr/bin/python3
"""notify_smtp.py — the checks of tests/integration/notify_smtp.sh (issue 5:
notifications exactly once over a real SMTP server), one subcommand per
step of the scenario; the shell starts and stops the services and the
server, submits and acts, and calls these at the step's end.

    notify_smtp.py --mail DIR --sink smtp_sink.py STEP ARGS...

    a NO1 NO2 NO3 NO_NONE   receipts (zh zh en), handler mails and inbox
                            rows, the unreachable customer's suppressed row,
                            the mailbox = the e-mail rows, MIME, the cursor
    info NO                 the request for information told, not its text
    mark KEY                a baseline: mails in the mailbox, last row id
    b-down NO               the server down: retried, back-off growing
    b-up NO                 the server back: sent once, nothing duplicated
    c NO                    a server that never returns: dead after 3
    wait-assigned N S       N complaints assigned within S seconds
    wait-mail KEY N S       N messages since the mark KEY within S seconds
    killed KEY              (a note: messages and rows sending at the kill)
    d KEY                   after SIGKILL + restart: every Message-ID of the
                            batch arrived, at most one twice
    e-refused LOG PID       a bad template refused on SIGHUP with file:line
    e-sent NO               ... and the notifier goes on
    f-ready LOG PID         the watchdog started, every case's clocks made
    f                       reminders and tier-1 escalations to the right
                            staff (inbox + e-mail, Chinese, the stage named)
    privacy                 no address or message text in notification.*

Every wait has a deadline and is itself a check; "nothing else arrived" is
shown after the store says nothing is owed any more (every row sent, dead
or suppressed, the outbox drained, the notifier's cursor at the end of the
log: the sink stores a message before it answers 250, so a sent row's
message is in the mailbox by then).
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import (expect, expect_ge, expect_le, expect_true, note, sql,  # noqa: E402
                    sql_int, wait_for, wait_sql)

ARGS = None
MARKS = "notify_smtp"

ALL_SENT = """select (select count(*) from notification
                       where state not in ('sent', 'dead', 'suppressed'))
                   + (select count(*) from outbox)
                   + (select count(*) from event_log
                       where seq > (select last_seq from notifier_cursor)) = 0"""


def report():
    rc, out, err = checks.run([sys.executable, ARGS.sink, "report", "--dir", ARGS.mail])
    if rc != 0:
        checks.bad("smtp_sink.py report: exit %d: %s" % (rc, err.strip()[-200:]))
    return checks.jsonl(out)


def n_mail():
    try:
        return sum(1 for f in os.listdir(ARGS.mail) if f.endswith(".eml"))
    except FileNotFoundError:
        return 0


def all_sent(desc, timeout):
    return wait_sql(desc, ALL_SENT, timeout)


def numbers(desc, nos):
    for no in nos:
        expect_true("%s: submitted, a complaint number" % desc, re.fullmatch(r"[0-9]+", no),
                    repr(no))


def customer_row(no, fields):
    return sql("select " + fields + " from notification where complaint_no = :'no'"
               " and recipient_kind = 'customer'", no=no)


# ------------------------------------------------------------------ a

def step_a(a):
    nos, no_none = a.args[:3], a.args[3]
    numbers("a", a.args)
    wait_sql("4 complaints assigned", "select count(*) >= 4 from complaint"
             " where state = 'assigned'", 20)
    all_sent("every notification sent, dead or suppressed, the log consumed", 30)
    n_handlers = sql_int("select count(*) from complaint c join staff s on s.id = c.handler"
                         " where s.email is not null")
    expect("customer receipts (one per complaint with an e-mail)", 3,
           sql_int("select count(*) from notification where event_type = 'complaint.received'"
                   " and recipient_kind = 'customer' and channel = 'email'"
                   " and state <> 'suppressed'"))
    expect("handler e-mails = assigned cases with a handler", n_handlers,
           sql_int("select count(*) from notification where event_type = 'complaint.assigned'"
                   " and channel = 'email'"))
    expect("handler inbox rows = assigned cases with a handler", n_handlers,
           sql_int("select count(*) from staff_inbox i join notification n"
                   " on n.id = i.notification_id"
                   " where n.event_type = 'complaint.assigned' and n.state = 'sent'"))
    expect("a customer with no e-mail and no phone: one suppressed row saying why",
           "suppressed|email|no e-mail address; no mobile number",
           sql("select state || '|' || channel || '|' || last_error from notification"
               " where complaint_no = :'no' and recipient_kind = 'customer'", no=no_none))
    expect("... and its notification.suppressed event", 1,
           sql_int("select count(*) from event_log where type = 'notification.suppressed'"
                   " and complaint_no = :'no'", no=no_none))
    n_rows = sql_int("select count(*) from notification where channel = 'email'"
                     " and state <> 'suppressed'")
    expect("the mailbox holds one message per e-mail row", n_rows, n_mail())
    rep = report()
    expect("every Message-ID in the mailbox is a row's, once",
           sql("select string_agg(message_id, ' ' order by message_id) from notification"
               " where channel = 'email' and state <> 'suppressed'").split(" "),
           sorted(m["message_id"] for m in rep))
    expect("every message arrived where its row says", n_rows,
           sum(1 for m in rep if m["rcpt"] == m["to"] and sql_int(
               "select count(*) from notification where message_id = :'m'"
               " and (address = :'a' or (recipient_kind = 'customer'"
               "                         and address like 'sealed:%%'))",
               m=m["message_id"], a=m["rcpt"]) == 1))
    expect("no header or body-line problems (8-bit headers, lines > 76)", [],
           [m["file"] for m in rep if m["problems"]])
    expect("MIME: every message UTF-8 text, base64, MIME 1.0", n_rows,
           sum(1 for m in rep if m["mime"] == "1.0" and m["cte"] == "base64"
               and re.match(r'text/plain; charset="?UTF-8', m["content_type"])))
    for i, no in enumerate(nos):
        mine = [m for m in rep if m["rcpt"] == "cust.a%d@example.com" % (i + 1)]
        expect("receipt %s: exactly one message" % no, 1, len(mine))
        m = mine[0] if mine else {"subject": "", "body": "", "subject_encoded": False}
        expect_true("receipt %s: the subject (decoded) has the number" % no, no in m["subject"])
        expect_true("receipt %s: the body has the number" % no, no in m["body"])
        if i == 2:
            expect_true("receipt %s (en): English, with what happens next and the deadline" % no,
                        m["subject"].startswith("We have received")
                        and "What happens next" in m["body"] and "15 days" in m["body"],
                        m["subject"])
        else:
            expect_true("receipt %s (zh): the subject is RFC 2047 encoded and decodes to Chinese"
                        % no, m["subject_encoded"])
            expect_true("receipt %s (zh): Chinese subject decodes, what happens next, 15 days" % no,
                        m["subject"].startswith("您的投诉已受理")
                        and "接下来" in m["body"] and "15日内" in m["body"], m["subject"])
    expect("the cursor reached the end of the log",
           sql("select max(seq) from event_log where type not like 'notification.%'"),
           sql("select max(seq) from event_log where seq <= (select last_seq from notifier_cursor)"
               " and type not like 'notification.%'"))
    expect("notification.sent events = sent rows",
           sql_int("select count(*) from notification where state = 'sent'"),
           sql_int("select count(*) from event_log where type = 'notification.sent'"))


def step_info(a):
    no = a.args[0]
    wait_sql("the customer of %s told of the request for information" % no,
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and event_type = 'complaint.info_requested' and state = 'sent'", 20, no=no)
    mine = [m for m in report() if m["rcpt"] == "cust.a1@example.com" and "补充信息" in m["subject"]]
    expect("info_requested: one message to the customer", 1, len(mine))
    m = mine[0] if mine else {"subject": "", "body": ""}
    expect_true("info_requested: the number, that the deadline moves on, not the request's text",
                no in m["subject"] and "顺延" in m["body"] and "扣费账单截图" not in m["body"])


# ------------------------------------------------------------------ marks

def step_mark(a):
    checks.mark_save(MARKS, a.args[0], {
        "mail": n_mail(),
        "id": sql_int("select coalesce(max(id), 0) from notification")})


def step_wait_assigned(a):
    wait_sql("%s complaints assigned" % a.args[0], "select count(*) >= :'n' from complaint"
             " where state = 'assigned'", float(a.args[1]), n=a.args[0])


def step_wait_mail(a):
    base = checks.mark_load(MARKS, a.args[0])["mail"]
    wait_for("%s messages since the mark %s" % (a.args[1], a.args[0]),
             lambda: n_mail() - base >= int(a.args[1]), float(a.args[2]))


def step_killed(a):
    base = checks.mark_load(MARKS, a.args[0])["mail"]
    note("SIGKILL after %d messages; rows left sending: %s"
         % (n_mail() - base, sql("select count(*) from notification where state = 'sending'")))


# ------------------------------------------------------------------ b, c, d

def step_b_down(a):
    no = a.args[0]
    numbers("b", [no])
    attempts = ("select coalesce(max(attempts), 0) >= %d from notification"
                " where complaint_no = :'no' and recipient_kind = 'customer'")
    wait_sql("the receipt of %s retried (2 attempts)" % no, attempts % 2, 20, no=no)
    row = customer_row(no, "state || ' ' || attempts || ' ' || (last_error is not null)")
    note("while the server is down: state attempts has_error = %s" % row)
    expect_true("while down: failed, attempts >= 2, the error kept",
                re.fullmatch(r"(failed|sending) [2-9] true", row), row)
    # Back-off: the gaps between one row's failures (its notification.failed
    # events) grow: attempt k waits at least half of 300 ms * 2^(k-1), capped
    # at 1500 ms (equal jitter; notify_smtp.sh's --backoff-ms 300
    # --backoff-cap-ms 1500). On a busy machine this step may see a 5th
    # attempt, whose wait is the cap's: from 750 ms, not 1200.
    wait_sql("the receipt of %s reaches 4 attempts" % no, attempts % 4, 20, no=no)
    rid = int(customer_row(no, "id"))
    at = [ev["at"] for _, _, ev in checks.events(
        "type = 'notification.failed' and complaint_no = :'no'", no=no)
        if ev["data"]["id"] == rid]
    gaps = [b - x for x, b in zip(at, at[1:])]
    note("gaps between the receipt's failures (ms): %s" % gaps)
    for k, g in enumerate(gaps, 1):
        expect_ge("gap before attempt %d (ms)" % (k + 1), min(300 << (k - 1), 1500) // 2 - 20, g)
    expect_ge("gaps measured", 2, len(gaps))
    expect_ge("notification.failed events for %s" % no, 2,
              sql_int("select count(*) from event_log where type = 'notification.failed'"
                      " and complaint_no = :'no'", no=no))


def step_b_up(a):
    no = a.args[0]
    before = checks.mark_load(MARKS, "b")["mail"]
    all_sent("every notification sent after the server came back", 30)
    expect("after recovery: the receipt of %s sent" % no, "sent", customer_row(no, "state"))
    expect("after recovery: %s's receipt arrived exactly once" % no, 1,
           sum(1 for m in report() if m["rcpt"] == "cust.b1@example.com"))
    expect("no other mail duplicated while down",
           before + sql_int("select count(*) from notification where channel = 'email'"
                            " and complaint_no = :'no'", no=no), n_mail())


def step_c(a):
    no = a.args[0]
    numbers("c", [no])
    wait_sql("the receipt of %s dead" % no, "select state = 'dead' from notification"
             " where complaint_no = :'no' and recipient_kind = 'customer'", 30, no=no)
    row = customer_row(no, "state || '|' || attempts || '|' || coalesce(last_error, '')")
    note("dead row: %s" % row)
    expect_true("dead after 3 attempts with the error",
                re.match(r"dead\|3\|.*([Cc]ouldn.t connect|refused)", row), row)
    # The handler's e-mail of the assignment goes dead too: count by row,
    # once the case is routed, the notifier has read every event and no row
    # is still trying (the receipt can die before the assignment's e-mail
    # is even made: CI counted 1 dead row, then found the events of 2).
    wait_sql("%s routed, every event read, every row settled" % no,
             "select (select state <> 'received' from complaint where complaint_no = :'no')"
             " and (" + ALL_SENT + ")", 30, no=no)
    dead = sql_int("select count(*) from notification where complaint_no = :'no'"
                   " and state = 'dead'", no=no)
    expect_ge("dead rows of %s (its receipt, its handler's e-mail)" % no, 1, dead)
    wait_sql("one notification.dead event per dead row",
             "select count(*) = :'n' from event_log where type = 'notification.dead'"
             " and complaint_no = :'no'", 10, no=no, n=dead)
    expect("2 notification.failed events before each", 2 * dead,
           sql_int("select count(*) from event_log where type = 'notification.failed'"
                   " and complaint_no = :'no'", no=no))


def step_d(a):
    mark = checks.mark_load(MARKS, a.args[0])
    all_sent("every notification sent after the restart", 60)
    ids = json.loads(sql("select coalesce(json_agg(message_id), '[]') from notification"
                         " where id > :'id' and channel = 'email'", id=mark["id"]))
    got = [m["message_id"] for m in report() if m["message_id"] in ids]
    expect("every e-mail row of the batch arrived (distinct Message-IDs)", len(ids), len(set(got)))
    dups = len(got) - len(set(got))
    note("duplicates (same Message-ID) after SIGKILL: %d" % dups)
    expect_le("at most the message in flight arrived twice", 1, dups)
    expect("nothing else arrived", mark["mail"] + len(ids) + dups, n_mail())
    expect("every row of the batch is sent", 0,
           sql_int("select count(*) from notification where id > :'id' and state <> 'sent'",
                   id=mark["id"]))


# ------------------------------------------------------------------ e, f

def step_e_refused(a):
    log, pid = a.args
    lines = checks.wait_log("the reload refused (pid %s)" % pid, log,
                            "pid=%s event=rules_refused" % pid, 10)
    want = ('path=%s/notify/templates/complaint.received.en.txt line=2 reason="unknown placeholder'
            % os.environ.get("TEST_DIR", ""))
    expect_true("reload refused with file:line", lines and want in lines[-1],
                lines[-1] if lines else "no line")


def step_e_sent(a):
    no = a.args[0]
    numbers("e", [no])
    wait_sql("after a refused reload the receipt of %s sent" % no,
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and state = 'sent' and recipient_kind = 'customer'", 20, no=no)


SETTLED = """select (select count(*) from complaint where sla_dirty)
                  + (select count(*) from sla_clock where next_fire_at <= app_now())
                  + (select count(*) from outbox) = 0"""


def step_f_ready(a):
    log, pid = a.args
    checks.wait_log("the watchdog started", log, "pid=%s event=started" % pid, 10)
    wait_sql("every case's clocks computed", "select count(*) = 0 from complaint where sla_dirty", 20)


def step_f_reminded(a):
    wait_sql("an sla.reminder after the clock moved 20 h",
             "select count(*) >= 1 from event_log where type = 'sla.reminder'", 30)
    wait_sql("the watchdog fired every reminder due", SETTLED, 30)


def step_f(a):
    wait_sql("an sla.escalated after the clock moved 30 h in all",
             "select count(*) >= 1 from event_log where type = 'sla.escalated'", 30)
    # Every step due is fired (nothing overdue, nothing to recompute), then
    # every notification of them is owed no more.
    wait_sql("the watchdog fired every step due", SETTLED, 30)
    all_sent("the sla notifications sent", 30)
    n_rem = sql_int("select count(*) from event_log e join complaint c"
                    " on c.complaint_no = e.complaint_no join staff s on s.id = c.handler"
                    " where e.type = 'sla.reminder' and s.email is not null")
    n_esc = sql_int("select count(*) from event_log where type = 'sla.escalated'")
    note("sla.reminder events (handler with e-mail): %d, sla.escalated events: %d" % (n_rem, n_esc))
    expect_ge("reminders happened", 1, n_rem)
    expect("one handler e-mail and one inbox row per reminder", "%d %d" % (n_rem, n_rem),
           sql("select count(*) filter (where channel = 'email') || ' ' ||"
               " count(*) filter (where channel = 'inbox') from notification"
               " where event_type = 'sla.reminder' and state = 'sent'"))
    expect("escalation rows go to the tier's supervisors only (tier 1)", "supervisor",
           sql("select string_agg(distinct recipient_kind, ',') from notification"
               " where event_type = 'sla.escalated'"))
    expect("every escalation row's recipient supervises the case's department", 0,
           sql_int("select count(*) from notification n join complaint c on c.id = n.complaint_id"
                   " join staff s on s.id = n.recipient where n.event_type = 'sla.escalated'"
                   " and (s.role <> 'supervisor' or s.department <> c.department)"))
    expect("escalation inbox rows = escalation inbox notifications",
           sql_int("select count(*) from notification where event_type = 'sla.escalated'"
                   " and channel = 'inbox'"),
           sql_int("select count(*) from staff_inbox i join notification n"
                   " on n.id = i.notification_id where n.event_type = 'sla.escalated'"))
    rep = report()
    #  At +30 h both 24-hour clocks (acknowledge, and the customer's first
    #  response) have breached and escalated.
    expect("every escalation e-mail arrived, subject decoded to 督办, the stage named"
           " (受理 or 首次响应)",
           sql_int("select count(*) from notification where event_type = 'sla.escalated'"
                   " and channel = 'email'"),
           sum(1 for m in rep if m["subject"].startswith("督办")
               and re.search("(受理|首次响应)阶段", m["body"])))
    expect("every reminder e-mail arrived in Chinese, the stage by its Chinese name", n_rem,
           sum(1 for m in rep if m["subject"].startswith("催办：")
               and re.search("的(受理|首次响应|办结|复核)时限", m["subject"])))


def step_privacy(a):
    # Decoded: no string anywhere in a notification.* event has an '@' or a
    # subject's or body's text (the error text is the transport's).
    expect("notification.* events carrying an address or message text", [],
           checks.leaking_events(r"@|投诉|(?i:complaint).{30,}", "type like 'notification.%'"))
    expect_ge("notification.* events checked", 30,
              sql_int("select count(*) from event_log where type like 'notification.%'"))


STEPS = {"a": step_a, "info": step_info, "mark": step_mark, "b-down": step_b_down,
         "b-up": step_b_up, "c": step_c, "wait-assigned": step_wait_assigned,
         "wait-mail": step_wait_mail, "killed": step_killed, "d": step_d,
         "e-refused": step_e_refused, "e-sent": step_e_sent, "f-ready": step_f_ready,
         "f-reminded": step_f_reminded, "f": step_f, "privacy": step_privacy}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--mail", "--sink"), setup, lambda step, args: step(args))


if __name__ == "__main__":
    sys.exit(main())
