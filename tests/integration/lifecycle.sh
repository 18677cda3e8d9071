#!/usr/bin/env bash
# lifecycle.sh — the case lifecycle end to end (issue 3): real bus, intake and
# router, the real directory (deploy/org/directory.conf) with a token for
# every member of staff, every step taken with `complaintctl act` as a named
# person, and every step checked in the store (state, version, handler,
# department, case_action rows) and on the stream (event types and data).
#
#   a  closed on first contact: accept, resolve (explanation), feedback
#      satisfied, close satisfied
#   b  transferred to another department (a handler there gets it), then
#      resolved with a refund: "Closed with monetary relief" in the event;
#      the old handler can no longer act
#   c  cross-department: the router names cooperating departments, each gets
#      complaint.cooperation_requested; a cooperating handler may note and
#      see the case, not resolve it
#   d  not satisfied: review, reopen (a supervisor; the handler may not),
#      investigate, resolve, feedback satisfied, close
#   e  a duplicate rejected before acceptance (duplicate_of the first);
#      reject after accept -> invalid_transition (state and version shown)
#   f  withdrawal; nothing more on a withdrawn case
#   g  forbidden: another department's handler, a branch manager outside
#      his subtree, a manager accepting; an unknown token -> unauthenticated;
#      no token -> exit 2 naming COMPLAINTS_TOKEN; a stale --version ->
#      conflict; escalation to head office, not twice to the same level
#   h  two staff acting at once on one version: exactly one wins, the other
#      exits 1 with conflict; one case_action row (5 races)
#   i  awaiting_customer round trip (request_info, customer_replied)
#   and: queue (mine / department / all) and show (staff view vs status
#   view), free text never on the stream, one case_action row per change,
#   versions +1 per change, seqs gap-free.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" || exit 1
n_staff=$(awk '$1 == "staff"' "$DIRECTORY" | wc -l)

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$DIRECTORY" --tokens "$TEST_DIR/staff/tokens"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
if ! wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20; then
    fail "the router did not load $n_staff tokens into the store within 20 s" \
         "(staff_token rows: $(psql_value 'select count(*) from staff_token'))"
    exit 1
fi
check "directory and $n_staff tokens in the store: $(psql_value 'select count(*) from department') departments, $(psql_value 'select count(*) from staff') staff"

# ------------------------------------------------------------------ helpers

# case_row NO — "state|version|handler|department" (- for NULL)
case_row () {
    psql_value "select state, version, coalesce(handler, '-'), coalesce(department, '-')
                  from complaint where complaint_no = :'no'" no="$1"
}
case_state () { case_row "$1" | cut -d'|' -f1; }
case_version () { case_row "$1" | cut -d'|' -f2; }
case_handler () { case_row "$1" | cut -d'|' -f3; }
case_dept () { case_row "$1" | cut -d'|' -f4; }

# case_actions NO — the audit trail's actions, oldest first, space-separated
case_actions () {
    psql_value "select coalesce(string_agg(a.action, ' ' order by a.id), '')
                  from case_action a join complaint c on c.id = a.complaint_id
                 where c.complaint_no = :'no'" no="$1"
}
action_count () {
    psql_value "select count(*) from case_action a join complaint c on c.id = a.complaint_id
                 where c.complaint_no = :'no'" no="$1"
}

# staff_in DEPT ROLE [AB] — one active member of staff (A role before B)
staff_in () {
    psql_value "select id from staff where department = :'d' and role = :'r' and active
                   and (:'ab' = '' or ab_role = :'ab')
                 order by ab_role nulls last, id limit 1" d="$1" r="$2" ab="${3:-}"
}

# submit REF PRODUCT BODY [submit flags...] — the new complaint's number.
# Each REF is a different customer (phone from the ref's checksum), so no
# case is a repeat complaint by accident.
submit () {
    local ref=$1 product=$2 body=$3 crc; shift 3
    crc=$(printf '%s' "$ref" | cksum | cut -d' ' -f1)
    ctl submit --channel web --ref "$ref" --product "$product" --body "$body" \
        --phone "138$(printf '%08d' $((crc % 100000000)))" --name "测试客户-$ref" "$@" \
        2>>"$TEST_DIR/submit.err" | jq -r '.complaint_no // empty'
}

