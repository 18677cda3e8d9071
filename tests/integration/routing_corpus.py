#!/usr/bin/python3
"""routing_corpus.py — submits the routing corpus and judges the router.

Used by tests/integration/routing_corpus.sh; independent of the C code under
test (its own ZeroMQ client, its own CFPB oracle), so a mistake shared by the
router and complaintctl cannot hide. Every judgement is a counted check
(checks.py); each subcommand exits 1 when one failed.

    routing_corpus.py lint   --corpus TSV [--departments FILE]
        check the corpus itself: columns, vocabularies, coverage (every
        business line and cause at least 3 times, every flag at least once),
        unique refs, repeat pairs; print the counts. With --departments (one
        department id a line, e.g. from the store's department table), every
        expected department and cooperating department must be one of them
        (and the file must name some: an empty department table means the
        router loaded no directory).
    routing_corpus.py submit --endpoint E --corpus TSV --wave 1|2 --out FILE
        submit the corpus rows of one wave through intake's `submit` op:
        wave 1 = every row not expecting `repeat`, wave 2 = the rows that do
        (they are second complaints of a wave-1 customer, so they must come
        after the first is stored). Appends "channel ref complaint_no" lines;
        after wave 2 the file must hold one line per corpus row.
    routing_corpus.py assigned --corpus TSV [--wave 1] [--csv CFPB] --timeout S
        wait (deadline S, a check) until the corpus rows (of wave 1 only,
        with --wave 1) and the CFPB rows (with --csv) are out of state
        'received' (the router has assigned them).
    routing_corpus.py check  --corpus TSV --store CSV
        compare the store (CSV with header: channel, ref, complaint_no, state,
        department, business_line, cause, flags, cooperating, routing_rule,
        flags and cooperating comma-joined) with each row's expectations.
        Prints every mismatch as "MISMATCH ref field expected=.. got=..".
        Fails (exit 1) on a department, business_line or cause mismatch or a
        missing expected flag; an unexpected extra flag or a cooperating
        difference is printed as NOTE and does not fail.
    routing_corpus.py cfpb   --csv FILE --store CSV [--min-cause PCT]
        the CFPB oracle: department and business_line from Product /
        Sub-product (and, for fee complaints, Issue / Sub-issue), cause from
        Issue / Sub-issue (table CAUSE_BY_ISSUE below). Fails on any
        department or business_line disagreement, or when cause agreement is
        below --min-cause percent (default 90) of the rows whose cause the
        oracle can name. With --corpus: the store holds exactly the corpus
        rows and the CFPB rows.

Corpus TSV columns (header row, tab-separated, no tabs or newlines inside a
field): ref channel product category branch amount subject body
expect_department expect_business_line expect_cause expect_flags
expect_cooperating customer. `customer` is an optional key: rows with the
same key are the same person (same id_no), which is how `repeat` is tested;
a row without one gets an id_no of its own.
"""
import argparse
import collections
import csv
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from client import curve_connect  # noqa: E402  (CURVE, as every client)
from checks import expect, expect_ge, expect_true  # noqa: E402

BUSINESS_LINES = ["accounts_deposits", "cards", "loans", "payments_transfers",
                  "wealth_insurance", "ebanking_app", "fees_charges", "other"]
CAUSES = ["service_attitude", "efficiency_process", "product_terms_pricing",
          "system_fault", "staff_misconduct", "fraud_security",
          "information_disclosure", "other"]
FLAGS = ["media", "regulator", "large_amount", "fraud", "vulnerable", "repeat"]
CHANNELS = ["hotline", "email", "web", "sms", "letter", "counter", "app",
            "wechat", "regulator"]
BUSINESS_DEPARTMENTS = ["card_center", "retail_lending", "deposits_accounts",
                        "payments", "wealth_insurance", "ebanking",
                        "complaint_office"]
COLUMNS = ["ref", "channel", "product", "category", "branch", "amount",
           "subject", "body", "expect_department", "expect_business_line",
           "expect_cause", "expect_flags", "expect_cooperating"]
OPTIONAL_COLUMNS = ["customer"]


