#!/usr/bin/env bash
# sla_two_clocks.sh — the regulatory clock and the internal service clock
# end to end (issue 15 §1, "Extensions" and "The pause"): real bus, intake,
# router and watchdog, the real directory and calendar (deploy/calendars/
# cn.conf), the shipped policy but for one line (below); every staff action
# through `complaintctl act` as a named person; the store's clock moved with
# `complaintctl clock set` / `clock shift` (a test database allows it), which
# wakes the watchdog at once (NOTIFY app_clock).
#
# One web complaint received Tue 2026-03-03 10:00 +08:00 (service 10wd: end
# of 03-17; resolution 15d: end of 03-18):
#   start     both clocks running; complaint.due_at = the resolution deadline
#   waiting   request_info Thu 03-05 10:00: service paused, resolution runs
#   replied   customer_replied Mon 03-09 10:00 (4 days): service paused_ms 4d,
#             its deadline 2 working days later (end of 03-19); resolution
#             unmoved, paused_ms 0
#   appraisal appraisal_start Mon 03-09 11:00: resolution (and service) paused
#   appraised appraisal_end Sat 03-14 11:00 (5 days): resolution due 5 days
#             later, end of Mon 03-23
#   extended  extension 1 (supervisor) Mon 03-16: to 30d from the (paused-
#             shifted) start 03-08 10:00 -> end of Tue 04-07; sla.extended
#             adds=30d, previous_due_at = end of 03-23
#   material  new_material Tue 03-17 10:00: round 0 cancelled (superseded),
#             round 1 from then, 15d -> end of Wed 04-01, no extensions;
#             complaint.due_at follows; the service clock runs on (round 0);
#             told: one sla.restarted (resolution 1, due end of 04-01), the
#             customer's e-mail with the new date in +08:00 (a notifier and
#             an smtp-sink), complaint.new_material's saying it follows
#   material-again  the case dirtied by hand: nothing more is told
#   again     extension 1 of round 1 by a supervisor (the step restarts at
#             1: sla_extension_next counts new_material rounds) -> end of
#             Thu 04-16; a supervisor is refused step 2; the manager's step 2
#             to 60d -> Sat 05-16, rolled to the end of Mon 05-18
#   resolved  resolve Wed 03-25: service and resolution round 1 met
#   end       sla.* events = firings; no identity or note text in them
# The policy copy: step 2's approver `superior` becomes `manager`, since
# intake's check of who a superior is belongs to the ACTIONS work (tested
# with it); this test is about the watchdog's clocks.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router watchdog notifier smtp-sink complaintctl

. "$(dirname "$0")/../sla_lib.sh"
mkdir -p "$TEST_DIR/sla"
POLICY=$TEST_DIR/sla/policy.conf
sed 's/^extend  resolution  2  to 60d  superior$/extend  resolution  2  to 60d  manager/' \
    "$ROOT/deploy/sla/policy.conf" >"$POLICY"
grep -q '^extend  resolution  2  to 60d  manager$' "$POLICY" \
    || { fail "policy.conf: the line 'extend  resolution  2  to 60d  superior' moved"; exit 1; }
sla_pipeline_start wd-two "$POLICY"
# told (issue 15): the customer is given the new deadline of a restarted
# period; a notifier e-mails them (an smtp-sink on SMTP_PORT keeps the
# messages in $MAIL: the store keeps a customer's message sealed).
mail_notifier_start --max-attempts 1

checker () { "$PY" "$ROOT/tests/integration/sla_two_clocks.py" "$@"; }
# The store's clock: set, then (almost) stopped (scale 1e-6), so the time
# between two moves is exactly what the test says; shift moves it on.
clock () {
    ctl clock "$@" >>"$TEST_DIR/clock.out" 2>&1 || fail "complaintctl clock $*: $(tail -1 "$TEST_DIR/clock.out")"
}
refused () {   # STAFF NO ACTION [FLAGS] — must be refused; the error to $TEST_DIR/refused.err
    local who=$1 no=$2; shift 2
    if as_staff "$who" act "$no" "$@" >/dev/null 2>"$TEST_DIR/refused.err"; then
        fail "$who: act $no $*: accepted, should have been refused"
    else
        note "  $who: act $no $* -> refused: $(head -c 300 "$TEST_DIR/refused.err")"
    fi
}

clock set "2026-03-03 10:00:00+08"
clock scale 0.000001
checker settle
X=$(ctl submit --channel web --ref two-x --product 信用卡 --received-at "$(ms_of '2026-03-03 10:00:00+08')" \
        --body "信用卡被盗刷，要求银行鉴定签名并退款。" --phone 13900001515 --name "客户-两钟" \
        --email two.clocks@example.com \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty')
note "case: $X"
checker start "$X"
H=$(field "$X" handler)
SUP=$(staff_in "$(field "$X" department)" supervisor)
MANAGER=zhang_wei           # head office manager: the whole tree

clock set "2026-03-03 11:00:00+08"
act "$H" "$X" accept
clock set "2026-03-05 10:00:00+08"
act "$H" "$X" request_info --text "请提供交易凭证原件"
checker waiting "$X"

clock shift 4d              # Mon 03-09 10:00
act "$H" "$X" customer_replied
checker replied "$X"

clock shift 1h              # Mon 03-09 11:00
act "$SUP" "$X" appraisal_start --reason appraisal --text "送司法鉴定机构做笔迹鉴定"
checker appraisal "$X"

clock shift 5d              # Sat 03-14 11:00
act "$SUP" "$X" appraisal_end --text "鉴定完成"
checker appraised "$X"

clock set "2026-03-16 10:00:00+08"
act "$SUP" "$X" extend --text "需调取境外交易记录"
checker extended "$X"

clock set "2026-03-17 10:00:00+08"
act "$H" "$X" new_material --text "客户补充提供了新的聊天记录"
checker material "$X" "$MAIL"
psql_value "update complaint set sla_dirty = true where complaint_no = :'no'" no="$X" >/dev/null
checker material-again "$X"

clock set "2026-03-20 10:00:00+08"
act "$SUP" "$X" extend --text "新材料需核实"
refused "$SUP" "$X" extend --text "再延期"
checker refused-step2 "$TEST_DIR/refused.err"
clock set "2026-03-21 10:00:00+08"
act "$MANAGER" "$X" extend --text "重大复杂，经上级机构批准"
checker again "$X"

clock set "2026-03-25 10:00:00+08"
act "$H" "$X" resolve --outcome explanation --text "已说明鉴定结论"
checker resolved "$X"

checker end "$X"
