#!/usr/bin/env bash
# case_zone.sh — staff tools show a case's times in its calendar's zone
# (issue 16 §3: "Staff tools show every time in the case's calendar zone
# with the zone written"). Real bus, intake, router and watchdog on a copy
# of the policy whose default calendar is `jp`, a test-only calendar in
# Asia/Tokyo (+09:00: not the bank's +08:00, so a time shown in the wrong
# zone fails). case_zone.py submits, waits for the clocks, and checks
# `complaintctl show` and `queue` with --calendars (the case's zone, times
# as the store holds them converted by Python's zoneinfo), `queue --json`
# (the row's calendar), and a calendars folder without `jp` (the bank's
# zone, said so).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
POLICY=$TEST_DIR/sla/policy.conf
CALS=$TEST_DIR/calendars
mkdir -p "$TEST_DIR/sla" "$CALS"
sed 's/^calendar  cn$/calendar  jp/' "$ROOT/deploy/sla/policy.conf" >"$POLICY"
cp "$ROOT/deploy/calendars/cn.conf" "$CALS/"
sed -e 's/^name      cn$/name      jp/' -e 's|^timezone  Asia/Shanghai$|timezone  Asia/Tokyo|' \
    "$ROOT/deploy/calendars/cn.conf" >"$CALS/jp.conf"

start_pipeline || exit 1
start_service watchdog watchdog --name wd-zone --bus "$BUS_PUB_EP" \
    --policy "$POLICY" --calendars "$CALS" --sweep-ms 500

"$PY" "$ROOT/tests/integration/case_zone.py" --ctl "$BIN/complaintctl" --calendars "$CALS" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --shipped "$ROOT/deploy/calendars"
assert_true "watchdog alive at the end" service_alive watchdog
