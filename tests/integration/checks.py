#!/usr/bin/python3
"""checks.py — the Python checkers' assertions, counted, and their store.

Every checker (act_protocol.py, bad_input.py, e2e_import.py, invariants.py,
...) asserts through this module, so that:

  - each check prints one line, "ok: what = figure" or "FAILED: what: want
    .., got ..", and a failed check does not stop the checker (one run shows
    every broken invariant);
  - the checks are counted: when the checker exits, one line "PASSED FAILED
    SOURCE" is appended to $TEST_DIR/checks. tests/run.sh adds every
    checker's line up (tests/lib.sh's too) and fails a test that recorded no
    passed check or any failed one, whatever its exit status;
  - waiting is for a condition with a deadline (wait_until), never a fixed
    sleep followed by a count that depends on the machine's speed; wait_for,
    wait_sql and wait_log are such waits counted as checks (the deadline
    passing is a failure);
  - a checker that stops on an exception counts one failed check (the
    exception hook below), so a crash half-way cannot pass as the checks
    made before it.

Also here: step_main (the main() of a checker called once per step of a
shell scenario), run and jsonl (a client's output), log_lines (a service log),
events, wait_events and leaking_events (the event log decoded; invariant 8), and
mark_save / mark_load (a baseline one run of a checker keeps for a later
run: the checkers called at each step of a shell scenario).

The store is read through psql (the tests' PG* variables), with psql
variables as parameters: sql("select ... where no = :'no'", no=x). Debian
has no psycopg on the test machines' base image; psql is there anyway.

Run under Debian's /usr/bin/python3 (python3-zmq, python3-msgpack).
"""
import argparse
import atexit
import faulthandler
import os
import signal
import subprocess
import sys
import time

# A checker killed by the runner's timeout (SIGTERM) prints where it was
# first: a hang then names its line instead of "Terminated".
faulthandler.register(signal.SIGTERM, chain=True)

PASSED = 0
FAILED = 0
SOURCE = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"


def ok(desc):
    global PASSED
    PASSED += 1
    print("ok: " + desc, flush=True)


def bad(desc):
    global FAILED
    FAILED += 1
    print("FAILED: " + desc, flush=True)


def _short(value):
    """A figure for the report: a long list or map by its size."""
    text = repr(value)
    if len(text) <= 100:
        return text
    if isinstance(value, (list, tuple, dict, set)):
        return "%s of %d, %s..." % (type(value).__name__, len(value), text[:60])
    return text[:100] + "..."


def expect(desc, want, got):
    """want == got. A long mismatch prints what differs, not both wholes."""
    if want == got:
        ok("%s = %s" % (desc, _short(got)))
    elif isinstance(want, (list, dict)) and isinstance(got, type(want)):
        if isinstance(want, dict):
            diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
                    if want.get(k) != got.get(k)}
        else:
            diff = {"only wanted": [x for x in want if x not in got][:10],
                    "only got": [x for x in got if x not in want][:10]}
        bad("%s: want %s, got %s; differing (want, got): %s"
            % (desc, _short(want), _short(got), _short(diff)))
    else:
        bad("%s: want %r, got %r" % (desc, want, got))
    return want == got


def expect_ge(desc, low, got):
    good = got is not None and got >= low
    if good:
        ok("%s = %r (>= %r)" % (desc, got, low))
    else:
        bad("%s: want >= %r, got %r" % (desc, low, got))
    return good


def expect_le(desc, high, got):
    good = got is not None and got <= high
    if good:
        ok("%s = %r (<= %r)" % (desc, got, high))
    else:
        bad("%s: want <= %r, got %r" % (desc, high, got))
    return good


def expect_true(desc, cond, detail=""):
    if cond:
        ok(desc)
    else:
        bad(desc + (": " + detail if detail else ""))
    return bool(cond)


def note(desc):
    print(desc, flush=True)


def status():
    """The exit status a checker returns: 1 when any check failed."""
    return 1 if FAILED else 0


