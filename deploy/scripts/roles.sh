#!/usr/bin/env bash
# roles.sh — the login roles: one per service, each a member of the group
# role migration 020 made for it (docs/security.md, "Least privilege").
#
# The migration makes the NOLOGIN group roles and their GRANTs, the same in
# every database; who logs in, and with what password, belongs to the
# installation, so it is here. For each service S of
#     intake router watchdog notifier analytics bus ctl
# it makes (if absent) the login role complaints_S_login, INHERIT, member of
# complaints_S and of nothing else, never superuser, owning nothing.
#
#     bash deploy/scripts/roles.sh                      # logins without passwords
#     bash deploy/scripts/roles.sh --passwords DIR      # DIR/S holds S's password
#                                                       # (made, mode 600, if absent)
#     bash deploy/scripts/roles.sh --password-env       # S's password from the variable
#                                                       # COMPLAINTS_S_PG_PASSWORD (docker-compose.yml)
#     bash deploy/scripts/roles.sh --test-clock ROLE... # also GRANT complaints_test_clock
#                                                       # (test clusters only)
#     bash deploy/scripts/roles.sh --env                # print the COMPLAINTS_S_PG lines
#
# Without passwords a login can only connect where pg_hba.conf trusts it:
# the embedded cluster of `make up` and the tests' cluster, on their Unix
# socket in var/ (mode 700 folder, so only this machine's owner reaches it).
# A production server gives each login a password (--passwords, or ALTER
# ROLE ... PASSWORD by the DBA) and scram-sha-256 in pg_hba.conf.
#
# Which PostgreSQL: libpq's PG* variables, as a role that may create roles
# (a superuser, or one with CREATEROLE and ADMIN on the group roles). The
# migrations must have run first: the group roles come from 020_roles.sql.
# Safe to re-run, and to run from two databases of one cluster at once.
set -euo pipefail

SERVICES=(intake router watchdog notifier analytics bus ctl)
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}")

die () { printf 'roles: error: %s\n' "$*" >&2; exit 1; }

passwords='' password_env=0 test_clock=() print_env=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --passwords) passwords=${2:?--passwords needs a folder}; shift 2 ;;
        --test-clock) shift
            while [[ $# -gt 0 && $1 != --* ]]; do test_clock+=("$1"); shift; done ;;
        --password-env) password_env=1; shift ;;
        --env) print_env=1; shift ;;
        *) die "usage: roles.sh [--passwords DIR | --password-env] [--test-clock ROLE...] [--env]" ;;
    esac
done

login_of () { printf 'complaints_%s_login' "$1"; }

if [[ $print_env == 1 ]]; then
    # The conninfo each service reads first (common/daemon.c; complaintctl:
    # COMPLAINTS_CTL_PG); libpq's PG* variables fill in host, port, dbname.
    for s in "${SERVICES[@]}"; do
        printf 'export COMPLAINTS_%s_PG=%q\n' "${s^^}" "user=$(login_of "$s")"
    done
    exit 0
fi

"${PSQL[@]}" -tA -c "SELECT 1 FROM pg_roles WHERE rolname = 'complaints_owner'" | grep -q 1 \
    || die "no group role complaints_owner: run the migrations first (deploy/scripts/migrate.sh)"

if [[ -n $passwords ]]; then
    ( umask 077; mkdir -p "$passwords" )
    chmod 700 "$passwords"
fi

for s in "${SERVICES[@]}"; do
    login=$(login_of "$s")
    # CREATE and GRANT each in a block that forgives a concurrent twin: two
    # test databases set up at once both find the role missing.
    "${PSQL[@]}" -v login="$login" -v grp="complaints_$s" >/dev/null <<'SQL'
SELECT format ('DO $do$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %L) THEN
        CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $do$', :'login', :'login') \gexec
SELECT format ('DO $do$ BEGIN
    GRANT %I TO %I;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $do$', :'grp', :'login') \gexec
SQL
    pw=
    if [[ -n $passwords ]]; then
        f=$passwords/$s
        if [[ ! -s $f ]]; then
            (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$f")
        fi
        pw=$(cat "$f")
    elif [[ $password_env == 1 ]]; then
        v=COMPLAINTS_${s^^}_PG_PASSWORD
        pw=${!v:-}
        [[ -n $pw ]] || die "--password-env: $v is not set"
    fi
    if [[ -n $pw ]]; then
        # The password goes to psql in its environment, not as -v on its
        # command line (anyone can read that in ps and /proc/PID/cmdline).
        COMPLAINTS_ROLE_PASSWORD=$pw "${PSQL[@]}" -v login="$login" >/dev/null <<'SQL'
\getenv pw COMPLAINTS_ROLE_PASSWORD
ALTER ROLE :"login" PASSWORD :'pw';
SQL
    fi
done

for r in "${test_clock[@]}"; do
    "${PSQL[@]}" -v login="$r" >/dev/null <<'SQL'
SELECT format ('DO $do$ BEGIN
    GRANT complaints_test_clock TO %I;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $do$', :'login') \gexec
SQL
done
printf 'roles: %d login roles ready (%s)\n' "${#SERVICES[@]}" "$(login_of '*')"
