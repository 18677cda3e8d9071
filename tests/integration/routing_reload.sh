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
# The shell edits the files, sends SIGHUP and submits; every check is
# routing_reload.py's (its waits have deadlines and are checks).
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

checker () { "$PY" "$ROOT/tests/integration/routing_reload.py" --log "$TEST_DIR/router.log" \
                 --ctl "$BIN/complaintctl" "$@"; }
# submit N SUBJECT BODY — complaint number N; prints its complaint number.
submit () {
    ctl submit --channel hotline --ref "reload-$1" --subject "$2" --body "$3" \
        --name "Reload Test $1" --phone "1380000$(printf '%04d' "$1")" | jq -r '.complaint_no'
}
# hup EVENT — SIGHUP the router; prints how many EVENT lines its log held before.
hup () {
    grep -c "event=$1" "$TEST_DIR/router.log"
    kill -HUP "$(service_pid router)"
}

# --- 1. the shipped rules
checker one "$n_staff" "$(submit 1 "信用卡年费" "我的信用卡被扣了年费，要求退还")"

# --- 2. a bad rules file
cp "$POLICY/rules.conf" "$POLICY/rules.good"
bad_line=$(( $(grep -n '^route card_center        line = cards' "$POLICY/rules.conf" | cut -d: -f1) ))
sed -i "${bad_line}s/.*/route card_centre        line = cards/" "$POLICY/rules.conf"
checker refused "$(hup rules_refused)" "bad rules" "path=[^ ]*rules\\.conf line=$bad_line " \
    "unknown department 'card_centre'"
assert_true "router alive after the bad rules" service_alive router
checker routed "complaint 2 routed by the old rules" "$(submit 2 "信用卡年费" "信用卡又被扣了年费")" \
    '^card_center\|rules\.conf:[0-9]+\|assigned$'
cp "$POLICY/rules.good" "$POLICY/rules.conf"

# --- 3. a bad directory
cp "$POLICY/directory.conf" "$POLICY/directory.good"
echo 'staff ghost name="幽灵" dept=nowhere role=handler ab=A' >>"$POLICY/directory.conf"
dir_line=$(wc -l <"$POLICY/directory.conf")
checker refused "$(hup rules_refused)" "bad directory" "path=[^ ]*directory\\.conf line=$dir_line " \
    "unknown department 'nowhere'"
checker routed "complaint 3 routed while the bad directory is refused" \
    "$(submit 3 "Wire transfer" "My wire transfer never arrived")" '^payments\|'
checker ghost
cp "$POLICY/directory.good" "$POLICY/directory.conf"

# --- 4. a bad tokens file
cp "$POLICY/tokens" "$POLICY/tokens.good"
echo "nobody_here $(printf '%064d' 0)" >>"$POLICY/tokens"
tok_line=$(wc -l <"$POLICY/tokens")
checker refused "$(hup rules_refused)" "bad tokens" "path=[^ ]*tokens line=$tok_line " \
    "unknown staff id 'nobody_here'"
checker tokens "$n_staff"
cp "$POLICY/tokens.good" "$POLICY/tokens"

# --- 4b. resolution_days is no longer a routing setting
cp "$POLICY/priority.conf" "$POLICY/priority.good"
echo 'set resolution_days 15' >>"$POLICY/priority.conf"
prio_line=$(wc -l <"$POLICY/priority.conf")
checker refused "$(hup rules_refused)" "resolution_days" "path=[^ ]*priority\\.conf line=$prio_line " \
    "deploy/sla/policy\\.conf"
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
checker loaded "$(hup rules_loaded)"
assert_eq "same router process (no restart)" "$pid_before" "$(service_pid router)"
checker five "$(submit 4 "重载测试" "这是一条重载测试投诉")" "$first_route" "$removed"
checker routed "complaint 5 still routed by the unchanged rules" \
    "$(submit 5 "信用卡年费" "信用卡年费第三次")" '^card_center\|'
checker none-received
assert_true "router alive at the end" service_alive router

# --- 6. what an assignment publishes: major, cooperation, unroutable
no6=$(submit 6 "要找记者曝光" "北京分行海淀支行柜员态度恶劣，还不给我办信用卡，我要找记者曝光")
no7=$(submit 7 "天气" "今天天气不错")
checker six "$no6" "$no7"
