#!/usr/bin/python3
"""analytics_dashboard.py — the checks of tests/integration/analytics_dashboard.sh
against a running bus, intake, router and analytics with --http (issue 12
§5 and §6).

    analytics_dashboard.py scenario --ctl PATH --tokens FILE --out DIR --a EP
        analytics_e2e's six complaints, worked by named staff, and five more
        left assigned; waits until analytics has applied the whole log
    analytics_dashboard.py pages --http URL --a EP --out DIR
        the pages over HTTP: every number marked data-kpi equals the kpi
        answer for the page's range (data-from, data-to), the heat map's
        rows and columns add up to kpi by branch and by cause, the cases at
        risk are exactly the open undecided complaints, the hot spots the
        hotspots answer; the bulletin hides small cells as complaintctl
        report does and names no complaint; nothing is loaded from
        anywhere; every bad parameter is a 400 naming it
    analytics_dashboard.py browser --http URL --a EP --out DIR --img DIR
        headless Chromium renders / (zh, en) and its DOM carries the kpi
        answer's numbers; screenshots of both and of the bulletin
    analytics_dashboard.py document --ctl PATH --http ADDR --a EP --out DIR --closed-port N
        complaintctl report --format pdf (a PDF with pages) and html (the
        daemon's page); bad arguments exit 2; nobody listening exit 3
    analytics_dashboard.py flags --bin PATH --http ADDR --endpoint EP
        a malformed --http exits 2 naming it; a second daemon on a taken
        port exits 1 (http_bind_failed)
    analytics_dashboard.py alive --http URL
        the dashboard still answers (after SIGHUP)

Every check is counted (checks.py).
"""
import argparse
import html.parser
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql  # noqa: E402
import analytics_e2e as E  # noqa: E402
import analytics_outcomes as O  # noqa: E402  (issue 16 follow-up, analytics2)
import lifecycle as L  # noqa: E402

EXTRA = 5          # complaints left assigned (at risk within 720 h)


# ------------------------------------------------------------------ HTTP

def get(url, method="GET", body=None, headers=None, timeout=30):
    """(status, headers, text) of one request; never raises for a status."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


def raw(host, port, data, timeout=10):
    """Send raw bytes, return the status code of the answer (0: none)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        try:
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", got)
    return int(m.group(1)) if m else 0


class Marks(html.parser.HTMLParser):
    """Every element's data-* attributes, in document order, with the text
    right after its start tag (enough for a cell's visible value)."""

    def __init__(self):
        super().__init__()
        self.elements = []          # (tag, attrs dict)
        self.texts = []             # visible text following each element
        self.body = {}
        self.scripts = 0
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            if a.get(k) and re.match(r"[a-z]+:", a[k]):
                self.links.append(a[k])
        self.elements.append((tag, a))
        self.texts.append("")

    def handle_data(self, data):
        if self.texts:
            self.texts[-1] += data

    def marked(self, attr):
        return [(a, self.texts[i]) for i, (_, a) in enumerate(self.elements) if attr in a]


def parse(text):
    m = Marks()
    m.feed(text)
    return m


def kpi_for(a, page):
    frm, to = int(page.body["data-from"]), int(page.body["data-to"])
    return E.query(a, {"op": "kpi", "from": frm, "to": to}), frm, to


def lookup(kpi, name):
    v = kpi
    for part in name.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v


def same(want, got_text):
    if got_text == "null":
        return want is None
    if want is None:
        return False
    return abs(float(got_text) - float(want)) < 1e-12