def s_list(text):
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def read_corpus(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    header = lines[0].split("\t")
    rows, errors = [], []
    for i, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) < len(COLUMNS) or len(cells) > len(header):
            errors.append("%s:%d: %d fields, want %d..%d"
                          % (path, i, len(cells), len(COLUMNS), len(header)))
            continue
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells))
        row["_line"] = i
        rows.append(row)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        errors.append("%s: header lacks %s" % (path, ", ".join(missing)))
    return rows, errors


# ------------------------------------------------------------------- lint

def cmd_lint(args):
    rows, errors = read_corpus(args.corpus)
    departments = None
    if args.departments:
        with open(args.departments, encoding="utf-8") as f:
            departments = set(x.strip() for x in f if x.strip())
    seen = set()
    customers = collections.Counter()
    for r in rows:
        where = "%s:%d (%s)" % (args.corpus, r["_line"], r["ref"])
        key = (r["channel"], r["ref"])
        if key in seen:
            errors.append("%s: duplicate channel+ref" % where)
        seen.add(key)
        if r["channel"] not in CHANNELS:
            errors.append("%s: channel %r" % (where, r["channel"]))
        if not r["body"].strip():
            errors.append("%s: empty body" % where)
        if r["expect_business_line"] not in BUSINESS_LINES:
            errors.append("%s: business line %r" % (where, r["expect_business_line"]))
        if r["expect_cause"] not in CAUSES:
            errors.append("%s: cause %r" % (where, r["expect_cause"]))
        for fl in s_list(r["expect_flags"]):
            if fl not in FLAGS:
                errors.append("%s: flag %r" % (where, fl))
        if r["channel"] == "regulator" and "regulator" not in s_list(r["expect_flags"]):
            errors.append("%s: channel regulator without the regulator flag" % where)
        depts = [r["expect_department"]] + s_list(r["expect_cooperating"])
        for d in depts:
            if not d:
                errors.append("%s: no expected department" % where)
            elif departments is not None and d not in departments:
                errors.append("%s: department %r is not in the directory" % (where, d))
        if r["amount"]:
            try:
                float(r["amount"])
            except ValueError:
                errors.append("%s: amount %r" % (where, r["amount"]))
        if r.get("customer"):
            customers[r["customer"]] += 1
    for r in rows:
        if "repeat" in s_list(r["expect_flags"]):
            if not r.get("customer") or customers[r["customer"]] < 2:
                errors.append("%s:%d (%s): expects repeat but shares no customer key"
                              % (args.corpus, r["_line"], r["ref"]))

    by_line = collections.Counter(r["expect_business_line"] for r in rows)
    by_cause = collections.Counter(r["expect_cause"] for r in rows)
    by_flag = collections.Counter(f for r in rows for f in s_list(r["expect_flags"]))
    by_channel = collections.Counter(r["channel"] for r in rows)
    by_dept = collections.Counter(r["expect_department"] for r in rows)
    english = sum(1 for r in rows if not any(ord(ch) > 0x2e80 for ch in r["body"]))
    cross = sum(1 for r in rows if r["expect_cooperating"])
    for name, counter, vocab, need in (("business_line", by_line, BUSINESS_LINES, 3),
                                       ("cause", by_cause, CAUSES, 3),
                                       ("flag", by_flag, FLAGS, 1)):
        print("%s: %s" % (name, " ".join("%s=%d" % (v, counter[v]) for v in vocab)))
        for v in vocab:
            if counter[v] < need:
                errors.append("coverage: %s %s only %d time(s), want >= %d"
                              % (name, v, counter[v], need))
    print("channel: %s" % " ".join("%s=%d" % kv for kv in sorted(by_channel.items())))
    print("department: %s" % " ".join("%s=%d" % kv for kv in sorted(by_dept.items())))
    print("rows %d, English %d, with cooperating departments %d"
          % (len(rows), english, cross))
    for e in errors:
        print("LINT: %s" % e)
    if departments is None:
        expect("corpus lint (vocabularies, coverage >= 3 per business line and cause, every"
               " flag): problems", [], errors[:10])
    else:
        expect_true("the store has the loaded directory's departments (%d)" % len(departments),
                    departments)
        expect("every expected department is in the loaded directory: problems", [], errors[:10])
    return checks.status()


# ----------------------------------------------------------------- submit

