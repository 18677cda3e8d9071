#!/usr/bin/python3
"""staff_tokens.py — the checks of staff_tokens.sh, one step per call.

    staff_tokens.py --endpoint E --ctl BIN --tokens PLAIN --log ROUTER_LOG
                    --state FILE STEP

Steps:
  issued         a complaint submitted; a token issued by complaintctl and
                 li_na's seeded token (from the router's file) both act on
                 it (note); both revoked by complaintctl; both then refused:
                 unauthenticated, field token, message "token revoked". The
                 tokens and the count of org_synced lines are kept in FILE.
  after-restart  the router, killed and started with the same old tokens
                 file, has synced again (a new org_synced line); both tokens
                 are still refused "token revoked", their revoked_at did not
                 move, and no token was deleted (the issued one is not in the
                 file).
  expired        a token issued with --expires-in 2s acts, then within a
                 deadline is refused "token expired"; `token list` shows it
                 expired and the others revoked.

Acts go over the wire with the tests' own client (client.py), so the error
shape is checked as intake sends it.
"""
import hashlib
import json
import os
import sys
import time


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import expect, expect_true, log_lines, note, run, sql, sql_int, wait_for  # noqa: E402
from client import ask  # noqa: E402

ARGS = None
STAFF = "li_na"         # the complaint office: every case is in her scope


def setup(args):
    global ARGS
    ARGS = args


def seeded_token(staff_id):
    with open(ARGS.tokens) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == staff_id:
                return parts[1]
    raise RuntimeError("no seeded token for %s" % staff_id)


def token_id(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def ctl(*argv):
    return run([ARGS.ctl] + list(argv))


def issue(staff_id, *extra):
    """A token issued through complaintctl (the store); its plaintext."""
    rc, out, err = ctl("token", "issue", staff_id, "--by", "staff_tokens.py", *extra)
    expect("token issue %s %s: exit status" % (staff_id, " ".join(extra)), 0, rc)
    note("  " + err.strip())
    return out.strip()


def act(no, token):
    """A note on case NO with TOKEN: the decoded reply (None: no reply)."""
    version = sql("select version from complaint where complaint_no = :'no'", no=no)
    req = {"op": "act", "complaint_no": no, "action": "note", "token": token,
           "version": int(version or 0), "text": "staff_tokens check"}
    return ask(ARGS.endpoint, req, 5000)


def acts(desc, no, token):
    rep = act(no, token)
    expect_true("%s: acts (ok)" % desc, rep is not None and rep.get("ok") is True, repr(rep))


def refused(desc, no, token, why):
    rep = act(no, token) or {}
    e = rep.get("error") or {}
    expect("%s: refused (code, field)" % desc, ("unauthenticated", "token"),
           (e.get("code"), e.get("field")))
    expect_true("%s: the message says %r" % (desc, "token " + why),
                str(e.get("message", "")).startswith("token " + why), repr(e))


def revoked_at(token):
    return sql("select revoked_at from staff_token where token_sha256 = sha256 (:'t'::bytea)",
               t=token)


def step_issued():
    rep = ask(ARGS.endpoint, {"op": "submit", "channel": "hotline",
                              "ref": "staff-tokens-%d" % os.getpid(),
                              "subject": "年费", "body": "信用卡年费被重复扣收",
                              "customer": {"name": "Token Test", "phone": "13900001111"}})
    no = (rep or {}).get("complaint_no")
    expect_true("a complaint submitted", no, repr(rep))
    # The router assigns it meanwhile (a new version): an act that read the
    # version before that is refused as a conflict, whatever its token.
    checks.wait_sql("the router assigned %s" % no, "select state = 'assigned' from complaint"
                    " where complaint_no = :'no'", 30, no=no)
    seeded = seeded_token(STAFF)
    wait_for("the router seeded %s's token into the store" % STAFF,
             lambda: sql("select count(*) from staff_token where token_sha256 ="
                         " sha256 (:'t'::bytea)", t=seeded) == "1", 20, 0.2)
    issued = issue(STAFF, "--expires-in", "1h")
    expect_true("the issued token is 64 hex", len(issued) == 64, issued)
    acts("the issued token", no, issued)
    acts("the seeded token", no, seeded)
    for name, tok in (("issued", issued), ("seeded", seeded)):
        rc, out, err = ctl("token", "revoke", token_id(tok), "--by", "staff_tokens.py",
                           "--reason", "test")
        expect("token revoke (the %s one): exit status" % name, 0, rc)
        expect_true("token revoke (the %s one) says revoked" % name,
                    "revoked" in out, out + err)
    rc, out, err = ctl("token", "revoke", token_id(issued), "--by", "staff_tokens.py")
    expect("revoking it again: nothing to revoke (exit 1)", 1, rc)
    refused("the issued token, revoked", no, issued, "revoked")
    refused("the seeded token, revoked", no, seeded, "revoked")
    with open(ARGS.state, "w") as f:
        json.dump({"no": no, "issued": issued, "seeded": seeded,
                   "revoked_at": [revoked_at(issued), revoked_at(seeded)],
                   "tokens": sql_int("select count(*) from staff_token"),
                   "synced": len(log_lines(ARGS.log, "org_synced"))}, f)


def step_after_restart():
    with open(ARGS.state) as f:
        st = json.load(f)
    wait_for("the restarted router synced its old tokens file",
             lambda: len(log_lines(ARGS.log, "org_synced")) > st["synced"], 20, 0.1)
    refused("the seeded token after the restart", st["no"], st["seeded"], "revoked")
    refused("the issued token after the restart", st["no"], st["issued"], "revoked")
    expect("revoked_at of both unchanged by the sync", st["revoked_at"],
           [revoked_at(st["issued"]), revoked_at(st["seeded"])])
    expect("no token deleted by the sync (the issued one is not in the file)", st["tokens"],
           sql_int("select count(*) from staff_token"))


def step_expired():
    with open(ARGS.state) as f:
        st = json.load(f)
    short = issue(STAFF, "--expires-in", "2s")
    rep = act(st["no"], short)
    e = (rep or {}).get("error") or {}
    # On a slow machine it may already be past its 2 s; then it must say expired.
    expect_true("the short-lived token acts, or is already expired",
                (rep or {}).get("ok") is True or str(e.get("message", "")).startswith("token expired"),
                repr(rep))
    wait_for("the short-lived token is refused once expired",
             lambda: str(((act(st["no"], short) or {}).get("error") or {}).get("message", ""))
             .startswith("token expired"), 15, 0.5)
    refused("the expired token", st["no"], short, "expired")
    rc, out, err = ctl("token", "list", STAFF)
    expect("token list: exit status", 0, rc)
    states = {line.split()[1]: line.split()[4] for line in out.splitlines()[1:] if line.split()}
    expect("token list: the states of li_na's tokens",
           {token_id(st["issued"]): "revoked", token_id(st["seeded"]): "revoked",
            token_id(short): "expired"},
           {k: v for k, v in states.items()
            if k in (token_id(st["issued"]), token_id(st["seeded"]), token_id(short))})
    expect_true("token list prints no whole hash",
                hashlib.sha256(short.encode()).hexdigest() not in out, out[:200])


def main():
    return checks.step_main({"issued": step_issued, "after-restart": step_after_restart,
                             "expired": step_expired},
                            ("--endpoint", "--ctl", "--tokens", "--log", "--state"), setup)


if __name__ == "__main__":
    sys.exit(main())
