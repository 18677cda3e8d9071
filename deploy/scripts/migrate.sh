#!/usr/bin/env bash
# migrate.sh — apply deploy/migrations/*.sql in order, each exactly once.
#
# Which PostgreSQL: libpq's PG* variables, or a conninfo in COMPLAINTS_PG
# (what the services use too). When neither PGHOST nor COMPLAINTS_PG is set
# and the embedded pipeline's var/env exists, that is used.
#
# How: a table schema_migrations(version, checksum, applied_at) records every
# applied file (version = file name, checksum = sha256 of its bytes). Each
# pending file runs in its own transaction (psql --single-transaction,
# ON_ERROR_STOP) together with its schema_migrations row, under a
# transaction-scoped advisory lock, so two runners cannot both apply it: the
# second waits, then sees the row and skips. Re-running is a no-op. A file
# whose checksum differs from the applied one is refused (exit 1): migrations
# are append-only, a change goes into a new file.
#
#     bash deploy/scripts/migrate.sh [migrations-folder]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-${COMPLAINTS_MIGRATIONS:-$here/../migrations}}
env_file=${COMPLAINTS_VAR:-$here/../../var}/env

if [[ -z ${PGHOST:-} && -z ${COMPLAINTS_PG:-} && -f $env_file ]]; then
    # shellcheck disable=SC1090
    . "$env_file"
fi

# One number for the advisory lock, the same in every runner:
# hashtext('complaints.schema_migrations') would do too, but a literal needs
# no function and reads the same in pg_locks.
LOCK_KEY=4242001

PSQL=(psql -X -q -v ON_ERROR_STOP=1)
if [[ -n ${COMPLAINTS_PG:-} ]]; then
    PSQL+=(-d "$COMPLAINTS_PG")
fi

die () { printf 'migrate: error: %s\n' "$*" >&2; exit 1; }

[[ -d $dir ]] || die "no migrations folder $dir"
shopt -s nullglob
files=("$dir"/*.sql)
shopt -u nullglob
# Lexical order, whatever the locale.
mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)

"${PSQL[@]}" --single-transaction >/dev/null <<SQL || die "cannot reach PostgreSQL or create schema_migrations"
SET LOCAL client_min_messages = warning;
SELECT pg_advisory_xact_lock($LOCK_KEY);
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
SQL

declare -A applied=()
while IFS='|' read -r version checksum; do
    [[ -n $version ]] && applied[$version]=$checksum
done < <("${PSQL[@]}" -tA -c 'SELECT version, checksum FROM schema_migrations ORDER BY version')

# Refuse before applying anything when history was rewritten.
declare -A sums=()
for f in "${files[@]}"; do
    v=$(basename "$f")
    sums[$v]=$(sha256sum "$f" | cut -d' ' -f1)
    if [[ -n ${applied[$v]:-} && ${applied[$v]} != "${sums[$v]}" ]]; then
        die "$v was changed after it was applied (checksum ${applied[$v]:0:12}… now ${sums[$v]:0:12}…); put the change in a new migration"
    fi
done
for v in "${!applied[@]}"; do
    [[ -n ${sums[$v]:-} ]] || printf 'migrate: warning: %s is applied but its file is gone\n' "$v" >&2
done

n_new=0
for f in "${files[@]}"; do
    v=$(basename "$f")
    [[ -z ${applied[$v]:-} ]] || continue
    # Under the lock, look again: another runner may have applied it since.
    out=$("${PSQL[@]}" --single-transaction -v version="$v" -v checksum="${sums[$v]}" -v file="$f" -f - <<SQL
SELECT pg_advisory_xact_lock($LOCK_KEY) \\gset
SELECT NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = :'version') AS pending \\gset
\\if :pending
\\i :file
INSERT INTO schema_migrations (version, checksum) VALUES (:'version', :'checksum');
\\echo @@migrate-applied@@
\\endif
SQL
) || die "$v failed; nothing of it was applied"
    if [[ $out == *@@migrate-applied@@* ]]; then
        printf 'migrate: applied %s\n' "$v"
        n_new=$((n_new + 1))
    fi
done

total=$("${PSQL[@]}" -tA -c 'SELECT count(*) FROM schema_migrations')
if (( n_new == 0 )); then
    printf 'migrate: up to date (%s applied)\n' "$total"
else
    printf 'migrate: %d new, %s applied in all\n' "$n_new" "$total"
fi