def check_numbers(desc, page, answer, hidden_ok=False):
    """Every data-kpi element equals the kpi answer (data-value), and a
    rate's data-target equals the answer's target."""
    kpi, targets = answer["kpi"], answer["targets"]
    marked = [(a, t) for a, t in page.marked("data-kpi") if not a["data-kpi"].startswith("hotspot")]
    expect_true("%s: numbers are marked (data-kpi)" % desc, len(marked) >= 15, len(marked))
    wrong, hidden = [], 0
    for a, text in marked:
        name = a["data-kpi"]
        if "data-hidden" in a:
            hidden += 1
            continue
        if not same(lookup(kpi, name), a.get("data-value", "?")):
            wrong.append((name, a.get("data-value"), lookup(kpi, name)))
        if "data-target" in a and not same(targets.get(name), a["data-target"]):
            wrong.append((name + " target", a["data-target"], targets.get(name)))
        want = lookup(kpi, name)
        if isinstance(want, int) and not name.startswith("time_to") and name != "amount_cents" \
                and text.strip() \
                and text.strip() != str(want):
            wrong.append((name + " shown", text.strip(), want))
    expect("%s: every data-kpi number = the kpi answer" % desc, [], wrong)
    if not hidden_ok:
        expect("%s: nothing hidden on the dashboard" % desc, 0, hidden)
    for name in ("received", "answered_24h_rate", "closure_rate", "satisfaction_rate"):
        expect_true("%s: %s is on the page" % (desc, name),
                    any(a["data-kpi"] == name for a, _ in marked), name)
    return marked


def check_followup(desc, page, answer, text, valid_label, mean_label):
    """issue 16 follow-up (analytics2): the score distribution, the mean
    score, the valid-complaint counts and rate, goodwill among the outcomes:
    on the page, marked, and (check_numbers) equal to the kpi answer."""
    kpi = answer["kpi"]
    names = {a["data-kpi"] for a, _ in page.marked("data-kpi")}
    want = {"score_1", "score_2", "score_3", "score_4", "score_5", "determined_valid",
            "determined_invalid", "valid_rate"}
    expect("%s: the scores, the determinations and valid_rate are marked" % desc, [],
           sorted(want - names))
    expect_true("%s: the scenario's figures are there (score 5, valid, invalid)" % desc,
                kpi["score_5"] >= 1 and kpi["determined_valid"] >= 1
                and kpi["determined_invalid"] >= 1, kpi)
    answers = sum(kpi["score_%d" % i] for i in range(1, 6))
    mean = sum(i * kpi["score_%d" % i] for i in range(1, 6)) / answers if answers else None
    got = [a.get("data-value") for a, _ in page.marked("data-figure")
           if a["data-figure"] == "score_mean"]
    expect("%s: the mean score = the distribution's" % desc,
           ["%.2f" % mean] if mean is not None else [None], got)
    expect_true("%s: labels %s, %s" % (desc, valid_label, mean_label),
                valid_label in text and mean_label in text)


def no_outside(desc, text, page):
    expect("%s: no script" % desc, 0, page.scripts)
    expect("%s: no link or source outside the page" % desc, [], page.links)
    outside = [u for u in re.findall(r"(?:https?:)?//[^\s\"')<>]+", text)
               if "www.w3.org/2000/svg" not in u]
    expect("%s: no URL of anywhere in the page" % desc, [], outside)
    expect_true("%s: no @import or url()" % desc, "@import" not in text and "url(" not in text)


# -------------------------------------------------------------- commands

def cmd_scenario(args):
    L.setup(args.ctl, args.tokens, args.out)
    nos, want, rates, d2 = E.case_set()
    extra = []
    for i in range(EXTRA):
        # One outlet (the directory's 北京分行: complaint.assigned's outlet),
        # one cause: the outlet rule's hot spot the pages list.
        extra.append(L.submit("dash-x%d" % i, "信用卡", "信用卡年费问题第%d件，要求退还。" % i,
                              "--branch", "北京分行"))
    for no in extra:
        L.wait_assigned(no)
    # issue 16 follow-up (analytics2): three cases with several outcomes, a
    # survey score each and two determinations (decided: none is at risk)
    decided = list(O.work())
    E.wait_applied(args.a, "analytics applied the whole log")
    with open(os.path.join(args.out, "open_nos"), "w") as f:
        f.write("\n".join(sorted([nos["c"], nos["f"]] + extra)) + "\n")
    with open(os.path.join(args.out, "all_nos"), "w") as f:
        f.write("\n".join(sorted(list(nos.values()) + extra + decided)) + "\n")


