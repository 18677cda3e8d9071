#!/usr/bin/env bash
# curve_attack.sh — invariant 10 ("nobody unknown gets in"): CURVE on every
# ZeroMQ endpoint, tried from outside (issue 13, "Authenticated, encrypted
# transport"; docs/security.md "Transport (CURVE)").
#
# The real bus, intake and analytics run with CURVE on (the default) and the
# keys lib.sh made; this test adds two web adapters, an e-mail adapter and
# an analyst. The checker (curve_attack.py) is the attacker and the honest
# clients:
#   transport  a plaintext client gets no answer from intake, bus replay or
#              analytics, and no event from the bus PUB; an unknown key and
#              a key allowed elsewhere (an analyst at intake) none either;
#              the allowed keys are answered
#   channels   an adapter for web submitting email: forbidden / channel
#   refs       adapter B reusing adapter A's ref gets its own complaint, A's
#              retry still A's (migration 024)
#   revoke     `complaintctl keys revoke`: refused on the next request over
#              the live connection, and on a new connection
#   revoke_reader  an analyst revoked with live replay, analytics and PUB
#              connections: the next replay and analytics requests are
#              refused; the bus cuts its subscriptions, the other analyst's
#              SUB receives again and the revoked one does not
# Then the refusals at start (bash runs the daemon, the checker reads its
# exit status and log): --curve off on a non-loopback endpoint, a keys
# directory without the server's key; and --curve off on loopback works.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake analytics complaintctl

A_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 3))
PLAIN_EP=tcp://127.0.0.1:$((TEST_ZMQ_BASE + 4))
CHK="$PY $ROOT/tests/integration/curve_attack.py --intake $INTAKE_EP --replay $BUS_REPLAY_EP \
    --pub $BUS_PUB_EP --analytics $A_EP --keys $COMPLAINTS_KEYS --ctl $BIN/complaintctl"

new_key web-a --role adapter --channels web
new_key web-b --role adapter --channels web
new_key mail-1 --role adapter --channels email
new_key analyst-1 --role analyst
new_key analyst-2 --role analyst

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service analytics analytics --name a --endpoint "$A_EP"
wait_intake 20 || { fail "intake did not answer over CURVE within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer over CURVE within 15 s"
wait_for "pyclient ping --server analytics --endpoint $A_EP --timeout 500" 15 \
    || fail "analytics did not answer over CURVE"

$CHK transport
assert_eq "curve_attack.py transport" 0 "$?"
$CHK channels
assert_eq "curve_attack.py channels" 0 "$?"
$CHK refs
assert_eq "curve_attack.py refs" 0 "$?"
$CHK revoke
assert_eq "curve_attack.py revoke" 0 "$?"
$CHK revoke_reader
assert_eq "curve_attack.py revoke_reader" 0 "$?"
assert_true "intake is still running" service_alive intake
assert_true "bus is still running" service_alive bus
assert_true "analytics is still running" service_alive analytics

# Refused at start: plaintext off loopback (intake's ROUTER, the bus's PUB),
# and CURVE on without the server's key. Each must exit at once (status 2).
s_refused () {
    local name=$1; shift
    local log="$TEST_DIR/$name.log"
    printf -- '--- %s\n' "$*" >"$log"
    timeout 20 env "$@" >>"$log" 2>&1
    $CHK refused "$name" "$?" "$log"
    assert_eq "curve_attack.py refused $name" 0 "$?"
}
s_refused intake-off-wildcard "$BIN/intake" --curve off --endpoint "tcp://0.0.0.0:$((TEST_ZMQ_BASE + 5))"
s_refused intake-off-env COMPLAINTS_CURVE=off "$BIN/intake" --endpoint "tcp://*:$((TEST_ZMQ_BASE + 5))"
s_refused bus-off-wildcard "$BIN/bus" --curve off --name bus-x --pub "tcp://0.0.0.0:$((TEST_ZMQ_BASE + 6))" \
    --replay "tcp://127.0.0.1:$((TEST_ZMQ_BASE + 7))"
mkdir -p "$TEST_DIR/empty-keys"
s_refused intake-no-key "$BIN/intake" --keys "$TEST_DIR/empty-keys" --endpoint "tcp://0.0.0.0:$((TEST_ZMQ_BASE + 5))"

# Plaintext on loopback, when the operator says so: answered (the rule is
# "off only on loopback", not "never off").
start_service intake-plain intake --curve off --endpoint "$PLAIN_EP"
wait_for "pyclient ping --plain --endpoint $PLAIN_EP --timeout 500" 20 \
    || fail "intake --curve off on loopback did not answer a plaintext client"
$CHK plain "$PLAIN_EP"
assert_eq "curve_attack.py plain" 0 "$?"
kill_service intake-plain TERM

kill_service analytics TERM
kill_service intake TERM
assert_eq "intake exit status on SIGTERM" 0 "$?"
kill_service bus TERM
