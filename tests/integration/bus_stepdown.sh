#!/usr/bin/env bash
# bus_stepdown.sh — invariant 4, the other way a term ends: the elected bus
# cannot bind its endpoints (as when the old active bus still holds them),
# steps down on a live connection and gives the lock back at once, so a
# standby is elected; and a bus that stepped down stands again and serves
# once its endpoints are free.
#
# A placeholder (a plain TCP listener) holds bus1's PUB port. bus1 wins the
# lock, fails to bind, steps down, and tries again every second without
# closing its store connection (the bus keeps one session for its life and
# gives the term's lock, LISTEN and prepared statements back with DISCARD
# ALL). bus2, on free endpoints, must then be elected and drain a load; then
# the placeholder goes, bus2 is stopped, and bus1 must be elected and drain
# the next load: one gap-free stream across both terms.
# The shell starts and stops processes; the checks are bus_stepdown.py's.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake

checker () { "$PY" "$ROOT/tests/integration/bus_stepdown.py" "$@"; }
BUS2_PUB_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
BUS2_REPLAY_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 4))

# The placeholder holds the port before bus1 starts: it says "listening"
# once it does (a Python start-up on a busy machine is slower than a bus's
# election and bind). SO_REUSEADDR as every listener of ours has (ZeroMQ
# sets it): a connection of the previous test on this port may still be in
# TIME_WAIT, which refuses a plain bind for a minute; a live listener still
# refuses bus1.
cat >"$TEST_DIR/placeholder.py" <<'PY'
import socket, sys, time
s = socket.socket ()
s.setsockopt (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind (("127.0.0.1", int (sys.argv[1])))
s.listen ()
print ("listening on", sys.argv[1], flush=True)
time.sleep (600)
PY
start_service placeholder "$PY" "$TEST_DIR/placeholder.py" $((TEST_ZMQ_BASE + 1))
wait_for "grep -q listening '$TEST_DIR/placeholder.log'" 10 \
    || { fail "the placeholder did not hold port $((TEST_ZMQ_BASE + 1)) within 10 s"; exit 1; }

start_service bus1 bus --name bus1
checker stepping

start_service bus2 bus --name bus2 --pub "$BUS2_PUB_EP" --replay "$BUS2_REPLAY_EP"
checker takeover
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count 40 --seconds 30 --grace 10 \
    --prefix bsd2 --out "$TEST_DIR/acks.txt"
invariants stream --wait 30

kill_service placeholder KILL
kill_service bus2 TERM
checker back
wait_bus 10 || fail "bus1's replay did not answer within 10 s"
pyclient load --endpoint "$INTAKE_EP" --workers 2 --count 40 --seconds 30 --grace 10 \
    --prefix bsd1 --out "$TEST_DIR/acks.txt"
invariants stream --wait 30
invariants acks "$TEST_DIR/acks.txt" --min 80
