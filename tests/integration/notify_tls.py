#!/usr/bin/python3
"""notify_tls.py — the checks of tests/integration/notify_tls.sh: the
notifier through a relay that demands STARTTLS and AUTH (smtp_tls_sink.py).

    notify_tls.py --dir TEST_DIR STEP ARGS...

    secrets          writes relay.password, smtp.password (the same) and
                     wrong.password, each created with mode 0600
    ok NO PID        the receipt arrives over TLS, authenticated as the
                     user; the password in neither the notifier's log nor
                     its /proc/PID/cmdline
    untrusted NO     without the bank's CA: dead for the certificate,
                     nothing delivered, no AUTH attempted
    wrong NO         a wrong password: dead (535), nothing delivered
    plaintext NO     --smtp-tls off: the relay refuses before MAIL (530),
                     nothing delivered, no AUTH attempted
"""
import email
import email.policy
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, sql, wait_sql  # noqa: E402

ARGS = None
PASSWORD = "relay-pw-41c2e8-not-for-logs"


def path(*names):
    return os.path.join(ARGS.dir, *names)


def write_secret(name, text):
    fd = os.open(path(name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, text.encode())
    os.close(fd)


def delivered():
    """The relay's records of accepted messages, oldest first."""
    d = path("mail")
    names = sorted(n for n in os.listdir(d) if n.endswith(".json")) if os.path.isdir(d) else []
    out = []
    for n in names:
        with open(os.path.join(d, n), encoding="utf-8") as f:
            rec = json.load(f)
        with open(os.path.join(d, n[:-5] + ".eml"), "rb") as f:
            rec["eml"] = f.read()
        out.append(rec)
    return out


def auth_log():
    try:
        with open(path("mail", "auth.log"), encoding="utf-8") as f:
            return f.read().split("\n")[:-1]
    except FileNotFoundError:
        return []


def receipt_state(no, want):
    wait_sql("the receipt of %s %s" % (no, want),
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and recipient_kind = 'customer' and channel = 'email' and state = :'want'",
             30, no=no, want=want)
    return sql("select coalesce(last_error, '') from notification where complaint_no = :'no'"
               " and recipient_kind = 'customer' and channel = 'email'", no=no)


def step_secrets():
    write_secret("relay.password", PASSWORD + "\n")
    write_secret("smtp.password", PASSWORD + "\n")
    write_secret("wrong.password", "not-" + PASSWORD + "\n")
    expect("password files: mode", ["0600"] * 3,
           ["%04o" % (os.stat(path(n)).st_mode & 0o777)
            for n in ("relay.password", "smtp.password", "wrong.password")])


def step_ok(no, pid):
    expect_true("submitted, a complaint number", re.fullmatch(r"[0-9]+", no), repr(no))
    receipt_state(no, "sent")
    got = delivered()
    expect("one message at the relay", 1, len(got))
    if not got:
        return
    rec = got[0]
    expect("... for the customer", ["cust.t1@example.com"], rec["rcpt"])
    expect_true("... over TLS (STARTTLS)", (rec.get("tls") or {}).get("version") in
                ("TLSv1.2", "TLSv1.3"), rec.get("tls"))
    expect("... authenticated as the notifier's --smtp-user", "complaints", rec.get("auth_user"))
    msg = email.message_from_bytes(rec["eml"], policy=email.policy.default)
    body = msg.get_content() if msg.get_content_type() == "text/plain" else ""
    expect_true("... the whole receipt: a Message-ID, the complaint number in the body",
                msg.get("Message-ID") and no in body, (msg.get("Message-ID"), body[:200]))
    expect("the relay's AUTH log", ["ok complaints"], auth_log())
    with open(path("notifier.log"), errors="replace") as f:
        log = f.read()
    expect_true("the password is not in the notifier's log", PASSWORD not in log)
    with open("/proc/%s/cmdline" % pid, "rb") as f:
        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    expect_true("... nor on its command line", PASSWORD not in cmdline, cmdline)


def step_untrusted(no):
    err = receipt_state(no, "dead")
    expect_true("dead for the relay's certificate (not the bank's CA given)",
                re.search(r"certificate|SSL|TLS", err, re.I), err)
    expect("nothing more delivered", 1, len(delivered()))
    expect("no AUTH attempted: the password never left", ["ok complaints"], auth_log())


def step_wrong(no):
    err = receipt_state(no, "dead")
    expect_true("dead for the login (535)", re.search(r"535|[Ll]ogin", err), err)
    expect("nothing more delivered", 1, len(delivered()))
    expect("the relay refused the wrong password", ["ok complaints", "refused complaints"],
           auth_log())


def step_plaintext(no):
    err = receipt_state(no, "dead")
    expect_true("dead: the relay demands STARTTLS before MAIL (530)",
                re.search(r"530|STARTTLS|TLS", err), err)
    expect("nothing more delivered", 1, len(delivered()))
    expect("no AUTH in plaintext", ["ok complaints", "refused complaints"], auth_log())


STEPS = {"secrets": step_secrets, "ok": step_ok, "untrusted": step_untrusted,
         "wrong": step_wrong, "plaintext": step_plaintext}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--dir",), setup)


if __name__ == "__main__":
    sys.exit(main())
