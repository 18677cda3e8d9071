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
#      5wd (end of Mon 03-09), resolution 15d; the handler's
#      `reply_referrer` on Wed 03-04 meets referral_reply on time
# The referrals come in through `complaintctl submit --referral-source ...`
# (REFERRALS' fields); the regulator's changed date is written with psql as
# the store's owner (no request changes referrer_due_at after receipt).
# Every check is sla_referral.py's (waits with deadlines).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

. "$(dirname "$0")/../sla_lib.sh"
sla_pipeline_start wd-ref "$ROOT/deploy/sla/policy.conf"

checker () { "$PY" "$ROOT/tests/integration/sla_referral.py" "$@"; }
submit () {   # REF BODY [SUBMIT FLAGS] — the new complaint's number
    local ref=$1 body=$2 crc; shift 2
    crc=$(printf '%s' "$ref" | cksum | cut -d' ' -f1)
    ctl submit --channel web --ref "$ref" --product 信用卡 --body "$body" \
        --received-at "$(ms_of '2026-03-02 09:00:00+08')" \
        --phone "136$(printf '%08d' $((crc % 100000000)))" --name "客户-$ref" "$@" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}
by_handler () {   # NO ACTION [FLAGS] — sla_lib's act, as the case's handler
    local no=$1; shift
    act "$(field "$no" handler)" "$no" "$@"
}
redate () {   # NO DUE — the referrer's new reply-by date, as the store's owner
    psql_value "update complaint set referrer_due_at = :'d'::timestamptz
                 where complaint_no = :'no'" no="$1" d="$2" >/dev/null \
        || fail "setting $1's referrer_due_at refused: $(tail -2 "$TEST_DIR/psql.err")"
}

at "2026-03-02 09:00:00+08"
C=$(submit ref-c "信用卡年费扣收问题，请说明收费依据。")
R=$(submit ref-r "监管转办：客户反映信用卡分期手续费收取不透明。" \
        --referral-source regulator --referrer "国家金融监督管理总局12378热线" \
        --referrer-ticket 12378-2026-0302 --referrer-due "2026-03-10 18:00")
A=$(submit ref-a "银行业协会转办：客户反映网点服务态度问题。" \
        --referral-source association --referrer "银行业协会")
checker routed "$C" "$R" "$A"
checker start "$C" "$R" "$A"

at "2026-03-02 10:00:00+08"
by_handler "$C" accept
checker c-accepted "$C"
at "2026-03-02 11:00:00+08"
by_handler "$C" contact --reason phone --text "已致电客户确认收到投诉并告知处理进度"
checker c-contacted "$C"
by_handler "$C" mark_complex --text "涉及卡组织调单，需跨部门处理"
checker c-complex "$C"
at "2026-03-03 15:00:00+08"
by_handler "$C" resolve --outcome explanation --text "已说明年费收取依据并退还部分费用"
checker c-resolved "$C"

redate "$R" "2026-03-12 18:00:00+08"
checker r-moved "$R"
at "2026-03-04 10:00:00+08"
by_handler "$A" reply_referrer --text "已核实情况并将处理结果报送协会"
checker a-replied "$A"
