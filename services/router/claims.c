/*  claims.c — claim, assign and release complaints in PostgreSQL (see claims.h).
 *
 *  Three prepared statements, each one round trip:
 *
 *  claim    UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
 *           RETURNING the routing fields. Autocommit: the lease is the claim,
 *           so no transaction stays open while the router routes. A row whose
 *           lease is still running belongs to its owner and is skipped, except
 *           a row leased to this very instance: a router never has two batches
 *           in flight, so such a row is one it dropped (a connection lost
 *           before the finish answered) and it may take it straight back
 *           instead of waiting for the lease to run out.
 *
 *  finish   one statement over arrays (unnest): a data-modifying CTE updates
 *           every complaint that is still 'received' AND still leased to this
 *           instance, and inserts a complaint.assigned outbox row for exactly
 *           the rows the UPDATE returned. A single statement is a single
 *           transaction, so state change and event commit together
 *           (invariant 3), and a claim lost to an expired lease (another
 *           router took it over) writes nothing. Row locks serialise two
 *           routers finishing the same complaint; the loser's WHERE no longer
 *           holds after the winner commits, so it updates nothing.
 *
 *           The redundant `c.id = ANY ($1)` gives the planner an index
 *           condition on the primary key; without it, it estimated the
 *           unnest at one row and joined by scanning every waiting complaint
 *           (measured: 293 ms instead of 28 ms for 500 rows of 20,000).
 *
 *  release  on shutdown, clear this instance's leases on complaints still
 *           waiting, so another router need not wait for them to expire.
 *
 *  The outbox row's data is the msgpack map {"department","rule","router"}:
 *  routing facts only, never the customer's identity (invariant 8).
 */
#include "claims.h"
#include "pg.h"
#include "log.h"
#include "proto.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

struct _claims_t {
    PGconn *conn;
    char *conninfo;
    char *owner;
    char *name;
    long lease_ms;
};

#define S_SQL_CLAIM \
    "UPDATE complaint SET lease_owner = $1::text," \
    "       lease_until = now () + $2::float8 * interval '1 millisecond'" \
    " WHERE id IN (SELECT id FROM complaint" \
    "               WHERE state = 'received'" \
    "                 AND (lease_until IS NULL OR lease_until < now () OR lease_owner = $1::text)" \
    "               ORDER BY id LIMIT $3::int" \
    "               FOR UPDATE SKIP LOCKED)" \
    " RETURNING id, complaint_no, channel, product, category, subject, body"

#define S_SQL_FINISH \
    "WITH input AS (" \
    "    SELECT * FROM unnest ($1::bigint[], $2::text[], $3::text[], $4::text[])" \
    "        AS t (id, department, rule, data))," \
    " upd AS (" \
    "    UPDATE complaint c" \
    "       SET state = 'assigned', department = i.department, routing_rule = i.rule," \
    "           lease_owner = NULL, lease_until = NULL, version = c.version + 1," \
    "           updated_at = now ()" \
    "      FROM input i" \
    "     WHERE c.id = i.id AND c.id = ANY ($1::bigint[])" \
    "       AND c.state = 'received' AND c.lease_owner = $5::text" \
    " RETURNING c.id, c.complaint_no, i.data)" \
    "INSERT INTO outbox (type, complaint_no, data)" \
    " SELECT 'complaint.assigned', complaint_no, decode (data, 'hex') FROM upd ORDER BY id" \
    " RETURNING complaint_no"

#define S_SQL_RELEASE \
    "UPDATE complaint SET lease_owner = NULL, lease_until = NULL" \
    " WHERE lease_owner = $1::text AND state = 'received'"

//  A growable text buffer for the array literals.
typedef struct {
    char *data;
    size_t len, cap;
} s_text_t;

static void
s_text_add (s_text_t *t, const char *s, size_t len)
{
    if (t->len + len + 1 > t->cap) {
        t->cap = (t->len + len + 1) * 2;
        t->data = realloc (t->data, t->cap);
        assert (t->data);
    }
    memcpy (t->data + t->len, s, len);
    t->len += len;
    t->data [t->len] = 0;
}

/* One element of a text[] literal: always quoted, with \ and " escaped. */
static void
s_text_add_element (s_text_t *t, const char *s)
{
    s_text_add (t, t->len > 1 ? ",\"" : "\"", t->len > 1 ? 2 : 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            s_text_add (t, "\\", 1);
        s_text_add (t, s, 1);
    }
    s_text_add (t, "\"", 1);
}

static void
s_text_add_hex (s_text_t *t, const char *data, size_t size)
{
    static const char digits [] = "0123456789abcdef";
    s_text_add (t, t->len > 1 ? ",\"" : "\"", t->len > 1 ? 2 : 1);
    for (size_t i = 0; i < size; i++) {
        char hex [2] = { digits [(unsigned char) data [i] >> 4], digits [data [i] & 0x0F] };
        s_text_add (t, hex, 2);
    }
    s_text_add (t, "\"", 1);
}

