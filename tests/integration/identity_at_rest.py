#!/usr/bin/python3
"""identity_at_rest.py — the checks of identity_at_rest.sh (issue 13): the
customer's identity is held sealed, opened only by intake and the notifier
with the key file, and an older store is brought there by
`intake --seal-identity`.

    identity_at_rest.py --endpoint E --mail DIR --sink smtp_sink.py --bin BIN
                        --root ROOT --dir TEST_DIR --token T
"""
import argparse
import os
import shutil
import subprocess
import sys

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import expect, expect_true, note, sql, sql_int, sql_rows, wait_for  # noqa: E402
from client import Client, unpack  # noqa: E402

ARGS = None
PEOPLE = [
    {"name": "欧阳明月", "phone": "13711223344", "email": "idr.one@example.org",
     "account": "6222999988887777", "id_no": "110105199001011234"},
    {"name": "Quentin Sealwright", "phone": "+86 137 5566 7788", "email": "Idr.Two@Example.org",
     "account": "6222888877776666", "id_no": "11010519900202567X"},
]


def ask(req):
    c = Client(zmq.Context.instance(), ARGS.endpoint)
    raw = c.request(msgpack.packb(req), 5000)
    c.close()
    return unpack(raw) if raw is not None else None


def needles(person):
    """Every form of a person's identifiers that must not be in the store:
    as given, normalised (digits, lower case), and as hex (bytea as text)."""
    forms = set()
    for v in person.values():
        forms.add(v)
        forms.add(v.lower())
        digits = "".join(ch for ch in v if ch.isdigit())
        if len(digits) >= 8:
            forms.add(digits)
            forms.add(digits[-11:])
    out = set()
    for f in forms:
        out.add(f)
        out.add(f.encode().hex())
    return sorted(out)


def psql(query, db=None, **params):
    args = ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"]
    if db:
        args += ["-d", db]
    for k, v in params.items():
        args += ["-v", "%s=%s" % (k, v)]
    r = subprocess.run(args, input=query, capture_output=True, text=True)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


SCAN_SQL = """
create function pg_temp.hits (needles text[]) returns table (tbl text, needle text)
language plpgsql as $$
declare
    r record;
    n text;
    c bigint;
begin
    for r in select relname from pg_class
              where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1 loop
        foreach n in array needles loop
            execute format ('select count (*) from %I x'
                            ' where strpos (lower (x::text), lower ($1)) > 0', r.relname)
               into c using n;
            if c > 0 then
                tbl := r.relname;
                needle := n;
                return next;
            end if;
        end loop;
    end loop;
end $$;
select (select count (*) from pg_class where relnamespace = 'public'::regnamespace
         and relkind = 'r')::text;
select tbl || '|' || needle from pg_temp.hits (:'needles'::text[]);
"""


def scan(people, db=None):
    """(number of tables, [(table, needle)]): every table of the store
    holding a needle in any column (the row as text: bytea shows as hex),
    in one session."""
    all_needles = sorted({n for p in people for n in needles(p)})
    literal = "{" + ",".join('"%s"' % n for n in all_needles) + "}"
    rc, out, err = psql(SCAN_SQL, db, needles=literal)
    if rc != 0:
        return 0, [("error", err[-200:])]
    lines = out.split("\n")
    return int(lines[0]), [tuple(line.split("|", 1)) for line in lines[1:] if line]