def step_main(steps, options=(), setup=None, call=None):
    """The main() of a checker a shell scenario calls once per step:
    `NAME.py --OPTION VALUE ... STEP [ARG ...]`.

    steps: {name: function}; options: the required --options, one value
    each; setup(args), when given, runs before the step (the checker keeps
    args, makes its folders); call(function, args) runs the step (default:
    function(*args.args), the ARGs as strings). Returns the exit status,
    status(): `sys.exit(main())`."""
    p = argparse.ArgumentParser()
    for option in options:
        p.add_argument(option, required=True)
    p.add_argument("step", choices=sorted(steps))
    p.add_argument("args", nargs="*")
    args = p.parse_args()
    if setup:
        setup(args)
    if call:
        call(steps[args.step], args)
    else:
        steps[args.step](*args.args)
    return status()


def _record():
    print("%s: %d checks passed, %d failed" % (SOURCE, PASSED, FAILED), flush=True)
    test_dir = os.environ.get("TEST_DIR")
    if test_dir and os.path.isdir(test_dir):
        with open(os.path.join(test_dir, "checks"), "a") as f:
            f.write("%d %d %s\n" % (PASSED, FAILED, SOURCE))


atexit.register(_record)


def _stopped(kind, value, tb):
    """A checker that stops on an exception has failed, whatever it had
    checked before: counted here, so the run's tally shows it (atexit's
    _record still runs after this)."""
    global FAILED
    FAILED += 1
    print("FAILED: %s stopped on an exception: %s: %s" % (SOURCE, kind.__name__, value),
          flush=True)
    sys.__excepthook__(kind, value, tb)


sys.excepthook = _stopped


# ------------------------------------------------------------------ store

