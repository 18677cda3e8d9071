#!/usr/bin/env bash
# routing_corpus.sh — does the router classify and assign the way a bank's
# complaint officer would? (issue 3, section 4, last point)
#
# bus + intake + router against the test's database, then:
#   1. the Chinese/English corpus tests/data/routing_zh.tsv (hotline
#      transcripts, e-mails, web and app forms, regulator referrals) is
#      submitted row by row through intake's `submit` op with its channel,
#      product, category, branch, amount and subject — in two waves: the rows
#      that expect the `repeat` flag are second complaints of a customer
#      from the first wave (same id_no), so they go in once the first wave
#      is assigned;
#   2. the CFPB sample is imported with `complaintctl import`;
#   3. once nothing is left in state 'received', the store's department,
#      business_line, cause, flags and cooperating departments are compared
#      with the corpus's expectations row by row, and with an independent
#      oracle for the CFPB rows (routing_corpus.py: department and business
#      line from Product / Sub-product, cause from Issue / Sub-issue).
#
# Fails when any corpus row differs on department, business_line or cause,
# or lacks a flag it expects (extra flags and cooperating differences are
# printed as NOTE lines); when any CFPB row's department or business line
# differs from the oracle; or when CFPB cause agreement is below 90 %
# (ROUTING_MIN_CAUSE). Every mismatch is printed: "MISMATCH ref [state, rule]
# field expected=.. got=..".
#
# The expectations are the complaint officer's judgement, not a record of
# what the router once did: a mismatch means the rules (or, on reflection,
# the label) are wrong — never fix a label to make the test pass.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl
cd "$ROOT" || exit 1          # the router's default policy paths are relative

CORPUS=$ROOT/tests/data/routing_zh.tsv
CFPB=$ROOT/tests/data/cfpb_complaints_sample.csv      # tests/data/README.md
HELPER=$ROOT/tests/integration/routing_corpus.py
[ -f "$CORPUS" ] || { fail "corpus $CORPUS is missing"; exit 1; }
[ -f "$CFPB" ] || { fail "CFPB sample $CFPB is missing"; exit 1; }

# --- the corpus itself: columns, vocabularies, coverage
if out=$("$PY" "$HELPER" lint --corpus "$CORPUS" 2>&1); then
    printf '%s\n' "$out" | sed 's/^/corpus: /'
    check "corpus lint (vocabularies, coverage >= 3 per business line and cause, every flag)"
else
    printf '%s\n' "$out" | sed 's/^/corpus: /'
    fail "corpus lint"
fi
wave1=$(awk -F'\t' 'NR > 1 && $1 != "" && $12 !~ /(^|,)repeat(,|$)/' "$CORPUS" | wc -l)
wave2=$(awk -F'\t' 'NR > 1 && $1 != "" && $12 ~ /(^|,)repeat(,|$)/' "$CORPUS" | wc -l)
cfpb_rows=$("$PY" -c 'import csv,sys; r=csv.reader(open(sys.argv[1], newline="", encoding="utf-8")); next(r); print(sum(1 for _ in r))' "$CFPB")
note "corpus: $CORPUS, $wave1 + $wave2 rows (wave 1 + repeat wave 2); CFPB: $CFPB, $cfpb_rows rows"

start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"
# The router is up once it logs event=started (its rules loaded), or it
# has exited on them: wait for either, not a second.
wait_for 'grep -q event=started "$TEST_DIR/router.log" || ! service_alive router' 20
if ! service_alive router || ! grep -q event=started "$TEST_DIR/router.log"; then
    fail "router did not start:"; tail -20 "$TEST_DIR/router.log"; exit 1
fi

s_out_of_received () { psql_value "select count(*) from complaint where state <> 'received'"; }

# s_all_assigned N TIMEOUT_S — wait until N complaints are out of state
# 'received' (the router has assigned them); say so when the time is up.
s_all_assigned () {
    local n=$1 timeout=$2
    # shellcheck disable=SC2016  # evaluated later by wait_for
    if ! wait_for '[ "$(s_out_of_received)" -ge '"$n"' ]' "$timeout"; then
        fail "after ${timeout} s: $(psql_value "select count(*) from complaint") stored," \
             "$(psql_value "select count(*) from complaint where state = 'received'") still received (want $n assigned)"
        return 1
    fi
    check "$n complaints stored and out of 'received'"
}