def step_submit():
    note("--- a: submit, then scan the whole store")
    nos = []
    for i, p in enumerate(PEOPLE):
        rep = ask({"op": "submit", "channel": "web", "ref": "idr-%d" % i, "lang": "en",
                   "body": "my card was charged twice for the annual fee",
                   "customer": p}) or {}
        expect_true("submit %d: ok" % i, rep.get("ok") is True, repr(rep))
        nos.append(rep.get("complaint_no"))
    checks.wait_sql("the receipts' notification rows made",
                    "select count(*) >= 2 from notification where event_type ="
                    " 'complaint.received' and recipient_kind = 'customer'", 30)
    checks.wait_sql("the outbox drained into the event log", "select count(*) = 0 from outbox", 20)
    ntables, found = scan(PEOPLE)
    expect_true("tables scanned (every table of the store)", ntables >= 20, str(ntables))
    expect("no table holds a name, phone, e-mail, account or ID number in clear"
           " (nor normalised, nor as hex)", [], found)
    rows = sql_rows("select length (customer_sealed), get_byte (customer_sealed, 0),"
                    " length (customer_phone_hash), length (customer_email_hash),"
                    " length (customer_account_hash), length (customer_id_no_hash)"
                    " from complaint where complaint_no in (:'a', :'b') order by id",
                    a=nos[0], b=nos[1])
    expect("sealed under key 1, four lookup hashes of 33 bytes each",
           [["1", "33", "33", "33", "33"]] * 2, [r[1:] for r in rows])
    same = sql_int("select count (distinct customer_phone_hash) from complaint"
                   " where complaint_no in (:'a', :'b')", a=nos[0], b=nos[1])
    expect("two customers, two phone hashes", 2, same)
    cols = sql("select string_agg (column_name, ',' order by column_name)"
               " from information_schema.columns where table_name = 'complaint'"
               " and column_name in ('customer_name', 'customer_phone', 'customer_email',"
               " 'customer_account', 'customer_id_no')")
    expect("the plaintext columns are gone (migration 023)", "", cols)
    return nos


def step_lookup(nos):
    """A customer found by a lookup hash, as a service with the key would:
    the hash of the phone written another way matches the stored one."""
    rows = sql_rows("select complaint_no from complaint where customer_phone_hash ="
                    " (select customer_phone_hash from complaint where complaint_no = :'b')",
                    b=nos[1])
    expect("the lookup hash finds exactly the customer's complaint", [[nos[1]]], rows)


def step_views(nos):
    note("--- b: opened for staff and for delivery")
    for no, p in zip(nos, PEOPLE):
        rep = ask({"op": "get", "complaint_no": no, "token": ARGS.token}) or {}
        cust = (rep.get("complaint") or {}).get("customer") or {}
        expect("staff view of %s: the identity opened" % no,
               {k: p[k] for k in ("name", "phone", "email", "account", "id_no")},
               {k: cust.get(k) for k in ("name", "phone", "email", "account", "id_no")})

    def mails():
        rc, out, _ = checks.run([sys.executable, ARGS.sink, "report", "--dir", ARGS.mail])
        return sorted(m["rcpt"] for m in checks.jsonl(out)
                      if any(no in m.get("subject", "") for no in nos)
                      and not m["rcpt"].endswith("@bank.example"))
    wait_for("both receipts delivered", lambda: len(mails()) >= 2, 30)
    expect("delivered to the opened addresses", sorted(p["email"] for p in PEOPLE), mails())
    addr = sql("select string_agg (distinct left (address, 7), ',') from notification"
               " where recipient_kind = 'customer' and address is not null")
    expect("the notification rows keep the customer's address sealed", "sealed:", addr)


def refuses(binary, args, env_over, want):
    env = dict(os.environ)
    env.update(env_over)
    try:
        r = subprocess.run([os.path.join(ARGS.bin, binary)] + args, env=env,
                           capture_output=True, text=True, timeout=20)
        rc, err = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        rc, err = None, "still running after 20 s"
    expect_true("%s %s: exit 2, naming --identity-key-file and %s" % (binary, want, want),
                rc == 2 and "--identity-key-file" in err and want in err,
                "exit %r: %s" % (rc, err.strip()[-300:]))


def step_refusals():
    note("--- c: no key, a readable key")
    loose = os.path.join(ARGS.dir, "identity.loose.key")
    shutil.copyfile(os.environ["COMPLAINTS_IDENTITY_KEY_FILE"], loose)
    os.chmod(loose, 0o644)
    missing = os.path.join(ARGS.dir, "no-such.key")
    for binary, args in (("intake", ["--endpoint", "tcp://127.0.0.1:1"]),
                         ("notifier", ["--bus", "tcp://127.0.0.1:1"])):
        refuses(binary, args, {"COMPLAINTS_IDENTITY_KEY_FILE": missing}, "No such file")
        refuses(binary, args, {"COMPLAINTS_IDENTITY_KEY_FILE": loose}, "mode 0644")
        refuses(binary, args + ["--identity-key-file", loose],
                {"COMPLAINTS_IDENTITY_KEY_FILE": ""}, "chmod 600")
        refuses(binary, args, {"COMPLAINTS_IDENTITY_KEY_FILE": ""}, "no key file given")


