#!/usr/bin/python3
"""act_protocol.py — the wire-level test of act, queue and get-with-token,
driven by tests/integration/act_protocol.sh against a real intake and store.

It builds its own organisation (departments, staff, token hashes) with psql,
creates cases by submitting through intake and then placing them (state,
department, handler) with SQL — the router is not involved — and checks:

  - one success path per lifecycle action: the reply, the case's state and
    version, its columns, the case_action row (details hold the text), the
    outbox row's type and data (structured fields only: no text, no
    customer identity);
  - refusals: unauthenticated, forbidden (wrong department, a handler
    reopening, a cooperating department beyond note, actor mismatch,
    queue scope), invalid_transition, conflict with a stale version, and
    two concurrent acts with the same version from two sockets (exactly one
    wins) — each refusal leaves case_action and outbox counts unchanged;
  - transfer picks pick_handler's choice in the new department;
  - get with a token (staff view + audit trail with details), without (no
    identity, no free text, no details), and queue ordering and scope.

Prints one line per check (counted by checks.py); exits 1 if any failed.

    act_protocol.py --endpoint tcp://127.0.0.1:56500 [--log intake.log]
"""
import argparse
import hashlib
import os
import secrets
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import bad, expect, ok, sql  # noqa: E402  (counted checks)
from client import Client, complaint_no, unpack  # noqa: E402


def lit(s):
    """A SQL literal for test-controlled text."""
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"


# ------------------------------------------------------------- organisation

DEPARTMENTS = [
    # id, kind, parent, path, active
    ("head_office", "head_office", None, "/head_office/", True),
    ("card_center", "department", "head_office", "/head_office/card_center/", True),
    ("retail_lending", "department", "head_office", "/head_office/retail_lending/", True),
    ("complaint_office", "complaint_office", "head_office", "/head_office/complaint_office/", True),
    ("branch_bj", "branch", "head_office", "/head_office/branch_bj/", True),
    ("outlet_bj_haidian", "outlet", "branch_bj", "/head_office/branch_bj/outlet_bj_haidian/", True),
    ("old_dept", "department", "head_office", "/head_office/old_dept/", False),
]
STAFF = [
    # id, department, role, ab_role
    ("h_card_a", "card_center", "handler", "A"),
    ("h_card_b", "card_center", "handler", "B"),
    ("sup_card", "card_center", "supervisor", None),
    ("h_lend_a", "retail_lending", "handler", "A"),
    ("h_lend_a2", "retail_lending", "handler", "A"),
    ("h_lend_b", "retail_lending", "handler", "B"),
    ("sup_bj", "branch_bj", "supervisor", None),
    ("h_out", "outlet_bj_haidian", "handler", "A"),
    ("co1", "complaint_office", "complaint_office", None),
    ("mgr", "head_office", "manager", None),
    ("gone", "card_center", "handler", None),
]
TOKENS = {}


def setup_org():
    stmts = []
    for d, kind, parent, path, active in DEPARTMENTS:
        stmts.append("INSERT INTO department (id, name, kind, parent, path, active) VALUES "
                     "(%s, %s, %s, %s, %s, %s);" % (lit(d), lit(d.upper()), lit(kind), lit(parent),
                                                    lit(path), "true" if active else "false"))
    for s, dept, role, ab in STAFF:
        stmts.append("INSERT INTO staff (id, name, department, role, ab_role, active) VALUES "
                     "(%s, %s, %s, %s, %s, %s);" % (lit(s), lit("Staff " + s), lit(dept), lit(role),
                                                    lit(ab), "false" if s == "gone" else "true"))
        tok = secrets.token_hex(32)
        TOKENS[s] = tok
        stmts.append("INSERT INTO staff_token (token_sha256, staff_id) VALUES "
                     "(decode(%s, 'hex'), %s);" % (lit(hashlib.sha256(tok.encode()).hexdigest()),
                                                   lit(s)))
    sql("\n".join(stmts))
    ok("organisation: %d departments, %d staff with tokens" % (len(DEPARTMENTS), len(STAFF)))


