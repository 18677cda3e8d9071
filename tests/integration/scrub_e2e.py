#!/usr/bin/python3
"""scrub_e2e.py — the checker of tests/integration/scrub_e2e.sh: no seeded
identity survives on the published stream, in any form people write it.

    scrub_e2e.py --ctl complaintctl --out DIR submit N
        N random customers (a fixed seed: a failure repeats), each with a
        name (CJK or pinyin), a mobile, a card, an account and an ID
        number, submitted through complaintctl submit --json with a subject,
        body and demand that carry those identities in random forms:
        full-width digits and letters, groups joined by spaces, ideographic
        spaces, . - / ( ) and their full-width forms, mixed widths, names
        spaced out, in capitals, in reverse order; plus text that must
        survive (a marker word, a date, an amount). Keeps the identities
        in DIR/scrub_e2e.json.
    scrub_e2e.py --ctl complaintctl --out DIR check
        waits for every complaint.received and a notification.dead for each
        (the gateway refuses quoting the number and the text), then reads
        every event of event_log and of `complaintctl replay --from 0`, and
        checks: no string of any event holds any seeded identity, compared
        in NFKC with letters and digits only (so no spacing or width hides a
        survivor), digits any 8 in a row of each number; each
        complaint.received still carries its marker, date and amount, and
        XXXX where the identities were; the gateway did get the number (the
        echo was real) and the dead events' errors show XXXX instead.
"""
import json
import os
import random
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, run, sql_int, wait_sql  # noqa: E402

SURNAMES = "张王李赵刘陈杨黄"
GIVEN = "伟芳娜敏静丽强磊军"
PY_SUR = ["Zhang", "Wang", "Zhao", "Liu", "Chen", "Yang"]
PY_GIVEN = ["Wei", "Fang", "Mingyu", "Jing", "Qiang", "Lei"]
FILLER = ["我的信用卡被多扣了一笔年费，", "客服说会在三个工作日内回电，", "请尽快处理。",
          "the branch refused to refund. ", "联系电话：", "卡号", "身份证号码 ", " tel ",
          "本人", "Dear bank, ", "第 3 次投诉。", "\n", "（", "）", " "]
SEPS = [" ", "\u3000", ".", "-", "/", "\uff0e", "\uff0d", "\uff0f", "\u2013", "\u00a0"]
STATE = "scrub_e2e.json"


def wide(c, style, rng):
    """c plain (style 0), full-width (1) or either (2)."""
    if (style == 1 or (style == 2 and rng.random() < 0.5)) and "!" <= c <= "~":
        return chr(0xFF01 + ord(c) - ord("!"))
    return c


def number_form(digits, rng):
    style = rng.randrange(3)
    out = ""
    if rng.randrange(8) == 0:
        out += wide(rng.choice("(+"), style, rng)
    grouped = rng.randrange(3) != 0
    nxt = 1 + rng.randrange(5) if grouped else len(digits)
    for i, d in enumerate(digits):
        if i == nxt:
            if rng.randrange(6) == 0:
                out += wide(")", style, rng) + " "
            else:
                out += "".join(rng.choice(SEPS) for _ in range(1 + rng.randrange(2)))
            nxt = i + 1 + rng.randrange(5)
        out += wide(d, style, rng)
    return out


def name_form(parts, latin, rng):
    style = rng.randrange(3)
    if latin and rng.randrange(2):
        parts = list(reversed(parts))
    caps = rng.randrange(3)
    out = ""
    for p, part in enumerate(parts):
        if p > 0:
            n = 1 + rng.randrange(2) if latin else rng.randrange(3)
            out += "".join(rng.choice([" ", "\u3000"]) for _ in range(n))
        if latin:
            part = part.lower() if caps == 0 else part.upper() if caps == 1 else part
            out += "".join(wide(c, style, rng) for c in part)
        else:
            out += part
    return " " + out + rng.choice([" ", ", "]) if latin else out


