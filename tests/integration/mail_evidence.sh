#!/usr/bin/env bash
# mail_evidence.sh — an e-mail's attachments become the case's evidence
# (issue 16 §3): bus + intake + router + the mail daemon with its adapter
# certificate. The shell starts, kills and restarts processes;
# mail_evidence.py sends real MIME mail over LMTP and into the Maildir and
# makes every check:
#   submit   a complaint with a Chinese-named PDF and a 1 MiB file: both on
#            the case, whole, byte for byte (evidence get, sha256 by
#            hashlib), listed by `show`, the parts table empty, the events
#            without names
#   reply    the customer's reply with an attachment: it lands on the case
#   keys     evidence_add parts straight to intake: another key refused, a
#            part twice stored once, an item over the limit and one whose
#            parts do not match its hash recorded as refused (show says why)
#   (shell)  intake frozen (SIGSTOP), a complaint with an attachment taken,
#            the adapter killed -9, intake thawed, the adapter restarted:
#   crashed  ... the attachment is on the case
#   (shell)  the adapter killed -9 again; the disk put back as a crash
#            between the submit's answer and the parts leaves it:
#   resumed  the restarted adapter sends the parts again: still once
#   limited  (the adapter restarted with --max-attachment 100000) a complaint
#            with a 150 KiB and a small attachment: the complaint is in, the
#            small one kept, the big one listed "NOT KEPT: adapter_limit"
# issue 16 follow-up (adapters2):
#   limits   the case's 10 MiB (case_bytes) and 100 items (case_items)
#   finished the case withdrawn: an attachment refused case_finished
#   sweep    parts that never become whole, under the shifted store clock:
#            intake's sweep (every second here) records them `incomplete`
. "$(dirname "$0")/../lib.sh"
# intake looks for parts never made whole every second (default 300 s)
export COMPLAINTS_INTAKE_EVIDENCE_SWEEP_S=1
. "$(dirname "$0")/../mail_lib.sh"
start_mail

evpy () {
    "$PY" "$ROOT/tests/integration/mail_evidence.py" --maildir "$TEST_DIR/inbox" \
        --dir "$TEST_DIR/mail" --lmtp-port "$LMTP_PORT" --metrics-port "$METRICS_PORT" \
        --ctl "$BIN/complaintctl" --out "$TEST_DIR/out" "$@"
}

evpy submit
assert_eq "mail_evidence.py submit exit status" 0 "$?"
no=$(cat "$TEST_DIR/out/no" 2>/dev/null)
handler=$(cat "$TEST_DIR/out/handler" 2>/dev/null)
export COMPLAINTS_TOKEN
COMPLAINTS_TOKEN=$(staff_token "$handler")

evpy check "$no"
assert_eq "mail_evidence.py check exit status" 0 "$?"
evpy reply "$no"
assert_eq "mail_evidence.py reply exit status" 0 "$?"
evpy keys "$no"
assert_eq "mail_evidence.py keys exit status" 0 "$?"

# A crash with the complaint and its attachment still to send.
kill -STOP "$(service_pid intake)"
evpy frozen
rc=$?
kill_service mail KILL
kill -CONT "$(service_pid intake)"
assert_eq "mail_evidence.py frozen exit status" 0 "$rc"
start_mail
evpy crashed
assert_eq "mail_evidence.py crashed exit status" 0 "$?"

# A crash between the submit's answer and the parts: what it leaves on
# disk is the submit's answer in spool/done/ and the message in evidence/.
kill_service mail KILL
evpy staged
assert_eq "mail_evidence.py staged exit status" 0 "$?"
start_mail
evpy resumed
assert_eq "mail_evidence.py resumed exit status" 0 "$?"

kill_service mail TERM
assert_eq "mail exit status on SIGTERM" 0 "$?"

# An attachment over the adapter's own limit: the complaint goes in, the
# attachment is recorded on the case as not kept.
start_mail --max-attachment 100000
evpy limited
assert_eq "mail_evidence.py limited exit status" 0 "$?"
kill_service mail TERM

# issue 16 follow-up (adapters2): the case's own limits, a finished case,
# and the sweep (the adapter is not needed: parts go straight to intake)
evpy limits "$no"
assert_eq "mail_evidence.py limits exit status" 0 "$?"
evpy finished "$no"
assert_eq "mail_evidence.py finished exit status" 0 "$?"
evpy sweep
assert_eq "mail_evidence.py sweep exit status" 0 "$?"
