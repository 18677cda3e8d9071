#!/usr/bin/env bash
# replay_stalled.sh — replay runs on its own thread with its own store
# session (services/bus/replay.c): a replay client that asks for the whole
# log again and again and never reads a reply must not delay publishing.
# replay_stalled.py fills the log with big events, measures the publish
# latency (intake's answer -> complaint.received on PUB, at another
# subscriber) and the heartbeat gaps without and then with the stalled
# client, and pages the log with a well-behaved replay client meanwhile.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || { fail "bus replay did not answer within 15 s"; exit 1; }

"$PY" "$ROOT/tests/integration/replay_stalled.py" --intake "$INTAKE_EP" --pub "$BUS_PUB_EP" \
    --replay "$BUS_REPLAY_EP" --bus-pid "$(service_pid bus)" --fill 1500 --seconds 8 \
    --deadline-s 1.0
assert_eq "replay_stalled.py exit status (every check as expected)" 0 "$?"
assert_true "the bus is still running" service_alive bus
kill_service bus TERM
assert_eq "bus exit status on SIGTERM" 0 "$?"
