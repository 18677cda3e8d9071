#!/usr/bin/python3
"""roles.py — invariant 10, the store's half: each service connects to
PostgreSQL as its own least-privileged role (migration 020, deploy/scripts/
roles.sh; docs/security.md, "Least privilege").

Usage: roles.py --root ROOT            (PG* = a migrated database, as superuser)
       roles.py --root ROOT --matrix   print the matrix docs/security.md holds

What it checks, against the migrated store of the test and the login roles
tests/run.sh made with deploy/scripts/roles.sh:

  1. The roles. Every login role complaints_S_login exists, can log in, is
     a member of complaints_S; no service role (group or login) is a
     superuser, may create roles or databases, bypasses row security, or is
     a member of complaints_owner; complaints_owner owns the schema and every
     table, view, sequence and function of it (a service role owns nothing:
     an owner is not bound by GRANTs); every SECURITY DEFINER function pins
     its search_path and is not executable by PUBLIC.

  2. Writes, by rule, from the owner comments of migration 007 (not from the
     GRANTs, so a GRANT too many fails): a role may hold INSERT, UPDATE,
     DELETE or TRUNCATE on a table only when its service owns the table or
     is declared in its "also", or it is an INSERT into the outbox; only the
     bus deletes from the outbox and writes event_log; complaintctl writes
     nothing but the outbox; app_clock is written by complaints_test_clock
     alone.

  3. Behaviour, as each login role (SET ROLE in one session, every
     statement in a transaction that is rolled back): each table it must
     not write refuses INSERT, UPDATE and DELETE with SQLSTATE 42501
     (permission denied); each write its service needs passes the privilege
     check (succeeds, or fails only on the dummy row's constraints);
     column-level grants hold for the columns named and refuse the rest;
     reads that must not be are refused: analytics reads no event_log (it
     reads the stream from the bus), intake no table of the notifier
     (addresses) nor of the SLA side, complaintctl no customer identity.
     The services themselves ran as these roles in every other test of the
     suite, which is what shows the GRANTs are enough.

  4. The clock. No service role moves app_clock (app_clock_set and UPDATE
     refused); complaints_owner neither (the table's owner, not a member of
     complaints_test_clock); complaintctl's login in this test cluster,
     granted complaints_test_clock by tests/run.sh, does (rolled back).

  5. The matrix. docs/security.md holds the role x table matrix between
     <!-- roles-matrix:begin --> and <!-- roles-matrix:end -->; it must equal
     the one rendered from the catalogue (--matrix prints it to paste).
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import bad, expect, expect_true, note, ok, sql, sql_rows, status  # noqa: E402

SERVICES = ["intake", "router", "watchdog", "notifier", "analytics", "bus", "ctl"]
SERVICE_OF = {s: ("complaintctl" if s == "ctl" else s) for s in SERVICES}
GROUPS = ["complaints_" + s for s in SERVICES]
ALL_GROUPS = GROUPS + ["complaints_test_clock"]
WRITES = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
LETTER = {"SELECT": "S", "INSERT": "I", "UPDATE": "U", "DELETE": "D", "TRUNCATE": "T"}

# What each service's code needs to write (beyond INSERT into the outbox,
# which all do): checked to pass as its login role. From its SQL: grep the
# service's folder for INSERT INTO / UPDATE / DELETE FROM / TRUNCATE.
MUST_WRITE = {
    "intake": [("INSERT", "complaint"), ("UPDATE", "complaint"), ("INSERT", "case_action"),
               ("INSERT", "status_guess"), ("UPDATE", "status_guess"),
               ("DELETE", "status_guess")],
    "router": [("INSERT", "department"), ("UPDATE", "department"), ("INSERT", "staff"),
               ("UPDATE", "staff"), ("INSERT", "staff_token"),
               ("UPDATE complaint.state", "complaint"), ("INSERT", "case_action")],
    "watchdog": [("INSERT", "sla_clock"), ("UPDATE", "sla_clock"), ("INSERT", "sla_firing"),
                 ("INSERT", "sla_extension_rule"), ("DELETE", "sla_extension_rule"),
                 ("UPDATE complaint.sla_dirty", "complaint")],
    "notifier": [("INSERT", "notification"), ("UPDATE", "notification"),
                 ("INSERT", "notifier_cursor"), ("UPDATE", "notifier_cursor"),
                 ("INSERT", "staff_inbox"), ("UPDATE", "notify_gateway")],
    "analytics": [("INSERT", "analytics_fact"), ("UPDATE", "analytics_cursor"),
                  ("DELETE", "analytics_rollup"), ("INSERT", "analytics_hotspot")],
    "bus": [("DELETE", "outbox"), ("INSERT", "event_log")],
    "ctl": [],
}
# Reads that must be refused: the stream goes through the bus; addresses
# stay with the notifier; complaintctl never sees who complained.
MUST_NOT_READ = {
    "analytics": ["event_log", "complaint", "notification", "staff"],
    "intake": ["notification", "customer_optout", "staff_inbox", "notify_gateway",
               "sla_clock", "sla_firing", "sla_extension_rule",
               "analytics_hotspot"],    # issue 16 follow-up: analytics_hotspot_get (053)
    "watchdog": ["analytics_hotspot"],  # issue 16 follow-up: analytics_hotspot_overdue (053)
    "bus": ["complaint", "notification"],
    "ctl": ["complaint.customer_sealed", "complaint.customer_phone_hash",
            "complaint.customer_email_hash", "complaint.query_code_hash",
            "complaint.query_code_sealed", "status_guess",
            "staff_token"],
}
# Column-level "also" writes: a column granted, a column not.
COLUMN_WRITES = {
    "router": ("complaint", "state", "customer_sealed"),
    "watchdog": ("complaint", "sla_dirty", "state"),
}


def login(s):
    return "complaints_%s_login" % s


def psql(script):
    """Run a script as the tests' superuser; (stdout, stderr)."""
    r = subprocess.run(["psql", "-X", "-A", "-t", "-q"], input=script,
                       capture_output=True, text=True)
    return r.stdout, r.stderr


