#!/usr/bin/python3
"""smtp_sink.py — the reader of what the local SMTP server received.

The server is smtp-sink (deploy/sinks/smtp_sink.c, built into $BUILD/bin):
it stores each accepted message as DIR/<ns>-<n>.eml with an "X-Rcpt-To:"
line before it. This reads them back:

    smtp_sink.py report --dir DIR
        one JSON line per stored message: rcpt, to, subject (RFC 2047
        decoded), message_id, date, content-type, transfer encoding, body
        (decoded), header problems.

Standard library only (email, json).
"""
import argparse
import email
import email.header
import email.policy
import json
import os
import sys

def report(args):
    for name in sorted(os.listdir(args.dir)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(args.dir, name), "rb") as f:
            raw = f.read()
        problems = []
        head = raw.split(b"\r\n\r\n", 1)[0]
        if any(b > 127 for b in head):
            problems.append("8-bit header")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject_raw = msg.get("Subject", "")
        subject = str(email.header.make_header(email.header.decode_header(
            email.message_from_bytes(raw).get("Subject", ""))))
        body = msg.get_content() if msg.get_content_type() == "text/plain" else ""
        lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n") if b"\r\n\r\n" in raw else []
        if any(len(l) > 76 for l in lines):
            problems.append("body line over 76")
        print(json.dumps({
            "file": name, "rcpt": msg.get("X-Rcpt-To", ""), "to": msg.get("To", ""),
            "subject": subject, "subject_encoded": str(subject_raw).startswith("=?") or
            "=?UTF-8?B?" in email.message_from_bytes(raw).get("Subject", ""),
            "message_id": msg.get("Message-ID", ""), "date": msg.get("Date", ""),
            "content_type": msg.get("Content-Type", ""),
            "cte": msg.get("Content-Transfer-Encoding", ""),
            "mime": msg.get("MIME-Version", ""), "body": body, "problems": problems,
        }, ensure_ascii=False))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    args = p.parse_args()
    report(args)


if __name__ == "__main__":
    sys.exit(main())
