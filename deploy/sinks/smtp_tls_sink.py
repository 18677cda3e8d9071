#!/usr/bin/python3
"""smtp_tls_sink.py — a real SMTP server that demands STARTTLS and AUTH, as a
bank's relay does, for the notifier's tests (tests/integration/notify_tls.sh).

    smtp_tls_sink.py serve --port N --dir DIR --cert PEM --key PEM
                           --user USER --password-file FILE
        listens on 127.0.0.1:N with aiosmtpd (Debian's python3-aiosmtpd):
        EHLO offers STARTTLS; nothing but EHLO, STARTTLS, NOOP and QUIT is
        accepted before it (530); AUTH PLAIN / LOGIN is offered only after
        TLS and required before MAIL (530); a wrong user or password gets
        535. Every accepted message is stored as DIR/<ns>-<n>.eml, with
        DIR/<ns>-<n>.json beside it: {"rcpt": [...], "mail_from",
        "tls": {"version", "cipher"}, "auth_user"}; every AUTH attempt is
        appended to DIR/auth.log as "ok USER" or "refused USER". Prints
        "listening on 127.0.0.1:N" when ready; SIGTERM or SIGINT ends it.

The password is read from a file (one line), never from the command line.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0
        self.lock = threading.Lock()
        os.makedirs(directory, exist_ok=True)

    def name(self):
        with self.lock:
            self.n += 1
            return "%d-%d" % (time.time_ns(), self.n)

    def write(self, name, data):
        tmp = os.path.join(self.dir, "." + name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.dir, name))

    def auth(self, line):
        with self.lock, open(os.path.join(self.dir, "auth.log"), "a") as f:
            f.write(line + "\n")


class Handler:
    def __init__(self, store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        tls = None
        if session.ssl:
            obj = server.transport.get_extra_info("ssl_object")
            tls = {"version": obj.version() if obj else None,
                   "cipher": obj.cipher()[0] if obj and obj.cipher() else None}
        name = self.store.name()
        self.store.write(name + ".eml", envelope.original_content or envelope.content)
        self.store.write(name + ".json", json.dumps({
            "rcpt": envelope.rcpt_tos, "mail_from": envelope.mail_from, "tls": tls,
            "auth_user": session.auth_data.decode() if isinstance(session.auth_data, bytes)
            else session.auth_data}).encode())
        return "250 OK stored %s" % name


def authenticator(user, password, store):
    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode(errors="replace")
        good = login == user and auth_data.password.decode(errors="replace") == password
        store.auth(("ok " if good else "refused ") + login)
        return AuthResult(success=good, handled=False, auth_data=login if good else None)
    return check


def serve(args):
    with open(args.password_file, encoding="utf-8") as f:
        password = f.readline().rstrip("\n")
    store = Store(args.dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    controller = Controller(
        Handler(store), hostname="127.0.0.1", port=args.port,
        server_hostname="localhost", tls_context=context, require_starttls=True,
        auth_required=True, auth_require_tls=True,
        authenticator=authenticator(args.user, password, store))
    controller.start()
    print("listening on 127.0.0.1:%d" % args.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password-file", required=True)
    args = ap.parse_args()
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