def customer_of(row):
    """Invented identity; the id_no is the pseudonym's key (privacy.c)."""
    key = row.get("customer") or row["ref"]
    digits = "".join(ch for ch in key if ch.isdigit()) or "0"
    return {
        "name": "语料客户 %s" % key,
        "id_no": "CORPUS-ID-%s" % key,
        "phone": "1390000%04d" % (int(digits) % 10000),
    }


def cmd_submit(args):
    import msgpack
    import zmq
    rows, errors = read_corpus(args.corpus)
    if not expect("corpus readable: problems", [], errors[:10]):
        return checks.status()
    want_repeat = args.wave == 2
    todo = [r for r in rows if ("repeat" in s_list(r["expect_flags"])) == want_repeat]
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    curve_connect(sock, args.endpoint)
    failed = 0
    with open(args.out, "a", encoding="utf-8") as out:
        for n, r in enumerate(todo):
            req = {"op": "submit", "channel": r["channel"], "ref": r["ref"],
                   "body": r["body"], "customer": customer_of(r),
                   "lang": "zh" if any(ord(ch) > 0x2e80 for ch in r["body"]) else "en"}
            for field in ("product", "category", "branch", "subject", "amount"):
                if r[field].strip():
                    req[field] = r[field].strip()
            frame = msgpack.packb(req, use_bin_type=True)
            reply = None
            # Submits are idempotent on (channel, ref): resend until answered.
            deadline = time.monotonic() + args.timeout
            tag = b""
            while reply is None and time.monotonic() < deadline:
                tag = b"r%d-%d" % (n, int(time.monotonic() * 1000))
                sock.send_multipart([tag, b"", frame])
                if sock.poll(3000):
                    parts = sock.recv_multipart()
                    if len(parts) >= 3 and parts[0] == tag:
                        reply = msgpack.unpackb(parts[-1], raw=False)
                        if not reply.get("ok") and \
                           reply.get("error", {}).get("code") == "unavailable":
                            reply = None
                            time.sleep(0.2)
            if reply is None or not reply.get("ok"):
                failed += 1
                print("submit %s %s: %s" % (r["channel"], r["ref"], reply or "no reply"),
                      file=sys.stderr)
                continue
            out.write("%s %s %s\n" % (r["channel"], r["ref"], reply["complaint_no"]))
    sock.close(0)
    print("wave %d: %d rows submitted, %d failed" % (args.wave, len(todo) - failed, failed))
    expect("wave %d: rows refused or unanswered (of %d)" % (args.wave, len(todo)), 0, failed)
    if args.wave == 2:
        with open(args.out, encoding="utf-8") as f:
            expect("corpus rows acknowledged", len(rows), sum(1 for line in f if line.strip()))
    return checks.status()


def cmd_assigned(args):
    rows, _ = read_corpus(args.corpus)
    n = len([r for r in rows if args.wave != 1 or "repeat" not in s_list(r["expect_flags"])])
    if args.csv:
        with open(args.csv, encoding="utf-8", newline="") as f:
            n += sum(1 for _ in csv.DictReader(f))
    out = "select count(*) >= :'n' from complaint where state <> 'received'"
    if not checks.wait_sql("%d complaints stored and out of 'received'" % n, out, args.timeout, n=n):
        print("stored %s, still received %s" % (
            checks.sql("select count(*) from complaint"),
            checks.sql("select count(*) from complaint where state = 'received'")))
    return checks.status()


# ------------------------------------------------------------------ check

def read_store(path):
    with open(path, encoding="utf-8", newline="") as f:
        return {(r["channel"], r["ref"]): r for r in csv.DictReader(f)}


