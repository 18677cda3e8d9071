#!/usr/bin/env bash
# sla_settle.sh — the watchdog leaves a freshly received case to its router
# for --settle-ms, then builds its clocks whether or not a router came.
#
# bus + intake + a watchdog with --settle-ms 3000 and no router at all. A
# complaint is submitted: one second after it was stored it is still dirty
# with no clock (left to settle); within the settle time plus a few seconds
# its clocks are built (received, not routed: the acknowledge clock runs
# from receipt all the same). A second watchdog with --settle-ms 0 builds
# the next complaint's clocks at once (the old behaviour, for a deployment
# without routers). The shell starts the processes; the checks are
# sla_settle.py's (waits with deadlines).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake watchdog complaintctl

checker () { "$PY" "$ROOT/tests/integration/sla_settle.py" "$@"; }
submit () {
    ctl submit --channel hotline --ref "settle-$1" --product 信用卡 --subject "信用卡年费" \
        --body "我的信用卡被扣了年费，要求退还" --name "Settle Test $1" \
        --phone "1370000$(printf '%04d' "$1")" | jq -r '.complaint_no'
}

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service watchdog watchdog --name watchdog --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --settle-ms 3000
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }

checker settling "$(submit 1)"

kill_service watchdog TERM >/dev/null
start_service watchdog0 watchdog --name watchdog0 --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --settle-ms 0
checker at-once "$(submit 2)"