static int
s_prepare (claims_t *self)
{
    const struct { const char *name, *sql; int nparams; } statements [] = {
        { "router_claim", S_SQL_CLAIM, 3 },
        { "router_finish", S_SQL_FINISH, 5 },
        { "router_release", S_SQL_RELEASE, 1 },
    };
    for (size_t i = 0; i < sizeof statements / sizeof statements [0]; i++) {
        PGresult *res = PQprepare (self->conn, statements [i].name, statements [i].sql,
                                   statements [i].nparams, NULL);
        bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
        if (!ok) {
            char q [300];
            log_error ("pg_prepare_failed", "statement=%s sqlstate=%s error=%s",
                       statements [i].name, pg_sqlstate (res),
                       log_quote (q, sizeof q, PQerrorMessage (self->conn)));
        }
        PQclear (res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* Connect and prepare until both work or we are interrupted. */
static int
s_connect (claims_t *self)
{
    int delay_ms = 100;
    while (!zsys_interrupted) {
        self->conn = pg_connect (self->conninfo, "router");
        if (!self->conn)
            return -1;                  /* interrupted */
        if (s_prepare (self) == 0)
            return 0;
        //  Connected but cannot prepare: most likely the schema is not
        //  migrated yet. Wait and try again rather than exit.
        PQfinish (self->conn);
        self->conn = NULL;
        zclock_sleep (delay_ms);
        delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
    }
    return -1;
}

claims_t *
claims_new (const char *conninfo, const char *owner, const char *name, long lease_ms)
{
    assert (owner && name);
    claims_t *self = calloc (1, sizeof *self);
    assert (self);
    self->conninfo = strdup (conninfo ? conninfo : "");
    self->owner = strdup (owner);
    self->name = strdup (name);
    self->lease_ms = lease_ms;
    assert (self->conninfo && self->owner && self->name);
    if (s_connect (self)) {
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
    if (self->conn)
        PQfinish (self->conn);
    free (self->conninfo);
    free (self->owner);
    free (self->name);
    free (self);
    *self_p = NULL;
}

int
claims_recover (claims_t *self)
{
    assert (self);
    if (pg_healthy (self->conn))
        return 0;
    log_warn ("pg_lost", "action=reconnect");
    PQfinish (self->conn);
    self->conn = NULL;
    if (s_connect (self))
        return -1;
    log_info ("pg_reconnected", "owner=%s", self->owner);
    return 0;
}

static void
s_log_failure (claims_t *self, const char *what, PGresult *res)
{
    char q [300];
    log_error ("pg_statement_failed", "statement=%s sqlstate=%s error=%s", what,
               pg_sqlstate (res), log_quote (q, sizeof q, PQerrorMessage (self->conn)));
}

static const char *
s_value (PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

int
claims_take (claims_t *self, int limit, claim_batch_t **batch_p)
{
    assert (self && batch_p);
    *batch_p = NULL;
    if (!self->conn)
        return -1;
    char lease [32], lim [16];
    snprintf (lease, sizeof lease, "%ld", self->lease_ms);
    snprintf (lim, sizeof lim, "%d", limit);
    const char *params [3] = { self->owner, lease, lim };
    PGresult *res = PQexecPrepared (self->conn, "router_claim", 3, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_log_failure (self, "claim", res);
        PQclear (res);
        return -1;
    }
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
    }
    *batch_p = batch;
    return 0;
}

int
claims_finish (claims_t *self, claim_batch_t *batch)
{
    assert (self && batch);
    if (!self->conn)
        return -1;
    s_text_t ids = { 0 }, depts = { 0 }, rules = { 0 }, data = { 0 };
    s_text_add (&ids, "{", 1);
    s_text_add (&depts, "{", 1);
    s_text_add (&rules, "{", 1);
    s_text_add (&data, "{", 1);
    int n = 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (int i = 0; i < batch->count; i++) {
        claim_t *claim = &batch->items [i];
        if (!claim->department)
            continue;
        char id [32];
        int len = snprintf (id, sizeof id, "%s%" PRId64, n ? "," : "", claim->id);
        s_text_add (&ids, id, (size_t) len);
        s_text_add_element (&depts, claim->department);
        s_text_add_element (&rules, claim->rule ? claim->rule : "");

        msgpack_sbuffer_clear (&buf);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 3);
        proto_pack_kv_cstr (&pk, "department", claim->department);
        proto_pack_kv_cstr (&pk, "rule", claim->rule ? claim->rule : "");
        proto_pack_kv_cstr (&pk, "router", self->name);
        s_text_add_hex (&data, buf.data, buf.size);
        n++;
    }
    msgpack_sbuffer_destroy (&buf);
    s_text_add (&ids, "}", 1);
    s_text_add (&depts, "}", 1);
    s_text_add (&rules, "}", 1);
    s_text_add (&data, "}", 1);

    int assigned = 0;
    if (n > 0) {
        const char *params [5] = { ids.data, depts.data, rules.data, data.data, self->owner };
        PGresult *res = PQexecPrepared (self->conn, "router_finish", 5, params, NULL, NULL, 0);
        if (PQresultStatus (res) == PGRES_TUPLES_OK)
            assigned = PQntuples (res);
        else {
            s_log_failure (self, "finish", res);
            assigned = -1;
        }
        PQclear (res);
    }
    free (ids.data);
    free (depts.data);
    free (rules.data);
    free (data.data);
    return assigned;
}

int
claims_release (claims_t *self)
{
    assert (self);
    if (!pg_healthy (self->conn))
        return -1;
    const char *params [1] = { self->owner };
    PGresult *res = PQexecPrepared (self->conn, "router_release", 1, params, NULL, NULL, 0);
    int released = -1;
    if (PQresultStatus (res) == PGRES_COMMAND_OK)
        released = atoi (PQcmdTuples (res));
    else
        s_log_failure (self, "release", res);
    PQclear (res);
    return released;
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
