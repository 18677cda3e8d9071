#!/usr/bin/env bash
# run.sh — `make run`: from a fresh Debian machine to a running pipeline fed
# with sample traffic.
#
#   1. install the Debian packages that are missing (fast when none is)
#   2. build every binary (make -j2)
#   3. start the embedded pipeline (up.sh: private PostgreSQL under var/,
#      migrations, bus x2, intake, router x2, watchdog x2)
#   4. import the US consumer bureau sample (../shared/data/
#      cfpb_complaints_sample.csv beside the project, else the 40-row copy in
#      deploy/samples/) through intake with complaintctl, each complaint
#      stamped as received now (--received-now), so its deadlines are live
#   5. wait until the routers have assigned every complaint and the
#      watchdogs have started its clocks, print a summary (departments,
#      priorities, SLA clocks), act as the busiest handler (queue, accept,
#      show the case with its clocks) and print what to look at next
#
# Settings: BUILD (build), COMPLAINTS_SAMPLE (the CSV to import),
# RUN_TIMEOUT (seconds to wait for routing, 120), and everything up.sh reads.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COMPLAINTS_ROOT"

BUILD=${BUILD:-build}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
export BUILD

phase () { printf '\n== %s\n' "$*"; }

phase "dependencies"
bash deploy/scripts/install-deps.sh

phase "build ($BUILD)"
make -j2 BUILD="$BUILD" all

phase "start"
bash deploy/scripts/up.sh
# shellcheck disable=SC1090
. "$ENV_FILE"

sample=${COMPLAINTS_SAMPLE:-}
if [[ -z $sample ]]; then
    sample=$COMPLAINTS_ROOT/../shared/data/cfpb_complaints_sample.csv
    [[ -f $sample ]] || sample=$COMPLAINTS_ROOT/deploy/samples/complaints_sample.csv
fi
[[ -f $sample ]] || die "no sample data at $sample"

phase "import $sample"
before=$(psql_q 'SELECT count(*) FROM complaint')
rc=0
"$BUILD/bin/complaintctl" import --received-now "$sample" >"$LOG_DIR/import.out" || rc=$?
after=$(psql_q 'SELECT count(*) FROM complaint')
say "complaintctl import exit status $rc; complaints stored: $before before, $after now (replies in $LOG_DIR/import.out)"
(( rc == 0 )) || warn "some rows were not accepted; see $LOG_DIR/import.out"

phase "routing"
waiting=
for ((i = 0; i < RUN_TIMEOUT * 5; i++)); do
    waiting=$(psql_q "SELECT count(*) FROM complaint WHERE state = 'received'")
    [[ $waiting == 0 ]] && break
    sleep 0.2
done
if [[ $waiting != 0 ]]; then
    warn "$waiting complaints still wait for a router after ${RUN_TIMEOUT}s; see $LOG_DIR/router-1.log"
else
    say "every complaint is assigned"
fi

phase "SLA clocks"
dirty=
for ((i = 0; i < RUN_TIMEOUT * 5; i++)); do
    dirty=$(psql_q "SELECT count(*) FROM complaint WHERE sla_dirty")
    [[ $dirty == 0 ]] && break
    sleep 0.2
done
if [[ $dirty != 0 ]]; then
    warn "$dirty complaints still wait for a watchdog after ${RUN_TIMEOUT}s; see $LOG_DIR/watchdog-1.log"
else
    say "every complaint has its clocks (deploy/sla/policy.conf, calendar deploy/calendars/cn.conf)"
fi

phase "summary"
psql -X -q -P footer=off -c "
    SELECT coalesce(department, '(unassigned)') AS department,
           count(*) AS complaints,
           count(handler) AS with_handler,
           count(*) FILTER (WHERE major) AS major,
           string_agg(DISTINCT business_line, ', ') AS business_lines
    FROM complaint GROUP BY 1 ORDER BY 2 DESC, 1"
psql -X -q -P footer=off -c "
    SELECT 'P' || priority AS priority, count(*) AS complaints
    FROM complaint GROUP BY priority ORDER BY priority"
psql -X -q -P footer=off -c "
    SELECT stage, allowance, state, count(*) AS clocks,
           to_char(min(due_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS first_due_cst,
           to_char(min(next_fire_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS next_step_cst
    FROM sla_clock GROUP BY 1, 2, 3
    ORDER BY array_position(ARRAY['acknowledge','first_response','resolution','review'], stage), 2, 3"
printf 'event log: last seq %s; outbox backlog %s\n' \
    "$(psql_q 'SELECT coalesce(max(seq), 0) FROM event_log')" \
    "$(psql_q 'SELECT count(*) FROM outbox')"
one=$(psql_q 'SELECT complaint_no FROM complaint ORDER BY id LIMIT 1')

# A member of staff at work: the handler with the most cases looks at their
# queue and accepts the first case (the demo's tokens: var/secrets/).
handler=$(psql_q "SELECT handler FROM complaint WHERE handler IS NOT NULL
                  GROUP BY handler ORDER BY count(*) DESC, handler LIMIT 1")
if [[ -n $handler ]]; then
    token=$(awk -v id="$handler" '$1 == id { print $2; exit }' "$STAFF_TOKENS_PLAIN")
    phase "as $handler: complaintctl queue, then accept the first case"
    COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" queue --limit 5 || warn "queue failed"
    first=$(COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" queue --limit 1 --json \
            | sed -n 's/.*"complaint_no": *"\([0-9]*\)".*/\1/p' | head -n 1)
    if [[ -n $first ]]; then
        COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" act "$first" accept \
            --text "taken from the demo" || warn "accept failed"
        # The accept meets the acknowledge clock: give a watchdog a moment.
        for ((i = 0; i < 50; i++)); do
            [[ $(psql_q "SELECT count(*) FROM complaint WHERE complaint_no = '$first' AND sla_dirty") == 0 ]] && break
            sleep 0.1
        done
        phase "as $handler: complaintctl show $first (the case, its clocks, its audit trail)"
        COMPLAINTS_TOKEN=$token "$BUILD/bin/complaintctl" show "$first" || warn "show failed"
    fi
fi

echo
echo "What to look at next:"
next () { printf '  %-58s # %s\n' "$1" "$2"; }
next ". ${ENV_FILE#"$COMPLAINTS_ROOT"/}" "PG* and endpoint variables for this shell"
next "$BUILD/bin/complaintctl tail --from 0 | head" "the event stream, one JSON line per event"
next "export COMPLAINTS_TOKEN=\$(awk '\$1==\"${handler:-ID}\"{print \$2}' ${STAFF_TOKENS_PLAIN#"$COMPLAINTS_ROOT"/})" "act as that handler"
next "$BUILD/bin/complaintctl show ${first:-${one:-<number>}}" "one case with its clocks and audit trail"
next "$BUILD/bin/complaintctl calendar add --from now --working-days 5" "a deadline on the China 2026 calendar"
next "$BUILD/bin/complaintctl lifecycle" "what can be done to a case, by whom"
next "psql" "the store (after . var/env)"
next "make status" "what runs, counts"
next "make down" "stop everything, PostgreSQL last"
echo "  logs: ${LOG_DIR#"$COMPLAINTS_ROOT"/}/NAME.log"
(( rc == 0 )) && [[ $waiting == 0 ]] && [[ $dirty == 0 ]]