def step_upgrade():
    note("--- d: the upgrade of a store with plaintext identity")
    db = os.environ["PGDATABASE"] + "_upgrade"
    subprocess.run(["dropdb", "--if-exists", db], capture_output=True)
    r = subprocess.run(["createdb", db], capture_output=True, text=True)
    expect("createdb %s" % db, 0, r.returncode)
    old = os.path.join(ARGS.dir, "migrations-022")
    os.makedirs(old, exist_ok=True)
    src = os.path.join(ARGS.root, "deploy", "migrations")
    for f in sorted(os.listdir(src)):
        if f.endswith(".sql") and f < "023":
            shutil.copyfile(os.path.join(src, f), os.path.join(old, f))
    env = dict(os.environ, PGDATABASE=db, COMPLAINTS_PG="dbname=%s" % db)
    migrate = os.path.join(ARGS.root, "deploy", "scripts", "migrate.sh")
    r = subprocess.run(["bash", migrate, old], env=env, capture_output=True, text=True)
    expect("migrated to 022", 0, r.returncode)
    for i, p in enumerate(PEOPLE):
        rc, _, err = psql("insert into complaint (complaint_no, channel, ref, body, customer_name,"
                          " customer_phone, customer_email, customer_account, customer_id_no,"
                          " customer_pseudonym, received_at) values (:'no', 'web', :'ref',"
                          " 'old complaint', :'n', :'ph', :'em', :'ac', :'id', repeat ('0', 32),"
                          " now ())", db, no="20200101%07d" % i, ref="old-%d" % i, n=p["name"],
                          ph=p["phone"], em=p["email"], ac=p["account"], id=p["id_no"])
        expect("an old row with plaintext identity (%d)" % i, 0, rc)
    r = subprocess.run(["bash", migrate], env=env, capture_output=True, text=True)
    expect_true("migration 023 refuses while plaintext is there, saying what to run",
                r.returncode != 0 and "intake --seal-identity" in r.stderr, r.stderr[-300:])
    intake_env = dict(env, COMPLAINTS_INTAKE_PG="user=complaints_intake_login dbname=%s" % db)
    r = subprocess.run([os.path.join(ARGS.bin, "intake"), "--seal-identity"], env=intake_env,
                       capture_output=True, text=True, timeout=60)
    expect_true("intake --seal-identity (as intake's role): 2 rows sealed",
                r.returncode == 0 and "2 rows sealed" in r.stdout, r.stdout + r.stderr[-300:])
    rc, out, _ = psql("select count(*) from complaint where customer_sealed is not null and"
                      " customer_phone_hash is not null and customer_name is null and"
                      " customer_phone is null and customer_email is null and"
                      " customer_account is null and customer_id_no is null", db)
    expect("both rows sealed and hashed, the plaintext columns emptied", "2", out)
    r = subprocess.run(["bash", migrate], env=env, capture_output=True, text=True)
    expect("then migration 023 passes", 0, r.returncode)
    ntables, found = scan(PEOPLE, db)
    expect("after the upgrade no table holds the identity in clear", [], found)
    # rotation: a new first key; --reseal moves every row to it
    rotated = os.path.join(ARGS.dir, "identity.rotated.key")
    with open(os.environ["COMPLAINTS_IDENTITY_KEY_FILE"]) as f:
        first = f.read()
    fd = os.open(rotated, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("2 " + os.urandom(32).hex() + "\n" + first)
    r = subprocess.run([os.path.join(ARGS.bin, "intake"), "--seal-identity", "--reseal"],
                       env=dict(intake_env, COMPLAINTS_IDENTITY_KEY_FILE=rotated),
                       capture_output=True, text=True, timeout=60)
    expect_true("intake --seal-identity --reseal: 2 rows re-sealed under key 2",
                r.returncode == 0 and "2 re-sealed under key 2" in r.stdout,
                r.stdout + r.stderr[-300:])
    rc, out, _ = psql("select count(*) from complaint where get_byte (customer_sealed, 0) = 2"
                      " and get_byte (customer_id_no_hash, 0) = 2", db)
    expect("every row now under key 2", "2", out)
    subprocess.run(["dropdb", "--if-exists", db], capture_output=True)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for o in ("--endpoint", "--mail", "--sink", "--bin", "--root", "--dir", "--token"):
        p.add_argument(o, required=True)
    ARGS = p.parse_args()
    nos = step_submit()
    step_lookup(nos)
    step_views(nos)
    step_refusals()
    step_upgrade()
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
