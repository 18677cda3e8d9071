#!/usr/bin/env bash
# table_owners.sh — invariant 9: one owner per table, "open" defined once.
#
# Needs no running service: tests/integration/table_owners.py reads the
# owner of every table from the migrated store (COMMENT ON TABLE, migration
# 007), scans the services' C sources for the tables they write, and fails
# on a write that is neither the owner's, declared in the table's "also",
# nor an outbox append; then checks that no C source, partial index or
# store function lists complaint states where complaint_is_open should be
# used. See the checker's docstring for the rules and the one exemption.
. "$(dirname "$0")/../lib.sh"
require_bin complaintctl

"$PY" "$ROOT/tests/integration/table_owners.py" --root "$ROOT" --complaintctl "$BIN/complaintctl"
assert_eq "table_owners.py exit status (every check as expected)" 0 "$?"