def identity(rng, i):
    latin = rng.randrange(2) == 0
    if latin:
        parts = [rng.choice(PY_SUR), rng.choice(PY_GIVEN)]
        name = " ".join(parts)
    else:
        parts = [rng.choice(SURNAMES)] + [rng.choice(GIVEN) for _ in range(1 + rng.randrange(2))]
        name = "".join(parts)
    digits = lambda n, prefix="": prefix + "".join(rng.choice("0123456789")
                                                   for _ in range(n - len(prefix)))
    idno = digits(17, rng.choice(["110", "44"])) + rng.choice(["X", str(rng.randrange(10))])
    marker = "marker" + "".join(chr(ord("a") + int(c)) for c in "%03d" % i)
    return {"name": name, "parts": parts, "latin": latin,
            "phone": digits(11, rng.choice(["13", "15", "18"])),
            "card": digits(16 + rng.randrange(4), "62"),
            "account": digits(12 + rng.randrange(6)), "id_no": idno, "marker": marker}


def text(who, rng, pieces):
    out = ""
    for _ in range(pieces):
        out += rng.choice(FILLER)
        kind = rng.randrange(6)
        if kind == 0:
            out += number_form(who["phone"], rng)
        elif kind == 1:
            out += number_form(who["card"], rng)
        elif kind == 2:
            out += number_form(who["account"], rng)
        elif kind == 3:
            out += number_form(who["id_no"], rng)
        else:
            out += name_form(who["parts"], who["latin"], rng)
    return out


def submit(n):
    rng = random.Random(20261124)
    people = []
    for i in range(int(n)):
        who = identity(rng, i)
        # Every identity at least once in the body, then random ones.
        body = (name_form(who["parts"], who["latin"], rng) + "，电话" + number_form(who["phone"], rng)
                + "，卡号" + number_form(who["card"], rng) + "，账户" + number_form(who["account"], rng)
                + "，身份证" + number_form(who["id_no"], rng) + "。 " + who["marker"]
                + " 2026-11-23 1250.50元，" + text(who, rng, 6))
        req = {"channel": "hotline", "ref": "scrub-%03d" % i, "lang": "zh",
               "subject": text(who, rng, 2)[:60], "body": body,
               "demand": "退款给 " + text(who, rng, 2), "narrative_consent": True,
               "customer": {"name": who["name"], "phone": who["phone"],
                            "account": who["account"], "id_no": who["id_no"]}}
        rc, out, err = run([ARGS.ctl, "submit", "--json"], stdin=json.dumps(req))
        reply = (checks.jsonl(out) or [{}])[0]
        expect_true("submit %s accepted" % req["ref"], rc == 0 and reply.get("ok"),
                    "rc %d %s %s" % (rc, out.strip(), err.strip()))
        who["complaint_no"] = reply.get("complaint_no")
        people.append(who)
    with open(os.path.join(ARGS.out, STATE), "w", encoding="utf-8") as f:
        json.dump(people, f, ensure_ascii=False)


def compact(s):
    """Letters and digits only, in NFKC, case-folded, digits as ASCII."""
    out = []
    for c in unicodedata.normalize("NFKC", s):
        if c.isdigit() and unicodedata.decimal(c, None) is not None:
            out.append(str(unicodedata.decimal(c)))
        elif c.isalnum():
            out.append(c.casefold())
    return "".join(out)


def needles(who):
    """What must not appear in a compacted string: each number's digits 8 in
    a row (any part of it long enough to point at the customer), the name's
    letters in either order."""
    found = set()
    for key in ("phone", "card", "account", "id_no"):
        d = "".join(c for c in who[key] if c.isdigit())
        found.update(d[i:i + 8] for i in range(len(d) - 7))
    found.add(compact("".join(who["parts"])))
    found.add(compact("".join(reversed(who["parts"]))))
    return found


def strings(value):
    yield from checks.strings(value)


