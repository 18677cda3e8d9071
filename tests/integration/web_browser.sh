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

CDP_PORT=$((TEST_ZMQ_BASE + 4))
start_web || exit 1

assert_true "web_browser.py (Chromium fills the form in Chinese, reads the number, checks status)" \
    "$PY" "$ROOT/tests/integration/web_browser.py" --url "$WEB_URL" \
    --cdp-port "$CDP_PORT" --img "$TEST_DIR/img" --profile "$TEST_DIR/chromium"
