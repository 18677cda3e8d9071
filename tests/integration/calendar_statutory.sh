#!/usr/bin/env bash
# calendar_statutory.sh — deadlines in the years after the published
# holiday notice (issue 15, "calendars end at 2026").
#
# `complaintctl calendar statutory 2027..2030` prints the statutory days off
# as `provisional` lines; calendar_statutory.py compares them with a table
# written by hand from the lunar calendar as the Hong Kong Observatory
# publishes it (not from our output), checks that deploy/calendars/cn.conf
# carries exactly those lines, and that `calendar add` counts on them and
# says the deadline is provisional (and says nothing of the kind inside
# `covers`, and warns of the weekly pattern alone after the last provisional
# year). No database, no service.
. "$(dirname "$0")/../lib.sh"
require_bin complaintctl

"$PY" "$ROOT/tests/integration/calendar_statutory.py" --ctl "$BIN/complaintctl" \
    --conf "$ROOT/deploy/calendars/cn.conf"