# ------------------------------------------------------------ the catalogue

def relations():
    """{name: kind} of the public schema's tables, views and sequences."""
    rows = sql_rows("select c.relname, c.relkind from pg_class c"
                    " where c.relnamespace = 'public'::regnamespace"
                    "   and c.relkind in ('r', 'p', 'v', 'm', 'S') order by 1")
    return {r[0]: r[1] for r in rows}


def owners_comments():
    """{table: (owner, {also services})} from the COMMENTs of migration 007."""
    out = {}
    for line in sql("select c.relname || '|' || replace(coalesce("
                    "obj_description(c.oid, 'pg_class'), ''), E'\\n', ' ')"
                    "  from pg_class c where c.relnamespace = 'public'::regnamespace"
                    "   and c.relkind in ('r', 'p')").split("\n"):
        name, _, comment = line.partition("|")     # comments hold '|' too
        m = re.match(r"owner:\s*([a-z]+)", comment)
        also = set()
        am = re.search(r"also:\s*([^|]*)", comment)
        if am:
            also = set(re.findall(r"([a-z]+)\s*\(", am.group(1)))
        out[name] = (m.group(1) if m else None, also)
    return out


def privileges(rels):
    """{(role, relation): set of letters}; 'u' = UPDATE on some columns only,
    's' = SELECT on some columns only, 'X' = USAGE of a sequence."""
    roles = ",".join("'%s'" % g for g in ALL_GROUPS)
    rows = sql_rows(
        "select r.rolname, c.relname,"
        " has_table_privilege(r.oid, c.oid, 'SELECT'),"
        " has_any_column_privilege(r.oid, c.oid, 'SELECT'),"
        " has_table_privilege(r.oid, c.oid, 'INSERT'),"
        " has_table_privilege(r.oid, c.oid, 'UPDATE'),"
        " has_any_column_privilege(r.oid, c.oid, 'UPDATE'),"
        " has_table_privilege(r.oid, c.oid, 'DELETE'),"
        " has_table_privilege(r.oid, c.oid, 'TRUNCATE'),"
        " c.relkind = 'S' and has_sequence_privilege(r.oid, c.oid, 'USAGE')"
        " from pg_roles r, pg_class c"
        " where r.rolname in (%s) and c.relnamespace = 'public'::regnamespace"
        "   and c.relkind in ('r', 'p', 'v', 'm', 'S')" % roles)
    out = {}
    for role, rel, s, s_any, i, u, u_any, d, t, x in rows:
        p = set()
        if s == "t":
            p.add("S")
        elif s_any == "t":
            p.add("s")
        if i == "t":
            p.add("I")
        if u == "t":
            p.add("U")
        elif u_any == "t":
            p.add("u")
        if d == "t":
            p.add("D")
        if t == "t":
            p.add("T")
        if x == "t":
            p.add("X")
        out[(role, rel)] = p
    return out


