#!/usr/bin/env bash
# web_openapi.sh — docs/web-api.yaml matches the web adapter (issue 14 §2):
# every path, method and status code the document lists is provoked against
# the running daemon (bus + intake + web) and answered as documented; every
# answer the checker provokes is in the document; every other method on a
# documented path is 405 and a set of undocumented paths is 404; and the
# routes in services/web/main.c are all in the document. The statuses that
# need an outage are provoked by the shell: intake killed (202, 503 of a
# lookup), the spool's tmp/ replaced by a file (503 of a submission: nothing
# can be stored, root or not).
. "$(dirname "$0")/../lib.sh"
require_bin bus intake web

start_web --answer-wait-ms 1000 --lookup-timeout-ms 400 --trust-forwarded \
    --submit-burst 3 --submit-refill-ms 600000 --lookup-burst 3 --lookup-refill-ms 600000 || exit 1

openapi_py () {
    "$PY" "$ROOT/tests/integration/web_openapi.py" --url "$WEB_URL" \
        --doc "$ROOT/docs/web-api.yaml" --source "$ROOT/services/web/main.c" \
        --state "$TEST_DIR/seen.json" "$@"
}
assert_true "web_openapi.py live" openapi_py live
mv "$TEST_DIR/spool/tmp" "$TEST_DIR/spool/tmp.away" && touch "$TEST_DIR/spool/tmp"
assert_true "web_openapi.py nospool (the spool cannot be written)" openapi_py nospool
rm -f "$TEST_DIR/spool/tmp" && mv "$TEST_DIR/spool/tmp.away" "$TEST_DIR/spool/tmp"
kill_service intake KILL
assert_true "web_openapi.py down (intake killed)" openapi_py down
assert_true "web_openapi.py cover (document and answers agree)" openapi_py cover
