#!/usr/bin/env bash
# mail_e2e.sh — the e-mail adapter end to end (issue 14 §3): bus + intake +
# router + the mail daemon with its own CURVE certificate (role adapter,
# channel email). The corpus of tests/data/mail goes into the Maildir, and
# its complaints (new Message-IDs), a bounce and a malformed message over
# LMTP from Python's smtplib.LMTP; mail_e2e.py checks what reached the store
# and what was kept where (see its "corpus" step). Then SIGTERM: the daemon
# exits 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mail_lib.sh"
start_mail

mailpy corpus
assert_eq "mail_e2e.py corpus exit status" 0 "$?"

kill_service mail TERM
assert_eq "mail exit status on SIGTERM" 0 "$?"
for s in bus intake router; do
    assert_true "$s is still running" service_alive "$s"
done