# -------------------------------------------------------------------- wire

class Wire:
    def __init__(self, endpoint):
        self.ctx = zmq.Context.instance()
        self.endpoint = endpoint
        self.c = Client(self.ctx, endpoint)
        self.refs = 0

    def req(self, obj, timeout=8000):
        raw = self.c.request(msgpack.packb(obj, use_bin_type=True), timeout)
        if raw is None:
            bad("no reply within %d ms to %r" % (timeout, obj.get("op")))
            return {}
        return unpack(raw)

    def new_case(self, state="assigned", department=None, handler=None, cooperating=(),
                 priority=None, name="Zhang San", body="信用卡年费被重复扣收，电话13812345678"):
        self.refs += 1
        rep = self.req({"op": "submit", "channel": "hotline", "ref": "act-%d-%d" % (os.getpid(), self.refs),
                        "body": body, "subject": "年费",
                        "customer": {"name": name, "phone": "13812345678"}})
        no = rep.get("complaint_no")
        if not no:
            raise RuntimeError("submit failed: %r" % rep)
        coop = "ARRAY[%s]::text[]" % ",".join(lit(c) for c in cooperating) if cooperating else "'{}'"
        sql("UPDATE complaint SET state = %s, department = %s, handler = %s, cooperating = %s,"
            " priority = %s WHERE complaint_no = %s" % (lit(state), lit(department), lit(handler),
                                                        coop, lit(priority), lit(no)))
        return no

    def act(self, who, no, action, version, **fields):
        req = {"op": "act", "complaint_no": no, "action": action, "token": TOKENS.get(who, who),
               "version": version}
        req.update(fields)
        return self.req(req)


def counts(no=None):
    where = " WHERE complaint_no = %s" % lit(no) if no else ""
    cwhere = (" WHERE complaint_id = (SELECT id FROM complaint WHERE complaint_no = %s)" % lit(no)
              if no else "")
    return sql("SELECT (SELECT count(*) FROM case_action%s), (SELECT count(*) FROM outbox%s)"
               % (cwhere, where))


def case_row(no, cols):
    return sql("SELECT %s FROM complaint WHERE complaint_no = %s" % (cols, lit(no)))


def last_event(no):
    row = sql("SELECT type, encode(data, 'hex') FROM outbox WHERE complaint_no = %s"
              " ORDER BY id DESC LIMIT 1" % lit(no))
    typ, hexdata = row.split("|")
    raw = bytes.fromhex(hexdata)
    return typ, msgpack.unpackb(raw, raw=False), raw


def last_action(no):
    return sql("SELECT actor || '|' || actor_role || '|' || action || '|' || state_before || '|'"
               " || state_after || '|' || version_after || '|' || details::text FROM case_action"
               " WHERE complaint_id = (SELECT id FROM complaint WHERE complaint_no = %s)"
               " ORDER BY id DESC LIMIT 1" % lit(no))


