/*  claims.c — claim and assign complaints in PostgreSQL (see claims.h).
 *
 *  claim    BEGIN; SELECT ... WHERE state = 'received' ORDER BY id LIMIT n
 *           FOR NO KEY UPDATE OF c SKIP LOCKED, returning the routing
 *           fields. The claim is the row lock of the open transaction: other
 *           routers skip the rows (SKIP LOCKED), and a router that dies
 *           frees them the moment its connection closes — there is nothing
 *           to expire and nothing to release. The transaction stays open only
 *           while the router decides in memory (microseconds a complaint);
 *           a router that hangs in between is cut off by the server after
 *           --lease-ms (idle_in_transaction_session_timeout, set on every
 *           connection), which rolls the claim back. It used to be a lease
 *           written into the rows in a transaction of its own: a second write
 *           of every complaint, and a commit waiting for the disk, on every
 *           batch (docs/BENCHMARKS.md). An empty claim ends its transaction
 *           at once. The claim also asks
 *           the store whether the customer complained before (the repeat
 *           flag), through complaint_pseudonym_idx; a complaint without any
 *           identity shares the pseudonym of every anonymous one, so it is
 *           never a repeat. Complaint rows are locked before staff rows, in
 *           the order intake's actions take them (the case, then
 *           pick_handler's staff), so the two cannot deadlock.
 *
 *  finish   the claim's transaction, three statements and its COMMIT:
 *             1. lock the staff rows of the batch's departments that have
 *                anyone free now (free_handler_departments, migration 009:
 *                asked without a lock), in id order, and learn which those
 *                are. pick_handler locks a department's staff too, also in
 *                id order; taking them all first in one global order means
 *                two routers (or a router and an intake transfer) can never
 *                deadlock over two departments. A department whose handlers
 *                are all full is not locked at all: under load that is most
 *                of them, and two routers no longer queue behind each
 *                other's staff locks to learn that nobody is free (a handler
 *                freed meanwhile is seen by the next batch).
 *             2. UPDATE every claimed complaint (still 'received': the lock
 *                held it so), from arrays (unnest), choosing the
 *                handler with pick_handler(department) per row — the one SQL
 *                definition of "who gets it" — where step 1 locked the
 *                department; otherwise (nobody free, or an unroutable
 *                complaint) it waits in the department's queue.
 *                RETURNING says which rows changed, with their handler
 *                and version. The router sets no deadline: the SLA
 *                watchdog owns due_at (the assignment marks the case
 *                sla_dirty, migration 003, and the watchdog recomputes it
 *                from deploy/sla/policy.conf).
 *             3. the router builds, for exactly those rows, the events
 *                (complaint.assigned; complaint.major; one
 *                complaint.cooperation_requested per cooperating
 *                department) and the case_action audit rows, and inserts
 *                them in one statement;
 *             4. COMMIT.
 *           State change, events and audit commit together (invariant 3);
 *           a claim whose transaction the server ended (--lease-ms) writes
 *           nothing, and its complaints are claimed again.
 *
 *           The redundant `c.id = ANY ($1)` gives the planner an index
 *           condition on the primary key; without it, it estimated the
 *           unnest at one row and joined by scanning every waiting complaint
 *           (measured: 293 ms instead of 28 ms for 500 rows of 20,000).
 *
 *  Event data are routing facts only, never the customer's identity
 *  (invariant 8); the audit row's details hold the full classification with
 *  the rule behind each part.
 */
#include "claims.h"
#include "events.h"
#include "pg_array.h"
#include "pg_session.h"
#include "log.h"
#include "proto.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

//  A round's statements are short; one stuck behind a lock (the staff rows
//  of a department, FOR UPDATE) is cut off and the round retried.
#define S_STATEMENT_TIMEOUT_MS 60000

struct _claims_t {
    pg_session_t *pg;
    char *name;
    long lease_ms;
};

