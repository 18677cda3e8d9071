#!/usr/bin/env bash
# up.sh — start the embedded pipeline (`make up`); idempotent.
#
# 1. The private PostgreSQL cluster under var/pg: created if absent, started
#    if stopped (lib.sh pg_ensure), then the migrations (migrate.sh), then
#    the login roles (roles.sh: complaints_S_login for each service, no
#    password: the cluster trusts its own Unix socket in var/run, which only
#    this user reaches; docs/security.md, "Least privilege").
# 2. var/keys: the CURVE certificates, made once (complaintctl keys init;
#    CURVE is on in make up as everywhere, docs/security.md "Transport").
#    var/env: the PG* variables, each service's COMPLAINTS_S_PG (its own
#    login role), the pseudonym key, the keys directory, the endpoints and the staff tokens
#    file, so `. var/env; psql` reaches this store (as the superuser, for
#    the operator) and complaintctl these daemons (as complaints_ctl_login). Every staff id of deploy/org/directory.conf
#    without a token gets one (var/secrets/staff-tokens.plain, 0600).
# 3. Every service that is not running, in the background, from $BUILD/bin:
#
#        bus-1, bus-2   the bus twice: the one that wins the advisory lock is
#                       active and binds the endpoints, the other waits as
#                       standby and takes over when the active one dies
#        intake         the write API (ROUTER on COMPLAINTS_INTAKE_ENDPOINT)
#        router-1, -2   two routers sharing the work through PostgreSQL
#        watchdog-1, -2 two SLA watchdogs sharing the clocks (SKIP LOCKED):
#                       deploy/sla/policy.conf on deploy/calendars
#        notifier-1, -2 two notifiers (docs/notifier.md): e-mail, SMS, push
#        analytics      the stream into KPIs; queries on COMPLAINTS_ANALYTICS_ENDPOINT,
#                       the dashboard on http://COMPLAINTS_ANALYTICS_HTTP/ (127.0.0.1:5571)
#                       (docs/analytics.md)
#        mail           the e-mail adapter (docs/adapters.md): the Maildir
#                       var/mail/inbox and LMTP on COMPLAINTS_MAIL_LMTP
#                       (127.0.0.1:2424), its own key "mail" (adapter, email)
#                       and the staff inbox, from the event log; one
#                       consumes the stream at a time, both deliver
#        web            the customers' web channel (docs/adapters.md "Web"):
#                       the form and the JSON API on http://COMPLAINTS_WEB_ADDR/
#                       (127.0.0.1:8080), its spool in var/spool/web, its own
#                       CURVE key (var/keys/web, made by the keys step)
#
#    Before the notifier, for each delivery URL the caller did not set
#    (COMPLAINTS_SMTP_URL, COMPLAINTS_SMS_URL, COMPLAINTS_PUSH_URL; lib.sh
#    notify_load), a local sink stands in for the real server:
#
#        sink-smtp      smtp-sink (deploy/sinks/smtp_sink.c), 127.0.0.1:COMPLAINTS_SINK_SMTP_PORT
#                       (5525), messages into var/sinks/mail (COMPLAINTS_SINK_MAIL_DIR)
#        sink-http      deploy/sinks/http_sink.py, 127.0.0.1:COMPLAINTS_SINK_HTTP_PORT
#                       (5580), SMS at /sms and push at /push, into
#                       var/sinks/gateway
#
#    A service is running when var/run/NAME.pid holds a live pid of its
#    program; then it is left alone. So after a crash (or kill -9) `make up`
#    starts only what is missing. Each runs in its own session (setsid), so
#    it outlives this shell, logging to var/log/NAME.log (append).
# 4. Waits until intake's endpoint accepts connections (and the bus's), then
#    prints what runs.
#
# Settings: BUILD (build), COMPLAINTS_PG_PORT (55432), COMPLAINTS_VAR (var),
# COMPLAINTS_INTAKE_ENDPOINT, COMPLAINTS_BUS_PUB_ENDPOINT,
# COMPLAINTS_BUS_REPLAY_ENDPOINT (defaults of common/cfg.h),
# COMPLAINTS_METRICS_BASE (5590: each service's --metrics-port is this plus
# its place in lib.sh's SERVICES),
# COMPLAINTS_SMTP_URL, COMPLAINTS_SMS_URL, COMPLAINTS_PUSH_URL (unset: the
# local sinks), COMPLAINTS_SINK_SMTP_PORT, COMPLAINTS_SINK_HTTP_PORT, and every
# service's own COMPLAINTS_* variables (docs/operations.md), UP_TIMEOUT (seconds to wait for the endpoints, 20).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=${BUILD:-build}
case $BUILD in /*) BIN=$BUILD/bin ;; *) BIN=$COMPLAINTS_ROOT/$BUILD/bin ;; esac
UP_TIMEOUT=${UP_TIMEOUT:-20}

for b in bus intake router watchdog notifier analytics mail web complaintctl smtp-sink; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing; build first (make, or make BUILD=$BUILD)"
done

# One `make up` at a time: two at once would both see a service missing and
# start it twice. (fd 9 is closed for the daemons, so they do not hold it.)
mkdir -p "$VAR"
exec 9>"$VAR/.up.lock"
flock -w 120 9 || die "another up.sh holds $VAR/.up.lock"

pg_ensure
# A store made before migration 022 holds customers' identity in clear, and
# 023 refuses to drop those columns until it is sealed — which only intake
# can do, the key being outside the database (docs/security.md "Identity at
# rest", the upgrade). So on such a store: seal with this store's key, then
# migrate again. A new store passes at once.
mkdir -p "$VAR/log"
if ! bash "$COMPLAINTS_ROOT/deploy/scripts/migrate.sh" 2>"$VAR/log/migrate.err"; then
    if ! grep -q "identity in plaintext" "$VAR/log/migrate.err"; then
        cat "$VAR/log/migrate.err" >&2
        die "the migrations failed (var/log/migrate.err)"
    fi
    say "this store predates sealed identities: sealing them (intake --seal-identity)"
    COMPLAINTS_PSEUDONYM_KEY=$(pseudonym_key) \
        "$BIN/intake" --seal-identity --identity-key-file "$(identity_key_file)" \
        >>"$VAR/log/migrate.err" 2>&1 || die "intake --seal-identity failed (var/log/migrate.err)"
    bash "$COMPLAINTS_ROOT/deploy/scripts/migrate.sh"
fi
bash "$COMPLAINTS_ROOT/deploy/scripts/roles.sh" >/dev/null
endpoints_load
notify_load
keys_ensure "$BIN"
# The e-mail adapter (issue 14): its own identity, role adapter, channel
# email (made once, kept after); its Maildir and folders under var/mail.
if [[ ! -e $KEYS_DIR/mail.cert_secret ]]; then
    "$BIN/complaintctl" keys new mail --role adapter --channels email --keys "$KEYS_DIR" \
        >/dev/null || die "complaintctl keys new mail failed"
fi
mkdir -p "$VAR/mail/inbox/new" "$VAR/mail/inbox/cur" "$VAR/mail/inbox/tmp"
staff_tokens_ensure "$BIN"
env_write
# shellcheck disable=SC1090
. "$ENV_FILE"
export COMPLAINTS_PG=${COMPLAINTS_PG:-}


# Start NAME in its own session; the pid file is written by the very process
# that becomes the daemon (bash writes $$, then execs), so it is right
# whether or not setsid had to fork.
svc_start () {
    local name=$1 bin log pid i
    local -a args=()
    bin=$BIN/$(svc_bin_name "$name")
    # Instances are told their name for their logs; everything else comes
    # from the environment (var/env). The notifier is also told where to
    # deliver (a real server, or a local sink), the sinks where to listen.
    case $name in
        bus-* | router-* | watchdog-*) args=(--name "$name") ;;
        analytics) args=(--name "$name") ;;
        web) mkdir -p -m 0700 "$VAR/spool"; args=(--spool "$VAR/spool/web") ;;
        notifier-*) args=(--name "$name" "${NOTIFY_ARGS[@]}") ;;
        mail) args=(--maildir "$VAR/mail/inbox" --dir "$VAR/mail"
                    --lmtp "${COMPLAINTS_MAIL_LMTP:-127.0.0.1:2424}") ;;
    esac
    # Each daemon serves /metrics and /healthz on its own fixed port.
    case $name in
        sink-*) ;;
        *) args+=(--metrics-port "$(svc_metrics_port "$name")") ;;
    esac
    case $name in
        sink-smtp)
            bin=$BIN/smtp-sink
            mkdir -p "$SINK_MAIL_DIR"
            args=(--port "$COMPLAINTS_SINK_SMTP_PORT" --dir "$SINK_MAIL_DIR")
            ;;
        sink-http)
            bin=$SINK_PY
            mkdir -p "$VAR/sinks/gateway"
            args=("$COMPLAINTS_ROOT/deploy/sinks/http_sink.py" serve
                  --port "$COMPLAINTS_SINK_HTTP_PORT" --dir "$VAR/sinks/gateway")
            ;;
    esac
    log=$LOG_DIR/$name.log
    rm -f "$RUN_DIR/$name.pid"
    (
        cd "$COMPLAINTS_ROOT"
        printf 'ts=%s level=info service=up event=starting name=%s bin=%s\n' "$(date -u +%FT%T.000Z)" "$name" "$bin" >>"$log"
        # The pid file is written by the very process that becomes the
        # daemon; CLOSE_FDS_EXEC (lib.sh) drops inherited descriptors.
        exec setsid bash -c "echo \$\$ >\"\$1\"; shift; $CLOSE_FDS_EXEC" _ \
            "$RUN_DIR/$name.pid" "$bin" "${args[@]}" </dev/null >>"$log" 2>&1
    ) &
    for ((i = 0; i < 50; i++)); do
        [[ -s $RUN_DIR/$name.pid ]] && pid=$(svc_pid "$name") && [[ -n $pid ]] && break
        sleep 0.1
    done
    # A daemon that dies at once (bad flag, missing key) is reported now.
    sleep 0.3
    pid=$(svc_pid "$name")
    if [[ -z $pid ]]; then
        tail -n 5 "$log" >&2
        die "$name exited at once; see $log"
    fi
    say "started $name (pid $pid)"
}

# The sinks first (the notifier's first delivery should find them up); a
# sink no longer wanted (a real server was named since) is left to make down.
sink_port () { case $1 in sink-smtp) echo "$COMPLAINTS_SINK_SMTP_PORT" ;; *) echo "$COMPLAINTS_SINK_HTTP_PORT" ;; esac; }
started=0
for name in "${NOTIFY_SINKS[@]}"; do
    [[ -n $(svc_pid "$name") ]] && continue
    svc_start "$name"
    endpoint_wait "tcp://127.0.0.1:$(sink_port "$name")" 10 \
        || die "$name does not listen on 127.0.0.1:$(sink_port "$name"); see $LOG_DIR/$name.log"
    started=$((started + 1))
done
for name in "${SERVICES[@]}"; do
    pid=$(svc_pid "$name")
    if [[ -n $pid ]]; then
        continue
    fi
    svc_start "$name"
    started=$((started + 1))
done

if ! endpoint_wait "$COMPLAINTS_INTAKE_ENDPOINT" "$UP_TIMEOUT"; then
    tail -n 5 "$LOG_DIR/intake.log" >&2
    die "intake does not answer at $COMPLAINTS_INTAKE_ENDPOINT after ${UP_TIMEOUT}s; see $LOG_DIR/intake.log"
fi
if ! endpoint_wait "$COMPLAINTS_BUS_REPLAY_ENDPOINT" "$UP_TIMEOUT"; then
    warn "no bus answers at $COMPLAINTS_BUS_REPLAY_ENDPOINT yet; see $LOG_DIR/bus-1.log"
fi

(( started > 0 )) || say "everything was already running"
for name in "${SERVICES[@]}"; do
    printf '  %-11s pid %-7s metrics 127.0.0.1:%-6s log %s\n' "$name" "$(svc_pid "$name")" \
        "$(svc_metrics_port "$name")" "$LOG_DIR/$name.log"
done
for name in "${NOTIFY_SINKS[@]}"; do
    printf '  %-11s pid %-7s port %-6s into %s\n' "$name" "$(svc_pid "$name")" "$(sink_port "$name")" \
        "$([[ $name == sink-smtp ]] && echo "$VAR/sinks/mail" || echo "$VAR/sinks/gateway")"
done
printf '  %-11s port %-6s socket %s, data %s\n' postgres "$PGPORT" "$PGHOST" "$PG_DATA"
printf '  intake %s  bus pub %s  replay %s\n' \
    "$COMPLAINTS_INTAKE_ENDPOINT" "$COMPLAINTS_BUS_PUB_ENDPOINT" "$COMPLAINTS_BUS_REPLAY_ENDPOINT"
if [[ $COMPLAINTS_ANALYTICS_HTTP != off ]]; then
    printf '  dashboard   http://%s/  bulletin http://%s/bulletin\n' \
        "$COMPLAINTS_ANALYTICS_HTTP" "$COMPLAINTS_ANALYTICS_HTTP"
fi
printf '  web         http://%s/  (API http://%s/api/v1/complaints)\n' "$COMPLAINTS_WEB_ADDR" \
    "$COMPLAINTS_WEB_ADDR"
printf '  notifier    smtp %s  sms %s  push %s\n' "$COMPLAINTS_SMTP_URL" "$COMPLAINTS_SMS_URL" \
    "$COMPLAINTS_PUSH_URL"
say "environment in $ENV_FILE (. $ENV_FILE; psql)"
