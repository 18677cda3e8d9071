#!/usr/bin/env bash
# router_staff_locks.sh — a router locks the staff rows of a department
# only when someone there is free (migration 009, services/router/claims.c):
# a department whose handlers are all full is routed to its queue without
# waiting for anyone's lock on its staff, and one with a free handler still
# waits for the lock (pick_handler's choice must see a settled desk count).
#
# bus + intake + router. card_center's capacity is set to 0 in the store
# after the router synced the directory (the router writes staff only at
# start and on SIGHUP), so nobody there is free. Then:
#   1. a card complaint: assigned to card_center, no handler;
#   2. another session holds card_center's staff rows (FOR NO KEY UPDATE,
#      as pick_handler takes them); a card complaint is still assigned to
#      the department's queue while the lock is held;
#   3. capacity back and the rows held again: the next card complaint waits
#      in 'received' for the lock; the holder ends; it is assigned a
#      card_center handler.
# The shell starts the processes and the lock holder; the checks are
# router_staff_locks.py's (waits with deadlines).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl
cd "$ROOT" || exit 1

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }

checker () { "$PY" "$ROOT/tests/integration/router_staff_locks.py" "$@"; }
# submit N — a credit-card complaint (routed to card_center); prints its number.
submit () {
    ctl submit --channel hotline --ref "locks-$1" --product 信用卡 --subject "信用卡年费" \
        --body "我的信用卡被扣了年费，要求退还" --name "Lock Test $1" \
        --phone "1390000$(printf '%04d' "$1")" | jq -r '.complaint_no'
}

checker full-department
checker no-handler "$(submit 1)"

# hold — another session takes card_center's staff rows as pick_handler
# would and keeps them 120 s (or until release); sets $holder.
hold () {
    PGAPPNAME=staff_lock_holder psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN;
        SELECT id FROM staff WHERE department = 'card_center' ORDER BY id FOR NO KEY UPDATE;
        SELECT pg_sleep (120); COMMIT" >>"$TEST_DIR/holder.log" 2>&1 &
    holder=$!
    checker holder-waiting
}
release () {
    psql -X -q -c "SELECT pg_terminate_backend (pid) FROM pg_stat_activity
                   WHERE application_name = 'staff_lock_holder'
                     AND datname = current_database ()" >/dev/null
    wait "$holder" 2>/dev/null
}

hold
checker no-handler-while-locked "$(submit 2)"
release

checker capacity-back
hold
no3=$(submit 3)
checker waits-for-lock "$no3"
release
checker handler-after-lock "$no3"