def cmd_check(args):
    rows, errors = read_corpus(args.corpus)
    if not expect("corpus readable: problems", [], errors[:10]):
        return checks.status()
    store = read_store(args.store)
    failing = 0
    notes = 0
    field_ok = collections.Counter()
    for r in rows:
        got = store.get((r["channel"], r["ref"]))
        if got is None:
            print("MISMATCH %s stored=no (the submit was not stored)" % r["ref"])
            failing += 1
            continue
        where = "%s [%s, rule %s]" % (r["ref"], got["state"], got["routing_rule"] or "-")
        bad = False
        for field, exp in (("department", r["expect_department"]),
                           ("business_line", r["expect_business_line"]),
                           ("cause", r["expect_cause"])):
            if got[field] == exp:
                field_ok[field] += 1
            else:
                print("MISMATCH %s %s expected=%s got=%s"
                      % (where, field, exp, got[field] or "(none)"))
                bad = True
        want = set(s_list(r["expect_flags"]))
        have = set(s_list(got["flags"]))
        if want - have:
            print("MISMATCH %s flags missing=%s expected=%s got=%s"
                  % (where, ",".join(sorted(want - have)), ",".join(sorted(want)) or "-",
                     ",".join(sorted(have)) or "-"))
            bad = True
        else:
            field_ok["flags"] += 1
        if have - want:
            print("NOTE %s flags extra=%s (expected %s)"
                  % (where, ",".join(sorted(have - want)), ",".join(sorted(want)) or "-"))
            notes += 1
        want_c = set(s_list(r["expect_cooperating"]))
        have_c = set(s_list(got["cooperating"]))
        if want_c != have_c:
            print("NOTE %s cooperating expected=%s got=%s"
                  % (where, ",".join(sorted(want_c)) or "-", ",".join(sorted(have_c)) or "-"))
            notes += 1
        else:
            field_ok["cooperating"] += 1
        failing += 1 if bad else 0
    n = len(rows)
    print("corpus: %d rows; agree: department %d, business_line %d, cause %d, "
          "expected flags %d, cooperating %d; rows failing %d; notes %d"
          % (n, field_ok["department"], field_ok["business_line"], field_ok["cause"],
             field_ok["flags"], field_ok["cooperating"], failing, notes))
    expect("corpus rows routed differently from the expectations (department, business"
           " line, cause, a missing flag; of %d)" % n, 0, failing)
    return checks.status()


# ------------------------------------------------------------------- CFPB
#
# The oracle. Department and business line follow the product the complaint
# is about, as the bank's organisation assigns it:
#   credit / prepaid cards                  card_center        cards
#   checking / savings accounts             deposits_accounts  accounts_deposits
#   money transfer, virtual currency        payments           payments_transfers
#   mortgage, student, vehicle, payday /
#   personal loans                          retail_lending     loans
#   credit reporting (征信: the bank
#   furnishes loan data to the bureau)      retail_lending     loans
#   debt collection                         retail_lending     loans
#     ... of credit card debt               card_center        cards
#       (a card centre collects its own debts)
# A complaint whose Issue / Sub-issue is about a fee stays with the product's
# department but its business line is fees_charges (the taxonomy's rule:
# fees_charges -> the department of the product the fee is on). Where the
# Issue names "fees or interest" both lines are accepted.

def oracle_department_line(product, sub, issue, subissue):
    p, s = product.lower(), sub.lower()
    if p.startswith("credit card") or p.startswith("prepaid card"):
        dept, line = "card_center", "cards"
    elif p.startswith("checking or savings") or p.startswith("bank account"):
        dept, line = "deposits_accounts", "accounts_deposits"
    elif p.startswith("money transfer"):
        dept, line = "payments", "payments_transfers"
    elif p.startswith("debt collection"):
        if s == "credit card debt":
            dept, line = "card_center", "cards"
        else:
            dept, line = "retail_lending", "loans"
    elif (p.startswith("mortgage") or p.startswith("student loan")
          or p.startswith("vehicle loan") or p.startswith("payday loan")
          or p.startswith("consumer loan") or p.startswith("credit reporting")):
        dept, line = "retail_lending", "loans"
    else:
        return None, None
    i, si = issue.lower(), subissue.lower()
    fee_only = (i == "unexpected or other fees"
                or si in ("fee problem", "problem with fees", "don't agree with the fees charged")
                or si.startswith("termination fees"))
    fee_or_interest = i == "charged fees or interest you didn't expect"
    if fee_only:
        lines = {"fees_charges"}
    elif fee_or_interest:
        lines = {"fees_charges", line}
    else:
        lines = {line}
    return {dept}, lines