#define S_SQL_CLAIM \
    "SELECT c.id, c.complaint_no, c.channel, c.product, c.category, c.subject, c.body," \
    "   c.branch, c.amount::text," \
    "   c.customer_sealed IS NOT NULL" \
    "   AND EXISTS (SELECT 1 FROM complaint o" \
    "                WHERE o.customer_pseudonym = c.customer_pseudonym AND o.id <> c.id" \
    "                  AND o.received_at <= c.received_at" \
    "                  AND o.received_at >= c.received_at - $2::int * interval '1 day')," \
    "   c.referral_source" \
    "  FROM complaint c WHERE c.state = 'received'" \
    " ORDER BY c.id LIMIT $1::int" \
    "   FOR NO KEY UPDATE OF c SKIP LOCKED"

#define S_SQL_LOCK_STAFF \
    "SELECT department FROM staff" \
    " WHERE department IN (SELECT free_handler_departments ($1::text[])) AND active" \
    " ORDER BY id FOR NO KEY UPDATE"

#define S_SQL_ASSIGN \
    "WITH input AS (" \
    "    SELECT * FROM unnest ($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]," \
    "                          $6::text[], $7::text[], $8::text[], $9::text[], $10::int[]," \
    "                          $11::text[], $12::boolean[], $13::boolean[])" \
    "        AS t (id, department, rule, cooperating, business_line, cause, jrt_channel," \
    "              jrt_business, jrt_cause, priority, flags, major, pick))" \
    "UPDATE complaint c" \
    "   SET state = 'assigned', department = i.department, routing_rule = i.rule," \
    "       handler = CASE WHEN i.pick THEN pick_handler (i.department) END," \
    "       cooperating = i.cooperating::text[], business_line = i.business_line," \
    "       cause = i.cause, jrt_channel = i.jrt_channel, jrt_business = i.jrt_business," \
    "       jrt_cause = i.jrt_cause, priority = i.priority, flags = i.flags::text[]," \
    "       major = i.major, version = c.version + 1, updated_at = now ()" \
    "  FROM input i" \
    " WHERE c.id = i.id AND c.id = ANY ($1::bigint[]) AND c.state = 'received'" \
    " RETURNING c.id, c.handler, c.version"

//  Events in array order (so each complaint's assigned event precedes its
//  major and cooperation events), then the audit rows.
#define S_SQL_RECORD \
    "WITH ev AS (" \
    "    INSERT INTO outbox (type, complaint_no, data)" \
    "    SELECT t.type, t.no, decode (t.data, 'hex')" \
    "      FROM unnest ($1::text[], $2::text[], $3::text[]) WITH ORDINALITY" \
    "           AS t (type, no, data, ord)" \
    "     ORDER BY t.ord" \
    "    RETURNING 1)" \
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before," \
    "                         state_after, version_after, details)" \
    "SELECT a.id, $4::text, 'system', 'assign', 'received', 'assigned', a.version," \
    "       a.details::jsonb" \
    "  FROM unnest ($5::bigint[], $6::int[], $7::text[]) AS a (id, version, details)"

//  The session's on-connect step: prepare every statement. When it fails
//  (most likely the schema is not migrated yet) the session drops the
//  connection and tries again after its back-off rather than exit.
static int
s_prepare (pg_session_t *pg, void *arg)
{
    claims_t *self = (claims_t *) arg;
    const struct { const char *name, *sql; int nparams; } statements [] = {
        { "router_claim", S_SQL_CLAIM, 2 },
        { "router_lock_staff", S_SQL_LOCK_STAFF, 1 },
        { "router_assign", S_SQL_ASSIGN, 13 },
        { "router_record", S_SQL_RECORD, 7 },
    };
    PGconn *conn = pg_session_conn (pg);
    //  The longest a claim may sit in an open transaction (the header).
    char sql [96];
    snprintf (sql, sizeof sql, "SET idle_in_transaction_session_timeout = %ld", self->lease_ms);
    if (pg_session_command (pg, "claim_timeout", sql, 0, NULL))
        return -1;
    for (size_t i = 0; i < sizeof statements / sizeof statements [0]; i++) {
        PGresult *res = PQprepare (conn, statements [i].name, statements [i].sql,
                                   statements [i].nparams, NULL);
        bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
        if (!ok) {
            char q [300];
            log_error ("pg_prepare_failed", "statement=%s sqlstate=%s error=%s",
                       statements [i].name, pg_sqlstate (res),
                       log_quote (q, sizeof q, PQerrorMessage (conn)));
        }
        PQclear (res);
        if (!ok)
            return -1;
    }
    return 0;
}

