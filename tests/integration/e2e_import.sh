#!/usr/bin/env bash
# e2e_import.sh — the spine end to end (invariants 1, 3, 4, 6, 8).
#
# bus + intake + router; `complaintctl import` of the sample CFPB export
# (../shared/data/cfpb_complaints_sample.csv). Checks:
#   - every row is acknowledged with a complaint number (none duplicate);
#   - the stream (complaintctl replay --from 0) holds, for each complaint,
#     exactly one complaint.received and one complaint.assigned, with seqs
#     1..2N consecutive, and nothing else; the test's own replay client
#     (client.py) sees the same count;
#   - the stream carries no customer name ("CFPB consumer" appears nowhere)
#     but a 32-hex "customer" pseudonym in each complaint.received;
#   - `complaintctl get NO` with a complaint office token (the staff view)
#     shows the full identity; without a token (the status view) it does not;
#   - importing again: every row duplicate, the same numbers, no new events.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router complaintctl

DATA=${E2E_CSV:-$ROOT/../shared/data/cfpb_complaints_sample.csv}
[ -f "$DATA" ] || { fail "sample data $DATA is missing"; exit 1; }
rows=$("$PY" -c 'import csv,sys; r=csv.reader(open(sys.argv[1], newline="", encoding="utf-8")); next(r); print(sum(1 for _ in r))' "$DATA")
note "sample: $DATA, $rows data rows"

issue_tokens "$TEST_DIR/staff" || exit 1
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service router router --name router --bus "$BUS_PUB_EP" \
    --directory "$ROOT/deploy/org/directory.conf" --tokens "$TEST_DIR/staff/tokens"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_bus 15 || fail "bus replay did not answer within 15 s"

# --- first import: every row acknowledged, none duplicate
t0=$(now_ms)
ctl import "$DATA" >"$TEST_DIR/import1.jsonl" 2>"$TEST_DIR/import1.err"
rc=$?
note "import 1: $(tail -1 "$TEST_DIR/import1.err") ($(( $(now_ms) - t0 )) ms)"
assert_eq "import 1 exit status" 0 "$rc"
assert_eq "import 1 rows acknowledged with a number" "$rows" \
    "$(jq -r 'select(.complaint_no != null) | .ref' "$TEST_DIR/import1.jsonl" | sort -u | wc -l)"
assert_eq "import 1 rows acknowledged as new (duplicate=false)" "$rows" \
    "$(jq -r 'select(.duplicate == false) | .ref' "$TEST_DIR/import1.jsonl" | wc -l)"
assert_eq "import 1 error lines" 0 "$(jq -r 'select(.error != null) | .ref' "$TEST_DIR/import1.jsonl" | wc -l)"
jq -r 'select(.complaint_no != null) | "\(.ref) \(.complaint_no)"' "$TEST_DIR/import1.jsonl" \
    | sort >"$TEST_DIR/numbers1.txt"
assert_eq "distinct complaint numbers" "$rows" "$(cut -d' ' -f2 "$TEST_DIR/numbers1.txt" | sort -u | wc -l)"
assert_eq "complaints stored (channel regulator)" "$rows" \
    "$(psql_value "select count(*) from complaint where channel = 'regulator'")"

# --- the stream: received + assigned for each, seqs 1..2N
want=$((2 * rows))
if ! wait_for '[ "$(psql_value "select count(*) from event_log")" -ge '"$want"' ]' 90; then
    fail "event_log has $(psql_value 'select count(*) from event_log') events after 90 s, want $want" \
         "(received $(psql_value "select count(*) from complaint where state = 'received'") still unassigned)"
fi
ctl replay --from 0 >"$TEST_DIR/replay.jsonl" 2>"$TEST_DIR/replay.err"
assert_eq "complaintctl replay exit status" 0 "$?"
assert_eq "events on the stream" "$want" "$(grep -c '^{' "$TEST_DIR/replay.jsonl")"
if report=$(pyclient seqcheck "$TEST_DIR/replay.jsonl" 2>&1); then
    check "stream seqs consecutive from 1: count first last = $report"
else
    fail "stream seqs not 1..N: $report"
fi
assert_eq "events by our own replay client" "$want" \
    "$(pyclient replay --endpoint "$BUS_REPLAY_EP" --from 0 --count)"
