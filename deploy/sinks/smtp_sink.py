#!/usr/bin/python3
"""smtp_sink.py — a small real SMTP server for the notifier's tests, and
the reader of what it received.

    smtp_sink.py serve --port N --dir DIR [--delay S]
        speaks SMTP on 127.0.0.1:N (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
        QUIT); each accepted message is stored as DIR/<ns>-<n>.eml with an
        "X-Rcpt-To:" line before it (written, then renamed: a file is whole),
        BEFORE the 250 reply, after --delay seconds: so a client killed while
        waiting leaves a message the server has, which is the one duplicate
        the notifier may cause.
    smtp_sink.py report --dir DIR
        one JSON line per stored message: rcpt, to, subject (RFC 2047
        decoded), message_id, date, content-type, transfer encoding, body
        (decoded), header problems.

Standard library only (asyncio, email).
"""
import argparse
import asyncio
import email
import email.header
import email.policy
import json
import os
import sys
import time

counter = 0


class SmtpSession(asyncio.Protocol):
    """One SMTP conversation, driven by data_received: a buffer split into
    lines, no coroutine per line and no drain per reply. That is what lets
    one Python process take thousands of messages a second over a kept-alive
    connection (the notifier reuses its connection), so the sink is never
    the pipeline's limit in a benchmark. While a --delay is pending the
    session takes no input (a client waits for the reply anyway)."""

    def __init__(self, args):
        self.args = args
        self.buf = b""
        self.rcpt = []
        self.data = None            # list of body lines while in DATA
        self.waiting = False
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.say("220 notify-smtpd ready")

    def say(self, line):
        if not self.transport.is_closing():
            self.transport.write(line.encode() + b"\r\n")

    def data_received(self, chunk):
        self.buf += chunk
        self.process()

    def process(self):
        while not self.waiting:
            end = self.buf.find(b"\n")
            if end < 0:
                return
            raw, self.buf = self.buf[:end + 1], self.buf[end + 1:]
            if self.data is not None:
                if raw in (b".\r\n", b".\n"):
                    self.end_of_data()
                else:
                    self.data.append(raw[1:] if raw.startswith(b"..") else raw)
                continue
            self.command(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def command(self, line):
        verb = line[:4].upper()
        if verb == "EHLO":
            self.say("250-notify-smtpd")
            self.say("250 8BITMIME")
        elif verb == "HELO":
            self.say("250 notify-smtpd")
        elif verb == "MAIL":
            self.rcpt = []
            self.say("250 OK")
        elif verb == "RCPT":
            self.rcpt.append(line.split(":", 1)[1].strip().strip("<>") if ":" in line else "")
            self.say("250 OK")
        elif verb == "DATA":
            self.data = []
            self.say("354 go ahead")
        elif verb == "RSET":
            self.rcpt = []
            self.say("250 OK")
        elif verb == "NOOP":
            self.say("250 OK")
        elif verb == "QUIT":
            self.say("221 bye")
            self.transport.close()
        else:
            self.say("502 not implemented")

    def end_of_data(self):
        data, self.data = self.data, None
        if self.args.delay:
            self.waiting = True
            asyncio.get_running_loop().call_later(self.args.delay, self.store, data)
        else:
            self.store(data)

    def store(self, data):
        global counter
        counter += 1
        name = "%d-%d" % (time.time_ns(), counter)
        tmp = os.path.join(self.args.dir, "." + name)
        with open(tmp, "wb") as f:
            f.write(("X-Rcpt-To: %s\r\n" % ",".join(self.rcpt)).encode())
            f.write(b"".join(data))
        os.rename(tmp, os.path.join(self.args.dir, name + ".eml"))
        self.say("250 OK stored " + name)
        if self.waiting:
            self.waiting = False
            self.process()


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SmtpSession(args), "127.0.0.1", args.port)
    print("listening on 127.0.0.1:%d" % args.port, flush=True)
    async with server:
        await server.serve_forever()


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
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--delay", type=float, default=0)
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    args = p.parse_args()
    if args.cmd == "serve":
        try:
            asyncio.run(serve(args))
        except KeyboardInterrupt:
            pass
    else:
        report(args)


if __name__ == "__main__":
    sys.exit(main())
