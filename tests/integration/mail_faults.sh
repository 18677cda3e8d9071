#!/usr/bin/env bash
# mail_faults.sh — issue 14 §1 for the e-mail adapter: nothing lost between
# the channel and intake.
#
# 1. Intake stopped for a minute while mail keeps arriving: 40 messages over
#    60 s, half into the Maildir and half over LMTP (smtplib.LMTP); every
#    LMTP delivery is answered 250 (the message is in the spool) and none
#    reaches the store meanwhile. Intake started again: every one arrives,
#    exactly once (mail_e2e.py feed / arrive).
# 2. The adapter SIGKILLed mid-spool: 600 messages dropped into the Maildir,
#    kill -9 once 60 of them are in the store, restarted: all 640 exactly
#    once, none lost (counted by ref in the store).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../mail_lib.sh"
start_mail --timeout-ms 1000

note "--- 1. intake stopped for a minute"
kill_service intake TERM
mailpy feed 40 60
assert_eq "mail_e2e.py feed (all accepted while intake was down)" 0 "$?"
assert_true "mail still running after a minute without intake" service_alive mail
start_service intake intake --endpoint "$INTAKE_EP"
mailpy arrive
assert_eq "mail_e2e.py arrive (after the outage)" 0 "$?"

note "--- 2. the adapter SIGKILLed mid-spool"
mailpy drop 600
assert_eq "mail_e2e.py drop" 0 "$?"
mailpy some 100
kill_service mail KILL
mailpy midway
assert_eq "mail_e2e.py midway (killed mid-spool)" 0 "$?"
start_mail --timeout-ms 1000
mailpy arrive
assert_eq "mail_e2e.py arrive (after kill -9)" 0 "$?"
for s in bus intake router mail; do
    assert_true "$s is still running" service_alive "$s"
done
