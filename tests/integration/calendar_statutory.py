#!/usr/bin/python3
"""calendar_statutory.py — the provisional statutory days and the
deadlines counted on them (calendar_statutory.sh says what and why)."""
import argparse
import json
import subprocess
import sys

from checks import expect, expect_true, run, status

# The statutory days off (全国年节及纪念日放假办法 art. 2, in force from
# 2025-01-01), by hand: the lunar New Year, 端午 (5/5) and 中秋 (8/15) from
# the Hong Kong Observatory's Gregorian-lunar tables, 清明 from the solar
# term's date. 除夕 is the day before the lunar New Year.
EXPECTED = {
    2027: [("2027-01-01", "2027-01-01", "元旦"), ("2027-02-05", "2027-02-08", "春节"),
           ("2027-04-05", "2027-04-05", "清明"), ("2027-05-01", "2027-05-02", "劳动节"),
           ("2027-06-09", "2027-06-09", "端午"), ("2027-09-15", "2027-09-15", "中秋"),
           ("2027-10-01", "2027-10-03", "国庆")],
    # 中秋 falls on 10-03, inside 国庆: one line, both names
    2028: [("2028-01-01", "2028-01-01", "元旦"), ("2028-01-25", "2028-01-28", "春节"),
           ("2028-04-04", "2028-04-04", "清明"), ("2028-05-01", "2028-05-02", "劳动节"),
           ("2028-05-28", "2028-05-28", "端午"), ("2028-10-01", "2028-10-03", "中秋")],
    2029: [("2029-01-01", "2029-01-01", "元旦"), ("2029-02-12", "2029-02-15", "春节"),
           ("2029-04-04", "2029-04-04", "清明"), ("2029-05-01", "2029-05-02", "劳动节"),
           ("2029-06-16", "2029-06-16", "端午"), ("2029-09-22", "2029-09-22", "中秋"),
           ("2029-10-01", "2029-10-03", "国庆")],
    2030: [("2030-01-01", "2030-01-01", "元旦"), ("2030-02-02", "2030-02-05", "春节"),
           ("2030-04-05", "2030-04-05", "清明"), ("2030-05-01", "2030-05-02", "劳动节"),
           ("2030-06-05", "2030-06-05", "端午"), ("2030-09-12", "2030-09-12", "中秋"),
           ("2030-10-01", "2030-10-03", "国庆")],
}


def provisional_lines(text):
    """(from, to, label) of every `provisional` line."""
    out = []
    for line in text.splitlines():
        words = line.split(None, 2)
        if len(words) == 3 and words[0] == "provisional":
            a, _, b = words[1].partition("..")
            out.append((a, b or a, words[2]))
    return out


def check_generator(ctl, conf):
    rc, out, err = run([ctl, "calendar", "statutory", "2027..2030"])
    expect("calendar statutory 2027..2030 exit status", 0, rc)
    got = provisional_lines(out)
    want = [d for year in sorted(EXPECTED) for d in EXPECTED[year]]
    expect("provisional lines printed", len(want), len(got))
    for (a, b, name), (ga, gb, label) in zip(want, got):
        expect("%s %s: first day" % (a[:4], name), a, ga)
        expect("%s %s: last day" % (a[:4], name), b, gb)
        expect_true("%s %s: label names it" % (a[:4], name), name in label, label)
    shipped = provisional_lines(open(conf, encoding="utf-8").read())
    expect("deploy/calendars/cn.conf carries exactly the generated lines", got, shipped)
    rc, _, err = run([ctl, "calendar", "statutory", "2100"])
    expect("a year past the tables: usage error", 2, rc)
    expect_true("... naming the years it can do", "2001..2099" in err, err.strip())
    rc, _, err = run([ctl, "calendar", "statutory", "2027-2030"])
    expect("a malformed range: usage error", 2, rc)


def add(ctl, start, span):
    rc, out, err = run([ctl, "calendar", "add", "--calendar", "cn", "--from", start,
                        "--span", span, "--json"])
    expect("calendar add %s + %s exit status" % (start, span), 0, rc)
    return json.loads(out), err


def check_deadlines(ctl):
    cases = [
        # from, span, deadline, provisional, why
        ("2026-12-30 10:00", "2wd", "2027-01-04 24:00 +08:00 Mon", True,
         "New Year's Day 2027 is off"),
        ("2027-01-22 10:00", "15d", "2027-02-09 24:00 +08:00 Tue", True,
         "day 15 is in 除夕..初三 (02-05..02-08)"),
        ("2027-09-17 10:00", "15d", "2027-10-04 24:00 +08:00 Mon", True,
         "day 15 is 10-02, National Day"),
        ("2028-09-02 10:00", "30d", "2028-10-04 24:00 +08:00 Wed", True,
         "day 30 is 10-02, National Day with Mid-Autumn to 10-03"),
        ("2026-09-20 10:00", "15d", "2026-10-08 24:00 +08:00 Thu", False,
         "the 2026 notice: National Day 10-01..10-07"),
        ("2030-12-31 10:00", "1d", "2031-01-01 24:00 +08:00 Wed", False,
         "after the provisional years: the weekly pattern alone"),
    ]
    for start, span, want, provisional, why in cases:
        out, err = add(ctl, start, span)
        expect("%s + %s (%s)" % (start, span, why), want, out.get("deadline_local"))
        expect("%s + %s: provisional" % (start, span), provisional, out.get("provisional"))
        if provisional:
            expect_true("%s + %s: the warning says provisional" % (start, span),
                        "provisional" in err and "notice" in err, err.strip())
        elif out.get("covered"):
            expect("%s + %s: no warning inside covers" % (start, span), "", err.strip())
        else:
            expect_true("%s + %s: the weekly-pattern warning" % (start, span),
                        "weekly pattern" in err, err.strip())
    rc, out, _ = run([ctl, "calendar", "check", "cn"])
    expect("calendar check cn exit status", 0, rc)
    expect_true("check reports the provisional years",
                "provisional to 2030-12-31: 51 statutory days off" in out, out.strip())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ctl", required=True)
    p.add_argument("--conf", required=True)
    args = p.parse_args()
    check_generator(args.ctl, args.conf)
    check_deadlines(args.ctl)
    return status()


if __name__ == "__main__":
    sys.exit(main())
