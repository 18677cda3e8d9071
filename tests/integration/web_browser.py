#!/usr/bin/python3
"""web_browser.py — the checks of web_browser.sh: headless Chromium on the
web adapter's form, driven through the Chrome DevTools Protocol over a
WebSocket (Debian's python3-websocket). No script of ours runs in the page:
the checker focuses fields, types with Input.insertText / Input.dispatchKeyEvent
as a keyboard and an input method would, and reads the DOM afterwards.

    web_browser.py --url URL --cdp-port N --img DIR --profile DIR
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import expect, expect_true, note, sql_int, wait_until  # noqa: E402

CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")


class Page:
    """One tab, spoken to over its DevTools WebSocket."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[: i + 1]
                    return e
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in msg:
                self.events.append(msg)
        return None

    def js(self, expression):
        """Read the DOM (the checker's eyes, not the page's code)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r.get("result", {}).get("value")

    def navigate(self, url):
        self.events.clear()
        self.call("Page.navigate", url=url)
        return self.wait_event("Page.loadEventFired") is not None

    def focus(self, element_id):
        return self.js("(function(){var e=document.getElementById(%s);"
                       "if(!e)return false;e.focus();return document.activeElement===e;})()"
                       % json.dumps(element_id))

    def type(self, text):
        self.call("Input.insertText", text=text)

    def key(self, key, code, vk, text=None):
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk,
                      "nativeVirtualKeyCode": vk}
            if text and kind == "keyDown":
                params["text"] = text
            self.call("Input.dispatchKeyEvent", **params)

    def enter(self):
        self.events.clear()
        self.key("Enter", "Enter", 13, "\r")
        return self.wait_event("Page.loadEventFired") is not None

    def tab(self):
        self.key("Tab", "Tab", 9)

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return os.path.getsize(path)


def start_chromium(args):
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    expect_true("chromium is installed (deploy/scripts/install-deps.sh)", path, "not in PATH")
    if not path:
        return None, None
    os.makedirs(args.profile, exist_ok=True)
    proc = subprocess.Popen([path, "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--hide-scrollbars", "--lang=zh-CN",
                             "--user-data-dir=" + args.profile,
                             "--remote-debugging-address=127.0.0.1",
                             "--remote-debugging-port=%d" % args.cdp_port,
                             "--window-size=1000,1400", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def page_url():
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/json" % args.cdp_port,
                                        timeout=2) as r:
                tabs = json.load(r)
            return next((t["webSocketDebuggerUrl"] for t in tabs if t.get("type") == "page"),
                        None)
        except OSError:
            return None
    ws = wait_until(page_url, 30, 0.2)
    expect_true("chromium's DevTools endpoint answers", ws, "no page within 30 s")
    return proc, ws


def run(args):
    proc, ws = start_chromium(args)
    if not ws:
        if proc:
            proc.kill()
        return
    try:
        drive(args, Page(ws))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def drive(args, page):
    os.makedirs(args.img, exist_ok=True)
    page.call("Page.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=1000, height=1400,
              deviceScaleFactor=1, mobile=False)
    # A Chinese browser: its Accept-Language (what a zh-CN Chromium sends).
    ua = page.call("Browser.getVersion").get("userAgent", "Mozilla/5.0")
    page.call("Emulation.setUserAgentOverride", userAgent=ua,
              acceptLanguage="zh-CN,zh;q=0.9,en;q=0.5")
    expect_true("the form loads", page.navigate(args.url + "/"))
    expect("the page is in Chinese", "zh-CN", page.js("document.documentElement.lang"))
    expect("no script on the page", 0, page.js("document.scripts.length"))
    unlabelled = page.js("Array.from(document.querySelectorAll('input:not([type=hidden]),"
                         "textarea')).filter(function(e){return e.labels.length===0})"
                         ".map(function(e){return e.id})")
    expect("every visible field has a label (the browser's own e.labels)", [], unlabelled)

    # Keyboard: from the top of the page, Tab reaches the first field.
    page.js("document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(4):
        page.tab()
        seen.append(page.js("document.activeElement && document.activeElement.id"))
    expect_true("Tab walks the page into the form (keyboard only)",
                "f-customer.name" in seen, repr(seen))

    # A wrong phone first: the message beside the field.
    typed = [("f-customer.name", "张三丰"), ("f-customer.phone", "一三九"),
             ("f-branch", "北京朝阳支行"), ("f-product", "信用卡"),
             ("f-subject", "年费重复扣收"),
             ("f-body", "2026年11月我的信用卡年费被扣了两次，共600元。请核查并退还多扣的300元。"),
             ("f-demand", "退还多扣的年费300元"), ("f-amount", "300.00")]
    for element, text in typed:
        expect_true("focus %s" % element, page.focus(element))
        page.type(text)
    expect("the typed Chinese is in the field", typed[5][1], page.js(
        "document.getElementById('f-body').value"))
    expect_true("focus the submit button",
                page.js("(function(){var b=document.querySelector('button[type=submit]');"
                        "b.focus();return document.activeElement===b;})()"))
    expect_true("Enter on the button sends the form", page.enter())
    expect("a wrong phone: the error is beside the field", True, page.js(
        "!!document.getElementById('err-customer.phone') && document.getElementById("
        "'f-customer.phone').getAttribute('aria-describedby').indexOf('err-customer.phone')>=0"))
    expect("... and the summary links to it", "#f-customer.phone", page.js(
        "document.querySelector('#error-summary a') && "
        "document.querySelector('#error-summary a').getAttribute('href')"))
    expect("... what was typed is kept", typed[5][1], page.js(
        "document.getElementById('f-body').value"))
    size = page.screenshot(os.path.join(args.img, "web-form-error-zh.png"))
    expect_true("a screenshot of the error (PNG)", size > 20000, size)

    # Correct it and send again.
    page.focus("f-customer.phone")
    page.js("document.getElementById('f-customer.phone').select()")
    page.type("139 1234 5678")
    size = page.screenshot(os.path.join(args.img, "web-form-zh.png"))
    expect_true("a screenshot of the filled form (PNG)", size > 20000, size)
    page.js("document.querySelector('button[type=submit]').focus()")
    expect_true("Enter sends the corrected form", page.enter())
    no = page.js("(document.getElementById('complaint-no')||{}).textContent")
    code = page.js("(document.getElementById('query-code')||{}).textContent")
    expect_true("the confirmation page shows a complaint number", no and no.isdigit(), repr(no))
    expect_true("... and a query code", code and CODE_RE.match(code), repr(code))
    expect("... in Chinese", True, page.js("document.body.innerText.indexOf('投诉编号')>=0"))
    size = page.screenshot(os.path.join(args.img, "web-confirmation-zh.png"))
    expect_true("a screenshot of the confirmation (PNG)", size > 20000, size)
    if no:
        expect("the complaint is in the store, with the Chinese text", 1, sql_int(
            "select count(*) from complaint where complaint_no = :'no' and channel = 'web'",
            no=no))
    if not (no and code):
        return

    # The status page, by the confirmation's link, then the code typed in.
    link = page.js("(function(){var a=Array.from(document.querySelectorAll('a'))"
                   ".filter(function(a){return a.getAttribute('href').indexOf('/status?no=')===0"
                   "})[0];return a?a.getAttribute('href'):null;})()")
    expect_true("the confirmation links to the status page", link, repr(link))
    expect_true("the status page loads", page.navigate(args.url + (link or "/status")))
    expect("the number is filled in", no, page.js("document.getElementById('f-no').value"))
    page.focus("f-code")
    page.type(code.lower())
    page.js("document.querySelector('button[type=submit]').focus()")
    expect_true("Enter sends the status form", page.enter())
    state = page.js("(document.getElementById('status-state')||{}).textContent")
    expect_true("the status page shows the state in Chinese", state in ("已收到", "已分派"),
                repr(state))
    zone = page.js("(document.getElementById('status-zone')||{}).textContent")
    expect("... and the bank's time zone", "Asia/Shanghai", zone)
    when = page.js("(document.getElementById('status-received_at')||{}).textContent") or ""
    expect_true("... the time of receipt with its offset", "+08:00" in when, repr(when))
    size = page.screenshot(os.path.join(args.img, "web-status-zh.png"))
    expect_true("a screenshot of the status page (PNG)", size > 20000, size)

    # English by the switch.
    expect_true("the language switch loads English", page.navigate(args.url + "/?lang=en"))
    expect("the page is in English", "en", page.js("document.documentElement.lang"))
    size = page.screenshot(os.path.join(args.img, "web-form-en.png"))
    expect_true("a screenshot of the English form (PNG)", size > 20000, size)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cdp-port", type=int, required=True)
    p.add_argument("--img", required=True)
    p.add_argument("--profile", required=True)
    args = p.parse_args()
    note("--- Chromium on %s" % args.url)
    run(args)
    from checks import status
    return status()


if __name__ == "__main__":
    sys.exit(main())
