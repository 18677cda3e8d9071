#!/usr/bin/env bash
# routing_reload.sh — the router's policy files are reloaded on SIGHUP
# without a restart; a bad file is refused with its file, line and reason
# while the policy already loaded keeps routing (issue 3, section 4).
#
# bus + intake + a router reading private copies of the rules, the
# directory and a tokens file (the thresholds and JR/T table are the
# shipped ones). Then, each step checked through the store:
#   1. a card complaint is routed by the shipped rules (card_center, with a
#      handler of card_center, an audit row, and no due_at: deadlines are
#      the SLA watchdog's, not the router's);
#   2. a bad rules file (a route to a department that does not exist) +
#      SIGHUP: refused, the log names rules.conf and the line; the router
#      is alive and routes the next complaint with the old rules;
#   3. a bad directory (a staff member in an unknown department) + SIGHUP:
#      refused with directory.conf and its line; routing goes on;
#   4. a bad tokens file (an unknown staff id): refused with its line;
#      a priority.conf that still sets resolution_days (the router's old
#      due date): refused with its line, pointing at deploy/sla/policy.conf;
#   5. a good edit of the rules (a new first route) and of the directory (a
#      new staff member) + SIGHUP: loaded without a restart; the new rule
#      routes the next complaint, the new person is in the store, and a
#      person removed from the directory is kept as inactive.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl
cd "$ROOT" || exit 1          # the thresholds and JR/T table are found from here

POLICY=$TEST_DIR/policy
mkdir -p "$POLICY"
cp deploy/routing/rules.conf "$POLICY/rules.conf"
cp deploy/org/directory.conf "$POLICY/directory.conf"
cp deploy/routing/priority.conf "$POLICY/priority.conf"
issue_tokens "$TEST_DIR/staff" "$POLICY/directory.conf" >/dev/null || exit 1
cp "$TEST_DIR/staff/tokens" "$POLICY/tokens"
n_staff=$(grep -c '^staff ' "$POLICY/directory.conf")

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" --rules "$POLICY/rules.conf" \
    --directory "$POLICY/directory.conf" --tokens "$POLICY/tokens" \
    --thresholds "$POLICY/priority.conf"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
if ! wait_for '[ "$(psql_value "select count(*) from staff_token")" = '"$n_staff"' ]' 20; then
    fail "the router did not sync $n_staff tokens into the store"
fi
assert_eq "staff synced from the directory" "$n_staff" \
    "$(psql_value "select count(*) from staff where active")"

# submit N SUBJECT BODY — complaint number N; prints its complaint number.
submit () {
    ctl submit --channel hotline --ref "reload-$1" --subject "$2" --body "$3" \
        --name "Reload Test $1" --phone "1380000$(printf '%04d' "$1")" | jq -r '.complaint_no'
}
# routed NO — "department|routing_rule|state" once it left 'received'.
routed () {
    wait_for '[ "$(psql_value "select state from complaint where complaint_no = :'"'no'"'" no='"$1"')" != received ]' 15 \
        || fail "complaint $1 still received after 15 s"
    psql_value "select department || '|' || routing_rule || '|' || state from complaint
                 where complaint_no = :'no'" no="$1"
}
# refused FILE — wait for a rules_refused line naming FILE; print it.
refused_count () { grep -c 'event=rules_refused' "$TEST_DIR/router.log"; }
wait_refused () {
    local before=$1
    wait_for '[ "$(refused_count)" -gt '"$before"' ]' 10 || fail "no rules_refused line after SIGHUP"
    grep 'event=rules_refused' "$TEST_DIR/router.log" | tail -1
}

# --- 1. the shipped rules
no1=$(submit 1 "信用卡年费" "我的信用卡被扣了年费，要求退还")
r1=$(routed "$no1")
assert_match "complaint 1 routed by the shipped rules" '^card_center\|rules\.conf:[0-9]+\|assigned$' "$r1"
assert_eq "complaint 1 has a card_center handler" "card_center" \
    "$(psql_value "select s.department from complaint c join staff s on s.id = c.handler
                    where c.complaint_no = :'no'" no="$no1")"
assert_eq "complaint 1: one assign audit row by router:router" "1|system|received|assigned" \
    "$(psql_value "select count(*) || '|' || min(actor_role) || '|' || min(state_before) || '|' || min(state_after)
                    from case_action a join complaint c on c.id = a.complaint_id
                   where c.complaint_no = :'no' and a.action = 'assign' and a.actor = 'router:router'" no="$no1")"