claims_t *
claims_new (const char *conninfo, const char *name, long lease_ms)
{
    assert (name);
    claims_t *self = calloc (1, sizeof *self);
    assert (self);
    self->name = strdup (name);
    self->lease_ms = lease_ms;
    assert (self->name);
    self->pg = pg_session_new (conninfo, "router", S_STATEMENT_TIMEOUT_MS);
    if (!self->pg || pg_session_on_connect (self->pg, s_prepare, self)) {
        claims_destroy (&self);
        return NULL;
    }
    return self;
}

void
claims_destroy (claims_t **self_p)
{
    assert (self_p);
    claims_t *self = *self_p;
    if (!self)
        return;
    pg_session_destroy (&self->pg);
    free (self->name);
    free (self);
    *self_p = NULL;
}

int
claims_recover (claims_t *self)
{
    assert (self);
    //  Rolls back what a failed round left open, or reconnects and
    //  prepares again.
    return pg_session_recover (self->pg);
}

//  Prepared statements run through libpq directly (pg_session_exec runs
//  unnamed ones); their failures are logged with the session's line.
static void
s_log_failure (claims_t *self, const char *what, PGresult *res)
{
    const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char q [300];
    log_error ("pg_statement_failed", "statement=%s sqlstate=%s error=%s", what,
               pg_sqlstate (res), log_quote (q, sizeof q, primary ? primary
                   : PQerrorMessage (pg_session_conn (self->pg))));
}

static const char *
s_value (PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

static void
s_rollback (claims_t *self)
{
    pg_session_rollback (self->pg);
}

static int
s_command (claims_t *self, const char *sql, const char *what)
{
    return pg_session_command (self->pg, what, sql, 0, NULL);
}

int
claims_take (claims_t *self, int limit, int repeat_days, claim_batch_t **batch_p)
{
    assert (self && batch_p);
    *batch_p = NULL;
    if (!pg_session_conn (self->pg))
        return -1;
    char lim [16], days [16];
    snprintf (lim, sizeof lim, "%d", limit);
    snprintf (days, sizeof days, "%d", repeat_days);
    const char *params [2] = { lim, days };
    if (s_command (self, "BEGIN", "begin"))
        return -1;
    PGresult *res = PQexecPrepared (pg_session_conn (self->pg), "router_claim", 2, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_log_failure (self, "claim", res);
        PQclear (res);
        s_rollback (self);
        return -1;
    }
    //  Nothing to route: nothing to hold either.
    if (PQntuples (res) == 0)
        s_rollback (self);
    claim_batch_t *batch = calloc (1, sizeof *batch);
    assert (batch);
    batch->res = res;
    batch->count = PQntuples (res);
    batch->items = calloc ((size_t) batch->count + 1, sizeof (claim_t));
    assert (batch->items);
    for (int i = 0; i < batch->count; i++) {
        claim_t *claim = &batch->items [i];
        claim->id = strtoll (PQgetvalue (res, i, 0), NULL, 10);
        claim->complaint_no = s_value (res, i, 1);
        claim->channel = s_value (res, i, 2);
        claim->product = s_value (res, i, 3);
        claim->category = s_value (res, i, 4);
        claim->subject = s_value (res, i, 5);
        claim->body = s_value (res, i, 6);
        claim->branch = s_value (res, i, 7);
        claim->amount = s_value (res, i, 8);
        const char *repeat = s_value (res, i, 9);
        claim->repeat = repeat && *repeat == 't';
        claim->referral = s_value (res, i, 10);
    }
    *batch_p = batch;
    return 0;
}

/* A text[] literal of a C string list, for one element of a text[] array
 * that is itself passed as text (cast per row in SQL). */
static const char *
s_list_literal (pg_array_t *t, const char *const *items, size_t n)
{
    pg_array_begin (t);
    for (size_t i = 0; i < n; i++)
        pg_array_add (t, items [i]);
    return pg_array_end (t);
}

/* One event: type, number, msgpack data as hex, appended to the arrays. */
static void
s_event_add (pg_array_t *types, pg_array_t *nos, pg_array_t *data, const char *type,
             const char *complaint_no, msgpack_sbuffer *buf)
{
    pg_array_add (types, type);
    pg_array_add (nos, complaint_no);
    pg_array_add_hex (data, buf->data, buf->size);
}

static json_t *
s_json_list (const char *const *items, size_t n)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (array, json_string (items [i]));
    return array;
}