# Cause from Issue (and Sub-issue where the Issue alone is ambiguous). A set
# means each member is a defensible reading; None means the structured
# columns cannot name a cause and the row is not counted. Reasoning:
#   - a wrong report or wrong / missing information given to the customer is
#     information_disclosure (the information the bank gives out, to the
#     customer or about the customer, is wrong, missing or misleading);
#   - the bank's handling (disputes, investigations, collecting a debt that
#     is not owed or already paid, payments, closures) is efficiency_process;
#   - unauthorised use of a report, identity theft, fraud, unrecognised
#     charges are fraud_security (JR/T: consumer information / funds safety);
#   - threats, harassment, false statements by collectors are
#     staff_misconduct (JR/T: 债务催收方式和手段);
#   - fees, rates, contract terms are product_terms_pricing.
CAUSE_BY_ISSUE = {
    "incorrect information on your report": {"information_disclosure"},
    "problem with a credit reporting company's investigation into an existing problem":
        {"efficiency_process"},
    "improper use of your report": {"fraud_security"},
    "unable to get your credit report or credit score": {"efficiency_process"},
    # a billing dispute about the monitoring service: what it costs or how it
    # was billed, not a fraud (the service's name mentions identity theft)
    "credit monitoring or identity theft protection services": {"product_terms_pricing",
                                                                "efficiency_process"},
    "identity theft protection or other monitoring services": {"efficiency_process"},
    "problem with fraud alerts or security freezes": {"fraud_security", "efficiency_process"},
    "written notification about debt": {"information_disclosure"},
    "disclosure verification of debt": {"information_disclosure"},
    "false statements or representation": {"staff_misconduct", "efficiency_process"},
    "took or threatened to take negative or legal action": {"staff_misconduct"},
    "communication tactics": {"staff_misconduct"},
    "trouble during payment process": {"efficiency_process"},
    "struggling to pay mortgage": {"efficiency_process", "product_terms_pricing"},
    "struggling to repay your loan": {"efficiency_process", "product_terms_pricing"},
    "struggling to pay your loan": {"efficiency_process", "product_terms_pricing"},
    "closing an account": {"efficiency_process"},
    "closing your account": {"efficiency_process"},
    "charged fees or interest you didn't expect": {"product_terms_pricing",
                                                   "information_disclosure"},
    "unexpected or other fees": {"product_terms_pricing", "information_disclosure"},
    "fees or interest": {"product_terms_pricing"},
    "advertising and marketing, including promotional offers": {"information_disclosure",
                                                                "product_terms_pricing"},
    "closing on a mortgage": {"efficiency_process"},
    "applying for a mortgage or refinancing an existing mortgage": {"efficiency_process"},
    "managing the loan or lease": {"efficiency_process"},
    "problem when making payments": {"efficiency_process"},
    "problem with a purchase or transfer": {"efficiency_process"},
    "problem with a lender or other company charging your account":
        {"efficiency_process", "system_fault"},
    "fraud or scam": {"fraud_security"},
    "other features, terms, or problems": {"product_terms_pricing"},
    "other transaction problem": None,
    "vehicle was damaged or destroyed the vehicle": None,
    "other": None,
}
CAUSE_BY_SUBISSUE = {
    # a report carrying someone else's data is a mixed file (the information
    # is wrong) or identity theft (fraud); the columns cannot tell which, and
    # about one narrative in five says identity theft
    ("incorrect information on your report", "information belongs to someone else"):
        {"information_disclosure", "fraud_security"},
    # collecting a debt that is not owed: a records / process failure, except
    # when identity theft created the debt
    ("attempts to collect debt not owed", "debt was result of identity theft"): {"fraud_security"},
    ("attempts to collect debt not owed", ""): {"efficiency_process"},
    ("managing an account", "fee problem"): {"product_terms_pricing"},
    ("managing an account", "problem using a debit or atm card"): {"system_fault",
                                                                   "efficiency_process"},
    ("managing an account", ""): {"efficiency_process"},
    ("problem with a purchase shown on your statement",
     "card was charged for something you did not purchase with the card"): {"fraud_security"},
    ("problem with a purchase shown on your statement", ""): {"efficiency_process"},
    ("dealing with your lender or servicer", "don't agree with the fees charged"):
        {"product_terms_pricing"},
    ("dealing with your lender or servicer", ""): {"information_disclosure"},
    ("getting a credit card", "card opened as result of identity theft or fraud"):
        {"fraud_security"},
    ("getting a credit card", ""): {"efficiency_process"},
    ("problems at the end of the loan or lease", ""): {"product_terms_pricing"},
}