def leaks(events, people):
    bad = []
    keys = [(who["name"], n) for who in people for n in needles(who)]
    for seq, ev in events:
        for s in strings(ev):
            c = compact(s)
            for name, needle in keys:
                if needle in c:
                    bad.append((seq, name, needle, s[:80]))
    return bad


def check():
    with open(os.path.join(ARGS.out, STATE), encoding="utf-8") as f:
        people = json.load(f)
    n = len(people)
    wait_sql("a complaint.received for each of the %d complaints" % n,
             "select count(*) >= %d from event_log where type = 'complaint.received'" % n, 20)
    wait_sql("a notification.dead for each (the gateway refuses, quoting)",
             "select count(*) >= %d from event_log where type = 'notification.dead'" % n, 60)
    stored = [(seq, ev) for seq, _, ev in checks.events()]
    expect_true("the log holds events", len(stored) >= 2 * n, len(stored))
    expect("no seeded identity in any event_log row, in any form", [],
           leaks(stored, people))
    rc, out, err = run([ARGS.ctl, "replay", "--from", "0"])
    replayed = [(ev.get("seq"), ev) for ev in checks.jsonl(out)]
    expect("complaintctl replay: exit status", 0, rc)
    expect("complaintctl replay gives every event", len(stored), len(replayed))
    expect("no seeded identity in any replayed event, in any form", [],
           leaks(replayed, people))
    by_no = {ev.get("complaint_no"): ev for _, ev in stored if ev.get("type") == "complaint.received"}
    kept = 0
    for who in people:
        body = ((by_no.get(who["complaint_no"]) or {}).get("data") or {}).get("body") or ""
        whole = who["marker"] in body and "2026-11-23 1250.50元" in body and "XXXX" in body
        kept += whole
        if not whole:
            checks.note("%s lost more than its identities: %r" % (who["complaint_no"], body))
    expect("every complaint.received keeps the rest of its text (marker, date, amount) "
           "and shows XXXX", n, kept)
    # The gateway got the real number (the echo quoted it); the events show XXXX.
    quoted = 0
    gw = os.path.join(ARGS.out, "gateway")
    phones = {who["phone"] for who in people}
    for name in os.listdir(gw) if os.path.isdir(gw) else []:
        if name.endswith(".json") and not name.startswith("."):
            with open(os.path.join(gw, name), encoding="utf-8") as f:
                body = json.load(f).get("body") or {}
            quoted += any(p in (body.get("to") or "") for p in phones)
    expect_true("the gateway was sent the customers' numbers", quoted >= n, quoted)
    masked = sql_int("select count(*) from notification where state = 'dead'"
                     " and last_error like 'HTTP 400%%invalid recipient XXXX%%'")
    expect_true("the store keeps the gateway's answers, the quoted number masked",
                masked >= n, masked)
    digits = {re.sub(r"\D", "", p) for p in phones}
    errors = [r[0] for r in checks.sql_rows("select coalesce(last_error, '') from notification")]
    expect("no customer's number in any notification.last_error", [],
           [e for e in errors if any(d and d in re.sub(r"\D", "", e) for d in digits)])
    log = os.path.join(ARGS.out, "notifier.log")
    with open(log, encoding="utf-8", errors="replace") as f:
        logged = re.sub(r"\D", "", f.read())
    expect("no customer's number in the notifier's log", [],
           sorted(d for d in digits if d and d in logged))
    dead = [ev for _, ev in stored if ev.get("type") == "notification.dead"]
    shown = sum("invalid recipient XXXX" in ((ev.get("data") or {}).get("error") or "")
                for ev in dead)
    expect("every notification.dead shows the quoted number as XXXX", len(dead), shown)


ARGS = None


def main():
    global ARGS

    def setup(args):
        global ARGS
        ARGS = args
    return checks.step_main({"submit": submit, "check": check}, ("--ctl", "--out"), setup)


if __name__ == "__main__":
    sys.exit(main())
