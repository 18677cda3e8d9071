#!/usr/bin/env bash
# sla_referral.sh — the customer's first reply, complex cases and referrals'
# clocks end to end (issue 15 §1, CLOCKS-B; docs/watchdog.md "Referrals"),
# with the shipped policy and calendar: real bus, intake, router and
# watchdog; staff actions through `complaintctl act`; the store's clock at
# Mon 2026-03-02 09:00 +08:00, nearly stopped (scale 1e-6).
#
#   c  a direct web case: `accept` at 10:00 meets acknowledge and NOT
#      first_response (still running, 24h); `contact` (a logged call) at
#      11:00 meets it (sla.met first_response, late=false); no solution
#      clock; `mark_complex` (flags only, through intake) re-plans the case:
#      a solution clock of 48h from receipt (due Wed 03-04 09:00); `resolve`
#      meets it
#   r  a regulator referral with the regulator's reply-by date (Tue 03-10
#      18:00): referral_reply due exactly then; first_response 24h and
#      resolution 15d (end of Tue 03-17) as for everyone; the date moved to
#      Thu 03-12 18:00 re-plans the case (migration 029's trigger): due then
#   a  a banking-association referral without a date: first_response 2wd
#      (end of Wed 03-04), solution 3wd (end of Thu 03-05), referral_reply
#      5wd (end of Mon 03-09), resolution 15d
# The referral columns (migration 026) are set here with psql as the
# store's owner: `submit` learns them in REFERRALS' branch (i15-referrals),
# whose [referral-fields] marker was not there when this was written; nor
# was `reply_referrer` ([referral-reply]), so the referral_reply clock is
# not met here (sla_plan_test checks that rule).
# Every check is sla_referral.py's (waits with deadlines).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)

start_pipeline || exit 1
start_service watchdog watchdog --name wd-ref --bus "$BUS_PUB_EP" \
    --policy "$ROOT/deploy/sla/policy.conf" --calendars "$ROOT/deploy/calendars" --sweep-ms 500
wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20 \
    || { fail "the router did not load $n_staff tokens within 20 s"; exit 1; }

checker () { "$PY" "$ROOT/tests/integration/sla_referral.py" "$@"; }
ms_of () { echo $(( $(date -d "$1" +%s) * 1000 )); }
at () {
    psql_value "select app_clock_set(:'t'::timestamptz, 0.000001)" t="$1" >/dev/null \
        || fail "app_clock_set $1 refused"
}
submit () {   # REF BODY — the new complaint's number
    local crc; crc=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
    ctl submit --channel web --ref "$1" --product 信用卡 --body "$2" \
        --received-at "$(ms_of '2026-03-02 09:00:00+08')" \
        --phone "136$(printf '%08d' $((crc % 100000000)))" --name "客户-$1" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}
act () {   # NO ACTION [FLAGS] — as the case's handler; must succeed
    local no=$1; shift
    local who; who=$(psql_value "select handler from complaint where complaint_no = :'no'" no="$no")
    if as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"; then
        note "  $who: act $no $* -> $(cat "$TEST_DIR/act.out")"
    else
        fail "$who: act $no $*: $(cat "$TEST_DIR/act.err")"
    fi
}
refer () {   # NO SOURCE REFERRER [DUE] — migration 026's columns, as the owner
    psql_value "update complaint set referral_source = :'s', referrer = :'r',
                       referrer_due_at = nullif(:'d', '')::timestamptz
                 where complaint_no = :'no'" no="$1" s="$2" r="$3" d="${4:-}" >/dev/null \
        || fail "setting $1's referral refused: $(tail -2 "$TEST_DIR/psql.err")"
}

at "2026-03-02 09:00:00+08"
C=$(submit ref-c "信用卡年费扣收问题，请说明收费依据。")
R=$(submit ref-r "监管转办：客户反映信用卡分期手续费收取不透明。")
A=$(submit ref-a "银行业协会转办：客户反映网点服务态度问题。")
checker routed "$C" "$R" "$A"
refer "$R" regulator "国家金融监督管理总局12378热线" "2026-03-10 18:00:00+08"
refer "$A" association "银行业协会"
checker start "$C" "$R" "$A"

at "2026-03-02 10:00:00+08"
act "$C" accept
checker c-accepted "$C"
at "2026-03-02 11:00:00+08"
act "$C" contact --reason phone --text "已致电客户确认收到投诉并告知处理进度"
checker c-contacted "$C"
act "$C" mark_complex --text "涉及卡组织调单，需跨部门处理"
checker c-complex "$C"
at "2026-03-03 15:00:00+08"
act "$C" resolve --outcome explanation --text "已说明年费收取依据并退还部分费用"
checker c-resolved "$C"

refer "$R" regulator "国家金融监督管理总局12378热线" "2026-03-12 18:00:00+08"
checker r-moved "$R"
