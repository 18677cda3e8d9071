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
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier complaintctl

SMTP_PORT=$((TEST_ZMQ_BASE + 3))        # nothing listens: rows stay pending
DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP" --calendars "$ROOT/deploy/calendars"
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

"$PY" "$ROOT/tests/integration/tasks.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out"
for s in intake watchdog1 watchdog2 notifier; do
    assert_true "$s alive at the end" service_alive "$s"
done
