#!/usr/bin/python3
"""hotline_import.py — the hotline's export folder (see hotline_import.sh).

    hotline_import.py --inbox DIR --spool DIR small | again | big-start | big-end
"""
import csv
import datetime
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, wait_for, wait_sql  # noqa: E402

ARGS = None
COLUMNS = ["call_id", "started_at", "caller_number", "customer_name", "ivr_path",
           "recording_ref", "branch", "product", "complaint", "demand", "agent_id",
           "resolved_on_call", "outcome", "resolution",
           "staff_concerned", "incident_at", "incident_place"]    # issue 16 follow-up
BIG = 5000


def at(minutes_ago):
    """A call start in the bank's zone, written without an offset."""
    t = datetime.datetime.utcnow() + datetime.timedelta(hours=8) - datetime.timedelta(minutes=minutes_ago)
    return t.strftime("%Y-%m-%d %H:%M:%S")


def row(cid, words, **kw):
    r = {"call_id": cid, "started_at": at(30), "caller_number": "1380000%04d" % (hash(cid) % 10000),
         "customer_name": "客户" + cid[-3:], "ivr_path": "1-2", "recording_ref": "REC-" + cid,
         "branch": "北京分行", "product": "信用卡", "complaint": words, "demand": "",
         "agent_id": "A07", "resolved_on_call": "", "outcome": "", "resolution": "",
         "staff_concerned": "", "incident_at": "", "incident_place": ""}
    r.update(kw)
    return r


