# shellcheck shell=bash
# lib.sh — helpers shared by the embedded-deployment scripts (sourced, not run).
#
# The embedded default keeps everything a running pipeline needs under the
# project's own var/ folder, so nothing touches the system PostgreSQL service
# or system paths:
#
#     var/pg/            the private PostgreSQL cluster (initdb'd on first use)
#     var/run/           PostgreSQL's Unix socket and lock file, NAME.pid files
#     var/log/           postgresql.log and one NAME.log per service (append)
#     var/secrets/       pseudonym.key (mode 600), generated once
#     var/keys/          the CURVE certificates (complaintctl keys init: every
#                        daemon's, the operator's) and the allow lists;
#                        secret files mode 600 (docs/security.md "Transport")
#     var/env            the PG* and COMPLAINTS_* variables: `. var/env; psql`
#     var/sinks/mail     what the local SMTP sink received (one .eml a message)
#     var/sinks/gateway  what the local SMS/push gateway sink received (.json)
#
# Settings, from strongest to weakest: an environment variable set by the
# caller, the value recorded in var/env by the previous `make up`, the
# built-in default. So a pipeline started with COMPLAINTS_PG_PORT=55404 keeps
# that port when `make up` later restarts one crashed service.
#
# PostgreSQL refuses to run as root. When these scripts run as root the
# cluster belongs to the `postgres` user and initdb/pg_ctl run through
# `runuser -u postgres --`; a normal user runs them directly.
#
# The notifier delivers to real servers when the caller names them
# (COMPLAINTS_SMTP_URL, COMPLAINTS_SMS_URL, COMPLAINTS_PUSH_URL); for each one
# not named, the embedded default runs a local sink instead, so a demo sends
# real e-mail and real HTTP requests without leaving the machine:
#
#     sink-smtp   smtp-sink (deploy/sinks/smtp_sink.c) on 127.0.0.1:COMPLAINTS_SINK_SMTP_PORT
#                 (5525), storing into var/sinks/mail (COMPLAINTS_SINK_MAIL_DIR:
#                 the benchmark points it at tmpfs)
#     sink-http   deploy/sinks/http_sink.py on 127.0.0.1:COMPLAINTS_SINK_HTTP_PORT
#                 (5580), the SMS gateway at /sms and the push gateway at
#                 /push, storing into var/sinks/gateway
#
# Every service serves Prometheus /metrics and /healthz on 127.0.0.1, at
# (Every default port is below 32768, outside Linux's range for outgoing
# connections, so a client's connection never holds a port we listen on.)
# COMPLAINTS_METRICS_BASE (5590) + its place in SERVICES: bus-1 5590,
# bus-2 5591, intake 5592, router-1 5593, router-2 5594, watchdog-1
# 5595, watchdog-2 5596, notifier-1 5597, notifier-2 5598, analytics 5599,
# mail 5600, web 5601, hotline 5602 (svc_metrics_port).
#
# Interface: say, warn, die, as_pg, pg_bin_dir, pg_cluster_running, pg_port,
#            pg_ensure, env_setting, env_recorded, env_write, endpoints_load,
#            notify_load, keys_ensure, pseudonym_key, svc_pid, svc_metrics_port,
#            endpoint_wait, psql_q

set -o pipefail