/* The audit row's details: the whole decision, each part with its rule. */
static char *
s_details (const claim_t *claim, const char *handler)
{
    const policy_decision_t *d = &claim->decision;
    json_t *flag_rules = json_object ();
    for (size_t i = 0; i < d->r.nflags; i++)
        json_object_set_new (flag_rules, d->r.flags [i], json_string (d->r.flag_rules [i]));
    json_t *coop_rules = json_object ();
    for (size_t i = 0; i < d->r.ncooperating; i++)
        json_object_set_new (coop_rules, d->r.cooperating [i],
                             json_string (d->r.cooperating_rules [i]));
    json_t *root = json_pack ("{s:s, s:o, s:o, s:o, s:b, s:s, s:o, s:s, s:o, s:o, s:o,"
                              " s:i, s:s, s:b, s:o, s:s?, s:s?, s:s?, s:o, s:o}",
        "department", d->r.department,
        "handler", handler ? json_string (handler) : json_null (),
        "cooperating", s_json_list (d->r.cooperating, d->r.ncooperating),
        "cooperating_rules", coop_rules,
        "unroutable", d->r.unroutable,
        "rule", d->r.rule,
        "branch", d->r.branch ? json_string (d->r.branch) : json_null (),
        "business_line", d->r.business_line,
        "line_rule", d->r.line_rule ? json_string (d->r.line_rule) : json_null (),
        "cause", json_string (d->r.cause),
        "cause_rule", d->r.cause_rule ? json_string (d->r.cause_rule) : json_null (),
        "priority", d->p.priority,
        "priority_rule", d->p.priority_rule,
        "major", d->p.major,
        "major_rule", d->p.major_rule ? json_string (d->p.major_rule) : json_null (),
        "jrt_channel", d->jrt_channel,
        "jrt_business", d->jrt_business,
        "jrt_cause", d->jrt_cause,
        "flags", s_json_list (d->flags, d->nflags),
        "flag_rules", flag_rules);
    assert (root);
    char *text = json_dumps (root, JSON_COMPACT);
    assert (text);
    json_decref (root);
    return text;
}