jq -r '.type' "$TEST_DIR/replay.jsonl" | sort | uniq -c | sed 's/^ */event types: /'
for type in complaint.received complaint.assigned; do
    assert_eq "$type events" "$rows" "$(jq -r "select(.type == \"$type\") | .complaint_no" "$TEST_DIR/replay.jsonl" | wc -l)"
    assert_eq "complaints with $type (each exactly once)" "$rows" \
        "$(jq -r "select(.type == \"$type\") | .complaint_no" "$TEST_DIR/replay.jsonl" | sort | uniq -u | wc -l)"
done
assert_eq "complaint numbers differing between the stream and the acks" 0 \
    "$(diff <(cut -d' ' -f2 "$TEST_DIR/numbers1.txt" | sort -u) \
            <(jq -r '.complaint_no' "$TEST_DIR/replay.jsonl" | sort -u) | grep -c "^[<>]")"
assert_eq "received before assigned for every complaint (violations)" 0 \
    "$(jq -s -r 'group_by(.complaint_no)[] | select(([.[] | select(.type=="complaint.received") | .seq] | min)
                 > ([.[] | select(.type=="complaint.assigned") | .seq] | min)) | .[0].complaint_no' \
        "$TEST_DIR/replay.jsonl" | wc -l)"

# --- privacy: pseudonym, never the identity
assert_eq "events mentioning 'CFPB consumer'" 0 "$(grep -c 'CFPB consumer' "$TEST_DIR/replay.jsonl")"
assert_eq "complaint.received events with a 32-hex customer pseudonym" "$rows" \
    "$(jq -r 'select(.type == "complaint.received") | .data.customer // empty' "$TEST_DIR/replay.jsonl" \
        | grep -E -c '^[0-9a-f]{32}$')"
assert_eq "event_log rows mentioning 'CFPB consumer' (raw bytes)" 0 \
    "$(psql_value "select count(*) from event_log where position(convert_to('CFPB consumer', 'UTF8') in event) > 0")"
first_ref=$(head -1 "$TEST_DIR/numbers1.txt" | cut -d' ' -f1)
first_no=$(head -1 "$TEST_DIR/numbers1.txt" | cut -d' ' -f2)
# the complaint office sees every case (li_na: complaint_office in the directory)
as_staff li_na get "$first_no" >"$TEST_DIR/get.json" 2>"$TEST_DIR/get.err"
assert_eq "complaintctl get $first_no (complaint office token) exit status" 0 "$?"
assert_eq "get $first_no shows the identity 'CFPB consumer ${first_ref#cfpb-}'" 1 \
    "$(grep -c "CFPB consumer ${first_ref#cfpb-}" "$TEST_DIR/get.json")"
ctl get "$first_no" >"$TEST_DIR/get_status.json" 2>"$TEST_DIR/get_status.err"
assert_eq "complaintctl get $first_no without a token (status view) exit status" 0 "$?"
assert_eq "get $first_no without a token: state shown" assigned \
    "$(jq -r .state "$TEST_DIR/get_status.json")"
assert_eq "get $first_no without a token: no identity" 0 \
    "$(grep -c "CFPB consumer" "$TEST_DIR/get_status.json")"
assert_eq "complaints without a department" 0 \
    "$(psql_value "select count(*) from complaint where department is null")"

# --- second import: all duplicate, same numbers, no new events
seq_before=$(psql_value "select max(seq) from event_log")
ctl import "$DATA" >"$TEST_DIR/import2.jsonl" 2>"$TEST_DIR/import2.err"
rc=$?
note "import 2: $(tail -1 "$TEST_DIR/import2.err")"
assert_eq "import 2 exit status" 0 "$rc"
assert_eq "import 2 rows acknowledged as duplicate" "$rows" \
    "$(jq -r 'select(.duplicate == true) | .ref' "$TEST_DIR/import2.jsonl" | sort -u | wc -l)"
jq -r 'select(.complaint_no != null) | "\(.ref) \(.complaint_no)"' "$TEST_DIR/import2.jsonl" \
    | sort >"$TEST_DIR/numbers2.txt"
assert_eq "import 2 numbers differing from import 1" 0 \
    "$(diff "$TEST_DIR/numbers1.txt" "$TEST_DIR/numbers2.txt" | grep -c '^[<>]')"
sleep 3
assert_eq "max seq 3 s after the re-import" "$seq_before" "$(psql_value "select max(seq) from event_log")"
assert_eq "complaints after the re-import" "$rows" "$(psql_value "select count(*) from complaint")"
assert_gap_free
