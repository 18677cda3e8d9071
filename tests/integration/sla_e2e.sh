#!/usr/bin/env bash
# sla_e2e.sh — the SLA clocks end to end (issue 4) with shifted time: real
# bus, intake, router and watchdog, the real directory, policy
# (deploy/sla/policy.conf) and calendar (deploy/calendars/cn.conf); every
# staff action through `complaintctl act` as a named person; the store's
# clock moved with app_clock_set (a test database allows it), which wakes
# the watchdog at once (NOTIFY app_clock). Every case is received in 2026
# (an explicit received time), so the cn 2026 calendar applies.
#
#   g  Spring Festival: a regulator referral received Thu 2026-02-12 10:00
#      has 5 working days (policy: the association's rule): Fri 13, the
#      make-up Saturday 14, then Tue 24, Wed 25, Thu 26 -> due at the end of
#      Thu 2026-02-26; mid-festival nothing has breached; after the due time
#      the breach fires once
#   then six cases received Mon 2026-03-02 09:00 (+08:00):
#   a  untouched: acknowledge (24h) reminds at 50 % and 80 %, breaches,
#      escalates tier 1 at once, tier 2 not before +1 working day (end of
#      Wed 03-04), tier 3 at +2 working days; each step exactly once (one
#      sla_firing row, one sla.* event), in this order by seq
#   b  awaiting the customer for 48 h: the internal service clock pauses
#      (10wd: its deadline moves 2 working days, paused_ms = 48 h), the
#      regulatory resolution clock runs on (issue 15), sla.met of the
#      first response (request_info answered the customer)
#   c  an extension approved by a supervisor: sla.extended with the new
#      deadline (to 30d from receipt: end of 03-17 -> end of 04-01), previous_due_at, adds,
#      approver; the clock shows extensions=1
#   d  resolved one minute before its deadline: sla.met late=false
#   e  resolved half an hour after it: sla.met late=true (and the breach
#      had fired)
#   f  accepted, then transferred: acknowledge round 0 stays met, round 1
#      starts at the transfer (24h again) and is met when the new department
#      accepts
#   and: sla.* events = sla_firing rows; no identity or note text in them.
# The shell moves the clock, submits and acts; every check is sla_e2e.py's,
# called after each move: it first waits (with a deadline) until the clocks
# have settled at the new time, so no sleep.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog complaintctl

. "$(dirname "$0")/../sla_lib.sh"
sla_pipeline_start wd-e2e "$ROOT/deploy/sla/policy.conf"

# ------------------------------------------------------------------ helpers

checker () { "$PY" "$ROOT/tests/integration/sla_e2e.py" "$@"; }

# at TIME — the store's clock jumps to TIME and (almost) stops there: scale
# 1e-6, a real second is a microsecond, so a pause between two `at`s lasts
# exactly what the test says. The checker called next waits until the
# watchdog has recomputed and fired everything due and the bus has
# published it.
at () {
    psql_value "select app_clock_set(:'t'::timestamptz, 0.000001)" t="$1" >/dev/null \
        || fail "app_clock_set $1 refused"
}

# submit REF CHANNEL BODY RECEIVED_MS — the new complaint's number
submit () {
    local crc; crc=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
    ctl submit --channel "$2" --ref "$1" --product 信用卡 --body "$3" --received-at "$4" \
        --phone "139$(printf '%08d' $((crc % 100000000)))" --name "客户-$1" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}
handler () { field "$1" handler; }
dept () { field "$1" department; }

# ------------------------------------------- g: across the Spring Festival

at "2026-02-12 10:00:00+08"
checker settle
G=$(submit sla-g regulator "监管转办：客户反映信用卡分期手续费收取不透明，请核实处理。" \
        "$(ms_of '2026-02-12 10:00:00+08')")
checker g-start "$G"
at "2026-02-20 12:00:00+08"
checker g-mid "$G"
at "2026-02-26 23:00:00+08"
checker g-before "$G"
at "2026-02-27 00:30:00+08"
checker g-after "$G"

# ------------------------------------------------ six cases of 2026-03-02

T="2026-03-02 09:00:00+08"
at "$T"
checker settle
T_MS=$(ms_of "$T")
declare -A NO
for x in a b c d e f; do
    NO[$x]=$(submit "sla-$x" web "信用卡年费扣收问题，请说明收费依据（$x）。" "$T_MS")
done
A=${NO[a]} B=${NO[b]} C=${NO[c]} D=${NO[d]} E=${NO[e]} F=${NO[f]}
note "cases: a=$A b=$B c=$C d=$D e=$E f=$F"
checker six "$A" "$B" "$C" "$D" "$E" "$F"

at "2026-03-02 10:00:00+08"
checker settle
for x in b c d e f; do act "$(handler "${NO[$x]}")" "${NO[$x]}" accept; done
checker b-acked "$B"

at "2026-03-02 11:00:00+08"
checker settle
checker mark-b "$B"
act "$(handler "$B")" "$B" request_info --text "请提供账单截图"
SUP_C=$(staff_in "$(dept "$C")" supervisor)
act "$SUP_C" "$C" extend --text "需向卡组织调单，延期十五日"
OTHER=$(psql_value "select id from department where kind = 'department' and id <> :'d'
                     order by id limit 1" d="$(dept "$F")")
act "$(handler "$F")" "$F" transfer --department "$OTHER" --text "属于$OTHER的业务"
checker eleven "$B" "$C" "$F"
act "$(handler "$F")" "$F" accept
checker f-met "$F"

at "2026-03-02 22:00:00+08"     # +13h
checker a-13h "$A"
at "2026-03-03 04:00:00+08"     # +19h: not yet 80 % (19.2h)
checker a-19h "$A"
at "2026-03-03 05:00:00+08"     # +20h
checker a-20h "$A"
at "2026-03-03 09:30:00+08"     # +24.5h
checker a-breach "$A"

at "2026-03-04 11:00:00+08"     # B has waited 48 h
checker settle
act "$(handler "$B")" "$B" customer_replied
checker b-replied "$B"

at "2026-03-04 23:30:00+08"     # tier 2 is due at the end of Wed 03-04
checker a-2330 "$A"
at "2026-03-05 00:30:00+08"
checker a-t2 "$A"
at "2026-03-06 00:30:00+08"
checker a-all "$A"
at "2026-03-06 09:00:00+08"     # nothing more: each step exactly once
checker a-once "$A"

at "2026-03-17 23:59:00+08"
checker settle
act "$(handler "$D")" "$D" resolve --outcome explanation --text "已说明年费收取依据"
checker d-met "$D"
at "2026-03-18 00:30:00+08"
checker settle
act "$(handler "$E")" "$E" resolve --outcome explanation --text "已说明年费收取依据"
checker e-late "$E"

# ------------------------------------------------------------- invariants

checker end
