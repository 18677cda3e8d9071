#!/usr/bin/env bash
# web_browser.sh — the complaint form in headless Chromium (issue 14 §2),
# driven through the DevTools protocol (python3-websocket) as a person
# would: each field focused and typed into (Chinese text inserted as an
# input method does), the form sent with the keyboard (Enter on the
# button), the number and the query code read off the confirmation page,
# the status page opened and filled with them. Also: a field left wrong
# shows its message beside it, and the page has no script. Screenshots
# (PNG) go to $TEST_DIR/img; docs/img/web-*.png are copies made by hand.
. "$(dirname "$0")/../lib.sh"
require_bin bus intake web

WEB_PORT=$((TEST_ZMQ_BASE + 3))
CDP_PORT=$((TEST_ZMQ_BASE + 4))
new_key web --role adapter --channels web
start_service bus bus --name bus
start_service intake intake --endpoint "$INTAKE_EP"
start_service web web --addr "127.0.0.1:$WEB_PORT" --spool "$TEST_DIR/spool" \
    --calendars "$ROOT/deploy/calendars"
wait_intake 20 || { fail "intake did not answer within 20 s"; exit 1; }
wait_for "curl -s -o /dev/null http://127.0.0.1:$WEB_PORT/" 15 || fail "web did not listen"

assert_true "web_browser.py (Chromium fills the form in Chinese, reads the number, checks status)" \
    "$PY" "$ROOT/tests/integration/web_browser.py" --url "http://127.0.0.1:$WEB_PORT" \
    --cdp-port "$CDP_PORT" --img "$TEST_DIR/img" --profile "$TEST_DIR/chromium"
