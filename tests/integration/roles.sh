#!/usr/bin/env bash
# roles.sh — invariant 10, the store's half: each service logs in as its own
# least-privileged role (deploy/migrations/020_roles.sql, deploy/scripts/
# roles.sh, docs/security.md "Least privilege").
#
# Needs no running service: tests/integration/roles.py reads the roles and
# GRANTs of the migrated store, tries every service's login role against
# every table it must not write (permission denied) and the writes it needs
# (pass, rolled back), the clock against every role, and compares the role x
# table matrix of docs/security.md with the catalogue. That the GRANTs are
# enough is shown by every other test: tests/lib.sh starts each service as
# its own role. See the checker's docstring for the rules.
. "$(dirname "$0")/../lib.sh"

"$PY" "$ROOT/tests/integration/roles.py" --root "$ROOT"
assert_eq "roles.py exit status (every check as expected)" 0 "$?"