# wait_assigned NO — until the router assigned it (20 s at most)
wait_assigned () {
    if wait_for '[ "$(case_state '"$1"')" = assigned ]' 20; then return 0; fi
    fail "$1 not assigned after 20 s: $(case_row "$1")"
    return 1
}

# case_status NO — "state version case_action-rows", in one query
case_status () {
    psql_value "select c.state || ' ' || c.version || ' '
                       || (select count(*) from case_action a where a.complaint_id = c.id)
                  from complaint c where c.complaint_no = :'no'" no="$1"
}

# step DESC STATE STAFF NO ACTION [FLAGS...] — `complaintctl act` as STAFF
# must succeed: exit 0, the case in STATE, its version one up, one more
# case_action row, and the line "NO: from -> STATE (version N)".
step () {
    local desc=$1 want=$2 who=$3 no=$4; shift 4
    local s0 v0 n0 rc out
    read -r s0 v0 n0 <<<"$(case_status "$no")"
    as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"
    rc=$?
    out=$(cat "$TEST_DIR/act.out")
    if [ "$rc" != 0 ]; then
        fail "$desc: $who: act $no $*: exit $rc: $(cat "$TEST_DIR/act.err")"
        return 1
    fi
    note "  $who: act $* -> $out"
    assert_eq "$desc: state, version +1, one case_action row more" \
        "$want $((v0 + 1)) $((n0 + 1))" "$(case_status "$no")"
    assert_eq "$desc: output" "$no: $s0 -> $want (version $((v0 + 1)))" "$out"
}

# refused DESC EXIT CODE STAFF NO ACTION [FLAGS...] — must fail with exit
# EXIT and (when CODE is not -) the error code CODE on stderr; nothing
# written: same state, version and case_action rows. STAFF - : no token.
refused () {
    local desc=$1 want_rc=$2 code=$3 who=$4 no=$5; shift 5
    local before rc
    before=$(case_status "$no")
    if [ "$who" = - ]; then
        ctl act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"
    else
        as_staff "$who" act "$no" "$@" >"$TEST_DIR/act.out" 2>"$TEST_DIR/act.err"
    fi
    rc=$?
    note "  $who: act $* -> exit $rc: $(head -c 300 "$TEST_DIR/act.err")"
    assert_eq "$desc: exit status" "$want_rc" "$rc"
    [ "$code" = - ] || assert_match "$desc: error code" "error $code" "$(cat "$TEST_DIR/act.err")"
    assert_eq "$desc: nothing written (state version rows)" "$before" "$(case_status "$no")"
}

# ------------------------------------------------------------ a: first contact
note "--- a: closed on first contact"
A=$(submit life-a 信用卡 "信用卡年费被重复扣收两次，要求说明原因。")
assert_match "a: complaint number" '^[0-9]{15,}$' "$A"
wait_assigned "$A"
A_DEPT=$(case_dept "$A"); A_H=$(case_handler "$A")
assert_eq "a: department (product 信用卡)" card_center "$A_DEPT"
assert_eq "a: handler is the department's A role" "$(staff_in "$A_DEPT" handler A)" "$A_H"
assert_eq "a: router's assign row (actor, role, before, after)" "router:router|system|received|assigned" \
    "$(psql_value "select actor, actor_role, state_before, state_after from case_action a
                     join complaint c on c.id = a.complaint_id
                    where c.complaint_no = :'no' and a.action = 'assign'" no="$A")"
step "a accept" accepted "$A_H" "$A" accept --text "已致电客户，受理。"
step "a resolve" resolved "$A_H" "$A" resolve --outcome explanation \
    --text "A-SECRET-NOTE 第二笔为年费分期入账，已向客户解释。"