def success(w, who, no, action, version, want_state, text=None, **fields):
    """Act and check everything a success must leave behind."""
    before = counts(no).split("|")
    if text is not None:
        fields["text"] = text
    rep = w.act(who, no, action, version, **fields)
    label = "%s by %s on v%d" % (action, who, version)
    if rep.get("ok") is not True:
        bad("%s: reply %r" % (label, rep))
        return rep
    problems = []
    if rep.get("state") != want_state:
        problems.append("reply state %r" % rep.get("state"))
    if rep.get("version") != version + 1:
        problems.append("reply version %r" % rep.get("version"))
    if rep.get("complaint_no") != no or rep.get("action") != action:
        problems.append("reply names %r/%r" % (rep.get("complaint_no"), rep.get("action")))
    st, ver = case_row(no, "state, version").split("|")
    if st != want_state or int(ver) != version + 1:
        problems.append("stored state/version %s/%s" % (st, ver))
    after = counts(no).split("|")
    if int(after[0]) != int(before[0]) + 1 or int(after[1]) != int(before[1]) + 1:
        problems.append("case_action/outbox counts %s -> %s" % (before, after))
    audit = last_action(no).split("|", 6)
    if audit[0] != who or audit[2] != action or audit[4] != want_state or int(audit[5]) != version + 1:
        problems.append("audit row %r" % audit)
    if text is not None and text not in audit[6]:
        problems.append("audit details lack the text: %s" % audit[6])
    typ, data, raw = last_event(no)
    if typ != "complaint." + {"request_info": "info_requested", "review": "review_requested",
                              "note": "noted", "customer_replied": "customer_replied"}.get(
                                  action, {"accept": "accepted", "investigate": "investigating",
                                           "resolve": "resolved", "feedback": "feedback",
                                           "reopen": "reopened", "close": "closed",
                                           "transfer": "transferred", "escalate": "escalated",
                                           "reject": "rejected", "withdraw": "withdrawn",
                                           "extend": "extended"}.get(action)):
        problems.append("event type %r" % typ)
    for k in ("action", "actor", "actor_role", "from", "state", "version"):
        if k not in data:
            problems.append("event data lacks %s" % k)
    if data.get("state") != want_state or data.get("version") != version + 1 or data.get("actor") != who:
        problems.append("event data %r" % data)
    if "text" in data or (text and text.encode() in raw):
        problems.append("the free text is on the stream: %r" % data)
    if b"Zhang" in raw or b"13812345678" in raw:
        problems.append("customer identity on the stream: %r" % data)
    if problems:
        bad("%s: %s" % (label, "; ".join(problems)))
    else:
        ok("%s -> %s v%d, audit row, %s %s" % (label, want_state, version + 1, typ,
                                                 {k: v for k, v in data.items()
                                                  if k not in ("action", "actor", "actor_role",
                                                               "version")}))
    rep["_event"] = data
    return rep


def refused(w, who, no, action, version, code, field, where=False, **fields):
    """Act and check the refusal: code, field, and nothing written."""
    before = counts()
    rep = w.act(who, no, action, version, **fields)
    err = rep.get("error") or {}
    label = "%s by %s on v%d" % (action, who, version)
    problems = []
    if rep.get("ok") is not False:
        problems.append("ok %r" % rep.get("ok"))
    if err.get("code") != code:
        problems.append("code %r" % err.get("code"))
    if field is not None and err.get("field") != field:
        problems.append("field %r" % err.get("field"))
    if not err.get("message"):
        problems.append("no message")
    if where:
        st, ver = case_row(no, "state, version").split("|")
        if rep.get("state") != st or rep.get("version") != int(ver):
            problems.append("top-level state/version %r/%r, case is %s/%s"
                            % (rep.get("state"), rep.get("version"), st, ver))
    after = counts()
    if after != before:
        problems.append("case_action/outbox counts %s -> %s" % (before, after))
    if problems:
        bad("%s refused: %s (reply %r)" % (label, "; ".join(problems), rep))
    else:
        ok("%s refused: %s field=%s%s (%s); nothing written" % (
            label, code, err.get("field"),
            " state=%s version=%s" % (rep.get("state"), rep.get("version")) if where else "",
            err.get("message")))
    return rep


# ------------------------------------------------------------------- tests

