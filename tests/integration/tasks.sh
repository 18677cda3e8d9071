#!/usr/bin/env bash
# tasks.sh — issue 16: tasks given to cooperating departments (协办) and
# rectification items (整改) opened on a case, with real daemons: bus,
# intake (the real calendars), router (the real directory), TWO watchdogs
# (each reminder and chase must happen once) and the notifier (its SMTP
# server absent: the notification rows are what is checked). Every action
# is `complaintctl act` as a named person; time moves with the store's
# clock, nearly stopped between moves. tasks.py says what is checked:
#   a  a card case's lead gives payments a task due in 2wd; refusals (its
#      own department, a due that is not a time, a stranger replying, the
#      cooperating department chasing); a second task, to ebanking, closed
#      by the lead
#   b  payments' staff see the case; the watchdogs remind before the
#      deadline (task.due_soon once) and chase after it (task.overdue once,
#      the lead told); the lead chases by action
#   c  payments replies; the lead's `show` has the answer; no text on the
#      stream; the closed task never fired
#   d  the case closed: a rectification item for the card centre, owned by
#      its supervisor, reminded and chased by the watchdogs
#   e  a hot spot's rectification item: opened, listed, reminded, chased,
#      marked done
#   f  the accountability register: a referred complaint nobody accepted in
#      time and a hot spot left without rectification open an item each,
#      once with two watchdogs; a manager decides the outcome
#   issue 16 follow-up (vetting2):
#   audit  every task action's audit row carries its task's number
#   h  a task asked of an outlet: answered by its branch's supervisor (its
#      own line); the lead's supervisor, a sibling outlet's and a
#      head-office supervisor (added to a copy of the directory) refused
#   reload  intake counts 2wd on its calendars; a holiday added to its
#      copy of cn.conf and SIGHUP: the next task's due moves a day; a
#      broken file and SIGHUP: refused, the previous set kept
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier complaintctl

SMTP_PORT=$((TEST_ZMQ_BASE + 3))        # nothing listens: rows stay pending
DIRECTORY=$TEST_DIR/directory.conf
cp "$ROOT/deploy/org/directory.conf" "$DIRECTORY"
printf 'staff ho_sup name="总行督导" dept=head_office role=supervisor duty=off email=ho.sup@bank.example\n' \
    >>"$DIRECTORY"
CALENDARS=$TEST_DIR/calendars           # intake's own copy: edited for the reload
mkdir -p "$CALENDARS" && cp "$ROOT/deploy/calendars/cn.conf" "$CALENDARS/"
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP" --calendars "$CALENDARS"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
for w in 1 2; do
    start_service "watchdog$w" watchdog --name "wd-task-$w" --bus "$BUS_PUB_EP" \
        --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" \
        --sweep-ms 300 --accountability-sweep-ms 300 --hotspot-grace-h 240
done
start_service notifier notifier --bus "$BUS_PUB_EP" --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
    --smtp-from complaints@bank.example --poll-ms 100 --batch 10 --max-attempts 1 \
    --backoff-ms 100 --backoff-cap-ms 200 --smtp-timeout-ms 1000 \
    --calendars "$ROOT/deploy/calendars"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

tasks_py () {
    "$PY" "$ROOT/tests/integration/tasks.py" --ctl "$BIN/complaintctl" \
        --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
        --phase "$1" || fail "tasks.py $1: exit status $? (a failed check, or it stopped)"
}
tasks_py main
tasks_py before
printf 'holiday   2026-06-02               test: a day off announced late\n' >>"$CALENDARS/cn.conf"
kill -HUP "$(service_pid intake)"
wait_for "grep -q calendars_loaded '$TEST_DIR/intake.log'" 10 \
    || fail "intake did not reload its calendars on SIGHUP"
tasks_py after
printf 'holiday   2026-02-30               not a date\n' >>"$CALENDARS/cn.conf"
kill -HUP "$(service_pid intake)"
wait_for "grep -q calendars_refused '$TEST_DIR/intake.log'" 10 \
    || fail "intake did not refuse a broken calendar on SIGHUP"
tasks_py kept
for s in intake watchdog1 watchdog2 notifier; do
    assert_true "$s alive at the end" service_alive "$s"
done