step "a feedback" resolved "$A_H" "$A" feedback --satisfied yes --text "客户表示满意"
step "a close" closed "$A_H" "$A" close --reason satisfied
assert_eq "a: resolution_outcome, satisfied, closed_at set, accepted_at set" "explanation|t|t|t" \
    "$(psql_value "select resolution_outcome, satisfied, closed_at is not null, accepted_at is not null
                     from complaint where complaint_no = :'no'" no="$A")"
assert_eq "a: audit trail" "assign accept resolve feedback close" "$(case_actions "$A")"
assert_eq "a: actors of the staff actions" "$A_H handler" \
    "$(psql_value "select distinct actor || ' ' || actor_role from case_action a join complaint c
                     on c.id = a.complaint_id where c.complaint_no = :'no' and a.action <> 'assign'" no="$A")"
assert_eq "a: the resolve row's details keep the text" 1 \
    "$(psql_value "select count(*) from case_action a join complaint c on c.id = a.complaint_id
                    where c.complaint_no = :'no' and a.action = 'resolve'
                      and a.details->>'text' like 'A-SECRET-NOTE%'" no="$A")"
refused "a: nothing after closed" 1 invalid_transition "$A_H" "$A" note --text "too late"
# the close reason is the audit row's; reject_reason is for rejections only
assert_eq "a: a closed case has no reject_reason; the close row's reason" "|satisfied" \
    "$(psql_value "select coalesce(c.reject_reason, ''), a.details->>'reason' from complaint c
                     join case_action a on a.complaint_id = c.id and a.action = 'close'
                    where c.complaint_no = :'no'" no="$A")"

# ------------------------------------------------- b: transfer, refund
note "--- b: transferred, then resolved with a refund"
B=$(submit life-b 信用卡 "借记卡被误当作信用卡收取了年费300元，要求退还。")
wait_assigned "$B"
B_H1=$(case_handler "$B"); B_D1=$(case_dept "$B")
B_D2=deposits_accounts
step "b accept" accepted "$B_H1" "$B" accept
step "b transfer" assigned "$B_H1" "$B" transfer --department "$B_D2" --text "借记卡业务，转个人金融部。"
B_H2=$(case_handler "$B")
assert_eq "b: department after the transfer" "$B_D2" "$(case_dept "$B")"
assert_eq "b: new handler works in $B_D2" "$B_D2" \
    "$(psql_value "select department from staff where id = :'id'" id="$B_H2")"
refused "b: the old handler ($B_D1) may no longer act" 1 forbidden "$B_H1" "$B" accept
step "b accept (new handler)" accepted "$B_H2" "$B" accept
step "b investigate" investigating "$B_H2" "$B" investigate --text "核查扣费记录"
step "b resolve refund" resolved "$B_H2" "$B" resolve --outcome refund --amount 300.00 \
    --text "已退还误收年费300元"
assert_eq "b: resolution in the store" "refund|300.00" \
    "$(psql_value "select resolution_outcome, resolution_amount from complaint where complaint_no = :'no'" no="$B")"
step "b close no_answer" closed "$B_H2" "$B" close --reason no_answer
assert_eq "b: audit trail" "assign accept transfer accept investigate resolve close" "$(case_actions "$B")"

# ------------------------------------------------- c: cross-department
note "--- c: cross-department case"
C=$(submit life-c 信用卡 "手机银行APP还信用卡时系统故障，扣款成功但信用卡未入账，产生了逾期利息。" \
    --category "credit card")
wait_assigned "$C"
C_D=$(case_dept "$C"); C_H=$(case_handler "$C")
C_COOP=$(psql_value "select array_to_string(cooperating, ' ') from complaint where complaint_no = :'no'" no="$C")
note "  lead $C_D (handler $C_H), cooperating: ${C_COOP:-none}"
if [ -z "$C_COOP" ]; then
    fail "c: the router named no cooperating department for a card + mobile app complaint"