def lifecycle_paths(w):
    # accept .. close: every action on one case, with a review round
    a = w.new_case(department="card_center", handler="h_card_b", priority=2)
    r = success(w, "h_card_a", a, "accept", 1, "accepted")
    expect("accept: a handler of the department takes the case over", "h_card_a",
           case_row(a, "handler"))
    expect("accept: reply and event name the handler", ("h_card_a", "h_card_a"),
           (r.get("handler"), r["_event"].get("handler")))
    expect("accept: accepted_at set", "t", case_row(a, "accepted_at IS NOT NULL"))
    success(w, "h_card_a", a, "investigate", 2, "investigating")
    success(w, "h_card_a", a, "note", 3, "investigating",
            text="客户 Zhang San 来电 13812345678，说明情况")
    success(w, "h_card_a", a, "request_info", 4, "awaiting_customer", text="请提供扣款截图")
    success(w, "h_card_a", a, "customer_replied", 5, "investigating")
    r = success(w, "h_card_a", a, "resolve", 6, "resolved", text="年费已退还", outcome="refund",
                amount="300.50")
    expect("resolve: event outcome/amount/cfpb_response",
           ("refund", "300.50", "Closed with monetary relief"),
           (r["_event"].get("outcome"), r["_event"].get("amount"), r["_event"].get("cfpb_response")))
    expect("resolve: stored outcome|amount|resolved_at set", "refund|300.50|t",
           case_row(a, "resolution_outcome, resolution_amount, resolved_at IS NOT NULL"))
    r = success(w, "h_card_a", a, "feedback", 7, "resolved", satisfied=False)
    expect("feedback: stored satisfied", "f", case_row(a, "satisfied"))
    expect("feedback: event satisfied", False, r["_event"].get("satisfied"))
    refused(w, "h_card_a", a, "close", 8, "invalid_transition", "reason", where=True,
            reason="satisfied")
    success(w, "h_card_a", a, "review", 8, "under_review", text="客户不满意，申请复核")
    refused(w, "h_card_a", a, "reopen", 9, "forbidden", "action", text="back to work")
    # issue 15: the deciding department's supervisor may not decide the
    # review (the case is now the complaint office's: out of their scope);
    # the complaint office may
    refused(w, "sup_card", a, "reopen", 9, "forbidden", "token", text="复核：重新调查")
    success(w, "co1", a, "reopen", 9, "reopened", text="复核：重新调查")
    success(w, "h_card_a", a, "investigate", 10, "investigating")
    success(w, "h_card_a", a, "resolve", 11, "resolved", text="解释说明", outcome="explanation")
    expect("resolve again clears the old feedback", "", case_row(a, "satisfied"))
    success(w, "h_card_a", a, "feedback", 12, "resolved", satisfied=True)
    r = success(w, "h_card_a", a, "close", 13, "closed", reason="satisfied")
    expect("close: event reason", "satisfied", r["_event"].get("reason"))
    expect("close: closed_at set", "t", case_row(a, "closed_at IS NOT NULL"))
    refused(w, "h_card_a", a, "note", 14, "invalid_transition", "action", where=True, text="late")

    # transfer: pick_handler's choice in the new department
    b = w.new_case(department="card_center", handler="h_card_a")
    expected = sql("SELECT pick_handler('retail_lending')")
    r = success(w, "h_card_a", b, "transfer", 1, "assigned", text="贷款问题，转零售信贷",
                department="retail_lending")
    expect("transfer: stored department|handler", "retail_lending|" + expected,
           case_row(b, "department, handler"))
    expect("transfer: handler is an A role of retail_lending (pick_handler)", True,
           expected in ("h_lend_a", "h_lend_a2"))
    expect("transfer: reply handler", expected, r.get("handler"))
    expect("transfer: event department/from_department/handler",
           ("retail_lending", "card_center", expected),
           (r["_event"].get("department"), r["_event"].get("from_department"),
            r["_event"].get("handler")))
    refused(w, "h_card_a", b, "note", 2, "forbidden", "token", text="not mine any more")
    refused(w, expected, b, "transfer", 2, "invalid_field", "department", department="old_dept",
            text="to a closed department")
    refused(w, expected, b, "transfer", 2, "invalid_field", "department",
            department="retail_lending", text="to itself")
    r = success(w, expected, b, "escalate", 2, "assigned", text="媒体关注", level="head_office")
    expect("escalate: stored level", "head_office", case_row(b, "level"))
    expect("escalate: event level", "head_office", r["_event"].get("level"))
    # issue 15: the escalation moves the case to the head office's complaint
    # office (no supervisor there in this organisation: its queue)
    expect("escalate: moved to the complaint office's queue", "complaint_office|",
           case_row(b, "department || '|' || coalesce (handler, '')"))
    expect("escalate: event department/from_department/handler",
           ("complaint_office", "retail_lending", None),
           (r["_event"].get("department"), r["_event"].get("from_department"),
            r["_event"].get("handler")))
    refused(w, expected, b, "escalate", 3, "forbidden", "token", text="again",
            level="regulator")
    refused(w, "co1", b, "escalate", 3, "invalid_transition", "level", where=True,
            text="again", level="head_office")

    # reject a duplicate: only the complaint office sees an unrouted case
    c = w.new_case(state="received")
    refused(w, "h_card_a", c, "reject", 1, "forbidden", "token", reason="duplicate",
            duplicate_of=b)
    refused(w, "co1", c, "reject", 1, "invalid_field", "duplicate_of", reason="duplicate",
            duplicate_of=c)
    r = success(w, "co1", c, "reject", 1, "rejected", reason="duplicate", duplicate_of=b)
    expect("reject: stored reason|duplicate_of", "duplicate|" + b,
           case_row(c, "reject_reason, duplicate_of"))
    expect("reject: event reason/duplicate_of", ("duplicate", b),
           (r["_event"].get("reason"), r["_event"].get("duplicate_of")))

    # extend: the rules the watchdog loads from the SLA policy, seeded here
    sql("INSERT INTO sla_extension_rule (stage, step, adds, approver, rule) VALUES"
        " ('resolution', 1, '15d', 'supervisor', 'test:1'),"
        " ('resolution', 2, '30d', 'manager', 'test:2') ON CONFLICT DO NOTHING")
    x = w.new_case(department="card_center", handler="h_card_a")
    refused(w, "h_card_a", x, "extend", 1, "forbidden", "action", text="need time")
    refused(w, "sup_card", x, "extend", 1, "missing_field", "text")
    r = success(w, "sup_card", x, "extend", 1, "assigned", text="调取凭证需时")
    expect("extend: event stage/step/adds/approver/actor_role",
           ("resolution", 1, "15d", "supervisor", "supervisor"),
           tuple(r["_event"].get(k) for k in ("stage", "step", "adds", "approver", "actor_role")))
    expect("extend: audit details", "resolution|1|15d|supervisor",
           sql("SELECT details->>'stage', details->>'step', details->>'adds', details->>'approver'"
               " FROM case_action WHERE action = 'extend' ORDER BY id DESC LIMIT 1"))
    refused(w, "sup_card", x, "extend", 2, "forbidden", "action", text="again")
    success(w, "mgr", x, "extend", 2, "assigned", text="行领导批准")
    refused(w, "mgr", x, "extend", 3, "invalid_transition", "action", where=True, text="third")

    # withdraw
    d = w.new_case(department="card_center", handler="h_card_a")
    success(w, "h_card_a", d, "withdraw", 1, "withdrawn", text="客户撤诉")
    return a, b


