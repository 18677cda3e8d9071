#!/usr/bin/env bash
# mail_corpus.sh — does the e-mail adapter read every message of the corpus
# the way a complaint officer would? (issue 14, section 3, last point)
#
# For each tests/data/mail/NAME.eml: `mail --parse NAME.eml --now MS` (MS
# from NAME.expect.json's now_ms, else 0: the clock), its JSON output kept
# in $TEST_DIR/out/NAME.json, its exit status in NAME.rc, its stderr in
# NAME.err. Then mail_corpus.py compares each output with NAME.expect.json
# (a subset: only the fields the expectation names), the exit status, and
# that the corpus covers every verdict and every charset the issue names.
# Also `mail --parse -` (stdin) gives the same as the file, and `mail
# --help` exits 0. No database, no service: the parser alone.
#
# The expectations are the complaint officer's judgement (tests/data/mail/
# make_corpus.py writes them by hand): a mismatch means the parser, or on
# reflection the expectation, is wrong — never copy the output into them.
. "$(dirname "$0")/../lib.sh"
require_bin mail

CORPUS=$ROOT/tests/data/mail
OUT=$TEST_DIR/out
mkdir -p "$OUT"
n=0
for eml in "$CORPUS"/*.eml; do
    [ -f "$eml" ] || continue
    name=$(basename "$eml" .eml)
    now=$(jq -r '.now_ms // 0' "$CORPUS/$name.expect.json" 2>/dev/null || echo 0)
    "$BIN/mail" --parse "$eml" --now "$now" >"$OUT/$name.json" 2>"$OUT/$name.err"
    echo $? >"$OUT/$name.rc"
    n=$((n + 1))
done
note "parsed $n messages"

# stdin gives what the file gives
"$BIN/mail" --parse - --now 1796260500000 <"$CORPUS/plain_utf8.eml" >"$OUT/stdin.json" 2>/dev/null
echo $? >"$OUT/stdin.rc"
"$BIN/mail" --parse "$CORPUS/plain_utf8.eml" --now 1796260500000 >"$OUT/stdin.file.json" 2>/dev/null
"$BIN/mail" --help >"$OUT/help.txt" 2>&1
echo $? >"$OUT/help.rc"
"$BIN/mail" --parse "$TEST_DIR/no-such-file.eml" >/dev/null 2>"$OUT/missing.err"
echo $? >"$OUT/missing.rc"

"$PY" "$ROOT/tests/integration/mail_corpus.py" --corpus "$CORPUS" --out "$OUT"