def oracle_cause(issue, subissue):
    i, si = issue.strip().lower(), subissue.strip().lower()
    if (i, si) in CAUSE_BY_SUBISSUE:
        return CAUSE_BY_SUBISSUE[(i, si)]
    if (i, "") in CAUSE_BY_SUBISSUE:
        return CAUSE_BY_SUBISSUE[(i, "")]
    return CAUSE_BY_ISSUE.get(i, None)


def cmd_cfpb(args):
    store = read_store(args.store)
    with open(args.csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    n = 0
    dept_bad = line_bad = 0
    no_oracle = 0
    cause_n = cause_ok = 0
    cause_miss = collections.Counter()
    for r in rows:
        ref = "cfpb-%s" % r["Complaint ID"].strip()
        got = store.get(("regulator", ref))
        n += 1
        if got is None:
            print("MISMATCH %s stored=no" % ref)
            dept_bad += 1
            continue
        depts, lines = oracle_department_line(r["Product"], r["Sub-product"],
                                              r["Issue"], r["Sub-issue"])
        label = "%s [%s | %s | %s | %s]" % (ref, r["Product"], r["Sub-product"] or "-",
                                           r["Issue"], r["Sub-issue"] or "-")
        if depts is None:
            no_oracle += 1
        else:
            if got["department"] not in depts:
                dept_bad += 1
                print("MISMATCH %s department expected=%s got=%s (rule %s)"
                      % (label, "|".join(sorted(depts)), got["department"] or "(none)",
                         got["routing_rule"] or "-"))
            if got["business_line"] not in lines:
                line_bad += 1
                print("MISMATCH %s business_line expected=%s got=%s"
                      % (label, "|".join(sorted(lines)), got["business_line"] or "(none)"))
        causes = oracle_cause(r["Issue"], r["Sub-issue"])
        if causes is None:
            continue
        cause_n += 1
        if got["cause"] in causes:
            cause_ok += 1
        else:
            cause_miss[(r["Issue"], "|".join(sorted(causes)), got["cause"] or "(none)")] += 1
    for (issue, exp, have), k in sorted(cause_miss.items(), key=lambda t: -t[1]):
        print("CAUSE %3d x Issue %r: expected %s, got %s" % (k, issue, exp, have))
    pct = 100.0 * cause_ok / cause_n if cause_n else 0.0
    print("cfpb: %d rows; department mismatches %d, business_line mismatches %d, "
          "rows without a product oracle %d; cause agreement %d/%d = %.1f %% (minimum %.0f %%)"
          % (n, dept_bad, line_bad, no_oracle, cause_ok, cause_n, pct, args.min_cause))
    expect("cfpb: department mismatches (of %d rows)" % n, 0, dept_bad)
    expect("cfpb: business_line mismatches (of %d rows)" % n, 0, line_bad)
    expect_ge("cfpb: cause agreement, %% of the %d rows the oracle names" % cause_n,
              args.min_cause, round(pct, 1))
    if args.corpus:
        corpus, _ = read_corpus(args.corpus)
        expect("rows dumped from the store (the corpus and the CFPB sample)",
               len(corpus) + n, len(store))
    return checks.status()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("lint")
    s.add_argument("--corpus", required=True)
    s.add_argument("--departments")
    s = sub.add_parser("submit")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--corpus", required=True)
    s.add_argument("--wave", type=int, choices=(1, 2), required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--timeout", type=float, default=30, help="seconds per row")
    s = sub.add_parser("assigned")
    s.add_argument("--corpus", required=True)
    s.add_argument("--wave", type=int, choices=(1, 2))
    s.add_argument("--csv")
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("check")
    s.add_argument("--corpus", required=True)
    s.add_argument("--store", required=True)
    s = sub.add_parser("cfpb")
    s.add_argument("--csv", required=True)
    s.add_argument("--store", required=True)
    s.add_argument("--min-cause", type=float, default=90.0)
    s.add_argument("--corpus")
    args = p.parse_args()
    return {"lint": cmd_lint, "submit": cmd_submit, "assigned": cmd_assigned,
            "check": cmd_check, "cfpb": cmd_cfpb}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