def render_matrix(rels, privs):
    """The markdown table: a row per relation with any grant, a column per
    group role; cells in the order S s I U u D T X."""
    order = "SsIUuDTX"
    heads = [g.replace("complaints_", "") for g in ALL_GROUPS]
    lines = ["| table | " + " | ".join(heads) + " |",
             "| --- | " + " | ".join("---" for _ in heads) + " |"]
    for rel in sorted(rels):
        cells = ["".join(ch for ch in order if ch in privs.get((g, rel), set()))
                 for g in ALL_GROUPS]
        if not any(cells):
            continue
        lines.append("| `%s` | " % rel + " | ".join(c or "·" for c in cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------- behaviour

def try_as(role, statements):
    """Each statement as ROLE inside one rolled-back transaction, each in a
    subtransaction of its own: {statement: 'ok' | 'denied' | 'other:CODE'}."""
    body = []
    for k, st in enumerate(statements):
        body.append(
            "  BEGIN EXECUTE %s; RAISE NOTICE 'R%d ok';"
            " EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'R%d denied';"
            " WHEN others THEN RAISE NOTICE 'R%d other:%%', SQLSTATE; END;"
            % (quote(st), k, k, k))
    script = ("BEGIN;\nSET LOCAL ROLE %s;\nDO $try$ BEGIN\n%s\nEND $try$;\nROLLBACK;\n"
              % (role, "\n".join(body)))
    _, err = psql(script)
    got = {}
    for m in re.finditer(r"NOTICE:\s+R(\d+) (\S+)", err):
        got[statements[int(m.group(1))]] = m.group(2)
    for st in statements:
        got.setdefault(st, "missing: " + err.strip()[:200])
    return got


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def write_statement(op, table, column=None):
    """A write that touches no row (or one dummy row, rolled back): the
    privilege check happens all the same."""
    if op == "INSERT":
        return "INSERT INTO %s DEFAULT VALUES" % table
    if op == "UPDATE":
        col = column or first_column(table)
        return "UPDATE %s SET %s = %s WHERE false" % (table, col, col)
    if op == "DELETE":
        return "DELETE FROM %s WHERE false" % table
    return "TRUNCATE %s" % table


COLUMNS = {}


def first_column(table):
    if table not in COLUMNS:
        COLUMNS[table] = sql_rows(
            "select attname from pg_attribute where attrelid = :'t'::regclass and attnum > 0"
            " and not attisdropped and attidentity = '' and attgenerated = '' order by attnum",
            t=table)[0][0]
    return COLUMNS[table]


# ------------------------------------------------------------------- checks

def check_roles():
    rows = sql_rows(
        "select rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin"
        " from pg_roles where rolname like 'complaints\\_%'")
    by = {r[0]: r[1:] for r in rows}
    for g in ALL_GROUPS + ["complaints_owner"]:
        expect_true("group role %s exists, NOLOGIN" % g, g in by and by[g][4] == "f", by.get(g))
    for s in SERVICES:
        lg = login(s)
        expect_true("login role %s exists and may log in" % lg, lg in by and by[lg][4] == "t",
                    by.get(lg))
    for name, (sup, crole, cdb, bypass, _) in sorted(by.items()):
        if name == "complaints_owner":
            continue
        expect("%s: superuser, createrole, createdb, bypassrls" % name,
               ["f", "f", "f", "f"], [sup, crole, cdb, bypass])
    member = sql_rows(
        "select m.rolname, g.rolname from pg_auth_members a"
        " join pg_roles m on m.oid = a.member join pg_roles g on g.oid = a.roleid"
        " where m.rolname like 'complaints\\_%'")
    groups_of = {}
    for m, g in member:
        groups_of.setdefault(m, set()).add(g)
    for s in SERVICES:
        want = {"complaints_" + s}
        if s == "ctl":
            want.add("complaints_test_clock")     # tests/run.sh, in this cluster only
        expect("%s is a member of" % login(s), sorted(want), sorted(groups_of.get(login(s), set())))
    expect("roles that are members of complaints_owner", [],
           sorted(m for m, gs in groups_of.items() if "complaints_owner" in gs))


def check_ownership():
    rows = sql_rows(
        "select c.relname, pg_get_userbyid(c.relowner) from pg_class c"
        " where c.relnamespace = 'public'::regnamespace and c.relkind in ('r','p','v','m','S')"
        "   and pg_get_userbyid(c.relowner) <> 'complaints_owner'")
    expect("tables, views, sequences not owned by complaints_owner", [], rows)
    rows = sql_rows(
        "select p.oid::regprocedure::text, pg_get_userbyid(p.proowner) from pg_proc p"
        " where p.pronamespace = 'public'::regnamespace"
        "   and pg_get_userbyid(p.proowner) <> 'complaints_owner'"
        # an extension's functions (pg_trgm, migration 049) belong to whoever
        # installed it, as PostgreSQL has it; our own are all the owner's
        "   and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass"
        "                     and d.objid = p.oid and d.deptype = 'e')")
    expect("functions not owned by complaints_owner (extensions' aside)", [], rows)
    expect("the schema's owner", "complaints_owner",
           sql_rows("select pg_get_userbyid(nspowner) from pg_namespace"
                    " where nspname = 'public'")[0][0])
    rows = sql_rows(
        "select p.oid::regprocedure::text,"
        " coalesce(array_to_string(p.proconfig, ','), '') like '%search_path=%',"
        " has_function_privilege('public', p.oid, 'EXECUTE')"
        " from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prosecdef")
    expect_true("SECURITY DEFINER functions exist (020's narrow doors)", len(rows) >= 6, rows)
    for fn, pinned, public in rows:
        expect("%s: search_path pinned, PUBLIC may not execute" % fn, ["t", "f"], [pinned, public])


def check_rules(rels, privs, owners):
    tables = [r for r, k in rels.items() if k in ("r", "p")]
    wrong = []
    for s in SERVICES:
        g = "complaints_" + s
        svc = SERVICE_OF[s]
        for t in tables:
            held = privs.get((g, t), set())
            owner, also = owners.get(t, (None, set()))
            for ch in held & set("IUuDT"):
                if t == "outbox" and ch == "I":
                    continue
                if t == "app_clock":
                    wrong.append((g, t, ch, "only complaints_test_clock writes app_clock"))
                    continue
                if svc == owner or svc in also:
                    continue
                wrong.append((g, t, ch, "owner %s, also %s" % (owner, sorted(also))))
    expect("writes granted to a role whose service neither owns the table nor is declared"
           " in its also (outbox INSERT aside)", [], wrong)
    expect("roles that may DELETE from the outbox", ["complaints_bus"],
           sorted(g for g in ALL_GROUPS if "D" in privs.get((g, "outbox"), set())))
    expect("roles that may write event_log", ["complaints_bus"],
           sorted(g for g in ALL_GROUPS if privs.get((g, "event_log"), set()) & set("IUuDT")))
    expect("roles that may write app_clock", ["complaints_test_clock"],
           sorted(g for g in ALL_GROUPS if privs.get((g, "app_clock"), set()) & set("IUuDT")))
    expect("complaintctl's writes", ["outbox"],
           sorted(t for t in tables if privs.get(("complaints_ctl", t), set()) & set("IUuDT")))
    for s in SERVICES:
        if s in ("ctl",):
            continue
        expect_true("complaints_%s may INSERT into the outbox" % s,
                    "I" in privs.get(("complaints_" + s, "outbox"), set()))


def check_behaviour(rels, owners):
    tables = sorted(r for r, k in rels.items() if k in ("r", "p"))
    for s in SERVICES:
        svc = SERVICE_OF[s]
        must = {(op.split()[0], t, op.split()[1].split(".")[1] if " " in op else None)
                for op, t in MUST_WRITE[s]}
        if s != "ctl":
            must.add(("INSERT", "outbox", None))
        statements, expect_of = [], {}
        for t in tables:
            owner, also = owners.get(t, (None, set()))
            if svc == owner or svc in also:
                continue                # its own: only MUST_WRITE is asserted
            if t == "app_clock" and s == "ctl":
                continue                # a test_clock member here: check_clock
            for op in ("INSERT", "UPDATE", "DELETE"):
                if t == "outbox" and op == "INSERT":
                    continue
                st = write_statement(op, t)
                statements.append(st)
                expect_of[st] = "denied"
        for op, t, col in sorted(must, key=str):
            st = write_statement(op, t, col)
            statements.append(st)
            expect_of[st] = "allowed"
        if s in COLUMN_WRITES:
            t, yes, no = COLUMN_WRITES[s]
            for col, want in ((yes, "allowed"), (no, "denied")):
                st = write_statement("UPDATE", t, col)
                statements.append(st)
                expect_of[st] = want
        # issue 16 follow-up (analytics2): analytics' hot spot functions,
        # each executable by the one service that asks it (053)
        for fn, who in (("analytics_hotspot_get ('x')", "intake"),
                        ("analytics_hotspot_overdue (0)", "watchdog")):
            st = "SELECT count(*) FROM %s" % fn
            statements.append(st)
            expect_of[st] = "allowed" if s == who else "denied"
        for item in MUST_NOT_READ.get(s, []):
            t, _, col = item.partition(".")
            st = "SELECT %s FROM %s WHERE false" % (col or "1", t)
            statements.append(st)
            expect_of[st] = "denied"
        got = try_as(login(s), statements)
        denied_ok = [st for st, w in expect_of.items() if w == "denied" and got[st] == "denied"]
        allowed_ok = [st for st, w in expect_of.items()
                      if w == "allowed" and (got[st] == "ok" or got[st].startswith("other:"))]
        wrong = {st: got[st] for st, w in expect_of.items()
                 if st not in denied_ok and st not in allowed_ok}
        expect("%s: statements against the expectation (of %d refused, %d allowed)"
               % (login(s), sum(1 for w in expect_of.values() if w == "denied"),
                  sum(1 for w in expect_of.values() if w == "allowed")), {}, wrong)
        note("  %s: %d writes and reads refused with 42501, %d passed the privilege check"
             % (login(s), len(denied_ok), len(allowed_ok)))


def check_clock():
    move = "SELECT app_clock_set (app_now () + interval '1 hour', 1)"
    upd = "UPDATE app_clock SET scale = scale"
    for s in SERVICES:
        if s == "ctl":
            continue
        got = try_as(login(s), [move, upd])
        expect("%s moves the clock (app_clock_set, UPDATE app_clock)" % login(s),
               ["denied", "denied"], [got[move], got[upd]])
    got = try_as("complaints_owner", [move, upd])
    expect("complaints_owner (app_clock's owner, no test clock member) moves the clock",
           ["denied", "denied"], [got[move], got[upd]])
    got = try_as(login("ctl"), [move, upd])
    expect("complaintctl's login, granted complaints_test_clock in this test cluster",
           ["ok", "ok"], [got[move], got[upd]])


def check_matrix(root, rels, privs):
    doc = os.path.join(root, "docs", "security.md")
    want = render_matrix(rels, privs)
    try:
        text = open(doc, encoding="utf-8").read()
    except OSError as e:
        bad("docs/security.md: %s" % e)
        return
    m = re.search(r"<!-- roles-matrix:begin -->(.*?)<!-- roles-matrix:end -->", text, re.S)
    if not m:
        bad("docs/security.md has no <!-- roles-matrix:begin/end --> block")
        return
    if m.group(1).strip() == want.strip():
        ok("docs/security.md's role x table matrix equals the catalogue's (%d rows)"
           % (want.count("\n") - 1))
    else:
        bad("docs/security.md's role x table matrix differs from the catalogue;"
            " paste `roles.py --matrix`:\n" + want)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--matrix", action="store_true")
    args = p.parse_args()
    rels = relations()
    privs = privileges(rels)
    if args.matrix:
        print(render_matrix(rels, privs))
        return 0
    owners = owners_comments()
    check_roles()
    check_ownership()
    check_rules(rels, privs, owners)
    check_behaviour(rels, owners)
    check_clock()
    check_matrix(args.root, rels, privs)
    return status()


if __name__ == "__main__":
    sys.exit(main())