def cmd_pages(args):
    base = args.http
    host, port = re.match(r"http://([^:/]+):(\d+)", base).groups()
    open_nos = open(os.path.join(args.out, "open_nos")).read().split()
    all_nos = open(os.path.join(args.out, "all_nos")).read().split()

    # The dashboard, zh by default.
    status, headers, text = get(base + "/")
    expect("GET / status", 200, status)
    expect("GET / content type", "text/html; charset=utf-8", headers.get("Content-Type"))
    expect_true("GET / Content-Security-Policy: default-src 'none'",
                "default-src 'none'" in headers.get("Content-Security-Policy", ""))
    expect_true("GET / is Chinese by default", '<html lang="zh-CN">' in text
                and "客户投诉管理看板" in text)
    with open(os.path.join(args.out, "dashboard_zh.html"), "w") as f:
        f.write(text)
    page = parse(text)
    answer, frm, to = kpi_for(args.a, page)
    expect("the page's range is 30 days", 30 * 86400000, to - frm)
    expect("the page's as_of_seq = the kpi answer's", str(answer["as_of_seq"]),
           page.body.get("data-as-of-seq"))
    expect("the page's zone", "Asia/Shanghai", page.body.get("data-zone"))
    check_numbers("dashboard zh", page, answer)
    expect_true("times in the bank's zone with the offset", re.search(
        r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00", text), text[:300])
    # A rate card shows its percent and met/missed against the target.
    ans_rate = answer["kpi"]["answered_24h_rate"]
    expect_true("the 24 h rate is shown as a percent", ("%.1f%%" % (ans_rate * 100)) in text,
                ans_rate)
    no_outside("dashboard", text, page)
    check_followup("dashboard zh", page, answer, text, "有效投诉率", "平均分")

    status, _, text_en = get(base + "/?lang=en&days=30")
    expect("GET /?lang=en status", 200, status)
    expect_true("English page", '<html lang="en">' in text_en and "Complaints dashboard" in text_en)
    page_en = parse(text_en)
    answer_en, _, _ = kpi_for(args.a, page_en)
    check_numbers("dashboard en", page_en, answer_en)
    check_followup("dashboard en", page_en, answer_en, text_en, "valid complaints", "mean score")
    status, _, text7 = get(base + "/dashboard?days=7")
    page7 = parse(text7)
    expect("GET /dashboard?days=7: a 7-day range", 7 * 86400000,
           int(page7.body["data-to"]) - int(page7.body["data-from"]))

    # The heat map adds up to kpi by branch and by cause.
    cells = [a for a, _ in page.marked("data-row") if "data-value" in a and a.get("data-col")]
    heat = [a for a in cells if a.get("data-row") and "data-col" in a]
    by_branch = E.query(args.a, {"op": "kpi", "from": frm, "to": to, "by": "branch"})
    by_cause = E.query(args.a, {"op": "kpi", "from": frm, "to": to, "by": "cause"})
    rows, cols = {}, {}
    # heat-map cells are <rect> elements of the heat svg; series points are <circle>
    rects = [a for (tag, a) in page.elements if tag == "rect" and "data-row" in a
             and "data-value" in a]
    for a in rects:
        rows[a["data-row"]] = rows.get(a["data-row"], 0) + int(float(a["data-value"]))
        cols[a["data-col"]] = cols.get(a["data-col"], 0) + int(float(a["data-value"]))
    want_rows = {(g["key"] or "-"): g["kpi"]["received"] for g in by_branch["groups"]}
    expect("heat map rows = kpi by branch (received)", want_rows, rows)
    expect("heat map columns = kpi by cause (received), as a multiset",
           sorted(g["kpi"]["received"] for g in by_cause["groups"]), sorted(cols.values()))
    expect_true("heat map drawn", len(rects) >= 1 and len(heat) >= 0, len(rects))

    # Cases at risk: exactly the open undecided complaints (720 h covers their
    # 15-day deadlines); none within 1 h (nothing is overdue yet).
    status, _, text = get(base + "/?risk_hours=720")
    risk = parse(text)
    head = [a for a, _ in risk.marked("data-at-risk")]
    expect("at risk within 720 h: the count", str(len(open_nos)),
           head[0]["data-at-risk"] if head else None)
    expect("at risk within 720 h: none overdue", "0", head[0]["data-overdue"] if head else None)
    expect("at risk within 720 h: the cases", sorted(open_nos),
           sorted(a["data-complaint"] for a, _ in risk.marked("data-complaint")))
    expect("open undecided in the store (the test's own count)", len(open_nos), int(sql(
        "select count(*) from complaint where state in ('received', 'assigned', 'accepted',"
        " 'investigating', 'awaiting_customer')")))
    status, _, text = get(base + "/?risk_hours=1")
    head = [a for a, _ in parse(text).marked("data-at-risk")]
    expect("at risk within 1 h: none", "0", head[0]["data-at-risk"] if head else None)

    # Hot spots: the hotspots answer's open ones.
    hs = E.query(args.a, {"op": "hotspots"})
    expect("hot spots on the page = the hotspots answer", len(hs["hotspots"]),
           len(page.marked("data-hotspot")))

    # The bulletin: small cells by complaintctl report's rule.
    status, headers, text = get(base + "/bulletin?lang=zh")
    expect("GET /bulletin status", 200, status)
    expect_true("bulletin title (seed 004)", "客户投诉情况通报" in text)
    with open(os.path.join(args.out, "bulletin_zh.html"), "w") as f:
        f.write(text)
    bul = parse(text)
    expect("bulletin min cell", "5", bul.body.get("data-min-cell"))
    bfrm, bto = int(bul.body["data-from"]), int(bul.body["data-to"])
    expect("bulletin default period: 183 days", 183 * 86400000, bto - bfrm)
    banswer = E.query(args.a, {"op": "kpi", "from": bfrm, "to": bto})
    check_numbers("bulletin", bul, banswer, hidden_ok=True)
    bk = banswer["kpi"]
    hidden = {a["data-kpi"] for a, _ in bul.marked("data-hidden") if "data-kpi" in a}
    count_keys = {"received", "accepted", "rejected", "withdrawn", "resolved", "closed",
                  "reviewed", "reopened", "escalated", "major", "breached_resolution",
                  "satisfied", "not_satisfied", "outcome_explanation", "outcome_error_corrected",
                  "outcome_refund", "outcome_compensation", "outcome_apology",
                  "outcome_process_change",
                  # issue 16 follow-up (analytics2)
                  "outcome_goodwill", "determined_valid", "determined_invalid", "score_1",
                  "score_2", "score_3", "score_4", "score_5"}
    want_hidden = {k for k in count_keys if 0 < bk[k] < 5}
    expect("bulletin: the counts below 5 are hidden (and only those)", sorted(want_hidden),
           sorted(hidden & count_keys))
    expect_true("bulletin: hidden counts shown as <5", "&lt;5" in text)
    expect_true("bulletin: section 9, valid complaints (有效投诉认定), and the survey scores",
                "九、有效投诉认定" in text and 'id="scores"' in text and 'id="valid"' in text
                and "善意补偿/额外服务" in text, text[-1500:])
    expect_true("bulletin: the mean score over fewer than 5 answers is not shown",
                [a for a, _ in bul.marked("data-figure")
                 if a["data-figure"] == "score_mean" and a.get("data-hidden") == "1"])
    # issue 16 follow-up (analytics2): the three decided cases' answers make
    # the satisfaction base 5 (shown); valid_rate over 2 determinations is not
    sbase = bk["satisfied"] + bk["not_satisfied"]
    expect("bulletin: satisfaction over %d cases shown (hidden below 5)" % sbase,
           sbase < 5, "satisfaction_rate" in hidden)
    expect_true("bulletin: valid_rate over 2 determinations is not shown",
                "valid_rate" in hidden, sorted(hidden))
    for dim in ("business_line", "cause", "channel"):
        by = E.query(args.a, {"op": "kpi", "from": bfrm, "to": bto, "by": dim})
        counts = sorted(((g["kpi"]["received"], g["key"]) for g in by["groups"]),
                        key=lambda x: (-x[0], x[1]))
        small = [c for c in counts if 0 < c[0] < 5]
        withheld = None
        if len(small) == 1:
            others = [c for c in counts if c[0] >= 5]
            withheld = min(others, key=lambda c: c[0]) if others else None
        want_shown = sorted(str(n) for n, k in counts if n >= 5 and (n, k) != withheld
                            or n == 0)
        table = re.search(r'<table data-breakdown="%s">(.*?)</table>' % dim, text, re.S)
        body = table.group(1) if table else ""
        shown = sorted(re.findall(r'data-group="[^"]*" data-value="(\d+)"', body))
        expect("bulletin by %s: published counts" % dim, want_shown, shown)
        expect("bulletin by %s: hidden cells" % dim, len(small), body.count('data-hidden="1"'))
        expect("bulletin by %s: withheld cells" % dim, 1 if withheld else 0,
               body.count('data-withheld="1"'))
    expect("bulletin names no complaint", [], [n for n in all_nos if n in text])
    table = re.search(r'<table id="hotspots">(.*?)</table>', text, re.S)
    expect_true("bulletin: hot spots listed (the scenario's outlet)", table, text[-500:])
    expect_true("bulletin: hot spots by day, no minute of a complaint",
                table and not re.search(r"\d\d:\d\d", table.group(1)),
                table.group(1)[:300] if table else "")
    no_outside("bulletin", text, bul)
    status, _, text = get(base + "/bulletin?lang=en&from=2026-01-01&to=2026-06-30&min_cell=10")
    expect("GET /bulletin (en, a given period, K 10) status", 200, status)
    b2 = parse(text)
    expect("the given period's start", "2026-01-01", E_local_day(int(b2.body["data-from"])))
    expect("min_cell raised to 10", "10", b2.body.get("data-min-cell"))

    # Bad requests: each names what is wrong.
    bad = [
        ("/?days=0", 400, "days"), ("/?days=abc", 400, "days"), ("/?days=367", 400, "days"),
        ("/?lang=fr", 400, "lang"), ("/?risk_hours=-1", 400, "risk_hours"),
        ("/?foo=1", 400, "foo"), ("/?days=1&days=2", 400, "days"),
        ("/bulletin?from=2026-02-30", 400, "from"), ("/bulletin?to=26-1-1", 400, "to"),
        ("/bulletin?from=2026-03-01&to=2026-02-01", 400, "to"),
        ("/bulletin?from=2020-01-01&to=2026-01-01", 400, "to"),
        ("/bulletin?min_cell=1", 400, "min_cell"), ("/bulletin?days=3", 400, "days"),
        ("/?" + "&".join("p%d=1" % i for i in range(17)), 400, "query"),
        ("/?days=" + "9" * 100, 400, "days"),
        ("/nope", 404, "bulletin"),
    ]
    for path, want_status, field in bad:
        status, headers, text = get(base + path)
        expect("GET %s status" % path[:60], want_status, status)
        expect_true("GET %s names %s" % (path[:60], field), field in text, text[:200])
    status, headers, text = get(base + "/", method="POST", body=b"")
    expect("POST / status", 405, status)
    expect("POST / Allow", "GET, HEAD", headers.get("Allow"))
    expect("a GET with a body", 413, raw(host, int(port), b"GET / HTTP/1.1\r\nHost: x\r\n"
                                         b"Content-Length: 5\r\n\r\nhello"))
    long_status = raw(host, int(port), b"GET /?days=" + b"1" * 20000 + b" HTTP/1.1\r\n"
                      b"Host: x\r\n\r\n")
    expect_true("a 20 KB request line is refused (414 or 431)", long_status in (414, 431),
                long_status)
    status, _, _ = get(base + "/")
    expect("still serving after the bad requests", 200, status)


def E_local_day(ms):
    """The local (+08:00) day of an instant, YYYY-MM-DD."""
    import datetime
    tz = datetime.timezone(datetime.timedelta(hours=8))
    return datetime.datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d")


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    expect_true("chromium is installed (deploy/scripts/install-deps.sh)", path, "not in PATH")
    return path


def browse(path, profile, *flags, timeout=120):
    argv = [path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--hide-scrollbars", "--user-data-dir=" + profile] + list(flags)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def cmd_browser(args):
    path = chromium()
    if not path:
        return
    os.makedirs(args.img, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=args.out)
    for lang in ("zh", "en"):
        url = "%s/?lang=%s" % (args.http, lang)
        rc, dom, err = browse(path, profile, "--dump-dom", url)
        expect("chromium --dump-dom %s exits 0" % url, 0, rc)
        page = parse(dom)
        expect_true("%s: the DOM was rendered" % lang, page.body.get("data-from"), err[-300:])
        if not page.body.get("data-from"):
            continue
        answer, _, _ = kpi_for(args.a, page)
        check_numbers("chromium DOM %s" % lang, page, answer)
        png = os.path.join(args.img, "dashboard-%s.png" % lang)
        # The picture with the cases at risk listed (720 h: every open one).
        rc, _, err = browse(path, profile, "--screenshot=" + png, "--window-size=1200,2000",
                            url + "&risk_hours=720")
        expect("chromium --screenshot %s exits 0" % lang, 0, rc)
        ok = os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        expect_true("%s: a PNG screenshot" % lang, ok and os.path.getsize(png) > 20000,
                    os.path.getsize(png) if os.path.exists(png) else "none")
    png = os.path.join(args.img, "bulletin-zh.png")
    rc, _, _ = browse(path, profile, "--screenshot=" + png, "--window-size=1000,2600",
                      args.http + "/bulletin?lang=zh")
    expect_true("bulletin: a PNG screenshot", rc == 0 and os.path.exists(png)
                and os.path.getsize(png) > 20000, rc)
    shutil.rmtree(profile, ignore_errors=True)


def cmd_document(args):
    if not chromium():
        return
    pdf = os.path.join(args.out, "bulletin.pdf")
    p = subprocess.run([args.ctl, "report", "--format", "pdf", "--out", pdf, "--http", args.http,
                        "--lang", "zh"], capture_output=True, text=True, timeout=300)
    expect("complaintctl report --format pdf exits 0", 0, p.returncode)
    note(p.stderr.strip()[-300:])
    data = open(pdf, "rb").read() if os.path.exists(pdf) else b""
    expect_true("a PDF: %PDF- header", data.startswith(b"%PDF-"), data[:8])
    expect_true("a PDF: %%EOF trailer", data.rstrip().endswith(b"%%EOF"), data[-16:])
    pdfinfo = shutil.which("pdfinfo")
    expect_true("pdfinfo is installed (poppler-utils)", pdfinfo)
    if pdfinfo and data:
        info = subprocess.run([pdfinfo, pdf], capture_output=True, text=True).stdout
        pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
        expect_true("the PDF has pages", pages and int(pages.group(1)) >= 1, info[-300:])
        size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M)
        expect_true("A4 pages (595 x 842 pt)", size and abs(float(size.group(1)) - 595) < 3,
                    size.group(0) if size else info[-200:])
    totext = shutil.which("pdftotext")
    if totext and data:
        out = subprocess.run([totext, pdf, "-"], capture_output=True, text=True).stdout
        expect_true("the PDF's text is the Chinese bulletin (CJK glyphs drawn)",
                    "客户投诉情况通报" in out and "按投诉原因分类" in out, out[:300])
    html_path = os.path.join(args.out, "bulletin.html")
    p = subprocess.run([args.ctl, "report", "--format", "html", "--out", html_path,
                        "--http", args.http, "--lang", "en", "--from", "2026-01-01"],
                       capture_output=True, text=True, timeout=60)
    expect("complaintctl report --format html exits 0", 0, p.returncode)
    text = open(html_path).read() if os.path.exists(html_path) else ""
    expect_true("the HTML is the bulletin", '<html lang="en">' in text and "Complaint bulletin"
                in text and 'data-kpi="received"' in text, text[:200])
    for argv, want, what in (
            (["--format", "doc", "--out", pdf], 2, "--format"),
            (["--format", "pdf"], 2, "--out"),
            (["--format", "html", "--out", html_path, "--min-cell", "2"], 1, "min_cell"),
            (["--format", "html", "--out", html_path, "--http",
              "127.0.0.1:%d" % args.closed_port], 3, "127.0.0.1")):
        p = subprocess.run([args.ctl, "report"] + (argv if "--http" in argv else
                           argv + ["--http", args.http]), capture_output=True, text=True,
                           timeout=60)
        expect("report %s: exit" % " ".join(argv[:2]), want, p.returncode)
        expect_true("report %s: says %s" % (" ".join(argv[:2]), what), what in p.stderr,
                    p.stderr[-200:])


def cmd_flags(args):
    """--http refused when malformed (exit 2, named); a second daemon on a
    taken port exits 1 saying so, instead of running without its page."""
    for bad in ("foo:99999", "127.0.0.1", "localhost:80"):
        p = subprocess.run([args.bin, "--http", bad, "--endpoint", args.endpoint],
                           capture_output=True, text=True, timeout=30)
        expect("analytics --http %s: exit" % bad, 2, p.returncode)
        expect_true("analytics --http %s: names --http" % bad, "--http" in p.stderr,
                    p.stderr[-200:])
    p = subprocess.run([args.bin, "--name", "second", "--http", args.http,
                        "--endpoint", args.endpoint], capture_output=True, text=True,
                       timeout=60)
    expect("a second analytics on the same --http: exit", 1, p.returncode)
    expect_true("... logs http_bind_failed", "event=http_bind_failed" in p.stderr,
                p.stderr[-300:])


def cmd_alive(args):
    status, _, text = get(args.http + "/?lang=en")
    expect("the dashboard answers after SIGHUP", 200, status)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scenario")
    s.add_argument("--ctl", required=True)
    s.add_argument("--tokens", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--a", required=True)
    s = sub.add_parser("pages")
    s.add_argument("--http", required=True)
    s.add_argument("--a", required=True)
    s.add_argument("--out", required=True)
    s = sub.add_parser("browser")
    s.add_argument("--http", required=True)
    s.add_argument("--a", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--img", required=True)
    s = sub.add_parser("document")
    s.add_argument("--ctl", required=True)
    s.add_argument("--http", required=True)
    s.add_argument("--a", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--closed-port", type=int, required=True)
    s = sub.add_parser("flags")
    s.add_argument("--bin", required=True)
    s.add_argument("--http", required=True)
    s.add_argument("--endpoint", required=True)
    s = sub.add_parser("alive")
    s.add_argument("--http", required=True)
    args = p.parse_args()
    os.makedirs(getattr(args, "out", None) or ".", exist_ok=True)
    {"scenario": cmd_scenario, "pages": cmd_pages, "browser": cmd_browser,
     "document": cmd_document, "flags": cmd_flags, "alive": cmd_alive}[args.cmd](args)
    sys.exit(1 if checks.FAILED else 0)


if __name__ == "__main__":
    main()