def drop(name, rows, extra_lines=()):
    """Write NAME under another name, then rename it in (as the export should)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    for line in extra_lines:
        buf.write(line + "\r\n")
    tmp = os.path.join(ARGS.inbox, "." + name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(buf.getvalue())
    os.rename(tmp, os.path.join(ARGS.inbox, name))


def small_rows():
    return [
        row("CC-S-001", "信用卡年费被扣两次，要求退还。", staff_concerned="柜员张某",
            incident_at="2026-11-30 09:15", incident_place="北京分行营业部"),
        row("CC-S-002", "第一行：转账失败\n第二行：钱已扣，\"对方\"没收到\n第三行：请尽快处理",
            product="电子银行"),
        row("CC-S-003", "客户询问积分规则。", resolved_on_call="是", outcome="explanation",
            resolution="已在电话中解释积分规则。"),
        row("CC-S-004", "号码写错的来电。", caller_number="call me maybe"),
        row("CC-S-005", "English words, lang default.", started_at=at(5)[:16] + "+08:00"),
    ]


def in_folder(sub, name):
    return os.path.exists(os.path.join(ARGS.inbox, sub, name) if sub else os.path.join(ARGS.inbox, name))


def refs_once(refs):
    rows = sql("select ref, count(*) from complaint where channel = 'hotline' group by ref")
    counts = dict(l.split("|") for l in rows.splitlines() if l)
    return [r for r in refs if counts.get(r) != "1"]


def step_small():
    note("--- small: an export with good and bad rows")
    drop("calls-1.csv", small_rows(), extra_lines=["CC-S-006,only three,columns"])
    wait_for("calls-1.csv moved to done/", lambda: in_folder("done", "calls-1.csv"), 20)
    expect_true("calls-1.csv left the inbox", not in_folder(None, "calls-1.csv"))
    good = ["CC-S-001", "CC-S-002", "CC-S-003", "CC-S-005"]
    wait_sql("the four good calls in the store",
             "select count(*) = 4 from complaint where ref in ('CC-S-001','CC-S-002','CC-S-003','CC-S-005')",
             20)
    expect("each once", [], refs_once(good))
    expect("no complaint for the bad rows", 0,
           sql_int("select count(*) from complaint where ref in ('CC-S-004', 'CC-S-006')"))
    expect_true("the quoted three-line words kept whole",
                sql_int("select count(*) from complaint where ref = 'CC-S-002' and body like"
                        " '第一行：转账失败' || chr(10) || '第二行：钱已扣，\"对方\"没收到' || chr(10)"
                        " || '第三行：请尽快处理%'") == 1)
    expect("received_at from started_at (bank's zone, no offset)", "t",
           sql("select abs(extract(epoch from received_at) - extract(epoch from now()"
               " - interval '30 minutes')) < 120 from complaint where ref = 'CC-S-001'"))
    # issue 16 follow-up (adapters2): the incident columns; 09:15 Beijing is 01:15 UTC
    expect("the incident columns stored (the time in the bank's zone); none where empty",
           "柜员张某|1796001300000|北京分行营业部 0",
           sql("select staff_concerned || '|' || (extract(epoch from incident_at) * 1000)::bigint"
               " || '|' || incident_place from complaint where ref = 'CC-S-001'") + " "
           + str(sql_int("select count(*) from complaint where ref = 'CC-S-002'"
                         " and (staff_concerned is not null or incident_at is not null"
                         " or incident_place is not null)")))
    expect("the row resolved on the call: resolved under the import token",
           "resolved|zhao_min|explanation",
           sql("select state, handler, resolution_outcome from complaint where ref = 'CC-S-003'"))
    path = os.path.join(ARGS.inbox, "rejected", "calls-1.csv.rejects.csv")
    expect_true("a rejects file", os.path.exists(path), str(os.listdir(os.path.join(ARGS.inbox, "rejected"))))
    with open(path, encoding="utf-8") as f:
        rej = list(csv.reader(f))
    expect("rejects header", ["line", "call_id", "field", "reason"], rej[0])
    got = [(r[0], r[1], r[2]) for r in rej[1:]]
    # the header is line 1; CC-S-002 spans three lines (3-5)
    expect("rejects: line, call id, field", [("7", "CC-S-004", "caller_number"),
                                             ("9", "CC-S-006", "row")], got)
    expect_true("each reject has a reason", all(r[3] for r in rej[1:]), str(rej))


def step_again():
    note("--- again: the same file, and an overlapping export")
    drop("calls-1.csv", small_rows())
    overlap = [row("CC-S-001", "信用卡年费被扣两次，要求退还。"),
               row("CC-S-010", "新的来电：柜台服务态度差。"),
               row("CC-S-011", "新的来电：ATM 吞卡。")]
    drop("calls-2.csv", overlap)
    wait_for("both taken", lambda: in_folder("done", "calls-1.1.csv")
             and in_folder("done", "calls-2.csv"), 20)
    wait_sql("the two new calls stored",
             "select count(*) = 2 from complaint where ref in ('CC-S-010', 'CC-S-011')", 20)
    wait_for("the spool drained", lambda: not os.listdir(os.path.join(ARGS.spool, "new")), 20)
    expect("every call id once", [], refs_once(["CC-S-001", "CC-S-002", "CC-S-003", "CC-S-005",
                                                "CC-S-010", "CC-S-011"]))
    expect("hotline complaints in all", 6,
           sql_int("select count(*) from complaint where channel = 'hotline'"))
    expect_true("the second drop's rejects kept beside the first's",
                in_folder("rejected", "calls-1.1.csv.rejects.csv")
                and in_folder("rejected", "calls-1.csv.rejects.csv"))


def spool_entries():
    n = 0
    for sub in ("new", "done"):
        d = os.path.join(ARGS.spool, sub)
        n += sum(1 for e in os.listdir(d) if not e.endswith(".reply"))
    return n


def step_big_start():
    note("--- big: %d rows, killed while half taken" % BIG)
    base = spool_entries()
    rows = [row("CC-B-%05d" % i, "批量来电第 %d 条：网银登录失败。" % i, started_at=at(60 + i % 600))
            for i in range(BIG)]
    drop("big.csv", rows)
    # the desk answers while the file is read (a slice at a time)
    import urllib.request
    checks.wait_until(lambda: spool_entries() - base >= 20, 60, 0.01)
    worst = 0.0
    for _ in range(5):
        t0 = time.monotonic()
        urllib.request.urlopen(ARGS.desk + "/", timeout=10).read()
        worst = max(worst, time.monotonic() - t0)
    expect_true("the desk answers within 1 s while the export is read (worst %.3f s)" % worst,
                worst < 1.0 and in_folder(None, "big.csv"))
    ok = checks.wait_until(lambda: spool_entries() - base >= 200, 60, 0.01)
    expect_true("part of big.csv taken, not all of it, when hotline is killed",
                ok and in_folder(None, "big.csv") and spool_entries() - base < BIG,
                "spooled %d" % (spool_entries() - base))


def step_big_end():
    refs = ["CC-B-%05d" % i for i in range(BIG)]
    wait_for("big.csv moved to done/ after the restart", lambda: in_folder("done", "big.csv"), 120)
    wait_sql("all %d rows in the store" % BIG,
             "select count(distinct ref) = %d from complaint where ref like 'CC-B-%%'" % BIG, 180)
    expect("every row exactly once", [], refs_once(refs)[:10])
    expect("no more complaints than rows", BIG,
           sql_int("select count(*) from complaint where ref like 'CC-B-%'"))
    expect_true("no rejects for big.csv", not in_folder("rejected", "big.csv.rejects.csv"))
    wait_for("the spool drained", lambda: not os.listdir(os.path.join(ARGS.spool, "new")), 60)
    import urllib.request

    def samples():
        text = urllib.request.urlopen(ARGS.metrics + "/metrics", timeout=5).read().decode()
        return dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))

    def value(name):
        return int(float(samples().get(name, -1)))
    # the restarted process read big.csv again from its first line
    expect("metrics: rows spooled, files done since the restart",
           (BIG, 1), (value('complaints_hotline_rows_total{result="spooled"}'),
                      value('complaints_hotline_files_total{result="done"}')))
    # the gauge is set once a second
    wait_for("metrics: the spool's depth back to 0", lambda: value("complaints_spool_depth") == 0, 10)
    health = urllib.request.urlopen(ARGS.metrics + "/healthz", timeout=5)
    expect("/healthz", 200, health.status)


def step_outage_drop():
    note("--- intake stopped: an export is still taken")
    rows = [row("CC-O-%03d" % i, "停机期间的来电 %d。" % i) for i in range(50)]
    drop("outage.csv", rows)
    wait_for("outage.csv in done/ while intake is down", lambda: in_folder("done", "outage.csv"), 30)
    expect("none of it in the store yet", 0,
           sql_int("select count(*) from complaint where ref like 'CC-O-%'"))
    expect_true("all of it waiting in the spool", len(os.listdir(os.path.join(ARGS.spool, "new"))) >= 50)


def step_outage_end():
    note("--- intake back: every row arrives once")
    wait_sql("all 50 in the store", "select count(*) = 50 from complaint where ref like 'CC-O-%'", 60)
    expect("each once", [], refs_once(["CC-O-%03d" % i for i in range(50)]))
    wait_for("the spool drained", lambda: not os.listdir(os.path.join(ARGS.spool, "new")), 30)


def main():
    global ARGS

    def setup(args):
        global ARGS
        ARGS = args

    return checks.step_main({"small": step_small, "again": step_again,
                             "big-start": step_big_start, "big-end": step_big_end,
                             "outage-drop": step_outage_drop, "outage-end": step_outage_end},
                            options=("--inbox", "--spool", "--metrics", "--desk"), setup=setup)


if __name__ == "__main__":
    sys.exit(main())
