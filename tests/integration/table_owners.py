#!/usr/bin/python3
"""table_owners.py — invariant 9: every table has one owner, a service
writes only its own tables (and the outbox), "open case" is defined once.

Usage: table_owners.py --root ROOT --complaintctl PATH   (PG* = a migrated database)

What it checks:

  1. The owner map is the store's own: each table's COMMENT (migration 007)
     begins "owner: SERVICE", and may declare "also: SERVICE (what), ..."
     for writes another service still makes. Every table of the public
     schema (but the migration runner's schema_migrations) has an owner that
     is a service with a folder under services/. The owners' interface
     functions (COMMENT "interface of the SERVICE: ...") exist with the
     expected owner.

  2. The services' C sources write only what they may. For each file under
     services/NAME/ (and common/, proto/, which own nothing) the comments are
     dropped, the string literals joined (SQL is split across literals and
     macros), and every INSERT INTO t / UPDATE t [alias] SET / DELETE FROM t /
     TRUNCATE t is found (SQL keywords upper case, identifiers lower case:
     the project's style, so "FOR UPDATE", "DO UPDATE SET" and prose are not
     writes). A write is allowed when the writer owns the table, is declared
     in its "also", or appends to the outbox (INSERT INTO outbox: invariant
     3). The scanner is first run on a made-up source with known writes, so a
     scanner that finds nothing cannot pass; and the writes it must find in
     the real tree (each service's own) are checked to be found.

  3. "Open" is defined once: complaint_is_open (state). No C string literal
     lists complaint states in an IN / NOT IN, no partial index of complaint
     lists states by hand (it says complaint_is_open / complaint_on_desk),
     and no function in the store but those two lists complaint states. The
     states come from proto/lifecycle.c (`complaintctl lifecycle --json`);
     that the function answers as the lifecycle does for each state is
     intake --selftest's check (case_view_test).

Exemption, declared here with its reason: services/intake/test_org.c writes
the self-test organisation (department, staff, staff_token) into the scratch
database of `intake --selftest`; no running intake executes it.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import bad, expect, expect_true, note, ok, sql, sql_rows, status  # noqa: E402

EXEMPT = {
    "services/intake/test_org.c":
        "intake --selftest's fixtures, written into its own scratch database",
}
NOT_A_TABLE_OWNER = {"complaintctl"}    # a tool: it asks the owners
OUTBOX = "outbox"

WRITE_RES = [
    ("INSERT", re.compile(r"\bINSERT\s+INTO\s+([a-z_][a-z0-9_]*)")),
    ("UPDATE", re.compile(r"\bUPDATE\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)"
                          r"(?:\s+(?:AS\s+)?[a-z_][a-z0-9_]*)?\s+SET\b")),
    ("DELETE", re.compile(r"\bDELETE\s+FROM\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)")),
    ("TRUNCATE", re.compile(r"\bTRUNCATE\s+(?:TABLE\s+)?([a-z_][a-z0-9_]*)")),
]


def c_literals(text):
    """The contents of a C file's string literals, in order, joined by a
    space; comments and character constants are skipped."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "'":
            i += 1
            while i < n and text[i] != "'":
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif c == '"':
            i += 1
            start = i
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append(text[start:i].replace('\\"', '"').replace("\\n", " "))
            i += 1
        else:
            i += 1
    return " ".join(out)


def writes_in(text):
    """[(verb, table)] the SQL in a C source writes."""
    sql = c_literals(text)
    found = []
    for verb, rx in WRITE_RES:
        for m in rx.finditer(sql):
            found.append((verb, m.group(1)))
    return found


def writer_of(rel):
    parts = rel.split("/")
    return parts[1] if parts[0] == "services" else parts[0]


def parse_owner(comment):
    """(owner, {also}) from a table comment; owner None when absent."""
    m = re.match(r"\s*owner:\s*([a-z_]+)", comment or "")
    if not m:
        return None, set()
    also = set()
    for part in (comment or "").split("|"):
        part = part.strip()
        if part.startswith("also:"):
            also = set(re.findall(r"([a-z_]+)\s*\(", part))
    return m.group(1), also


def sql_pairs(query):
    """Rows of (name, text): the text may hold '|' (psql's separator)."""
    out = sql(query)
    return [tuple(line.split("|", 1)) for line in out.split("\n")] if out else []


