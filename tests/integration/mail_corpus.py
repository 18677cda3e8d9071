#!/usr/bin/python3
"""mail_corpus.py — judges `mail --parse` on the mail corpus.

Used by tests/integration/mail_corpus.sh, which ran the parser on every
tests/data/mail/NAME.eml and left NAME.json (stdout), NAME.rc and NAME.err
in --out. Every judgement is a counted check (checks.py); exits 1 when one
failed.

    mail_corpus.py --corpus DIR --out DIR

For each message, against NAME.expect.json:
  - the exit status is `exit`; an unparsable one (3) says its code and
    reason on stderr too;
  - every other key of the expectation is in the output with that value;
    a map is compared key by key (a subset), a list element by element with
    the same length, null means absent;
  - body_contains / body_excludes / reason_contains: substrings;
  - always: the output is one JSON object with a kind, a code, a ref
    (1..128 bytes); a complaint carries a submit with channel "email", the
    ref, the body and an e-mail address; anything else carries none.
And for the corpus as a whole: at least 16 messages, every verdict and
every charset the issue names (utf-8, gbk, gb2312, gb18030, big5) present,
every .eml with its .expect.json; --parse - (stdin) equal to the file;
--help exit 0; a missing file exit 1.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import expect, expect_ge, expect_true  # noqa: E402

SPECIAL = {"exit", "now_ms", "body_contains", "body_excludes", "reason_contains"}


def subset_diff(want, got, path):
    """The first difference of `got` from `want` (a subset), or None."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: want a map, got %r" % (path, got)
        for k, v in want.items():
            d = subset_diff(v, got.get(k), path + "." + k)
            if d:
                return d
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: want %d items, got %r" % (path, len(want), got)
        for i, (w, g) in enumerate(zip(want, got)):
            d = subset_diff(w, g, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if want != got:
        return "%s: want %r, got %r" % (path, want, got)
    return None


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def judge(name, corpus, out):
    exp = json.loads(read(os.path.join(corpus, name + ".expect.json")))
    rc = int(read(os.path.join(out, name + ".rc")).strip())
    err = read(os.path.join(out, name + ".err"))
    try:
        got = json.loads(read(os.path.join(out, name + ".json")))
    except ValueError as e:
        checks.bad("%s: output is not JSON (%s)" % (name, e))
        return None
    expect("%s: exit status" % name, exp.get("exit", 0), rc)
    for key, want in sorted(exp.items()):
        if key in SPECIAL:
            continue
        d = subset_diff(want, got.get(key), key)
        expect_true("%s: %s" % (name, key), d is None, d or "")
    body = got.get("body") or ""
    for s in exp.get("body_contains", []):
        expect_true("%s: body contains %r" % (name, s[:40]), s in body, "body=%r" % body[:300])
    for s in exp.get("body_excludes", []):
        expect_true("%s: body lacks %r" % (name, s), s not in body, "body=%r" % body[:300])
    for s in exp.get("reason_contains", []):
        expect_true("%s: reason says %r" % (name, s), s in got.get("reason", ""), got.get("reason"))
    # what holds for every message
    ref = got.get("ref") or ""
    expect_true("%s: a ref of 1..128 bytes" % name, 0 < len(ref.encode()) <= 128, repr(ref))
    expect_true("%s: a code and a reason" % name, got.get("code") and got.get("reason"))
    submit = got.get("submit")
    if got.get("kind") == "complaint":
        expect_true("%s: the complaint's submit" % name,
                    isinstance(submit, dict) and submit.get("channel") == "email"
                    and submit.get("ref") == ref and submit.get("body") == got.get("body")
                    and "@" in submit.get("customer", {}).get("email", "")
                    and 0 < len(submit.get("body", "").encode()) <= 64 * 1024,
                    repr(submit)[:300])
    else:
        expect("%s: no submit for a %s" % (name, got.get("kind")), None, submit)
    if rc == 3:
        expect_true("%s: stderr names the code" % name, got.get("code", "?") in err, err)
    return got


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    names = sorted(f[:-4] for f in os.listdir(args.corpus) if f.endswith(".eml"))
    expect_ge("messages in the corpus", 16, len(names))
    for n in names:
        expect_true("%s has its expect.json" % n,
                    os.path.exists(os.path.join(args.corpus, n + ".expect.json")))
    results = {}
    for n in names:
        if os.path.exists(os.path.join(args.corpus, n + ".expect.json")):
            results[n] = judge(n, args.corpus, args.out)
    kinds = {r.get("kind") for r in results.values() if r}
    expect("verdicts covered", ["automatic", "complaint", "reply", "unparsable"], sorted(kinds))
    charsets = {r.get("body_charset") for r in results.values() if r}
    for cs in ("utf-8", "gbk", "gb2312", "gb18030", "big5"):
        expect_true("a body in %s" % cs, cs in charsets, sorted(c for c in charsets if c))
    expect_true("an HTML-only body", any(r and r.get("body_from_html") for r in results.values()))
    expect_true("attachments listed", any(r and r.get("attachments") for r in results.values()))
    # stdin
    expect("--parse - exit status", "0", read(os.path.join(args.out, "stdin.rc")).strip())
    expect_true("--parse - prints what the file gives",
                read(os.path.join(args.out, "stdin.json"))
                == read(os.path.join(args.out, "stdin.file.json")))
    expect("--help exit status", "0", read(os.path.join(args.out, "help.rc")).strip())
    expect_true("--help names --parse", "--parse" in read(os.path.join(args.out, "help.txt")))
    expect("a missing file: exit status", "1", read(os.path.join(args.out, "missing.rc")).strip())
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