assert_eq "complaint 1: the router set no due_at (the SLA watchdog owns it)" "" \
    "$(psql_value "select due_at from complaint where complaint_no = :'no'" no="$no1")"

# --- 2. a bad rules file
cp "$POLICY/rules.conf" "$POLICY/rules.good"
bad_line=$(( $(grep -n '^route card_center        line = cards' "$POLICY/rules.conf" | cut -d: -f1) ))
sed -i "${bad_line}s/.*/route card_centre        line = cards/" "$POLICY/rules.conf"
before=$(refused_count)
kill -HUP "$(service_pid router)"
line=$(wait_refused "$before")
note "log: $line"
assert_match "bad rules refused with file and line" "path=[^ ]*rules\.conf line=$bad_line " "$line"
assert_match "bad rules refused with the reason" "unknown department 'card_centre'" "$line"
assert_true "router alive after the bad rules" service_alive router
no2=$(submit 2 "信用卡年费" "信用卡又被扣了年费")
assert_match "complaint 2 routed by the old rules" '^card_center\|rules\.conf:[0-9]+\|assigned$' "$(routed "$no2")"
cp "$POLICY/rules.good" "$POLICY/rules.conf"

# --- 3. a bad directory
cp "$POLICY/directory.conf" "$POLICY/directory.good"
echo 'staff ghost name="幽灵" dept=nowhere role=handler ab=A' >>"$POLICY/directory.conf"
dir_line=$(wc -l <"$POLICY/directory.conf")
before=$(refused_count)
kill -HUP "$(service_pid router)"
line=$(wait_refused "$before")
note "log: $line"
assert_match "bad directory refused with file and line" "path=[^ ]*directory\.conf line=$dir_line " "$line"
assert_match "bad directory refused with the reason" "unknown department 'nowhere'" "$line"
no3=$(submit 3 "Wire transfer" "My wire transfer never arrived")
assert_match "complaint 3 routed while the bad directory is refused" '^payments\|' "$(routed "$no3")"
assert_eq "the ghost is not in the store" 0 "$(psql_value "select count(*) from staff where id = 'ghost'")"
cp "$POLICY/directory.good" "$POLICY/directory.conf"

# --- 4. a bad tokens file
cp "$POLICY/tokens" "$POLICY/tokens.good"
echo "nobody_here $(printf '%064d' 0)" >>"$POLICY/tokens"
tok_line=$(wc -l <"$POLICY/tokens")
before=$(refused_count)
kill -HUP "$(service_pid router)"
line=$(wait_refused "$before")
assert_match "bad tokens refused with file and line" "path=[^ ]*tokens line=$tok_line .*unknown staff id 'nobody_here'" "$line"
assert_eq "tokens in the store unchanged" "$n_staff" "$(psql_value "select count(*) from staff_token")"
cp "$POLICY/tokens.good" "$POLICY/tokens"

# --- 4b. resolution_days is no longer a routing setting
cp "$POLICY/priority.conf" "$POLICY/priority.good"
echo 'set resolution_days 15' >>"$POLICY/priority.conf"
prio_line=$(wc -l <"$POLICY/priority.conf")
before=$(refused_count)
kill -HUP "$(service_pid router)"
line=$(wait_refused "$before")
assert_match "resolution_days refused with file and line" "path=[^ ]*priority\.conf line=$prio_line " "$line"
assert_match "resolution_days refused, pointing at the SLA policy" "deploy/sla/policy\.conf" "$line"
assert_true "router alive after the refused priority.conf" service_alive router
cp "$POLICY/priority.good" "$POLICY/priority.conf"

# --- 5. good edits take effect without a restart
pid_before=$(service_pid router)
first_route=$(grep -n '^route ' "$POLICY/rules.conf" | head -1 | cut -d: -f1)
sed -i "${first_route}i route payments  text ~ 重载测试" "$POLICY/rules.conf"
removed=$(awk '$1 == "staff" && /dept=complaint_office/ && /role=complaint_office/ { print $2; exit }' "$POLICY/directory.conf")
sed -i "/^staff $removed /d" "$POLICY/directory.conf"
# A person leaves with their token: a token for someone not in the directory
# is refused (step 4), so the tokens file loses their line too.
sed -i "/^$removed /d" "$POLICY/tokens"
echo 'staff reload_new name="新人" dept=payments role=handler ab=B capacity=5 email=new@bank.example' \
    >>"$POLICY/directory.conf"
