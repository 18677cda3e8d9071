#!/usr/bin/env bash
# web_api.sh — the web adapter end to end (issue 14 §2): the real bus,
# intake and web daemons, over HTTP from Python's standard library (not our
# code), CURVE between web and intake with web's own adapter key:
#   api     201 with a number and a query code, the complaint in the store
#           once with channel web and the key as ref; the same key again:
#           the same number and code; every 4xx with its field (400 no or
#           bad key, bad JSON; 413; 415; 422 missing/invalid/unknown field;
#           429 with Retry-After per client address; 404, 405); the status
#           view with the right code, and with a wrong one answered exactly
#           like an unknown number
#   form    GET / gives a form with a CSRF token bound to a cookie; posted
#           with it: the confirmation page with the number and the code;
#           without it, or with another browser's token: 403, nothing stored;
#           a bad phone: 422 with the message beside the field; the status
#           page with number and code
#   staff   (issue 16 follow-up) the form's optional staff section (zh/en):
#           a bad or future time 422 beside the field, a long place too;
#           filled: the incident stored, the time read in the bank's zone;
#           left empty: none; the API's `incident` stored, refusals named
#   down    intake killed: a submission is answered 202 (spooled), not lost
#   back    intake restarted: the 202'd one is in the store exactly once, and
#           the same request again gets its number
#   metrics /healthz 200, /metrics counts the answers by route and status,
#           the 429s, intake's outcomes, the spool's depth
# The shell starts and stops the services; web_api.py makes every request
# and every check.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake web

METRICS_PORT=$((TEST_ZMQ_BASE + 5))
# --trust-forwarded: the checker plays several customers through
# X-Forwarded-For, as the bank's proxy on loopback would.
start_web --answer-wait-ms 1500 --lookup-timeout-ms 500 --trust-forwarded \
    --submit-burst 5 --submit-refill-ms 600000 --metrics-port "$METRICS_PORT" || exit 1

web_py () {
    "$PY" "$ROOT/tests/integration/web_api.py" --url "$WEB_URL" \
        --state "$TEST_DIR/web_api.json" "$@"
}
assert_true "web_api.py api" web_py api
assert_true "web_api.py form" web_py form
assert_true "web_api.py staff (the incident: form and API)" web_py staff
assert_true "web_api.py metrics (its own /metrics and /healthz)" web_py metrics "$METRICS_PORT"
kill_service intake KILL
assert_true "web_api.py down (intake killed)" web_py down
start_service intake intake --endpoint "$INTAKE_EP"
wait_intake 20 || fail "intake did not come back within 20 s"
assert_true "web_api.py back (intake restarted)" web_py back
assert_true "web stops on SIGTERM with exit status 0" kill_service web TERM
