# shellcheck shell=bash
# sla_lib.sh — sourced (after tests/lib.sh) by the SLA tests that run the
# whole pipeline with named staff (sla_e2e.sh, sla_two_clocks.sh): one way
# to start it and the helpers their scenarios share.
#
#   sla_pipeline_start WD_NAME POLICY   tokens for the real directory; bus,
#                                       intake, router and a watchdog on
#                                       POLICY and the real calendars; waits
#                                       (with deadlines) until they answer
#   ms_of TIME / field NO EXPR / act STAFF NO ACTION [FLAGS] / staff_in DEPT ROLE

DIRECTORY=$ROOT/deploy/org/directory.conf

sla_pipeline_start () {
    issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
    local n_staff; n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)
    start_service bus bus --name bus
    start_service intake intake --endpoint "$INTAKE_EP"
    start_service router router --name router --bus "$BUS_PUB_EP" \
        --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
    start_service watchdog watchdog --name "$1" --bus "$BUS_PUB_EP" \
        --policy "$2" --calendars "$ROOT/deploy/calendars" --sweep-ms 500
    wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
    wait_bus 15 || fail "bus replay did not answer within 15 s"
    if ! wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20; then
        fail "the router did not load $n_staff tokens within 20 s"
        exit 1
    fi
}

ms_of () { echo $(( $(date -d "$1" +%s) * 1000 )); }
field () {   # NO SQL-EXPR — one value of the case row
    psql_value "select $2 from complaint where complaint_no = :'no'" no="$1"
}
act () {   # STAFF NO ACTION [FLAGS] — must succeed
    local who=$1 no=$2; shift 2
    if as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"; then
        note "  $who: act $no $* -> $(cat "$TEST_DIR/act.out")"
    else
        fail "$who: act $no $*: $(cat "$TEST_DIR/act.err")"
    fi
}
staff_in () {   # DEPT ROLE
    psql_value "select id from staff where department = :'d' and role = :'r' and active
                 order by ab_role nulls last, id limit 1" d="$1" r="$2"
}