else
    C_CO=${C_COOP%% *}
    C_COH=$(staff_in "$C_CO" handler)
    step "c accept (lead)" accepted "$C_H" "$C" accept
    step "c note by a cooperating handler ($C_COH, $C_CO)" accepted "$C_COH" "$C" note \
        --text "电子银行部：APP当日15:02有还款接口超时记录。"
    refused "c: a cooperating handler may not resolve" 1 forbidden "$C_COH" "$C" resolve \
        --outcome explanation --text "x"
    as_staff "$C_COH" show "$C" >"$TEST_DIR/c_show.txt" 2>&1
    assert_eq "c: a cooperating handler may see the case (show exit)" 0 "$?"
fi

# ------------------------------------------------- d: review, reopen
note "--- d: not satisfied -> review -> reopen -> resolved -> closed"
D=$(submit life-d 手机银行 "手机银行转账失败但钱被扣了，客服一直推脱。")
wait_assigned "$D"
D_H=$(case_handler "$D"); D_DEPT=$(case_dept "$D"); D_S=$(staff_in "$D_DEPT" supervisor)
note "  $D_DEPT: handler $D_H, supervisor $D_S"
step "d accept" accepted "$D_H" "$D" accept
step "d resolve" resolved "$D_H" "$D" resolve --outcome explanation --text "系统已自动冲正。"
step "d feedback not satisfied" resolved "$D_H" "$D" feedback --satisfied no --text "客户不认可"
refused "d: close as satisfied after a 'no'" 1 invalid_transition "$D_H" "$D" close --reason satisfied
step "d review" under_review "$D_H" "$D" review --text "客户要求复核"
refused "d: a handler may not reopen" 1 forbidden "$D_H" "$D" reopen --text "x"
step "d reopen (supervisor $D_S)" reopened "$D_S" "$D" reopen --text "复核认为需重新调查冲正时间"
step "d investigate" investigating "$D_H" "$D" investigate
step "d resolve again" resolved "$D_H" "$D" resolve --outcome compensation --amount 50 \
    --text "补偿利息损失50元"
step "d feedback satisfied" resolved "$D_H" "$D" feedback --satisfied yes
step "d close" closed "$D_H" "$D" close --reason satisfied
assert_eq "d: audit trail" \
    "assign accept resolve feedback review reopen investigate resolve feedback close" "$(case_actions "$D")"
assert_eq "d: reopen row by the supervisor" "$D_S|supervisor|under_review|reopened" \
    "$(psql_value "select actor, actor_role, state_before, state_after from case_action a
                     join complaint c on c.id = a.complaint_id
                    where c.complaint_no = :'no' and a.action = 'reopen'" no="$D")"

# ------------------------------------------------- e: duplicate, reject late
note "--- e: a duplicate rejected; reject after accept refused"
E1=$(ctl submit --channel hotline --ref life-e1 --product 存款 --body "定期存款提前支取利息计算错误。" \
        --phone 13911112222 --name 钱七 | jq -r .complaint_no)
E2=$(ctl submit --channel web --ref life-e2 --product 存款 --body "定期存款提前支取利息计算错误（再次反映）。" \
        --phone 13911112222 --name 钱七 | jq -r .complaint_no)
wait_assigned "$E1"; wait_assigned "$E2"
assert_eq "e: flags of the first and the second complaint of one customer" "{}|{repeat}" \
    "$(psql_value "select string_agg(flags::text, '|' order by id) from complaint
                    where complaint_no in (:'a', :'b')" a="$E1" b="$E2")"
E_H=$(case_handler "$E2")
refused "e: duplicate without duplicate_of (local check)" 2 - "$E_H" "$E2" reject --reason duplicate
step "e reject duplicate" rejected "$E_H" "$E2" reject --reason duplicate --duplicate-of "$E1" \
    --text "与前一投诉重复"
assert_eq "e: reject_reason, duplicate_of" "duplicate|$E1" \
    "$(psql_value "select reject_reason, duplicate_of from complaint where complaint_no = :'no'" no="$E2")"
