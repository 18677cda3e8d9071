#!/usr/bin/python3
"""notify_secrets.py — the checks of tests/integration/notify_secrets.sh
(issue 13, secrets hygiene), one subcommand per step:

    notify_secrets.py --dir TEST_DIR STEP ARGS...

    refuse NOTIFIER      --smtp-password, --sms-auth, --push-auth refused,
                         a loose password or auth file refused naming it
                         and its mode, a --pg conninfo with a password
                         refused (the notifier and complaintctl); writes
                         the 0600 password file the later steps use
    loopback NO PID      mail sent with the password from the file; the
                         password in neither the log nor /proc/PID/cmdline
    real-refused NO PID  a non-loopback server without STARTTLS: the row
                         dead for want of TLS, nothing in its mailbox
    real-off NO PID      ... with --smtp-tls off: the message arrives
"""
import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, sql, wait_sql  # noqa: E402

ARGS = None
PASSWORD = "pw-7f3a9c-not-for-logs"


def path(name):
    return os.path.join(ARGS.dir, name)


def write_secret(name, text, mode):
    p = path(name)
    if os.path.exists(p):
        os.unlink(p)
    # Created with its final mode: never readable by others, even briefly.
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.write(fd, text.encode())
    os.close(fd)
    os.chmod(p, mode)       # whatever the umask took away, for the 0644 case
    return p


def mails(name):
    try:
        return [f for f in os.listdir(path(name)) if f.endswith(".eml")]
    except FileNotFoundError:
        return []


def step_refuse(notifier):
    for flag in (["--smtp-password", PASSWORD], ["--smtp-password=" + PASSWORD]):
        rc, out, err = checks.run([notifier] + flag)
        expect("%s ...: exit status" % flag[0][:16], 2, rc)
        expect_true("... says to use --smtp-password-file or COMPLAINTS_SMTP_PASSWORD",
                    "--smtp-password-file" in err and "COMPLAINTS_SMTP_PASSWORD" in err, err)
        expect_true("... and does not echo the password", PASSWORD not in out + err, err)
    for flag in ("--sms-auth", "--push-auth"):
        rc, out, err = checks.run([notifier, flag, "Bearer " + PASSWORD])
        expect("%s VALUE: exit status" % flag, 2, rc)
        expect_true("... says to use %s-file, and does not echo the value" % flag,
                    flag + "-file" in err and PASSWORD not in out + err, err)
    loose = write_secret("loose.auth", "Bearer " + PASSWORD + "\n", 0o604)
    rc, out, err = checks.run([notifier, "--sms-auth-file", loose])
    expect("a gateway auth file of mode 0604: exit status", 2, rc)
    expect_true("... the refusal names the file and its mode", loose in err and "0604" in err, err)
    for mode in (0o644, 0o640):
        loose = write_secret("loose.password", PASSWORD + "\n", mode)
        rc, out, err = checks.run([notifier, "--smtp-url", "smtp://127.0.0.1:1",
                                   "--smtp-password-file", loose])
        expect("a password file of mode %04o: exit status" % mode, 2, rc)
        expect_true("... the refusal names the file and its mode",
                    loose in err and ("%04o" % mode) in err, err)
        expect_true("... and does not echo the password", PASSWORD not in out + err, err)
    # A store password on the command line, in any spelling libpq reads,
    # from a daemon and from complaintctl (beside it in the same bin/).
    ctl = os.path.join(os.path.dirname(notifier), "complaintctl")
    for conninfo in ("host=db password=" + PASSWORD,
                     "postgresql://complaints:%s@db/complaints" % PASSWORD,
                     "postgresql://db/complaints?password=" + PASSWORD):
        for argv in ([notifier, "--pg", conninfo], [ctl, "clock", "show", "--pg=" + conninfo]):
            rc, out, err = checks.run(argv)
            expect("%s --pg %s...: exit status" % (os.path.basename(argv[0]), conninfo[:16]),
                   2, rc)
            expect_true("... says to use a .pgpass / PGPASSFILE, without echoing it",
                        "pgpass" in err.lower() and PASSWORD not in out + err, err)
    env = dict(os.environ, COMPLAINTS_SMTP_PASSWORD=PASSWORD)
    good = write_secret("smtp.password", PASSWORD + "\n", 0o600)
    rc, out, err = checks.run([notifier, "--smtp-password-file", good], env=env)
    expect("a password file and COMPLAINTS_SMTP_PASSWORD both set: exit status", 2, rc)
    expect("the password file the next steps use: mode", "0600",
           "%04o" % stat.S_IMODE(os.stat(good).st_mode))


def no_password_anywhere(pid):
    with open(path("notifier.log"), errors="replace") as f:
        log = f.read()
    expect_true("the password is not in the notifier's log", PASSWORD not in log)
    with open("/proc/%s/cmdline" % pid, "rb") as f:
        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    expect_true("the password is not on its command line (/proc/PID/cmdline)",
                PASSWORD not in cmdline and "--smtp-password-file" in cmdline, cmdline)


def row(no):
    return sql("select state || '|' || coalesce(last_error, '') from notification"
               " where complaint_no = :'no' and recipient_kind = 'customer'"
               " and channel = 'email'", no=no)


def starting_tls(pid):
    lines = checks.wait_log("the notifier's starting line", path("notifier.log"),
                            r"pid=%s event=starting" % pid, 10)
    m = re.search(r"smtp_tls=(\S+)", lines[-1]) if lines else None
    return m.group(1) if m else None


def step_loopback(no, pid):
    expect_true("submitted, a complaint number", re.fullmatch(r"[0-9]+", no), repr(no))
    expect("--smtp-tls auto on a loopback server", "off", starting_tls(pid))
    wait_sql("the receipt sent (password from a 0600 file)",
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and recipient_kind = 'customer' and channel = 'email' and state = 'sent'",
             30, no=no)
    expect("the receipt in the loopback mailbox", 1, len(mails("mail")))
    no_password_anywhere(pid)


def step_real_refused(no, pid):
    expect_true("submitted, a complaint number", re.fullmatch(r"[0-9]+", no), repr(no))
    expect("--smtp-tls auto on a non-loopback server", "required", starting_tls(pid))
    wait_sql("the receipt dead after its one attempt",
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and recipient_kind = 'customer' and channel = 'email' and state = 'dead'",
             30, no=no)
    state = row(no)
    expect_true("... for want of TLS (the server offers no STARTTLS)",
                re.search(r"SSL|TLS", state), state)
    expect("nothing reached the non-loopback mailbox in plaintext", 0, len(mails("mail_real")))
    no_password_anywhere(pid)


def step_real_off(no, pid):
    expect("--smtp-tls off, said explicitly", "off", starting_tls(pid))
    wait_sql("the receipt sent in plaintext as the operator asked",
             "select count(*) = 1 from notification where complaint_no = :'no'"
             " and recipient_kind = 'customer' and channel = 'email' and state = 'sent'",
             30, no=no)
    expect("one message in the non-loopback mailbox", 1, len(mails("mail_real")))


STEPS = {"refuse": step_refuse, "loopback": step_loopback, "real-refused": step_real_refused,
         "real-off": step_real_off}


def setup(args):
    global ARGS
    ARGS = args


def main():
    return checks.step_main(STEPS, ("--dir",), setup)


if __name__ == "__main__":
    sys.exit(main())