def refusals(w):
    e = w.new_case(department="card_center", handler="h_card_a", cooperating=["retail_lending"])
    refused(w, "0" * 64, e, "accept", 1, "unauthenticated", "token")
    refused(w, "not-a-token", e, "accept", 1, "unauthenticated", "token")
    refused(w, "gone", e, "accept", 1, "unauthenticated", "token")
    refused(w, "h_out", e, "accept", 1, "forbidden", "token")
    refused(w, "sup_bj", e, "accept", 1, "forbidden", "token")
    refused(w, "h_lend_a", e, "accept", 1, "forbidden", "action")
    success(w, "h_lend_a", e, "note", 1, "assigned", text="协办部门意见")
    refused(w, "h_card_a", e, "accept", 1, "conflict", "version", where=True)
    refused(w, "h_card_a", e, "resolve", 2, "invalid_transition", "action", where=True,
            outcome="apology", text="sorry")
    refused(w, "mgr", e, "accept", 2, "forbidden", "action")
    refused(w, "h_card_a", e, "accept", 2, "forbidden", "actor", actor="h_card_b")
    success(w, "h_card_a", e, "accept", 2, "accepted", actor="h_card_a")
    refused(w, "h_card_a", complaint_no("20200101000001"), "accept", 1, "not_found", "complaint_no")
    # supervisors: their subtree only
    f = w.new_case(department="outlet_bj_haidian", handler="h_out")
    success(w, "sup_bj", f, "note", 1, "assigned", text="分行督办")
    f2 = w.new_case(department="outlet_bj_haidian", handler="h_out")
    success(w, "mgr", f2, "escalate", 1, "assigned", text="总行关注", level="regulator")