E1_H=$(case_handler "$E1")
step "e accept the first" accepted "$E1_H" "$E1" accept
refused "e: reject after accept" 1 invalid_transition "$E1_H" "$E1" reject --reason not_a_complaint
v=$(case_version "$E1")
assert_match "e: the refusal names the current state and version" \
    "accepted.*version $v|version $v.*accepted" "$(cat "$TEST_DIR/act.err")"

# ------------------------------------------------- f: withdrawal
note "--- f: withdrawal"
F=$(submit life-f 理财 "理财产品收益与宣传不符。")
wait_assigned "$F"
F_H=$(case_handler "$F")
step "f accept" accepted "$F_H" "$F" accept
step "f withdraw" withdrawn "$F_H" "$F" withdraw --text "客户来电撤回投诉"
refused "f: nothing after withdrawn" 1 invalid_transition "$F_H" "$F" note --text "x"

# ------------------------------------------------- g: forbidden
note "--- g: forbidden and unauthenticated"
G=$(submit life-g 信用卡 "信用卡被盗刷，银行不处理。")
wait_assigned "$G"
G_DEPT=$(case_dept "$G"); G_H=$(case_handler "$G")
refused "g: a handler of another department" 1 forbidden "$(staff_in payments handler A)" "$G" accept
refused "g: a branch manager outside his subtree" 1 forbidden deng_hao "$G" note --text "x"
refused "g: a manager may not accept" 1 forbidden zhang_wei "$G" accept
ghost=$(ctl token new ghost 2>/dev/null)
v0=$(case_version "$G")
COMPLAINTS_TOKEN=$ghost ctl act "$G" accept --version "$v0" >/dev/null 2>"$TEST_DIR/act.err"
assert_eq "g: an unknown token: exit status" 1 "$?"
assert_match "g: an unknown token: error" "error unauthenticated" "$(cat "$TEST_DIR/act.err")"
refused "g: no token at all (names the variable)" 2 - - "$G" accept
assert_match "g: the message names COMPLAINTS_TOKEN" COMPLAINTS_TOKEN "$(cat "$TEST_DIR/act.err")"
step "g note by the head-office manager (whole tree)" assigned zhang_wei "$G" note --text "关注此案"
step "g accept by the complaint office" accepted li_na "$G" accept
step "g escalate to head office" accepted li_na "$G" escalate --level head_office \
    --text "涉及盗刷，升级总行"
assert_eq "g: level after the escalation" head_office \
    "$(psql_value "select level from complaint where complaint_no = :'no'" no="$G")"
refused "g: escalate to the level it is at" 1 invalid_transition li_na "$G" escalate \
    --level head_office --text "again"
refused "g: escalate to branch (local check)" 2 - li_na "$G" escalate --level branch --text "down"
refused "g: stale --version" 1 conflict "$G_H" "$G" note --version "$v0" --text "x"
v=$(case_version "$G")
assert_match "g: the conflict names the current state and version" \
    "accepted.*version $v|version $v.*accepted" "$(cat "$TEST_DIR/act.err")"

# ------------------------------------------------- h: two staff at once
note "--- h: two staff acting at once on the same version (5 races)"
H=$(submit life-h 信用卡 "信用卡积分被清零。")
wait_assigned "$H"
H_DEPT=$(case_dept "$H"); H_H=$(case_handler "$H"); H_S=$(staff_in "$H_DEPT" supervisor)
wins=0; conflicts=0
for round in 1 2 3 4 5; do
    v=$(case_version "$H"); n0=$(action_count "$H")
    if [ "$round" = 1 ]; then act=(accept); else act=(note --text "race $round"); fi
    as_staff "$H_H" act "$H" "${act[@]}" --version "$v" >"$TEST_DIR/race1.out" 2>"$TEST_DIR/race1.err" &
    p1=$!
    as_staff "$H_S" act "$H" "${act[@]}" --version "$v" >"$TEST_DIR/race2.out" 2>"$TEST_DIR/race2.err" &
    p2=$!
    wait $p1; r1=$?
    wait $p2; r2=$?
    note "  round $round (${act[0]} at version $v): $H_H exit $r1, $H_S exit $r2"
    for r in $r1 $r2; do
        [ "$r" = 0 ] && wins=$((wins + 1))
    done
    conflicts=$((conflicts + $(cat "$TEST_DIR/race1.err" "$TEST_DIR/race2.err" | grep -c 'error conflict')))
    assert_eq "h round $round: exit statuses (sorted)" "0 1" "$(printf '%s\n' $r1 $r2 | sort | tr '\n' ' ' | sed 's/ $//')"
    assert_eq "h round $round: exactly one case_action row" "$((n0 + 1))" "$(action_count "$H")"
    assert_eq "h round $round: version one up" "$((v + 1))" "$(case_version "$H")"