COMPLAINTS_ROOT=${COMPLAINTS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VAR=${COMPLAINTS_VAR:-$COMPLAINTS_ROOT/var}
case $VAR in /*) ;; *) VAR=$COMPLAINTS_ROOT/$VAR ;; esac
PG_DATA=$VAR/pg
RUN_DIR=$VAR/run
LOG_DIR=$VAR/log
SECRETS_DIR=$VAR/secrets
# The CURVE keys: the caller's COMPLAINTS_KEYS, else var/keys.
KEYS_DIR=${COMPLAINTS_KEYS:-$VAR/keys}
case $KEYS_DIR in /*) ;; *) KEYS_DIR=$COMPLAINTS_ROOT/$KEYS_DIR ;; esac
ENV_FILE=$VAR/env
STAFF_TOKENS=$SECRETS_DIR/staff-tokens          # the router's: "ID SHA256HEX"
STAFF_TOKENS_PLAIN=$SECRETS_DIR/staff-tokens.plain  # demo staff's: "ID TOKEN"
PG_DEFAULT_PORT=55432
PROG=${PROG:-$(basename "$0" .sh)}

# The services of the embedded pipeline, in start order. NAME -> binary is
# NAME without its -N instance suffix (bus-1 and bus-2 both run `bus`).
# shellcheck disable=SC2034  # used by the scripts that source this file
SERVICES=(bus-1 bus-2 intake router-1 router-2 watchdog-1 watchdog-2 notifier-1 notifier-2 analytics mail web)
# The hotline adapter after the others (its metrics port follows on).
SERVICES+=(hotline)
# The local sinks the notifier delivers to when no real server is named
# (notify_load decides which); started before the notifier, stopped by down.
# shellcheck disable=SC2034
SINKS=(sink-smtp sink-http)
# shellcheck disable=SC2034
SINK_PY=/usr/bin/python3    # Debian's: the HTTP sink and the mailbox reader need the standard library only
# shellcheck disable=SC2034
SINK_MAIL_DIR=${COMPLAINTS_SINK_MAIL_DIR:-$VAR/sinks/mail}

# keys_ensure BIN — CURVE is on in the embedded pipeline as anywhere else:
# `complaintctl keys init` makes whatever identity or allow list is missing
# (it keeps what exists, so keys survive make down / make up, and a key
# revoked by the operator stays revoked).
keys_ensure () {
    local bin=$1
    "$bin/complaintctl" keys init --keys "$KEYS_DIR" 2>/dev/null \
        || die "complaintctl keys init --keys $KEYS_DIR failed"
    # The web adapter's own identity: an adapter for the web channel, no
    # --status (a lookup with the customer's code is what anyone may do).
    if [[ ! -e $KEYS_DIR/web.cert ]]; then
        "$bin/complaintctl" keys new web --role adapter --channels web --keys "$KEYS_DIR" \
            >/dev/null || die "complaintctl keys new web failed"
    fi
}

# staff_tokens_ensure BIN — a token for every staff id of the directory that
# has none yet (deploy/org/directory.conf), issued with `complaintctl token
# new`: hashes in $STAFF_TOKENS for the routers, the plaintext in
# $STAFF_TOKENS_PLAIN (0600) for whoever plays the staff on this machine.
# A demo convenience: in production each person is issued their own token.
staff_tokens_ensure () {
    local bin=$1 directory=$COMPLAINTS_ROOT/deploy/org/directory.conf id token n=0
    # Created with their final modes (umask 077), never loosened meanwhile;
    # the chmods only tighten what an older make up left.
    ( umask 077; mkdir -p "$SECRETS_DIR"; touch "$STAFF_TOKENS" "$STAFF_TOKENS_PLAIN" )
    chmod 700 "$SECRETS_DIR"
    chmod 600 "$STAFF_TOKENS" "$STAFF_TOKENS_PLAIN"
    for id in $(awk '$1 == "staff" { print $2 }' "$directory"); do
        awk -v id="$id" '$1 == id { found = 1 } END { exit !found }' "$STAFF_TOKENS_PLAIN" && continue
        token=$("$bin/complaintctl" token new "$id" --tokens-file "$STAFF_TOKENS") \
            || die "complaintctl token new $id failed"
        printf '%s %s\n' "$id" "$token" >>"$STAFF_TOKENS_PLAIN"
        n=$((n + 1))
    done
    (( n == 0 )) || say "issued $n staff tokens ($STAFF_TOKENS_PLAIN)"
}

# A `bash -c` script that closes every descriptor above stderr, then execs
# its arguments. Long-lived processes (PostgreSQL, the services) start
# through it so they never hold what the caller had open: up.sh's lock, a
# caller's pipe (which would keep `make up | tee log` from ever ending),
# make's jobserver.
# shellcheck disable=SC2016  # expanded by the inner bash
CLOSE_FDS_EXEC='for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done; exec "$@"'

say ()  { printf '%s: %s\n' "$PROG" "$*"; }
warn () { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die ()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

is_root () { [[ $(id -u) -eq 0 ]]; }

# Run a PostgreSQL server-side command as the cluster's owner.
as_pg () {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Newest installed server version's bin folder (override: COMPLAINTS_PG_BIN).
pg_bin_dir () {
    if [[ -n ${COMPLAINTS_PG_BIN:-} ]]; then
        printf '%s\n' "$COMPLAINTS_PG_BIN"
        return
    fi
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    [[ -n $d && -x $d/pg_ctl ]] || die "no PostgreSQL server found under /usr/lib/postgresql (run: make deps)"
    printf '%s\n' "$d"
}

# The value a setting takes: caller's environment, else var/env, else default.
env_setting () {
    local name=$1 def=$2
    if [[ -n ${!name+set} ]]; then
        printf '%s\n' "${!name}"
        return
    fi
    env_recorded "$name" "$def"
}

# The value var/env recorded for a variable, else the default.
env_recorded () {
    local name=$1 def=$2 val=
    if [[ -f $ENV_FILE ]]; then
        # A subshell, so sourcing the old file changes nothing here.
        # shellcheck disable=SC1090
        val=$( . "$ENV_FILE" >/dev/null 2>&1; printf '%s' "${!name-}" )
    fi
    printf '%s\n' "${val:-$def}"
}

pg_cluster_running () {
    [[ -f $PG_DATA/PG_VERSION ]] || return 1
    as_pg "$(pg_bin_dir)/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# Port of the running cluster, from its postmaster.pid (line 4).
pg_running_port () {
    sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null
}

# The port this cluster uses: what it runs on, else COMPLAINTS_PG_PORT, else
# what var/env recorded, else the default.
pg_port () {
    if pg_cluster_running; then
        local p
        p=$(pg_running_port)
        if [[ -n ${COMPLAINTS_PG_PORT:-} && $COMPLAINTS_PG_PORT != "$p" ]]; then
            warn "cluster already runs on port $p; COMPLAINTS_PG_PORT=$COMPLAINTS_PG_PORT applies after make down"
        fi
        printf '%s\n' "$p"
        return
    fi
    if [[ -n ${COMPLAINTS_PG_PORT:-} ]]; then
        printf '%s\n' "$COMPLAINTS_PG_PORT"
    else
        # Not the caller's PGPORT: that may point at some other server.
        env_recorded PGPORT "$PG_DEFAULT_PORT"
    fi
}

# When root, the postgres user must be able to reach var/: give every
# ancestor that blocks it the search (x) bit for others, and say so.
s_pg_traversable () {
    is_root || return 0
    local d=$VAR
    local -a path=()
    while [[ $d != / && -n $d ]]; do
        path=("$d" "${path[@]}")
        d=$(dirname "$d")
    done
    for d in "${path[@]}"; do
        [[ -d $d ]] || continue
        if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
            chmod o+x "$d"
            say "chmod o+x $d (PostgreSQL runs as postgres and must reach var/)"
        fi
    done
}

# Create var/ and the cluster if absent, start it if stopped, wait until it
# accepts connections, create the complaints database if absent.
pg_ensure () {
    local bin port
    bin=$(pg_bin_dir)
    mkdir -p "$VAR" "$RUN_DIR" "$LOG_DIR"
    s_pg_traversable
    # The socket path must fit in sun_path (107 bytes).
    if (( ${#RUN_DIR} + 20 > 107 )); then
        die "socket folder $RUN_DIR is too long for a Unix socket path; set COMPLAINTS_VAR to a shorter folder"
    fi
    if is_root; then
        chown postgres "$RUN_DIR"
        touch "$LOG_DIR/postgresql.log"
        chown postgres "$LOG_DIR/postgresql.log"
    fi

    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
        say "creating PostgreSQL cluster in $PG_DATA"
        mkdir -p "$PG_DATA"
        if is_root; then chown postgres "$PG_DATA"; fi
        chmod 700 "$PG_DATA"
        as_pg "$bin/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --locale C.UTF-8 \
            >>"$LOG_DIR/initdb.log" 2>&1 \
            || die "initdb failed; see $LOG_DIR/initdb.log"
        # Only the Unix socket: nothing listens on the network. fsync stays on
        # (the default): an acknowledged complaint must survive a power cut.
        cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- complaints embedded cluster (deploy/scripts/lib.sh) ---
listen_addresses = ''
fsync = on
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    fi

    port=$(pg_port)
    if ! pg_cluster_running; then
        say "starting PostgreSQL on port $port, socket in $RUN_DIR"
        # -k and -p on the command line, so a moved project folder or a new
        # COMPLAINTS_PG_PORT takes effect without editing the cluster.
        if ! as_pg bash -c "$CLOSE_FDS_EXEC" _ \
                "$bin/pg_ctl" start -D "$PG_DATA" -w -t 60 -l "$LOG_DIR/postgresql.log" \
                -o "-p $port -k '$RUN_DIR' -c listen_addresses=''" >/dev/null; then
            tail -n 20 "$LOG_DIR/postgresql.log" >&2
            die "PostgreSQL did not start (port $port taken? see $LOG_DIR/postgresql.log)"
        fi
    fi
    local i
    for ((i = 0; i < 120; i++)); do
        "$bin/pg_isready" -q -h "$RUN_DIR" -p "$port" -U postgres -d postgres && break
        sleep 0.5
    done
    "$bin/pg_isready" -q -h "$RUN_DIR" -p "$port" -U postgres -d postgres || die "PostgreSQL is not ready after 60 s"

    export PGHOST=$RUN_DIR PGPORT=$port PGUSER=postgres PGDATABASE=complaints
    if [[ $(psql -X -qtA -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'complaints'") != 1 ]]; then
        say "creating database complaints"
        psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE complaints' \
            || die "cannot create database complaints"
    fi
}

# The pseudonym key: generated once (32 random bytes, hex), kept in
# var/secrets/pseudonym.key mode 600, read from there every time so the
# pseudonyms of a customer stay the same across restarts.
pseudonym_key () {
    local f=$SECRETS_DIR/pseudonym.key
    if [[ ! -s $f ]]; then
        ( umask 077; mkdir -p "$SECRETS_DIR" )
        chmod 700 "$SECRETS_DIR"
        ( umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$f.tmp" && mv "$f.tmp" "$f" )
        say "generated a new pseudonym key in $f" >&2
    fi
    chmod 600 "$f"
    cat "$f"
}

# The customer identity key file (common/identity_seal.h): one "ID HEX" line,
# generated once, var/secrets/identity.key mode 600, outside the database.
# Intake and the notifier read it (--identity-key-file); losing it loses
# every customer's identity, so back it up apart from the database.
identity_key_file () {
    local f=$SECRETS_DIR/identity.key
    if [[ ! -s $f ]]; then
        ( umask 077; mkdir -p "$SECRETS_DIR" )
        chmod 700 "$SECRETS_DIR"
        ( umask 077; printf '1 %s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$f.tmp" \
              && mv "$f.tmp" "$f" )
        say "generated a new identity key in $f" >&2
    fi
    chmod 600 "$f"
    printf '%s' "$f"
}

# Write var/env for the current PG* and endpoint variables.
env_write () {
    local key id_key tmp=$ENV_FILE.tmp
    key=$(pseudonym_key)
    id_key=$(identity_key_file)
    # var/env holds the pseudonym key: the file is created 0600 before a
    # byte is written (a leftover .tmp would keep its old mode: removed).
    rm -f "$tmp"
    ( umask 077; : >"$tmp" )
    {
        echo "# var/env — written by deploy/scripts/up.sh; source it: . var/env"
        echo "# The embedded pipeline's PostgreSQL (Unix socket only) and endpoints."
        local n
        printf 'export PGHOST=%q\n' "$PGHOST"
        printf 'export PGPORT=%q\n' "$PGPORT"
        printf 'export PGUSER=%q\n' "$PGUSER"
        printf 'export PGDATABASE=%q\n' "$PGDATABASE"
        echo "# Each service logs in as its own role (deploy/scripts/roles.sh,"
        echo "# docs/security.md); psql above stays the cluster's superuser."
        bash "$COMPLAINTS_ROOT/deploy/scripts/roles.sh" --env
        printf 'export COMPLAINTS_PSEUDONYM_KEY=%q\n' "$key"
        echo "# CURVE on every endpoint: each daemon's identity is its service name,"
        echo "# complaintctl's the operator's (COMPLAINTS_KEY), all in this directory."
        printf 'export COMPLAINTS_KEYS=%q\n' "$KEYS_DIR"
        echo "# The customer identity key (intake, notifier; docs/security.md)."
        printf 'export COMPLAINTS_IDENTITY_KEY_FILE=%q\n' "$id_key"
        for n in COMPLAINTS_INTAKE_ENDPOINT COMPLAINTS_BUS_PUB_ENDPOINT COMPLAINTS_BUS_REPLAY_ENDPOINT \
                 COMPLAINTS_ANALYTICS_ENDPOINT COMPLAINTS_ANALYTICS_HTTP; do
            printf 'export %s=%q\n' "$n" "${!n}"
        done
        echo "# /metrics and /healthz of each service: 127.0.0.1, this + its place in SERVICES."
        printf 'export COMPLAINTS_METRICS_BASE=%q\n' "$COMPLAINTS_METRICS_BASE"
        echo "# The routers load the staff directory with these token hashes; each"
        echo "# demo staff member's token is in $STAFF_TOKENS_PLAIN (docs/organisation.md)."
        printf 'export COMPLAINTS_STAFF_TOKENS=%q\n' "$STAFF_TOKENS"
        echo "# The notifier's local sinks (used for each URL below that is not set)."
        for n in COMPLAINTS_SINK_SMTP_PORT COMPLAINTS_SINK_HTTP_PORT; do
            printf 'export %s=%q\n' "$n" "${!n}"
        done
        # Only a URL the caller gave is recorded: an unset one means "the
        # local sink", decided again by each make up.
        for n in COMPLAINTS_SMTP_URL COMPLAINTS_SMS_URL COMPLAINTS_PUSH_URL; do
            [[ -n ${NOTIFY_EXTERNAL[$n]:-} ]] && printf 'export %s=%q\n' "$n" "${!n}"
        done
        true
    } >>"$tmp"
    mv "$tmp" "$ENV_FILE"
}

# Endpoints: caller's environment, else var/env, else the defaults of cfg.h.
endpoints_load () {
    COMPLAINTS_INTAKE_ENDPOINT=$(env_setting COMPLAINTS_INTAKE_ENDPOINT tcp://127.0.0.1:5550)
    COMPLAINTS_BUS_PUB_ENDPOINT=$(env_setting COMPLAINTS_BUS_PUB_ENDPOINT tcp://127.0.0.1:5560)
    COMPLAINTS_BUS_REPLAY_ENDPOINT=$(env_setting COMPLAINTS_BUS_REPLAY_ENDPOINT tcp://127.0.0.1:5561)
    COMPLAINTS_ANALYTICS_ENDPOINT=$(env_setting COMPLAINTS_ANALYTICS_ENDPOINT tcp://127.0.0.1:5570)
    # The dashboard and the bulletin (docs/analytics.md "Dashboard"), loopback.
    COMPLAINTS_ANALYTICS_HTTP=$(env_setting COMPLAINTS_ANALYTICS_HTTP 127.0.0.1:5571)
    COMPLAINTS_METRICS_BASE=$(env_setting COMPLAINTS_METRICS_BASE 5590)
    # The web adapter (docs/adapters.md "Web"): loopback, behind the bank's TLS proxy.
    COMPLAINTS_WEB_ADDR=$(env_setting COMPLAINTS_WEB_ADDR 127.0.0.1:8080)
    # Where the customer answers the satisfaction survey (the web adapter's
    # /survey page; docs/followup.md): the notifier puts the link, with the
    # case's token, in the resolution notice. Without it the notice has none.
    COMPLAINTS_SURVEY_URL=$(env_setting COMPLAINTS_SURVEY_URL "http://$COMPLAINTS_WEB_ADDR/survey")
    export COMPLAINTS_WEB_ADDR COMPLAINTS_SURVEY_URL
    export COMPLAINTS_INTAKE_ENDPOINT COMPLAINTS_BUS_PUB_ENDPOINT COMPLAINTS_BUS_REPLAY_ENDPOINT
    export COMPLAINTS_ANALYTICS_ENDPOINT COMPLAINTS_ANALYTICS_HTTP
    export COMPLAINTS_METRICS_BASE
}

# svc_metrics_port NAME — the metrics port of a service of SERVICES (fixed
# per instance, so a scraper's configuration and `make status` find it).
svc_metrics_port () {
    local i base=${COMPLAINTS_METRICS_BASE:-$(env_recorded COMPLAINTS_METRICS_BASE 5590)}
    for i in "${!SERVICES[@]}"; do
        if [[ ${SERVICES[$i]} == "$1" ]]; then
            printf '%s\n' $((base + i))
            return 0
        fi
    done
    return 1
}

# notify_load — the notifier's delivery URLs and the local sinks. For each
# of COMPLAINTS_SMTP_URL, _SMS_URL, _PUSH_URL: the caller's value, else the
# one var/env recorded from an earlier caller, else the local sink's. Sets
# NOTIFY_EXTERNAL[VAR]=1 for those given, NOTIFY_SINKS (the sinks to run)
# and NOTIFY_ARGS (the notifier's flags).
declare -A NOTIFY_EXTERNAL=()
NOTIFY_SINKS=()
NOTIFY_ARGS=()
notify_load () {
    local n v
    COMPLAINTS_SINK_SMTP_PORT=$(env_setting COMPLAINTS_SINK_SMTP_PORT 5525)
    COMPLAINTS_SINK_HTTP_PORT=$(env_setting COMPLAINTS_SINK_HTTP_PORT 5580)
    export COMPLAINTS_SINK_SMTP_PORT COMPLAINTS_SINK_HTTP_PORT
    NOTIFY_EXTERNAL=()
    for n in COMPLAINTS_SMTP_URL COMPLAINTS_SMS_URL COMPLAINTS_PUSH_URL; do
        v=$(env_setting "$n" "")
        if [[ -n $v ]]; then
            NOTIFY_EXTERNAL[$n]=1
            printf -v "$n" '%s' "$v"
            export "${n?}"
        fi
    done
    NOTIFY_SINKS=()
    if [[ -z ${NOTIFY_EXTERNAL[COMPLAINTS_SMTP_URL]:-} ]]; then
        NOTIFY_SINKS+=(sink-smtp)
        COMPLAINTS_SMTP_URL=smtp://127.0.0.1:$COMPLAINTS_SINK_SMTP_PORT
    fi
    if [[ -z ${NOTIFY_EXTERNAL[COMPLAINTS_SMS_URL]:-} || -z ${NOTIFY_EXTERNAL[COMPLAINTS_PUSH_URL]:-} ]]; then
        NOTIFY_SINKS+=(sink-http)
        [[ -n ${NOTIFY_EXTERNAL[COMPLAINTS_SMS_URL]:-} ]] \
            || COMPLAINTS_SMS_URL=http://127.0.0.1:$COMPLAINTS_SINK_HTTP_PORT/sms
        [[ -n ${NOTIFY_EXTERNAL[COMPLAINTS_PUSH_URL]:-} ]] \
            || COMPLAINTS_PUSH_URL=http://127.0.0.1:$COMPLAINTS_SINK_HTTP_PORT/push
    fi
    # shellcheck disable=SC2034  # read by up.sh
    NOTIFY_ARGS=(--smtp-url "$COMPLAINTS_SMTP_URL" --sms-url "$COMPLAINTS_SMS_URL"
                 --push-url "$COMPLAINTS_PUSH_URL")
}

svc_bin_name () { printf '%s\n' "${1%-[0-9]*}"; }

# The pid in var/run/NAME.pid if it is alive and runs that program, else "".
svc_pid () {
    local name=$1 pid comm
    [[ -f $RUN_DIR/$name.pid ]] || return 0
    pid=$(<"$RUN_DIR/$name.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 0
    # A pid reused by another program is not ours. The SMTP sink is the
    # smtp-sink binary; the HTTP sink is python3 running
    # deploy/sinks/http_sink.py.
    case $name in
        sink-smtp)
            [[ $comm == smtp-sink ]] || return 0
            ;;
        sink-*)
            [[ $comm == python3* ]] || return 0
            local cmd
            cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 0
            [[ $cmd == *"${name#sink-}_sink.py"* ]] || return 0
            ;;
        *)
            [[ $comm == "$(svc_bin_name "$name")" ]] || return 0
            ;;
    esac
    # A zombie is not running.
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 0
    printf '%s\n' "$pid"
}

# Wait until something accepts TCP connections at a ZeroMQ endpoint
# (tcp://host:port; * and 0.0.0.0 mean this host; ipc:// waits for the
# socket file). Returns 0 when it answers, 1 after `timeout` seconds.
endpoint_wait () {
    local ep=$1 timeout=${2:-15} host port i
    for ((i = 0; i < timeout * 10; i++)); do
        case $ep in
            tcp://*)
                host=${ep#tcp://}
                port=${host##*:}
                host=${host%:*}
                case $host in '*' | 0.0.0.0 | '') host=127.0.0.1 ;; esac
                host=${host#[}; host=${host%]}
                if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
                ;;
            ipc://*)
                [[ -S ${ep#ipc://} ]] && return 0
                ;;
            *) return 0 ;;
        esac
        sleep 0.1
    done
    return 1
}

# One value from the database, quietly; "" when PostgreSQL is unreachable.
psql_q () {
    psql -X -qtA -v ON_ERROR_STOP=1 -c "$1" 2>/dev/null || true
}
