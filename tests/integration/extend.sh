#!/usr/bin/env bash
# extend.sh — SLA extensions and the store's clock on the intake side
# (issue 4): real bus, intake and router, the real directory, every action
# through `complaintctl act` as a named person. No watchdog runs here: the
# extension rules are seeded with psql the way the watchdog loads them from
# deploy/sla/policy.conf, in its form since issue 15 (resolution step 1 'to
# 30d' by a supervisor, step 2 'to 60d' — a manager here: the `superior`
# check is intake's, tested with it; review step 1 'to 45d' by a
# supervisor), and a clock row is
# inserted by hand where a deadline is needed.
#
#   a  a handler may not extend (forbidden); missing text is refused by the
#      tool (exit 2); a supervisor approves step 1; step 2 by a supervisor or
#      the complaint office is forbidden (naming the manager), by a manager
#      it is done; step 3 is refused (invalid_transition: the policy allows
#      no extension 3). Every refusal writes nothing (no case_action, no
#      event, same version); each extension writes one audit row (stage,
#      step, adds, approver) and one complaint.extended event (no text)
#   b  the current round's resolution clock is past due: the extension is
#      refused; a clock due in an hour, then `clock shift 2h`: refused too;
#      a paused clock that never breached: allowed
#   c  rounds: resolve, review -> an extension of the review clock (step 1);
#      reopen -> the resolution round starts again, step 1 again
#   d  the staff view (`get` with a token, `show`) carries the clocks with
#      their firings, remaining_ms against the store's clock; the status
#      view (no token) carries none
#   e  time: a submit without received_at after `clock shift 3d` is stamped
#      with the shifted clock, and complaint.received carries the stored
#      value; so is every row of `import --received-now`; accepted_at and
#      case_action.at follow the shifted clock too
#   f  `complaintctl clock` moves the clock in this (test) database and is
#      refused, exit 1 with the store's message and hint, in a database
#      without complaints.test_clock
# The shell starts the services and makes the scratch database; extend.py
# runs complaintctl as each person and checks every step (as lifecycle.py).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1

start_pipeline || exit 1

# f: a second migrated database, whose clock `complaintctl clock` must
# refuse to move for a role that is not a member of complaints_test_clock
# (extend.py logs in as intake's).
scratch="${PGDATABASE}_noclock"
dropdb --if-exists "$scratch" >/dev/null 2>&1
createdb "$scratch" >>"$TEST_DIR/scratch.log" 2>&1 \
    && PGDATABASE=$scratch COMPLAINTS_PG="dbname=$scratch" bash "$ROOT/deploy/scripts/migrate.sh" \
        >>"$TEST_DIR/scratch.log" 2>&1 \
    || fail "could not create and migrate $scratch: $(tail -5 "$TEST_DIR/scratch.log")"

"$PY" "$ROOT/tests/integration/extend.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --csv "$ROOT/tests/data/cfpb_complaints_sample.csv" --scratch "$scratch"
dropdb --if-exists "$scratch" >/dev/null 2>&1
assert_true "intake alive at the end" service_alive intake