done
assert_eq "h: winners over 5 races" 5 "$wins"
assert_eq "h: conflict errors over 5 races" 5 "$conflicts"

# ------------------------------------------------- i: awaiting customer
note "--- i: awaiting_customer round trip"
I=$(submit life-i 贷款 "房贷提前还款违约金计算有误。")
wait_assigned "$I"
I_H=$(case_handler "$I")
step "i accept" accepted "$I_H" "$I" accept
step "i request_info" awaiting_customer "$I_H" "$I" request_info --text "请客户提供还款凭证"
as_staff "$I_H" queue --state awaiting_customer --json >"$TEST_DIR/i_queue.jsonl" 2>"$TEST_DIR/i_queue.err"
assert_eq "i: queue --state awaiting_customer exit" 0 "$?"
assert_eq "i: the case is in $I_H's awaiting_customer queue" 1 \
    "$(jq -r --arg no "$I" 'select(.complaint_no == $no) | .state' "$TEST_DIR/i_queue.jsonl" | grep -c '^awaiting_customer$')"
step "i customer_replied" investigating "$I_H" "$I" customer_replied --text "客户已提供凭证"
step "i resolve" resolved "$I_H" "$I" resolve --outcome error_corrected --text "违约金已重算"

# ------------------------------------------------- queue and show
note "--- queue and show"
as_staff "$A_H" queue --json >"$TEST_DIR/queue_mine.jsonl" 2>"$TEST_DIR/queue.err"
assert_eq "queue (mine) exit status" 0 "$?"
assert_eq "queue (mine) cases = $A_H's open cases in the store" \
    "$(psql_value "select count(*) from complaint where handler = :'h' and complaint_is_open (state)" h="$A_H")" \
    "$(grep -c '^{' "$TEST_DIR/queue_mine.jsonl")"
assert_eq "queue (mine) cases of another handler" 0 \
    "$(jq -r --arg h "$A_H" 'select(.handler != $h) | .complaint_no' "$TEST_DIR/queue_mine.jsonl" | wc -l)"
as_staff li_na queue --scope all --json >"$TEST_DIR/queue_all.jsonl" 2>>"$TEST_DIR/queue.err"
assert_eq "queue --scope all (complaint office) exit status" 0 "$?"
assert_eq "queue --scope all: in priority order (violations)" 0 \
    "$(jq -s '[.[] | .priority // 9] as $p | [range(1; $p | length) | select($p[.] < $p[. - 1])] | length' \
        "$TEST_DIR/queue_all.jsonl")"
assert_ge "queue --scope all: cases" 5 "$(grep -c '^{' "$TEST_DIR/queue_all.jsonl")"
A_S=$(staff_in "$A_DEPT" supervisor)
as_staff "$A_S" queue --scope department --json >"$TEST_DIR/queue_dept.jsonl" 2>>"$TEST_DIR/queue.err"
assert_eq "queue --scope department ($A_S, supervisor of $A_DEPT) exit status" 0 "$?"
assert_eq "queue --scope department: cases = $A_DEPT's open cases in the store" \
    "$(psql_value "select count(*) from complaint where department = :'d' and complaint_is_open (state)" d="$A_DEPT")" \
    "$(grep -c '^{' "$TEST_DIR/queue_dept.jsonl")"