def sql(query, **params):
    """The query's output as psql -A -t prints it ('|' between columns, a
    line per row), stripped. Parameters are psql variables (:'name')."""
    args = ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"]
    for k, v in params.items():
        args += ["-v", "%s=%s" % (k, v)]
    r = subprocess.run(args, input=query, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("psql failed: %s\n%s" % (r.stderr.strip(), query))
    return r.stdout.strip()


def sql_int(query, **params):
    out = sql(query, **params)
    return int(out) if out else None


def sql_rows(query, **params):
    """Rows as lists of strings."""
    out = sql(query, **params)
    return [line.split("|") for line in out.split("\n")] if out else []


# ---------------------------------------------------------------- waiting

def staff_tokens(path):
    """{staff id: token} from the "ID TOKEN" lines issue_tokens wrote."""
    tokens = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                tokens[parts[0]] = parts[1]
    return tokens


def wait_until(probe, timeout, interval=0.1):
    """Call probe() until it returns something true or timeout seconds have
    passed; return its last value (false on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_for(desc, probe, timeout, interval=0.1):
    """wait_until as a check: "DESC within S s" passes when probe() became
    true before the deadline, fails (with the probe's last value) when not.
    Returns whether it held."""
    value = wait_until(probe, timeout, interval)
    return expect_true("%s within %g s" % (desc, timeout), value, "last seen %r" % (value,))


def wait_sql(desc, query, timeout, **params):
    """wait_for on a query yielding t or f."""
    return wait_for(desc, lambda: sql(query, **params) == "t", timeout, 0.2)


# ----------------------------------------------------------------- clients

def run(argv, env=None, stdin=None):
    """(exit status, stdout, stderr) of a client run to its end."""
    r = subprocess.run(argv, capture_output=True, text=True, env=env, input=stdin)
    return r.returncode, r.stdout, r.stderr


def rss_kib(pid):
    """A process's resident memory now (VmRSS of /proc/PID/status), in KiB;
    None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def jsonl(text):
    """The JSON objects of a client's output, one per line."""
    import json
    return [json.loads(line) for line in text.split("\n") if line.startswith("{")]


def log_lines(path, pattern):
    """The lines of a service log matching the regular expression."""
    import re
    try:
        with open(path, errors="replace") as f:
            return [line.rstrip("\n") for line in f if re.search(pattern, line)]
    except FileNotFoundError:
        return []


def wait_log(desc, path, pattern, timeout):
    """wait_for a line matching pattern in a service log; returns the lines."""
    wait_for(desc, lambda: log_lines(path, pattern), timeout, 0.1)
    return log_lines(path, pattern)


# ------------------------------------------------------------------ events

def events(where="true", **params):
    """Decoded events of event_log: [(seq, type, event map)], in seq order,
    the rows WHERE says (psql variables as parameters)."""
    import msgpack
    out = []
    for row in sql_rows("select seq, type, encode(event, 'hex') from event_log where "
                        + where + " order by seq", **params):
        out.append((int(row[0]), row[1], msgpack.unpackb(bytes.fromhex(row[2]), raw=False)))
    return out


def wait_events(desc, where, n=1, timeout=20, match=None, **params):
    """The events WHERE says (events()), after waiting until at least n
    of them (those match(event map) accepts, when given) are on the event
    log: a commit puts its event in the outbox and the bus publishes it a
    moment later, so an event read right after the answer that committed
    it may not be there yet. The wait is a check (desc, with its
    deadline); what the events hold is the caller's to check."""
    def enough():
        return len([ev for _, _, ev in events(where, **params)
                    if match is None or match(ev)]) >= n
    wait_for(desc, enough, timeout, 0.2)
    return events(where, **params)


def strings(value):
    """Every string in a decoded value: keys and values, nested."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def leaking_events(pattern, where="true", **params):
    """The seqs of events whose data holds a string matching pattern
    (invariant 8: no address, phone, account or message text on the stream)."""
    import re
    rx = re.compile(pattern)
    return [seq for seq, _, ev in events(where, **params)
            if any(rx.search(s) for s in strings(ev.get("data") or {}))]


# ------------------------------------------------------------------ marks

def _marks_path(name):
    return os.path.join(os.environ.get("TEST_DIR", "."), name + ".marks.json")


def mark_save(name, key, figures):
    """Keep a checker's figures between its invocations (a baseline taken
    before a scenario step, read by the check after it)."""
    import json
    path = _marks_path(name)
    marks = {}
    if os.path.exists(path):
        with open(path) as f:
            marks = json.load(f)
    marks[key] = figures
    with open(path, "w") as f:
        json.dump(marks, f)


def mark_load(name, key):
    import json
    with open(_marks_path(name)) as f:
        return json.load(f)[key]


# ------------------------------------------------------------------ SLA clocks

#  The store's settled state at its clock: no case left to recompute, nothing
#  due, the outbox drained (the watchdog tests' wait after each move).
SLA_SETTLED = """select (select count(*) from complaint where sla_dirty)
                  + (select count(*) from sla_clock where next_fire_at <= app_now ())
                  + (select count(*) from outbox) = 0"""
#  A timestamptz column as ms since the epoch, in SQL.
SQL_MS = "(extract (epoch from %s) * 1000)::bigint"


def sla_settle():
    wait_sql("clocks settled at %s" % sql("select app_now ()"), SLA_SETTLED, 20)


def sla_clock(no, stage, cols, rnd=0):
    """COLS (SQL) of the case's clock STAGE, round RND."""
    return sql("select " + cols + " from sla_clock where complaint_id ="
               " (select id from complaint where complaint_no = :'no')"
               " and stage = :'stage' and round = :'round'", no=no, stage=stage, round=rnd)


def mail_texts(folder):
    """Every message an smtp-sink stored in folder (*.eml), as (subject,
    plain-text body), decoded: what a customer reads (the store keeps a
    customer's message sealed)."""
    import email
    import email.policy
    out = []
    if not os.path.isdir(folder):
        return out
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        out.append((str(msg.get("subject", "")), part.get_content() if part else ""))
    return out
