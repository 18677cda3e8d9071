#!/usr/bin/python3
"""http_sink.py — a small real HTTP server standing in for an SMS or push
gateway in the notifier's tests, and the reader of what it received.

    http_sink.py serve --port N --dir DIR [--status CODE] [--fail-first N]
                       [--retry-after S] [--require-auth VALUE] [--delay S]
                       [--echo] [--verbose]
        listens on 127.0.0.1:N. A POST on any path is read (Content-Length,
        at most 64 KiB, else 413) and answered with, in this order:
          401 when --require-auth is set and Authorization differs;
          400 when the body is not JSON (UTF-8);
          503 for the first N requests (--fail-first), with a Retry-After
              of S seconds when --retry-after is given;
          --status otherwise (default 200; a 429 or 503 given here also
              carries --retry-after).
        EVERY request, whatever its answer, is stored as DIR/<ns>-<n>.json
        (written, then renamed: a file is whole) after --delay seconds and
        BEFORE the answer: so a client killed while waiting leaves a request
        the gateway has, which is the one duplicate the notifier may cause,
        and it carries the same idempotency key. The record:
          {"n", "path", "status", "headers": {"authorization",
           "idempotency-key", "content-type"}, "body": the parsed JSON or
           null, "raw": the body text when it is not JSON, else null}
        The answer is {"ok":true,"id":"m<n>"} for 2xx, else
        {"ok":false,"error":"..."}; with --echo the error quotes the
        request's "to" and "text", as a gateway that names the number it
        refuses does (the scrubbing test: that answer goes into
        notification.failed / .dead). GET /health answers 200. Quiet unless
        --verbose; SIGTERM or SIGINT ends it cleanly.
    http_sink.py report --dir DIR [--accepted]
        one JSON line per stored request, in file-name (arrival) order,
        with "file" added; --accepted: only those answered 2xx.

Standard library only (http.server).
"""
import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time

MAX_BODY = 64 * 1024


class Sink:
    """The shared state of one server: settings, request counter."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = 0

    def next_n(self):
        with self.lock:
            self.count += 1
            return self.count

    def store(self, record):
        name = "%d-%d" % (time.time_ns(), record["n"])
        tmp = os.path.join(self.args.dir, "." + name)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
            f.write("\n")
        os.rename(tmp, os.path.join(self.args.dir, name + ".json"))


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "http-sink/1"

    def log_message(self, fmt, *args):
        if self.server.sink.args.verbose:
            sys.stderr.write("http_sink: %s %s\n" % (self.address_string(), fmt % args))

    def answer(self, status, doc, extra=()):
        data = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except ConnectionError:
            # The client gave up waiting (--delay): its request is stored,
            # which is what a test of that case looks for.
            self.close_connection = True

    def do_GET(self):
        if self.path == "/health":
            self.answer(200, {"ok": True})
        else:
            self.answer(404, {"ok": False, "error": "not found"})

    def do_POST(self):
        sink = self.server.sink
        args = sink.args
        n = sink.next_n()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        body, raw, status, error = None, None, None, ""
        if length < 0 or length > MAX_BODY:
            # Not read: the connection closes after the answer.
            status, error = 413, "body missing a valid length or over %d bytes" % MAX_BODY
            self.close_connection = True
        else:
            data = self.rfile.read(length) if length else b""
            try:
                body = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raw = data.decode("utf-8", "replace")
        if status is None:
            if args.require_auth is not None and \
                    self.headers.get("Authorization") != args.require_auth:
                status, error = 401, "bad or missing Authorization"
            elif raw is not None:
                status, error = 400, "the body is not JSON"
            elif n <= args.fail_first:
                status, error = 503, "failing the first %d requests" % args.fail_first
            else:
                status = args.status
                if not 200 <= status < 300:
                    error = "answering %d as told" % status
                    if args.echo and isinstance(body, dict):
                        error = "invalid recipient %s: %s" % (body.get("to"), body.get("text"))
        extra = []
        if args.retry_after is not None and status in (429, 503) and \
                (n <= args.fail_first or status == args.status):
            extra.append(("Retry-After", str(args.retry_after)))
        if args.delay:
            time.sleep(args.delay)
        sink.store({
            "n": n, "path": self.path, "status": status,
            "headers": {
                "authorization": self.headers.get("Authorization"),
                "idempotency-key": self.headers.get("Idempotency-Key"),
                "content-type": self.headers.get("Content-Type"),
            },
            "body": body, "raw": raw,
        })
        if 200 <= status < 300:
            self.answer(status, {"ok": True, "id": "m%d" % n}, extra)
        else:
            self.answer(status, {"ok": False, "error": error}, extra)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that resets the connection is not news; a bug is.
        if self.sink.args.verbose or not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _stop(signum, frame):
    raise KeyboardInterrupt


def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    server = Server(("127.0.0.1", args.port), Handler)
    server.sink = Sink(args)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def report(args):
    for name in sorted(os.listdir(args.dir)):
        if not name.endswith(".json") or name.startswith("."):
            continue
        with open(os.path.join(args.dir, name), encoding="utf-8") as f:
            record = json.load(f)
        if args.accepted and not 200 <= record.get("status", 0) < 300:
            continue
        record["file"] = name
        print(json.dumps(record, ensure_ascii=False))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--status", type=int, default=200)
    s.add_argument("--fail-first", type=int, default=0)
    s.add_argument("--retry-after", type=int, default=None)
    s.add_argument("--require-auth", default=None)
    s.add_argument("--delay", type=float, default=0)
    s.add_argument("--echo", action="store_true")
    s.add_argument("--verbose", action="store_true")
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    r.add_argument("--accepted", action="store_true")
    args = p.parse_args()
    if args.cmd == "serve":
        return serve(args)
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