assert_eq "queue --scope department: cases of other departments" 0 \
    "$(jq -r --arg d "$A_DEPT" 'select(.department != $d) | .complaint_no' "$TEST_DIR/queue_dept.jsonl" | wc -l)"
as_staff "$A_H" queue --scope all >/dev/null 2>"$TEST_DIR/queue_forbidden.err"
assert_eq "queue --scope all by a handler: exit status" 1 "$?"
assert_match "queue --scope all by a handler: error" "error forbidden" "$(cat "$TEST_DIR/queue_forbidden.err")"
as_staff "$A_H" queue >"$TEST_DIR/queue_table.txt" 2>>"$TEST_DIR/queue.err"
assert_match "queue table header" '^P +due +complaint no +state' "$(head -1 "$TEST_DIR/queue_table.txt")"
ctl queue >/dev/null 2>&1
assert_eq "queue without a token: exit status" 2 "$?"

as_staff "$D_H" show "$D" >"$TEST_DIR/show_d.txt" 2>&1
assert_eq "show $D (handler) exit status" 0 "$?"
assert_eq "show $D: the customer's name (staff view)" 1 "$(grep -c '测试客户-life-d' "$TEST_DIR/show_d.txt")"
assert_eq "show $D: trail lines (10 actions)" 10 "$(grep -c -E '^  [0-9]{4}-[0-9]{2}-[0-9]{2} ' "$TEST_DIR/show_d.txt")"
assert_eq "show $D: the reopen line" 1 "$(grep -c "$D_S (supervisor)  reopen  under_review -> reopened" "$TEST_DIR/show_d.txt")"
ctl show "$D" >"$TEST_DIR/show_d_status.txt" 2>&1
assert_eq "show $D without a token (status view) exit status" 0 "$?"
assert_eq "show $D status view: no customer name" 0 "$(grep -c '测试客户' "$TEST_DIR/show_d_status.txt")"
assert_eq "show $D status view: no action details (复核 text)" 0 "$(grep -c '复核' "$TEST_DIR/show_d_status.txt")"
as_staff "$D_H" show "$D" --json >"$TEST_DIR/show_d.json" 2>&1
assert_eq "show --json: actions, their versions consecutive" "10 true" \
    "$(jq -r '[.actions[].version] as $v | "\($v | length) \($v == [range($v[0]; $v[0] + ($v | length))])"' "$TEST_DIR/show_d.json")"
as_staff "$(staff_in payments handler A)" show "$D" >/dev/null 2>"$TEST_DIR/show.err"
assert_eq "show by another department's handler: exit status" 1 "$?"
assert_match "show by another department's handler: error" "error forbidden" "$(cat "$TEST_DIR/show.err")"

# ------------------------------------------------- the stream
note "--- the stream"
wait_outbox_empty 20 || fail "outbox not drained within 20 s"
ctl replay --from 0 >"$TEST_DIR/replay.jsonl" 2>"$TEST_DIR/replay.err"
assert_eq "complaintctl replay exit status" 0 "$?"
types () { jq -r --arg no "$1" 'select(.complaint_no == $no) | .type' "$TEST_DIR/replay.jsonl" | sed 's/^complaint\.//' | tr '\n' ' ' | sed 's/ $//'; }
assert_eq "a: events" "received assigned accepted resolved feedback closed" "$(types "$A")"
assert_eq "a: cfpb_response of the resolution" "Closed with explanation" \
    "$(jq -r --arg no "$A" 'select(.complaint_no == $no and .type == "complaint.resolved") | .data.cfpb_response' "$TEST_DIR/replay.jsonl")"
assert_eq "a: closed event (actor, from, state, version, reason)" \
    "$A_H resolved closed $(case_version "$A") satisfied" \
    "$(jq -r --arg no "$A" 'select(.complaint_no == $no and .type == "complaint.closed") | .data | "\(.actor) \(.from) \(.state) \(.version) \(.reason)"' "$TEST_DIR/replay.jsonl")"