def concurrent(w):
    """Two staff act on one case at the same moment, with the same version."""
    wins = conflicts = 0
    rounds = 5
    for i in range(rounds):
        g = w.new_case(department="card_center", handler="h_card_a")
        ctx = zmq.Context.instance()
        c1, c2 = Client(ctx, w.endpoint), Client(ctx, w.endpoint)
        time.sleep(0.05)        # both connected before either sends
        req = {"op": "act", "complaint_no": g, "action": "accept", "version": 1}
        t1 = c1.send(msgpack.packb(dict(req, token=TOKENS["h_card_a"])))
        t2 = c2.send(msgpack.packb(dict(req, token=TOKENS["sup_card"])))
        r1, r2 = c1.wait(t1, 8000), c2.wait(t2, 8000)
        c1.close()
        c2.close()
        reps = [unpack(r) if r else {} for r in (r1, r2)]
        oks = [r for r in reps if r.get("ok") is True]
        confl = [r for r in reps if (r.get("error") or {}).get("code") == "conflict"]
        n_actions, n_outbox = counts(g).split("|")
        if len(oks) == 1 and len(confl) == 1 and n_actions == "1" and n_outbox == "2" \
                and confl[0].get("state") == "accepted" and confl[0].get("version") == 2:
            wins += 1
            conflicts += 1
        else:
            bad("concurrent round %d: replies %r, case_action %s, outbox %s (want 1 and 2: "
                "received + accepted)" % (i, reps, n_actions, n_outbox))
    expect("concurrent accepts with the same version: rounds with exactly one winner, "
           "one conflict (state accepted, version 2), one audit row, one event", rounds, wins)


