#!/usr/bin/env bash
# survey.sh — issue 16 §2 "Satisfaction survey" (docs/followup.md), with real
# daemons: bus, intake, router (the real directory), the web adapter (its
# own adapter key) and a notifier e-mailing an smtp-sink with the survey
# link (--survey-url). The customer's part is real HTTP (python urllib,
# a cookie jar for the form's CSRF session), the link read from the
# decoded resolution e-mail.
#
#   link      the resolution e-mail carries the survey link; the store keeps
#             the token hashed and sealed, never in clear
#   form      GET the form (zh), POST it (score 2, a comment): recorded;
#             complaint.survey_answered (score 2, channel web) without the
#             comment; the audit row keeps it; a second POST refused
#             ("already rated", 409); the API says conflict, field token;
#             the call-back may not score it again
#   refusals  no CSRF token (403), no score (422, the form again), a link
#             of the wrong shape (404), a wrong secret (404, not_found)
#   reopened  (issue 16 follow-up) GET of the answered link: 409 at once,
#             no form (zh/en); a wrong secret: 404, the page of a wrong shape
#   expired   the store's clock past the link's expiry: refused (410,
#             invalid_transition) through the API and the form opened
#             before it; GET after it: 410 at once, no form; nothing written
. "$(dirname "$0")/../lib.sh"
require_bin bus intake router web notifier smtp-sink complaintctl

DIRECTORY=$ROOT/deploy/org/directory.conf
issue_tokens "$TEST_DIR/staff" "$DIRECTORY" >/dev/null || exit 1
new_key web --role adapter --channels web
start_pipeline || exit 1
# the smtp-sink takes +3 (mail_notifier_start), where the web adapter
# listens by default: the web adapter here on +6
WEB_PORT=$((TEST_ZMQ_BASE + 6))
WEB_URL=http://127.0.0.1:$WEB_PORT
web_service --lookup-burst 100  # status lookups and survey answers share the bucket
wait_for "curl -s -o /dev/null $WEB_URL/" 15 || { fail "web did not listen"; exit 1; }
mail_notifier_start --max-attempts 1 --survey-url "$WEB_URL/survey"

"$PY" "$ROOT/tests/integration/survey.py" --ctl "$BIN/complaintctl" \
    --tokens "$TEST_DIR/staff/tokens.plain" --directory "$DIRECTORY" --out "$TEST_DIR/out" \
    --mail "$MAIL" --web "$WEB_URL" || fail "survey.py: exit status $? (a failed check, or it stopped)"
assert_true "intake alive at the end" service_alive intake
assert_true "web alive at the end" service_alive web
assert_true "notifier alive at the end" service_alive notifier