assert_eq "b: events" "received assigned accepted transferred accepted investigating resolved closed" "$(types "$B")"
assert_eq "b: transferred event (department, from_department, handler)" "$B_D2 $B_D1 $B_H2" \
    "$(jq -r --arg no "$B" 'select(.complaint_no == $no and .type == "complaint.transferred") | .data | "\(.department) \(.from_department) \(.handler)"' "$TEST_DIR/replay.jsonl")"
assert_eq "b: refund event (outcome, amount, cfpb_response)" "refund 300 Closed with monetary relief" \
    "$(jq -r --arg no "$B" 'select(.complaint_no == $no and .type == "complaint.resolved") | .data | "\(.outcome) \(.amount | tostring | tonumber) \(.cfpb_response)"' "$TEST_DIR/replay.jsonl")"
if [ -n "$C_COOP" ]; then
    assert_eq "c: one cooperation_requested per cooperating department" \
        "$(printf '%s\n' $C_COOP | sort | tr '\n' ' ')" \
        "$(jq -r --arg no "$C" 'select(.complaint_no == $no and .type == "complaint.cooperation_requested") | .data.department' "$TEST_DIR/replay.jsonl" | sort | tr '\n' ' ')"
    assert_eq "c: cooperation_requested names the lead department" "$C_D" \
        "$(jq -r --arg no "$C" 'select(.complaint_no == $no and .type == "complaint.cooperation_requested") | .data.lead_department' "$TEST_DIR/replay.jsonl" | sort -u)"
    assert_eq "c: assigned event lists the cooperating departments" "$C_COOP" \
        "$(jq -r --arg no "$C" 'select(.complaint_no == $no and .type == "complaint.assigned") | .data.cooperating | join(" ")' "$TEST_DIR/replay.jsonl")"
fi
assert_eq "d: events" "received assigned accepted resolved feedback review_requested reopened investigating resolved feedback closed" "$(types "$D")"
assert_eq "d: compensation is monetary relief" "Closed with monetary relief" \
    "$(jq -r --arg no "$D" 'select(.complaint_no == $no and .type == "complaint.resolved") | .data.cfpb_response' "$TEST_DIR/replay.jsonl" | tail -1)"
assert_eq "e: duplicate's events" "received assigned rejected" "$(types "$E2")"
assert_eq "e: rejected event (reason, duplicate_of)" "duplicate $E1" \
    "$(jq -r --arg no "$E2" 'select(.complaint_no == $no and .type == "complaint.rejected") | .data | "\(.reason) \(.duplicate_of)"' "$TEST_DIR/replay.jsonl")"
assert_eq "f: events" "received assigned accepted withdrawn" "$(types "$F")"
assert_eq "g: events" "received assigned noted accepted escalated" "$(types "$G" | sed 's/ major//')"
assert_eq "g: escalated event (level)" head_office \
    "$(jq -r --arg no "$G" 'select(.complaint_no == $no and .type == "complaint.escalated") | .data.level' "$TEST_DIR/replay.jsonl")"
assert_eq "h: events" "received assigned accepted noted noted noted noted" "$(types "$H")"
assert_eq "i: events" "received assigned accepted info_requested customer_replied resolved" "$(types "$I")"
assert_eq "free text on the stream (A-SECRET-NOTE, 复核, 客户来电撤回) in event_log bytes" 0 \
    "$(psql_value "select count(*) from event_log where position(convert_to('A-SECRET-NOTE', 'UTF8') in event) > 0
                      or position(convert_to('复核', 'UTF8') in event) > 0
                      or position(convert_to('客户来电撤回', 'UTF8') in event) > 0")"
assert_eq "event data fields named text" 0 "$(jq -r 'select(.data.text != null) | .seq' "$TEST_DIR/replay.jsonl" | wc -l)"
assert_eq "staff action events = staff case_action rows" \
    "$(psql_value "select count(*) from case_action where actor_role <> 'system'")" \
    "$(jq -r 'select(.type | test("^complaint\\.(received|assigned|major|cooperation_requested)$") | not) | .seq' "$TEST_DIR/replay.jsonl" | wc -l)"
assert_gap_free
