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


async def handle(reader, writer, args):
    global counter

    async def say(line):
        writer.write((line + "\r\n").encode())
        await writer.drain()

    await say("220 notify-smtpd ready")
    rcpt = []
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                await say("250-notify-smtpd" if verb == "EHLO" else "250 notify-smtpd")
                if verb == "EHLO":
                    await say("250 8BITMIME")
            elif verb == "MAIL":
                rcpt = []
                await say("250 OK")
            elif verb == "RCPT":
                rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                await say("250 OK")
            elif verb == "DATA":
                await say("354 go ahead")
                data = []
                while True:
                    d = await reader.readline()
                    if not d:
                        return
                    if d in (b".\r\n", b".\n"):
                        break
                    if d.startswith(b".."):
                        d = d[1:]
                    data.append(d)
                if args.delay:
                    await asyncio.sleep(args.delay)
                counter += 1
                name = "%d-%d" % (time.time_ns(), counter)
                tmp = os.path.join(args.dir, "." + name)
                with open(tmp, "wb") as f:
                    f.write(("X-Rcpt-To: %s\r\n" % ",".join(rcpt)).encode())
                    f.write(b"".join(data))
                os.rename(tmp, os.path.join(args.dir, name + ".eml"))
                await say("250 OK stored " + name)
            elif verb == "RSET":
                rcpt = []
                await say("250 OK")
            elif verb == "NOOP":
                await say("250 OK")
            elif verb == "QUIT":
                await say("221 bye")
                break
            else:
                await say("502 not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", args.port)
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