# --- 1. the corpus, wave 1 then wave 2
: >"$TEST_DIR/corpus_acks.txt"
"$PY" "$HELPER" submit --endpoint "$INTAKE_EP" --corpus "$CORPUS" --wave 1 \
    --out "$TEST_DIR/corpus_acks.txt" 2>"$TEST_DIR/submit1.err"
assert_eq "corpus wave 1 submit exit status" 0 "$?"
s_all_assigned "$wave1" 60
"$PY" "$HELPER" submit --endpoint "$INTAKE_EP" --corpus "$CORPUS" --wave 2 \
    --out "$TEST_DIR/corpus_acks.txt" 2>"$TEST_DIR/submit2.err"
assert_eq "corpus wave 2 submit exit status" 0 "$?"
cat "$TEST_DIR"/submit*.err
assert_eq "corpus rows acknowledged" "$((wave1 + wave2))" "$(wc -l <"$TEST_DIR/corpus_acks.txt")"

# --- 2. the CFPB sample
ctl import "$CFPB" >"$TEST_DIR/import.jsonl" 2>"$TEST_DIR/import.err"
rc=$?
note "import: $(tail -1 "$TEST_DIR/import.err")"
assert_eq "complaintctl import exit status" 0 "$rc"
s_all_assigned "$((wave1 + wave2 + cfpb_rows))" 90

# --- 3. compare
# (\copy takes one line)
cols="channel, ref, complaint_no, state, coalesce(department, '') as department"
cols="$cols, coalesce(business_line, '') as business_line, coalesce(cause, '') as cause"
cols="$cols, array_to_string(flags, ',') as flags, array_to_string(cooperating, ',') as cooperating"
cols="$cols, coalesce(routing_rule, '') as routing_rule"
psql_value "\\copy (select $cols from complaint order by id) to '$TEST_DIR/store.csv' with (format csv, header)"
assert_eq "rows dumped from the store" "$((wave1 + wave2 + cfpb_rows + 1))" "$(
    "$PY" -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))))' \
        "$TEST_DIR/store.csv")"

# Every department the corpus names must exist in the directory the router
# loaded into the store.
psql_value "select id from department" >"$TEST_DIR/departments.txt"
if [ -s "$TEST_DIR/departments.txt" ]; then
    if out=$("$PY" "$HELPER" lint --corpus "$CORPUS" --departments "$TEST_DIR/departments.txt" 2>&1); then
        check "every expected department is in the loaded directory ($(wc -l <"$TEST_DIR/departments.txt") departments)"
    else
        printf '%s\n' "$out" | grep '^LINT' | sed 's/^/corpus: /'
        fail "the corpus names departments the loaded directory does not have"
    fi
else
    fail "the department table is empty: the router loaded no directory"
fi

note "--- corpus: $CORPUS"
"$PY" "$HELPER" check --corpus "$CORPUS" --store "$TEST_DIR/store.csv" | tee "$TEST_DIR/corpus_check.txt"
if [ "${PIPESTATUS[0]}" = 0 ]; then
    check "every corpus row has the expected department, business line, cause and flags"
else
    fail "corpus rows routed differently from the expectations: $(tail -1 "$TEST_DIR/corpus_check.txt")"
fi

note "--- CFPB sample: $CFPB"
"$PY" "$HELPER" cfpb --csv "$CFPB" --store "$TEST_DIR/store.csv" \
    --min-cause "${ROUTING_MIN_CAUSE:-90}" | tee "$TEST_DIR/cfpb_check.txt"
if [ "${PIPESTATUS[0]}" = 0 ]; then
    check "CFPB: $(tail -1 "$TEST_DIR/cfpb_check.txt")"
else
    fail "CFPB: $(tail -1 "$TEST_DIR/cfpb_check.txt")"
fi