loaded_before=$(grep -c 'event=rules_loaded' "$TEST_DIR/router.log")
kill -HUP "$(service_pid router)"
wait_for '[ "$(grep -c event=rules_loaded "$TEST_DIR/router.log")" -gt '"$loaded_before"' ]' 10 \
    || fail "no rules_loaded line after the good edit"
grep 'event=rules_loaded' "$TEST_DIR/router.log" | tail -1 | sed 's/^/log: /'
assert_eq "same router process (no restart)" "$pid_before" "$(service_pid router)"
wait_for '[ "$(psql_value "select count(*) from staff where id = '"'reload_new'"' and active")" = 1 ]' 10 \
    || true
no4=$(submit 4 "重载测试" "这是一条重载测试投诉")
assert_eq "complaint 4 routed by the new rule" "payments|rules.conf:$first_route|assigned" "$(routed "$no4")"
assert_eq "the new staff member is in the store" 1 \
    "$(psql_value "select count(*) from staff where id = 'reload_new' and active and department = 'payments'")"
assert_eq "the removed staff member ($removed) is kept, inactive" "f" \
    "$(psql_value "select active from staff where id = :'id'" id="$removed")"
no5=$(submit 5 "信用卡年费" "信用卡年费第三次")
assert_match "complaint 5 still routed by the unchanged rules" '^card_center\|' "$(routed "$no5")"
assert_eq "complaints routed, none left received" 0 \
    "$(psql_value "select count(*) from complaint where state = 'received'")"
assert_true "router alive at the end" service_alive router

# --- 6. what an assignment publishes: major, cooperation, unroutable
no6=$(submit 6 "要找记者曝光" "北京分行海淀支行柜员态度恶劣，还不给我办信用卡，我要找记者曝光")
no7=$(submit 7 "天气" "今天天气不错")
routed "$no6" >/dev/null
routed "$no7" >/dev/null
wait_outbox_empty 15 || fail "outbox not drained"
ctl replay --from 0 >"$TEST_DIR/replay.jsonl" 2>/dev/null
ev () { jq -c --arg no "$1" --arg t "$2" "select(.complaint_no == \$no and .type == \$t) | $3" "$TEST_DIR/replay.jsonl"; }
assert_eq "complaint 6 assigned to the outlet, card centre cooperating" \
    '["outlet_bj_haidian",["card_center"],true,1,["media"]]' \
    "$(ev "$no6" complaint.assigned '[.data.department, .data.cooperating, .data.major, .data.priority, .data.flags]')"
assert_eq "complaint 6: complaint.major for management" '["outlet_bj_haidian",1]' \
    "$(ev "$no6" complaint.major '[.data.department, .data.priority]')"
assert_eq "complaint 6: cooperation requested from the card centre" \
    '["card_center","outlet_bj_haidian"]' \
    "$(ev "$no6" complaint.cooperation_requested '[.data.department, .data.lead_department]')"
assert_eq "complaint 6: complaint.assigned carries no due_at (the watchdog's)" "false" \
    "$(ev "$no6" complaint.assigned '.data | has("due_at")')"
assert_match "complaint 6: JR/T codes carried" '^\["A0302","B03","C01"\]$' \
    "$(ev "$no6" complaint.assigned '[.data.jrt_channel, .data.jrt_business, .data.jrt_cause]')"
assert_eq "complaint 7: unroutable, the complaint office's queue, no handler" \
    '["complaint_office",true,null]' \
    "$(ev "$no7" complaint.assigned '[.data.department, .data.unroutable, .data.handler]')"
assert_eq "complaint 7: no handler in the store" "" \
    "$(psql_value "select handler from complaint where complaint_no = :'no'" no="$no7")"
assert_eq "complaint 6: audit details name the deciding rules" "true|true|true" \
    "$(psql_value "select (details ? 'rule')::text || '|' || (details ? 'cause_rule')::text || '|' || (details->>'major')
                    from case_action a join complaint c on c.id = a.complaint_id
                   where c.complaint_no = :'no' and a.action = 'assign'" no="$no6")"
