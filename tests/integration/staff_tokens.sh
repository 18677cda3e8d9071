#!/usr/bin/env bash
# staff_tokens.sh — a staff token's life is the store's (migration 021,
# docs/security.md "Staff tokens"): issued, expiring and revoked there, and
# a revoked token stays revoked whatever tokens file a router loads.
#
# bus + intake + router, the router seeded from a tokens file (issue_tokens).
#   1. issued: `complaintctl token issue` makes a token that acts at once; a
#      seeded token (from the file) acts too; both revoked with
#      `complaintctl token revoke`; each is then refused, `unauthenticated`,
#      field `token`, "token revoked";
#   2. the router is killed (SIGKILL) and started again with the same, old
#      tokens file: once it has synced, both tokens are still refused and
#      still revoked in the store, and the issued one (not in the file) is
#      still there;
#   3. expired: a token issued with --expires-in 2s acts, then is refused
#      "token expired" (a wait with a deadline).
# The shell starts and stops the processes; staff_tokens.py checks.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl
cd "$ROOT" || exit 1

issue_tokens "$TEST_DIR/staff" >/dev/null || exit 1
start_pipeline || exit 1

checker () {
    "$PY" "$ROOT/tests/integration/staff_tokens.py" --endpoint "$INTAKE_EP" \
        --ctl "$BIN/complaintctl" --tokens "$TEST_DIR/staff/tokens.plain" \
        --log "$TEST_DIR/router.log" --state "$TEST_DIR/staff_tokens.state" "$@"
}

checker issued
kill_service router KILL
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$ROOT/deploy/org/directory.conf" --tokens "$TEST_DIR/staff/tokens"
checker after-restart
checker expired