def scanner_selftest():
    """The scanner on a source whose writes are known."""
    sample = r'''
    /* UPDATE complaint SET state = 'x' — a comment, not a write */
    // DELETE FROM staff  (neither)
    #define SQL "UPDATE notification n" \
        "   SET state = 'pending'"
    static const char *a = "SELECT 1 FROM complaint FOR UPDATE OF c SKIP LOCKED";
    static const char *b = "INSERT INTO customer_optout (x) VALUES (1)"
        " ON CONFLICT (x) DO UPDATE SET x = 2";
    static const char *c = "DELETE FROM sla_clock WHERE id = $1";
    static const char *d = "INSERT INTO outbox (type) VALUES ($1)";
    printf ("update the notification set by hand: %s\n", "x");
    char q = '"'; static const char *e = "TRUNCATE event_log";
    '''
    got = sorted(writes_in(sample))
    want = sorted([("UPDATE", "notification"), ("INSERT", "customer_optout"),
                   ("DELETE", "sla_clock"), ("INSERT", "outbox"), ("TRUNCATE", "event_log")])
    expect("the scanner on a made-up source finds exactly its writes", want, got)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--complaintctl", required=True)
    args = ap.parse_args()
    root = args.root

    scanner_selftest()

    # ---------------------------------------------------------- 1. owners
    services = sorted(d for d in os.listdir(os.path.join(root, "services"))
                      if os.path.isdir(os.path.join(root, "services", d)))
    owners_ok = set(services) - NOT_A_TABLE_OWNER
    rows = sql_pairs(
        "SELECT c.relname, coalesce (obj_description (c.oid, 'pg_class'), '')"
        "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        "   AND c.relname <> 'schema_migrations' ORDER BY 1")
    expect_true("the store has tables to own", len(rows) >= 10, "%d tables" % len(rows))
    owner, also = {}, {}
    for name, comment in rows:
        o, a = parse_owner(comment)
        if o is None:
            bad("table %s has an owner (COMMENT ON TABLE %s IS 'owner: SERVICE | ...')"
                % (name, name))
            continue
        if o not in owners_ok:
            bad("table %s: owner %r is a service (%s)" % (name, o, ", ".join(sorted(owners_ok))))
            continue
        unknown = a - owners_ok
        if unknown:
            bad("table %s: 'also' names services that do not exist: %s" % (name, sorted(unknown)))
        owner[name], also[name] = o, a
    ok("every table has an owner: " + ", ".join("%s=%s" % (t, owner[t]) for t in sorted(owner)))

    interfaces = dict((r[0], r[1]) for r in sql_rows(
        "SELECT p.proname, substring (obj_description (p.oid, 'pg_proc')"
        "                             FROM '^interface of the ([a-z_]+)')"
        "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public'"
        "   AND obj_description (p.oid, 'pg_proc') LIKE 'interface of the %'"))
    expect("the owners' interface functions and their owners", {
        "sla_extension_next": "watchdog", "sla_clocks_json": "watchdog",
        "sla_case_calendar": "watchdog",    # issue 16 (i16-mailev)
        "notification_retry": "notifier", "customer_optout_set": "notifier",
        "customer_optout_remove": "notifier",
        # issue 16 (i16-records): the case file's messages, the retention's erasure
        "notification_casefile": "notifier", "notification_erase_identity": "notifier",
        "kb_suggest": "intake"},
        interfaces)
    for fn, o in sorted(interfaces.items()):
        expect_true("interface %s belongs to a table owner (%s)" % (fn, o), o in owners_ok)

    # ------------------------------------------------- 2. who writes what
    files = []
    for pattern in ("services/*/*.c", "services/*/*.h", "common/*.c", "common/*.h",
                    "proto/*.c", "proto/*.h"):
        files += glob.glob(os.path.join(root, pattern))
    files = sorted(os.path.relpath(f, root) for f in files)
    expect_true("C sources to scan", len(files) > 30, "%d files" % len(files))
    seen = set()                # (writer, table)
    violations = 0
    for rel in files:
        if rel in EXEMPT:
            note("exempt: %s (%s)" % (rel, EXEMPT[rel]))
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        writer = writer_of(rel)
        for verb, table in writes_in(text):
            seen.add((writer, table))
            if table == OUTBOX and verb == "INSERT":
                continue                        # every service appends its events
            if table not in owner:
                bad("%s: %s %s — no such table in the store (or it has no owner)"
                    % (rel, verb, table))
                violations += 1
            elif writer != owner[table] and writer not in also[table]:
                bad("%s: %s %s — %s writes a table of %s; ask its owner (a store function "
                    "its migration declares, or a request)" % (rel, verb, table, writer,
                                                                owner[table]))
                violations += 1
    expect("writes to a table the writer neither owns nor is declared for", 0, violations)
    for pair in [("intake", "complaint"), ("intake", "case_action"), ("router", "staff"),
                 ("router", "department"), ("watchdog", "sla_clock"),
                 ("watchdog", "sla_firing"), ("notifier", "notification"),
                 ("notifier", "notifier_cursor"), ("bus", "event_log"), ("bus", "outbox")]:
        expect_true("the scan finds %s writing %s (its own)" % pair, pair in seen)
    ctl = sorted(t for w, t in seen if w == "complaintctl")
    expect("complaintctl writes only the outbox (it asks the owners for the rest)",
           [OUTBOX], ctl)
    intake_sla = sorted(t for w, t in seen if w == "intake" and t.startswith("sla_"))
    expect("intake writes no SLA table", [], intake_sla)
    for rel in ("services/intake/case_action.c", "services/intake/case_view.c",
                "services/intake/complaint_store.c"):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            lit = c_literals(f.read())
        named = sorted(set(re.findall(r"\b(sla_clock|sla_firing|sla_extension_rule)\b", lit)))
        expect("%s's SQL names no SLA table (it asks the watchdog's functions)" % rel,
               [], named)
    with open(os.path.join(root, "services/complaintctl/notify_cmd.c"), encoding="utf-8") as f:
        lit = c_literals(f.read())
    expect("complaintctl's notify_cmd.c writes through the notifier's functions",
           ["customer_optout_remove", "customer_optout_set", "notification_retry"],
           sorted(set(re.findall(r"\b(notification_retry|customer_optout_set|"
                                 r"customer_optout_remove)\s*\(", lit))))

    # ------------------------------------------------ 3. "open", once
    out = subprocess.run([args.complaintctl, "lifecycle", "--json"], capture_output=True,
                         text=True, check=True).stdout
    states = set()
    for line in out.splitlines():
        a = json.loads(line)
        states.update(a["from"])
        if a["to"]:
            states.add(a["to"])
    expect_true("the lifecycle's states, from complaintctl lifecycle --json",
                {"received", "closed", "rejected", "withdrawn"} <= states, sorted(states))
    state_alt = "|".join(sorted(states, key=len, reverse=True))
    list_rx = re.compile(r"\bIN\s*\(\s*'(?:%s)'" % state_alt)
    literal_lists = []
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lit = c_literals(f.read())
        if list_rx.search(lit):
            literal_lists.append(rel)
    expect("C sources listing complaint states in an IN (...) (use complaint_is_open)",
           [], literal_lists)

    preds = sql_pairs(
        "SELECT i.relname, pg_get_expr (x.indpred, x.indrelid)"
        "  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        "  JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relname = 'complaint' AND x.indpred IS NOT NULL ORDER BY 1")
    hand = [name for name, pred in preds
            if re.search(r"ANY|ARRAY|\bIN\b|<>", pred) and "complaint_" not in pred]
    expect("partial indexes of complaint listing states by hand", [], hand)
    on_def = sorted(name for name, pred in preds
                    if re.search(r"\bcomplaint_(is_open|on_desk)\(", pred))
    expect("partial indexes of open cases built on the definition",
           ["complaint_department_open_idx", "complaint_handler_open_idx",
            # issue 16 (i16-records): the retention's final cases without closed_at
            "complaint_retention_unclosed_idx"], on_def)

    fns = sql_pairs(
        "SELECT p.proname, replace (coalesce (pg_get_functiondef (p.oid), ''), chr (10), ' ')"
        "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.prokind = 'f'"
        "   AND p.proname NOT IN ('complaint_is_open', 'complaint_on_desk')")
    fn_lists = sorted(name for name, body in fns
                      if re.search(r"\bIN\s*\(\s*'(?:%s)'" % state_alt, body)
                      or re.search(r"NOT IN \('closed'", body))
    expect("store functions listing complaint states (use complaint_is_open)", [], fn_lists)
    return status()


if __name__ == "__main__":
    sys.exit(main())