int
claims_finish (claims_t *self, claim_batch_t *batch)
{
    assert (self && batch);
    if (!pg_session_conn (self->pg))
        return -1;
    //  Step 2's arrays, one element per routed claim.
    enum { A_ID, A_DEPT, A_RULE, A_COOP, A_LINE, A_CAUSE, A_JCH, A_JBU, A_JCA, A_PRIO,
           A_FLAGS, A_MAJOR, A_PICK, A_COUNT };
    pg_array_t arr [A_COUNT];
    memset (arr, 0, sizeof arr);
    for (int k = 0; k < A_COUNT; k++)
        pg_array_begin (&arr [k]);
    pg_array_t lock_depts = { 0 };      /* the batch's departments, once each */
    pg_array_begin (&lock_depts);
    zhash_t *depts = zhash_new ();
    pg_array_t lit = { 0 };             /* one row's nested text[] literal */
    int n = 0;
    for (int i = 0; i < batch->count; i++) {
        claim_t *claim = &batch->items [i];
        if (!claim->routed)
            continue;
        const policy_decision_t *d = &claim->decision;
        char num [32];
        snprintf (num, sizeof num, "%" PRId64, claim->id);
        pg_array_add (&arr [A_ID], num);
        pg_array_add (&arr [A_DEPT], d->r.department);
        pg_array_add (&arr [A_RULE], d->r.rule);
        pg_array_add (&arr [A_COOP], s_list_literal (&lit, d->r.cooperating, d->r.ncooperating));
        pg_array_add (&arr [A_LINE], d->r.business_line);
        pg_array_add (&arr [A_CAUSE], d->r.cause);
        pg_array_add (&arr [A_JCH], d->jrt_channel ? d->jrt_channel : "");
        pg_array_add (&arr [A_JBU], d->jrt_business ? d->jrt_business : "");
        pg_array_add (&arr [A_JCA], d->jrt_cause ? d->jrt_cause : "");
        snprintf (num, sizeof num, "%d", d->p.priority);
        pg_array_add (&arr [A_PRIO], num);
        pg_array_add (&arr [A_FLAGS], s_list_literal (&lit, d->flags, d->nflags));
        pg_array_add (&arr [A_MAJOR], d->p.major ? "t" : "f");
        if (!d->r.unroutable && !zhash_lookup (depts, d->r.department)) {
            zhash_insert (depts, d->r.department, "");
            pg_array_add (&lock_depts, d->r.department);
        }
        n++;
    }
    for (int k = 0; k < A_COUNT; k++)
        if (k != A_PICK)
            pg_array_end (&arr [k]);
    pg_array_end (&lock_depts);

    int assigned = 0;
    PGresult *res = NULL;
    if (n == 0) {
        s_rollback (self);              /* the claim's transaction */
        goto done;
    }
    //  1. Staff rows of the departments with anyone free, in one global
    //  order; a complaint is given a handler only where they are locked.
    const char *lock_params [1] = { lock_depts.data };
    res = PQexecPrepared (pg_session_conn (self->pg), "router_lock_staff", 1, lock_params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_log_failure (self, "lock_staff", res);
        assigned = -1;
        goto fail;
    }
    zhash_t *locked = zhash_new ();
    for (int row = 0; row < PQntuples (res); row++)
        zhash_insert (locked, PQgetvalue (res, row, 0), "");
    PQclear (res);
    for (int i = 0; i < batch->count; i++) {
        const claim_t *claim = &batch->items [i];
        if (claim->routed)
            pg_array_add (&arr [A_PICK], !claim->decision.r.unroutable
                          && zhash_lookup (locked, claim->decision.r.department) ? "t" : "f");
    }
    pg_array_end (&arr [A_PICK]);
    zhash_destroy (&locked);
    //  2. The conditional assignment.
    const char *params [A_COUNT];
    for (int k = 0; k < A_COUNT; k++)
        params [k] = arr [k].data;
    res = PQexecPrepared (pg_session_conn (self->pg), "router_assign", A_COUNT, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_log_failure (self, "assign", res);
        assigned = -1;
        goto fail;
    }
    assigned = PQntuples (res);
    if (assigned > 0) {
        //  3. Events and audit rows for exactly the rows that changed.
        pg_array_t types = { 0 }, nos = { 0 }, data = { 0 }, ids = { 0 }, versions = { 0 },
                 details = { 0 };
        pg_array_begin (&types);
        pg_array_begin (&nos);
        pg_array_begin (&data);
        pg_array_begin (&ids);
        pg_array_begin (&versions);
        pg_array_begin (&details);
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        for (int row = 0; row < assigned; row++) {
            int64_t id = strtoll (PQgetvalue (res, row, 0), NULL, 10);
            const char *handler = s_value (res, row, 1);
            const char *version = PQgetvalue (res, row, 2);
            claim_t *claim = NULL;
            for (int i = 0; i < batch->count && !claim; i++)
                if (batch->items [i].id == id)
                    claim = &batch->items [i];
            assert (claim);
            const policy_decision_t *d = &claim->decision;

            //  The events, each from its packer (proto/events.c).
            const events_assigned_t ev = {
                .department = d->r.department, .handler = handler,
                .cooperating = (const char *const *) d->r.cooperating,
                .ncooperating = d->r.ncooperating, .business_line = d->r.business_line,
                .cause = d->r.cause, .jrt_channel = d->jrt_channel,
                .jrt_business = d->jrt_business, .jrt_cause = d->jrt_cause,
                .priority = d->p.priority, .flags = (const char *const *) d->flags,
                .nflags = d->nflags, .major = d->p.major, .unroutable = d->r.unroutable,
                .rule = d->r.rule, .router = self->name,
                .version = strtoll (version, NULL, 10), .outlet = d->r.branch,
            };
            msgpack_sbuffer_clear (&buf);
            events_complaint_assigned (&buf, &ev);
            s_event_add (&types, &nos, &data, "complaint.assigned", claim->complaint_no, &buf);
            if (d->p.major) {
                msgpack_sbuffer_clear (&buf);
                events_complaint_major (&buf, d->p.priority, (const char *const *) d->flags,
                                        d->nflags, d->r.department, d->r.business_line,
                                        d->r.cause, d->p.major_rule ? d->p.major_rule : "");
                s_event_add (&types, &nos, &data, "complaint.major", claim->complaint_no, &buf);
            }
            for (size_t k = 0; k < d->r.ncooperating; k++) {
                msgpack_sbuffer_clear (&buf);
                events_complaint_cooperation_requested (&buf, d->r.cooperating [k],
                                                        d->r.department,
                                                        d->r.cooperating_rules [k]);
                s_event_add (&types, &nos, &data, "complaint.cooperation_requested",
                             claim->complaint_no, &buf);
            }
            char num [32];
            snprintf (num, sizeof num, "%" PRId64, id);
            pg_array_add (&ids, num);
            pg_array_add (&versions, version);
            char *json = s_details (claim, handler);
            pg_array_add (&details, json);
            free (json);
        }
        msgpack_sbuffer_destroy (&buf);
        pg_array_end (&types);
        pg_array_end (&nos);
        pg_array_end (&data);
        pg_array_end (&ids);
        pg_array_end (&versions);
        pg_array_end (&details);
        char actor [300];
        snprintf (actor, sizeof actor, "router:%s", self->name);
        const char *rparams [7] = { types.data, nos.data, data.data, actor, ids.data,
                                    versions.data, details.data };
        PGresult *rres = PQexecPrepared (pg_session_conn (self->pg), "router_record", 7, rparams, NULL, NULL, 0);
        bool ok = PQresultStatus (rres) == PGRES_COMMAND_OK;
        if (!ok)
            s_log_failure (self, "record", rres);
        PQclear (rres);
        pg_array_destroy (&types);
        pg_array_destroy (&nos);
        pg_array_destroy (&data);
        pg_array_destroy (&ids);
        pg_array_destroy (&versions);
        pg_array_destroy (&details);
        if (!ok) {
            assigned = -1;
            goto fail;
        }
    }
    PQclear (res);
    res = NULL;
    //  4.
    if (s_command (self, "COMMIT", "commit"))
        assigned = -1;
    goto done;
fail:
    PQclear (res);
    res = NULL;
    s_rollback (self);
done:
    PQclear (res);
    for (int k = 0; k < A_COUNT; k++)
        pg_array_destroy (&arr [k]);
    pg_array_destroy (&lock_depts);
    pg_array_destroy (&lit);
    zhash_destroy (&depts);
    return assigned;
}

pg_session_t *
claims_session (claims_t *self)
{
    assert (self);
    return self->pg;
}

void
claims_batch_destroy (claim_batch_t **batch_p)
{
    assert (batch_p);
    claim_batch_t *batch = *batch_p;
    if (!batch)
        return;
    PQclear (batch->res);
    free (batch->items);
    free (batch);
    *batch_p = NULL;
}