def views(w, a, b):
    # get with a token: staff view and the audit trail with details
    rep = w.req({"op": "get", "complaint_no": a, "token": TOKENS["h_card_a"]})
    comp = rep.get("complaint") or {}
    acts = comp.get("actions") or []
    expect("get with token: customer identity shown", "Zhang San",
           (comp.get("customer") or {}).get("name"))
    expect("get with token: audit trail, oldest first", ["accept", "investigate", "note"],
           [x.get("action") for x in acts][:3])
    expect("get with token: the note's details hold its text", True,
           "13812345678" in str((acts[2] if len(acts) > 2 else {}).get("details")))
    expect("get with token: case fields", ("closed", 14, "explanation", "h_card_a", "branch"),
           (comp.get("state"), comp.get("version"), comp.get("resolution_outcome"),
            comp.get("handler"), comp.get("level")))
    expect("get with token: an action's keys",
           ["action", "actor", "actor_role", "at", "details", "from", "to", "version"],
           sorted(acts[0].keys()) if acts else None)
    # without a token nor the customer's query code: not found, exactly as
    # an unknown number (the public status view: status_view.sh)
    rep = w.req({"op": "get", "complaint_no": a})
    expect("get without token nor query code: not_found, nothing else",
           {"ok": False, "error": {"code": "not_found", "field": "complaint_no",
                                    "message": "no complaint has number %s" % a}}, rep)
    rep = w.req({"op": "get", "complaint_no": a, "token": "f" * 64})
    expect("get with an unknown token", "unauthenticated", (rep.get("error") or {}).get("code"))
    rep = w.req({"op": "get", "complaint_no": a, "token": TOKENS["h_out"]})
    expect("get out of scope", "forbidden", (rep.get("error") or {}).get("code"))
    rep = w.req({"op": "get", "complaint_no": b, "token": TOKENS["co1"]})
    expect("get by the complaint office", True, rep.get("ok"))

    # queue
    q1 = w.new_case(department="card_center", handler="h_card_a", priority=1)
    q3 = w.new_case(department="card_center", handler="h_card_a", priority=3)
    qn = w.new_case(department="card_center", handler="h_card_b")
    rep = w.req({"op": "queue", "token": TOKENS["h_card_a"]})
    cases = rep.get("cases") or []
    nos = [c.get("complaint_no") for c in cases]
    expect("queue mine: every case is mine and open", True,
           bool(cases) and all(c.get("handler") == "h_card_a" and c.get("state") not in
                               ("closed", "rejected", "withdrawn") for c in cases))
    expect("queue mine: P1 first, P3 next, unprioritised last", True,
           nos.index(q1) == 0 and nos.index(q3) == 1 and cases[-1].get("priority") is None)
    expect("queue keys", sorted(["complaint_no", "state", "priority", "business_line", "cause",
                                 "department", "handler", "due_at", "received_at", "version",
                                 "flags", "major", "subject",
                                 "calendar"]),      # issue 16 (i16-mailev)
           sorted(cases[0].keys()) if cases else None)
    rep = w.req({"op": "queue", "token": TOKENS["h_card_a"], "scope": "department"})
    depts = {c.get("department") for c in rep.get("cases") or []}
    expect("queue department (handler): only card_center, other handlers' cases included",
           ({"card_center"}, True), (depts, qn in [c.get("complaint_no") for c in rep.get("cases") or []]))
    rep = w.req({"op": "queue", "token": TOKENS["h_card_a"], "scope": "all"})
    expect("queue all by a handler", ("forbidden", "scope"),
           ((rep.get("error") or {}).get("code"), (rep.get("error") or {}).get("field")))
    rep = w.req({"op": "queue", "token": TOKENS["sup_bj"], "scope": "department"})
    expect("queue department (supervisor): their subtree", {"outlet_bj_haidian"},
           {c.get("department") for c in rep.get("cases") or []})
    rep = w.req({"op": "queue", "token": TOKENS["co1"], "scope": "all", "state": "closed",
                 "limit": 5})
    expect("queue all (complaint office), state closed", [a],
           [c.get("complaint_no") for c in rep.get("cases") or []])
    rep = w.req({"op": "queue", "token": "0" * 64})
    expect("queue with an unknown token", "unauthenticated", (rep.get("error") or {}).get("code"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--log", help="intake's log: one event=case_action line per audit row")
    args = p.parse_args()
    setup_org()
    w = Wire(args.endpoint)
    a, b = lifecycle_paths(w)
    refusals(w)
    concurrent(w)
    views(w, a, b)
    # nothing free-text or identifying in any action event
    leaks = sql("SELECT count(*) FROM outbox WHERE type <> 'complaint.received'"
                " AND (position('13812345678'::bytea IN data) > 0"
                "   OR position(convert_to('Zhang', 'UTF8') IN data) > 0"
                "   OR position(convert_to('协办', 'UTF8') IN data) > 0)")
    expect("action events holding a phone number, a name or a note's text", "0", leaks)
    if args.log:
        # intake logs each committed act once: as many lines as audit rows
        with open(args.log, errors="replace") as f:
            logged = sum(1 for line in f if "event=case_action " in line)
        checks.expect_ge("case_action log lines in intake's log", 20, logged)
        expect("audit rows = case_action log lines", str(logged),
               sql("SELECT count(*) FROM case_action"))
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
