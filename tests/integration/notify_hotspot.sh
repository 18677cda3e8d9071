#!/usr/bin/env bash
# notify_hotspot.sh — the notifier tells people of events about no single
# case (issue 12, section 3): analytics.hotspot and analytics.hotspot_cleared,
# through real processes (bus, router for the directory, notifier, the C SMTP
# sink) and the shipped rules and templates:
#   a  an outlet hot spot (outlet_bj_haidian, service_attitude, 3 in 30d):
#      the complaint office (3 officers) and the outlet's head (deng_hao, the
#      manager of branch_bj, its nearest ancestor with one) each get exactly
#      one inbox row and one e-mail, in Chinese, naming the outlet, the cause,
#      the count, the window, the rule, the times in the bank's zone (+08:00)
#      and the sample complaint numbers; rows have no complaint
#   b  a surge (no branch): the complaint office only, with the baseline and
#      the p-value
#   c  the outlet hot spot cleared: the complaint office only
#   d  SIGKILL of the notifier and a restart: nothing is sent twice
#   and no notification.* event carries an address or message text.
#
# The analytics daemon is not built yet (issue 12): the events are put into
# the outbox with SQL, as the daemon's transaction would have committed them
# (notify_hotspot.py packs their data with python3-msgpack, independently of
# proto/events.c, and lib.sh checks every event against its declaration at
# exit). Test code writing the outbox is outside table_owners.py's scan of
# the services' C sources. The shell starts and stops processes; every check
# is notify_hotspot.py's.
. "$(dirname "$0")/../lib.sh"
require_bin bus router notifier complaintctl smtp-sink

SMTP_PORT=$((TEST_ZMQ_BASE + 3))
MAIL=$TEST_DIR/mail
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

checker () { "$PY" "$ROOT/tests/integration/notify_hotspot.py" --mail "$MAIL" \
                 --sink "$ROOT/deploy/sinks/smtp_sink.py" "$@"; }
notifier_start () {
    start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
        --smtp-from complaints@bank.example --poll-ms 100
}

start_service smtpd "$BIN/smtp-sink" --port "$SMTP_PORT" --dir "$MAIL"
wait_for "grep -q listening '$TEST_DIR/smtpd.log'" 10 || fail "smtpd did not start"
start_service bus bus --name bus
# The router loads the directory (departments, staff) into the store.
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
notifier_start
checker ready

checker a
checker b
checker c
kill_service notifier KILL >/dev/null
notifier_start
checker d
checker privacy
