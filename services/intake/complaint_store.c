/*  complaint_store.c — group-committed complaint writes, and the store
 *  session the other requests of a batch use (case_action.c, case_view.c).
 *
 *  Why one set-based statement per batch: the idempotency check must be
 *  atomic with the insert, and the outbox row must exist exactly when the
 *  complaint row was created. INSERT ... SELECT FROM unnest(...) ON CONFLICT
 *  (submitter, channel, ref) DO NOTHING decides idempotency inside PostgreSQL
 *  (a reference is its submitter's: another client's certificate sending
 *  the same ref makes its own complaint, migration 024); the outbox
 *  insert joins the INSERT's RETURNING, so it covers exactly the rows created;
 *  and rows that already existed come back with their first number. Doing it
 *  for the whole batch in one statement pays the executor's start-up once,
 *  not once per complaint. A rare race — another intake instance inserting the
 *  same reference concurrently — leaves a row without a number (the
 *  statement's snapshot predates the other commit); those are looked up again
 *  after COMMIT.
 *
 *  received_at: the adapter's time when the submit carries one, else the
 *  store's clock, app_now () (migration 003: the SLA clocks start there, and
 *  a test database may shift it). The complaint.received event carries the
 *  stored value: the event data is packed by its packer (proto/events.c,
 *  EVENTS_AT_FROM_STORE) as a msgpack map whose last value, received_at, is
 *  left off, and the statement appends it from the INSERT's RETURNING as a
 *  msgpack int64 (0xd3 and eight big-endian bytes, which is what int8send
 *  gives), so the event and the row cannot disagree and the batch still
 *  costs one statement. Every integration test checks the events this
 *  statement completes against the declaration (tests/lib.sh).
 *
 *  The customer: never written in clear. Before the batch is sent, each
 *  item gets its query code (query_code.h) and, with the identity key
 *  (identity_seal.h), the code's keyed hash and sealed copy, the identity
 *  sealed as one value and the identifiers' lookup hashes — all bound to
 *  the number reserved for the item. A duplicate answers the first
 *  complaint's code, opened from its sealed copy after COMMIT.
 *
 *  Complaint numbers: the sequence hands out blocks of 100 (INCREMENT BY
 *  100); this module keeps a few blocks in hand and refills them with one
 *  query, so numbering costs nothing per complaint.
 */
#include "complaint_store.h"
#include "curve.h"
#include "event.h"
#include "events.h"
#include "local_time.h"
#include "log.h"
#include "pg_session.h"
#include "query_code.h"

#include <assert.h>
#include <czmq.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_SIZE      100     /* must equal complaint_no_seq's INCREMENT BY */
#define BLOCKS_PER_FILL 16
#define SUBMIT_COLUMNS  30      /* arrays in the submit statement */
#define SUBMIT_TEXT     22      /* the first 22 are text, the rest bytea */
#define TEXTOID         25      /* pg_type OIDs, fixed since PostgreSQL 7 */
#define BYTEAOID        17
#define TEXTARRAYOID    1009
#define BYTEAARRAYOID   1001

//  A batch commits in milliseconds; a statement stuck behind a lock is cut
//  off and its clients retry (idempotent on (submitter, channel, ref)).
#define S_STATEMENT_TIMEOUT_MS 60000

struct complaint_store_t {
    pg_session_t *pg;
    PGconn *conn;                       /* the session's, after s_ensure_connected */
    int64_t blocks [BLOCKS_PER_FILL];   /* start of each reserved block */
    size_t nblocks;                     /* blocks not yet started */
    int64_t next;                       /* next number in the current block */
    int64_t block_end;                  /* one past the current block */
    msgpack_sbuffer *data;              /* per-batch event data, one per item */
    msgpack_sbuffer *sealed;            /* per-batch sealed identity, one per item */
    size_t data_cap;
    const identity_seal_t *seal;        /* the caller's keys */
    msgpack_sbuffer arrays [SUBMIT_COLUMNS];    /* array literals for a batch */
};

/*  One statement per batch. Each parameter is an array with one element per
 *  complaint ($1..$19 text, $20..$27 bytea: the sealed identity, its four
 *  lookup hashes, the query code's hash and sealed copy, and the event
 *  data), unnested side by side. Set-based: one executor start-up, one
 *  plan, for the whole batch. It returns the input position (1-based) of
 *  every complaint it created; the rest were duplicates (or lost a race
 *  with a concurrent insert of the same reference) and are looked up after
 *  COMMIT — rare, so the common path pays no per-row probe for them.
 *
 *  No identity goes in as plaintext: the customer is customer_sealed (one
 *  sealed msgpack map, identity_seal.h) and keyed hashes for lookups; the
 *  pseudonym is the bus's HMAC, as before. The submitter ($15, the sender's
 *  CURVE certificate name) scopes the reference (migration 024).
 *
 *  A referral's due date (migration 026) is judged against the receipt
 *  here, because only here is the receipt known when the submit gave none
 *  (the store's clock, app_now ()): before the receipt, or more than a
 *  year after it, the row is not inserted and comes back with why and the
 *  receipt it was judged against ("before_receipt 1795438798831"), so the
 *  one bad complaint is refused, naming referral.due_at, and its
 *  neighbours in the batch are not. A retry of a complaint that exists
 *  is not judged again (NOT EXISTS): it answers the first, as any
 *  duplicate does. */
static const char *s_submit_sql =
    "WITH input AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
    "    $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
    "    $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],"
    "    $19::text[], $20::text[], $21::text[], $22::text[], $23::bytea[], $24::bytea[],"
    "    $25::bytea[], $26::bytea[], $27::bytea[], $28::bytea[], $29::bytea[], $30::bytea[])"
    "    WITH ORDINALITY"
    "  AS t (complaint_no, channel, ref, subject, body, demand, branch, product, category,"
    "    amount, lang, pseudonym, received_at, consent, submitter, referral_source, referrer,"
    "    referrer_ticket, referrer_due, staff_concerned, incident_at, incident_place, sealed,"
    "    phone_hash, email_hash, account_hash, id_no_hash, code_hash, code_sealed, data, ord)),"
    " checked AS ("
    "  SELECT i.*, coalesce(to_timestamp(i.received_at::bigint / 1000.0), app_now()) AS recv,"
    "    to_timestamp(i.referrer_due::bigint / 1000.0) AS due FROM input i),"
    " judged AS ("
    "  SELECT c.*, CASE WHEN c.due < c.recv THEN 'before_receipt'"
    "    WHEN c.due > c.recv + interval '1 year' THEN 'over_a_year' END AS refused"
    "  FROM checked c),"
    " ins AS ("
    "  INSERT INTO complaint (complaint_no, channel, ref, subject, body, demand, branch,"
    "    product, category, amount, lang, customer_pseudonym, received_at,"
    "    narrative_consent, submitter, customer_sealed, customer_phone_hash,"
    "    customer_email_hash, customer_account_hash, customer_id_no_hash, query_code_hash,"
    "    query_code_sealed, referral_source, referrer, referrer_ticket, referrer_due_at,"
    "    staff_concerned, incident_at, incident_place)"
    "  SELECT complaint_no, channel, ref, subject, body, demand, branch, product, category,"
    "    amount::numeric, coalesce(lang, 'zh'), pseudonym, recv, consent::boolean,"
    "    submitter, sealed, phone_hash, email_hash, account_hash, id_no_hash, code_hash,"
    "    code_sealed, referral_source, referrer, referrer_ticket, due, staff_concerned,"
    "    to_timestamp(incident_at::bigint / 1000.0), incident_place"
    "  FROM judged WHERE refused IS NULL"
    "  ON CONFLICT (submitter, channel, ref) DO NOTHING"
    "  RETURNING complaint_no,"
    "    (extract(epoch FROM received_at) * 1000)::bigint AS received_ms),"
    " created AS ("
    "  SELECT i.ord, i.complaint_no,"
    "    i.data || '\\xd3'::bytea || int8send(ins.received_ms) AS data"
    "  FROM input i JOIN ins USING (complaint_no)),"
    " ob AS ("
    "  INSERT INTO outbox (type, complaint_no, data)"
    "  SELECT 'complaint.received', complaint_no, data FROM created ORDER BY ord)"
    " SELECT ord, NULL::text AS refused FROM created"
    " UNION ALL"
    " SELECT j.ord, j.refused || ' ' || (extract(epoch FROM j.recv) * 1000)::bigint FROM judged j"
    "  WHERE j.refused IS NOT NULL AND NOT EXISTS (SELECT 1 FROM complaint c"
    "    WHERE c.submitter = j.submitter AND c.channel = j.channel AND c.ref = j.ref)";

/* A duplicate's first number, and its query code sealed (the same code is
 * answered again: the adapter may have lost the first reply). */
static const char *s_lookup_sql =
    "SELECT complaint_no, encode (query_code_sealed, 'hex')"
    "  FROM complaint WHERE submitter = $1 AND channel = $2 AND ref = $3";

//  The session's on-connect step: session settings, then the prepared
//  statements. A failure (the schema not migrated yet) is retried by the
//  session after its back-off.
static int
s_prepare (pg_session_t *pg, void *arg)
{
    (void) arg;
    PGconn *conn = pg_session_conn (pg);
    Oid submit_types [SUBMIT_COLUMNS];
    for (int c = 0; c < SUBMIT_COLUMNS; c++)
        submit_types [c] = c >= SUBMIT_TEXT ? BYTEAARRAYOID : TEXTARRAYOID;
    struct { const char *name, *sql; int nparams; const Oid *types; } stmts [] = {
        { "submit", s_submit_sql, SUBMIT_COLUMNS, submit_types },
        { "lookup", s_lookup_sql, 3, NULL },
    };
    /* The batch statement's plan (unnest, insert, hash join of two CTEs) is
     * the same for any batch; planning it afresh for every batch would cost
     * more than executing a small one. */
    if (pg_session_command (pg, "set_encoding", "SET client_encoding TO 'UTF8'", 0, NULL)
    ||  pg_session_command (pg, "set_plan_cache_mode",
                            "SET plan_cache_mode TO force_generic_plan", 0, NULL))
        return -1;
    for (size_t i = 0; i < sizeof stmts / sizeof stmts [0]; i++) {
        PGresult *res = PQprepare (conn, stmts [i].name, stmts [i].sql,
                                   stmts [i].nparams, stmts [i].types);
        bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
        if (!ok) {
            char q [400];
            log_error ("pg_prepare_failed", "statement=%s error=%s", stmts [i].name,
                       log_quote (q, sizeof q, PQerrorMessage (conn)));
        }
        PQclear (res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* (Re)connect and prepare when the connection is gone. Never waits out
 * an outage (pg_session_try_recover: one attempt per back-off step): the
 * batch is answered "unavailable" at once and its clients retry, instead
 * of every request queueing behind a writer that sleeps until the store is
 * back. Number blocks survive a reconnect: they were reserved. */
static int
s_ensure_connected (complaint_store_t *self)
{
    int rc = pg_session_try_recover (self->pg);
    self->conn = pg_session_conn (self->pg);
    return rc;
}

complaint_store_t *
complaint_store_new (const char *conninfo, const identity_seal_t *seal)
{
    assert (seal);
    complaint_store_t *self = calloc (1, sizeof *self);
    assert (self);
    self->seal = seal;
    for (int i = 0; i < SUBMIT_COLUMNS; i++)
        msgpack_sbuffer_init (&self->arrays [i]);
    self->pg = pg_session_new (conninfo, "intake", S_STATEMENT_TIMEOUT_MS);
    if (!self->pg || pg_session_on_connect (self->pg, s_prepare, self)) {
        complaint_store_destroy (&self);
        return NULL;
    }
    self->conn = pg_session_conn (self->pg);
    return self;
}

void
complaint_store_destroy (complaint_store_t **self_p)
{
    assert (self_p);
    complaint_store_t *self = *self_p;
    if (!self)
        return;
    pg_session_destroy (&self->pg);
    for (size_t i = 0; i < self->data_cap; i++) {
        msgpack_sbuffer_destroy (&self->data [i]);
        msgpack_sbuffer_destroy (&self->sealed [i]);
    }
    free (self->data);
    free (self->sealed);
    for (int i = 0; i < SUBMIT_COLUMNS; i++)
        msgpack_sbuffer_destroy (&self->arrays [i]);
    free (self);
    *self_p = NULL;
}

/* Reserve more number blocks: one query for BLOCKS_PER_FILL blocks. */
static int
s_refill_blocks (complaint_store_t *self)
{
    char count [16];
    snprintf (count, sizeof count, "%d", BLOCKS_PER_FILL);
    const char *params [] = { count };
    PGresult *res = PQexecParams (self->conn,
        "SELECT nextval('complaint_no_seq') FROM generate_series(1, $1::int)",
        1, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == BLOCKS_PER_FILL) {
        for (int i = 0; i < BLOCKS_PER_FILL; i++)
            self->blocks [BLOCKS_PER_FILL - 1 - i] = strtoll (PQgetvalue (res, i, 0), NULL, 10);
        self->nblocks = BLOCKS_PER_FILL;
        rc = 0;
    }
    else {
        char q [300];
        log_error ("sequence_failed", "error=%s", log_quote (q, sizeof q, PQerrorMessage (self->conn)));
    }
    PQclear (res);
    return rc;
}

static int
s_next_number (complaint_store_t *self, char out [COMPLAINT_NO_SIZE])
{
    if (self->next >= self->block_end) {
        if (self->nblocks == 0 && s_refill_blocks (self))
            return -1;
        self->next = self->blocks [--self->nblocks];
        self->block_end = self->next + BLOCK_SIZE;
    }
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);
    int date = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    return complaint_no_format (out, date, (uint64_t) self->next++);
}

/*  The complaint.received event's data (proto/events.c): the customer as a
 *  pseudonym, free text scrubbed by the packer (the customer's own name and
 *  numbers too: identity is handed to it, never packed), no identity field. The last
 *  key, received_at, has no value here: the submit statement appends the
 *  stored time (see the top of this file). */
static void
s_pack_received_data (msgpack_sbuffer *buf, const submit_item_t *item)
{
    const submit_t *s = item->submit;
    events_received_t r = {
        .channel = s->channel, .customer = item->pseudonym, .subject = s->subject,
        .body = s->body, .demand = s->demand, .branch = s->branch, .product = s->product,
        .category = s->category, .amount = s->has_amount ? s->amount : NULL,
        .lang = s->lang.ptr && proto_str_eq (s->lang, "en") ? "en" : "zh",
        .narrative_consent = s->narrative_consent,
        .referral_source = s->referral.source [0] ? s->referral.source : NULL,
        .received_at = EVENTS_AT_FROM_STORE, .identity = &s->customer,
    };
    events_complaint_received (buf, &r);
}

static void
s_fail_all (submit_item_t *items, size_t n, const char *code, const char *message)
{
    for (size_t i = 0; i < n; i++)
        if (items [i].status == SUBMIT_PENDING) {
            items [i].status = SUBMIT_FAILED;
            proto_error_set (&items [i].err, code, "", "%s", message);
        }
}

/*  The arrays go in PostgreSQL's binary array format (what array_recv
 *  reads): a 20-byte header — dimensions (1), has-nulls flag, element type,
 *  element count, lower bound — then each element as a 4-byte length (-1 for
 *  NULL) and its bytes. A text or bytea element's binary form is its bytes,
 *  so the request's strings are copied once and nothing is escaped, quoted or
 *  hex-encoded; the server parses nothing. (An sbuffer is just a growable
 *  byte buffer here.) */
static void
s_put_u32 (msgpack_sbuffer *buf, uint32_t value)
{
    unsigned char bytes [4] = {
        (unsigned char) (value >> 24), (unsigned char) (value >> 16),
        (unsigned char) (value >> 8), (unsigned char) value
    };
    msgpack_sbuffer_write (buf, (const char *) bytes, 4);
}

static void
s_set_u32 (msgpack_sbuffer *buf, size_t offset, uint32_t value)
{
    unsigned char *p = (unsigned char *) buf->data + offset;
    p [0] = (unsigned char) (value >> 24);
    p [1] = (unsigned char) (value >> 16);
    p [2] = (unsigned char) (value >> 8);
    p [3] = (unsigned char) value;
}

static void
s_array_begin (msgpack_sbuffer *buf, uint32_t element_type)
{
    msgpack_sbuffer_clear (buf);
    s_put_u32 (buf, 1);                 /* dimensions */
    s_put_u32 (buf, 0);                 /* has nulls: set by s_array_add */
    s_put_u32 (buf, element_type);
    s_put_u32 (buf, 0);                 /* element count: set by s_array_end */
    s_put_u32 (buf, 1);                 /* lower bound */
}

static void
s_array_add (msgpack_sbuffer *buf, const char *value, size_t len)
{
    if (!value) {
        s_put_u32 (buf, 0xFFFFFFFFu);
        s_set_u32 (buf, 4, 1);
        return;
    }
    s_put_u32 (buf, (uint32_t) len);
    msgpack_sbuffer_write (buf, value, len);
}

static void
s_array_end (msgpack_sbuffer *buf, size_t count)
{
    s_set_u32 (buf, 12, (uint32_t) count);
}

/* A keyed hash as an array element: NULL when it was not made (the
 * customer gave no such identifier; its first byte, the key id, is 0). */
static proto_str_t
s_hash_or_null (const unsigned char hash [IDENTITY_HASH_SIZE])
{
    return (proto_str_t) { hash [0] ? (const char *) hash : NULL,
                           hash [0] ? IDENTITY_HASH_SIZE : 0 };
}

static void
s_build_arrays (complaint_store_t *self, submit_item_t *items, msgpack_sbuffer *data,
                msgpack_sbuffer *sealed_ids, size_t n)
{
    for (int c = 0; c < SUBMIT_COLUMNS; c++)
        s_array_begin (&self->arrays [c], c >= SUBMIT_TEXT ? BYTEAOID : TEXTOID);
    for (size_t i = 0; i < n; i++) {
        const submit_item_t *item = &items [i];
        const submit_t *s = item->submit;
        /* 0: none given; NULL, and the store stamps app_now () */
        char received [24];
        snprintf (received, sizeof received, "%lld", (long long) item->received_at);
        proto_str_t received_at = { item->received_at ? received : NULL,
                                    item->received_at ? strlen (received) : 0 };
        const msgpack_sbuffer *sealed = &sealed_ids [i];
        const referral_t *r = &s->referral;
        char due [24];
        snprintf (due, sizeof due, "%lld", (long long) r->due_at);
        const incident_t *inc = &s->incident;              /* issue 16 (i16-tasks) */
        char inc_at [24];
        snprintf (inc_at, sizeof inc_at, "%lld", (long long) inc->at);
        const proto_str_t fields [SUBMIT_COLUMNS] = {
            { item->complaint_no, strlen (item->complaint_no) }, s->channel, s->ref,
            s->subject, s->body, s->demand, s->branch, s->product, s->category,
            { s->has_amount ? s->amount : NULL, s->has_amount ? strlen (s->amount) : 0 },
            s->lang, { item->pseudonym, strlen (item->pseudonym) }, received_at,
            { s->narrative_consent ? "t" : "f", 1 },
            { item->submitter ? item->submitter : CURVE_LOCAL,
              strlen (item->submitter ? item->submitter : CURVE_LOCAL) },
            { r->source [0] ? r->source : NULL, strlen (r->source) }, r->referrer, r->ticket,
            { r->due_at ? due : NULL, r->due_at ? strlen (due) : 0 },
            inc->staff_concerned, { inc->at ? inc_at : NULL, inc->at ? strlen (inc_at) : 0 },
            inc->place,
            { sealed->size ? sealed->data : NULL, sealed->size },
            s_hash_or_null (item->phone_hash), s_hash_or_null (item->email_hash),
            s_hash_or_null (item->account_hash), s_hash_or_null (item->id_no_hash),
            s_hash_or_null (item->code_hash),
            { (const char *) item->code_sealed, sizeof item->code_sealed },
            { data [i].data, data [i].size },
        };
        for (int c = 0; c < SUBMIT_COLUMNS; c++)
            s_array_add (&self->arrays [c], fields [c].ptr, fields [c].len);
    }
    for (int c = 0; c < SUBMIT_COLUMNS; c++)
        s_array_end (&self->arrays [c], n);
}

/* The submit statement's parameters for n items: the arrays, binary. */
typedef struct {
    const char *values [SUBMIT_COLUMNS];
    int lengths [SUBMIT_COLUMNS], formats [SUBMIT_COLUMNS];
} s_params_t;

static void
s_params (complaint_store_t *self, submit_item_t *items, msgpack_sbuffer *data,
          msgpack_sbuffer *sealed, size_t n, s_params_t *p)
{
    s_build_arrays (self, items, data, sealed, n);
    for (int c = 0; c < SUBMIT_COLUMNS; c++) {
        p->values [c] = self->arrays [c].data;
        p->lengths [c] = (int) self->arrays [c].size;
        p->formats [c] = 1;
    }
}

/*  One row of the submit statement: the item was created (refused NULL),
 *  or its referral's due date was refused against the receipt (see the
 *  statement). */
static void
s_take_row (submit_item_t *items, size_t n, PGresult *res, int row)
{
    long ord = strtol (PQgetvalue (res, row, 0), NULL, 10);
    if (ord < 1 || (size_t) ord > n)
        return;
    submit_item_t *item = &items [ord - 1];
    if (PQgetisnull (res, row, 1)) {
        item->status = SUBMIT_ACCEPTED;
        return;
    }
    const char *why = PQgetvalue (res, row, 1);
    const char *sp = strchr (why, ' ');
    //  The receipt for people: the bank's zone (intake's TZ, as the
    //  complaint number's date), the offset written.
    char at [LOCAL_TIME_SIZE];
    local_time_format (sp ? strtoll (sp + 1, NULL, 10) : 0, at, sizeof at);
    item->status = SUBMIT_FAILED;
    if (strncmp (why, "before_receipt", 14) == 0)
        proto_error_set (&item->err, PROTO_E_INVALID_FIELD, "referral.due_at",
                         "referral.due_at is before the complaint's receipt (%s)", at);
    else
        proto_error_set (&item->err, PROTO_E_INVALID_FIELD, "referral.due_at",
                         "referral.due_at is more than a year after the complaint's receipt (%s)",
                         at);
}

/*  Read the pipeline's results: BEGIN, the submit statement (one row per
 *  item), COMMIT, then the sync. Returns 0 only when all succeeded — that
 *  is, when the COMMIT is confirmed. */
static int
s_read_pipeline (complaint_store_t *self, submit_item_t *items, size_t n)
{
    int rc = 0;
    for (int k = 0; k < 3; k++) {
        PGresult *res = PQgetResult (self->conn);
        if (!res)
            return -1;
        ExecStatusType st = PQresultStatus (res);
        if (k == 1 && st == PGRES_TUPLES_OK && (size_t) PQntuples (res) <= n) {
            /* created rows keep the number we gave them; the others are
             * found by s_resolve_duplicates after COMMIT */
            for (int row = 0; row < PQntuples (res); row++)
                s_take_row (items, n, res, row);
        }
        else
        if (st != PGRES_COMMAND_OK) {
            if (rc == 0 && st != PGRES_PIPELINE_ABORTED) {
                char q [400];
                log_error ("batch_failed", "step=%d sqlstate=%s error=%s", k, pg_sqlstate (res),
                           log_quote (q, sizeof q, PQresultErrorMessage (res)));
            }
            rc = -1;
        }
        PQclear (res);
        res = PQgetResult (self->conn);         /* each query's results end with NULL */
        if (res) {
            PQclear (res);
            return -1;                          /* out of step: never trust this batch */
        }
    }
    PGresult *sync = PQgetResult (self->conn);
    if (!sync || PQresultStatus (sync) != PGRES_PIPELINE_SYNC)
        rc = -1;
    PQclear (sync);
    return rc;
}

/* Send one batch as one pipelined transaction and wait for its COMMIT. */
static int
s_write_batch (complaint_store_t *self, submit_item_t *items, msgpack_sbuffer *data,
               msgpack_sbuffer *sealed, size_t n)
{
    if (!pg_session_healthy (self->pg) || PQenterPipelineMode (self->conn) != 1)
        return -1;
    s_params_t p;
    s_params (self, items, data, sealed, n, &p);
    const char *const *values = p.values;
    const int *lengths = p.lengths, *formats = p.formats;
    int rc = 0;
    if (!PQsendQueryParams (self->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)
    ||  !PQsendQueryPrepared (self->conn, "submit", SUBMIT_COLUMNS, values, lengths, formats, 0)
    ||  !PQsendQueryParams (self->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)
    ||  !PQpipelineSync (self->conn))
        rc = -1;
    if (rc == 0)
        rc = s_read_pipeline (self, items, n);
    if (rc == 0 && PQexitPipelineMode (self->conn) == 1)
        return 0;
    /* Could not send, or the results came back out of step: this connection
     * can no longer be trusted. Drop it; the next call reconnects. Whether
     * the transaction committed is unknown, so nothing is acknowledged and
     * clients retry (idempotent on (submitter, channel, ref)). A statement that failed
     * cleanly leaves the connection in step and usable. */
    if (rc == 0 || !pg_session_healthy (self->pg) || PQexitPipelineMode (self->conn) != 1) {
        log_warn ("pg_connection_dropped", "reason=\"batch result unknown\" action=reconnect");
        pg_session_drop (self->pg);
        self->conn = NULL;
    }
    return -1;
}

/* The query code of a complaint that existed: opened from its sealed
 * copy; "" when it has none (a complaint from before migration 022) or it
 * does not open (a key missing from the file: logged). */
static void
s_open_code (complaint_store_t *self, submit_item_t *item, const char *sealed_hex)
{
    item->query_code [0] = 0;
    unsigned char sealed [QUERY_CODE_SIZE + IDENTITY_SEAL_OVERHEAD];
    size_t len = 0;
    if (!*sealed_hex
    ||  sodium_hex2bin (sealed, sizeof sealed, sealed_hex, strlen (sealed_hex), NULL, &len, NULL))
        return;
    unsigned char code [QUERY_CODE_SIZE];
    size_t code_len = 0;
    if (len > IDENTITY_SEAL_OVERHEAD
    &&  identity_seal_open (self->seal, sealed, len, item->complaint_no,
                            COMPLAINT_STORE_CODE_PURPOSE, code, &code_len) == 0
    &&  code_len < QUERY_CODE_SIZE) {
        memcpy (item->query_code, code, code_len);
        item->query_code [code_len] = 0;
    }
    else
        log_warn ("query_code_unopened", "complaint_no=%s reason=\"its key is not in the key"
                  " file, or the value was altered\"", item->complaint_no);
}

/* Everything the key makes for one item: a new query code (its hash and
 * sealed copy), the sealed identity and the identifiers' lookup hashes.
 * All of it is bound to the number reserved for the item; a duplicate's
 * are thrown away with that number. */
static int
s_seal_item (complaint_store_t *self, submit_item_t *item, msgpack_sbuffer *sealed)
{
    const customer_t *c = &item->submit->customer;
    char canon [QUERY_CODE_CHARS + 1];
    query_code_new (item->query_code);
    query_code_canonical (item->query_code, strlen (item->query_code), canon);
    identity_seal_hash (self->seal, IDENTITY_HASH_QUERY, canon, QUERY_CODE_CHARS,
                        item->code_hash);
    memset (item->code_sealed, 0, sizeof item->code_sealed);
    if (identity_seal_seal (self->seal, item->query_code, QUERY_CODE_SIZE - 1,
                            item->complaint_no, COMPLAINT_STORE_CODE_PURPOSE,
                            item->code_sealed))
        return -1;
    struct { proto_str_t value; const char *kind; unsigned char *out; } ids [] = {
        { c->phone, "tel", item->phone_hash }, { c->email, "mail", item->email_hash },
        { c->account, "acct", item->account_hash }, { c->id_no, "id", item->id_no_hash },
    };
    for (size_t k = 0; k < sizeof ids / sizeof ids [0]; k++) {
        ids [k].out [0] = 0;            /* key id 0: no hash (s_hash_or_null) */
        if (ids [k].value.ptr && ids [k].value.len)
            identity_seal_lookup (self->seal, ids [k].kind, ids [k].value, ids [k].out);
    }
    return identity_seal_customer (self->seal, c, item->complaint_no, sealed);
}

/* After COMMIT: items the statement did not create already existed (a
 * retry, a re-import), were repeated within the batch, or lost a race with
 * another instance inserting the same (submitter, channel, ref): read the number. */
static void
s_resolve_duplicates (complaint_store_t *self, submit_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        submit_item_t *item = &items [i];
        if (item->status != SUBMIT_PENDING)
            continue;
        const char *submitter = item->submitter ? item->submitter : CURVE_LOCAL;
        const char *values [] = { submitter, item->submit->channel.ptr, item->submit->ref.ptr };
        int lengths [] = { (int) strlen (submitter), (int) item->submit->channel.len,
                           (int) item->submit->ref.len };
        int formats [] = { 1, 1, 1 };
        PGresult *res = PQexecPrepared (self->conn, "lookup", 3, values, lengths, formats, 0);
        if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1) {
            /* the number reserved for this item goes unused */
            snprintf (item->complaint_no, sizeof item->complaint_no, "%s", PQgetvalue (res, 0, 0));
            item->status = SUBMIT_DUPLICATE;
            s_open_code (self, item, PQgetvalue (res, 0, 1));
        }
        PQclear (res);
    }
    s_fail_all (items, n, PROTO_E_UNAVAILABLE, "the store did not confirm this complaint; retry");
}

/* Room for n items' event data and sealed identities. */
static void
s_reserve (complaint_store_t *self, size_t n)
{
    if (self->data_cap >= n)
        return;
    self->data = realloc (self->data, n * sizeof *self->data);
    assert (self->data);
    self->sealed = realloc (self->sealed, n * sizeof *self->sealed);
    assert (self->sealed);
    for (size_t i = self->data_cap; i < n; i++) {
        msgpack_sbuffer_init (&self->data [i]);
        msgpack_sbuffer_init (&self->sealed [i]);
    }
    self->data_cap = n;
}

/* Number, pseudonym, seal and event data of each item; -1 (every item
 * failed) when a number or a seal could not be made. */
static int
s_prepare_items (complaint_store_t *self, submit_item_t *items, size_t n)
{
    s_reserve (self, n);
    for (size_t i = 0; i < n; i++) {
        items [i].status = SUBMIT_PENDING;
        if (s_next_number (self, items [i].complaint_no)) {
            s_fail_all (items, n, PROTO_E_UNAVAILABLE, "could not reserve complaint numbers; retry");
            return -1;
        }
        privacy_pseudonym (&items [i].submit->customer, items [i].pseudonym);
        if (s_seal_item (self, &items [i], &self->sealed [i])) {
            s_fail_all (items, n, PROTO_E_INTERNAL, "could not seal the customer's identity");
            return -1;
        }
        msgpack_sbuffer_clear (&self->data [i]);
        s_pack_received_data (&self->data [i], &items [i]);
    }
    return 0;
}

void
complaint_store_submit_batch (complaint_store_t *self, submit_item_t *items, size_t n)
{
    assert (self);
    if (n == 0)
        return;
    if (s_ensure_connected (self)) {
        s_fail_all (items, n, PROTO_E_UNAVAILABLE, "the complaint store is not reachable; retry");
        return;
    }
    if (s_prepare_items (self, items, n))
        return;
    if (s_write_batch (self, items, self->data, self->sealed, n) == 0) {
        s_resolve_duplicates (self, items, n);
        return;
    }
    /* The transaction did not commit: nothing of it is stored. Reset any
     * result we read before the failure; the caller's clients retry. */
    for (size_t i = 0; i < n; i++)
        items [i].status = SUBMIT_PENDING;
    if (!pg_session_healthy (self->pg)) {
        s_fail_all (items, n, PROTO_E_UNAVAILABLE, "the complaint store went away; retry");
        return;
    }
    /* The store is up but the batch failed: retry one by one, so a single
     * bad row cannot refuse its neighbours. */
    for (size_t i = 0; i < n; i++) {
        if (s_write_batch (self, &items [i], &self->data [i], &self->sealed [i], 1) == 0)
            s_resolve_duplicates (self, &items [i], 1);
        else
        if (!pg_session_healthy (self->pg)) {
            s_fail_all (&items [i], n - i, PROTO_E_UNAVAILABLE,
                        "the complaint store went away; retry");
            break;
        }
        else {
            items [i].status = SUBMIT_FAILED;
            proto_error_set (&items [i].err, PROTO_E_INTERNAL, "",
                             "the store refused this complaint; it was not recorded");
        }
    }
}

/*  The batch statement for one item, inside the caller's transaction: a
 *  created row comes back with its position; none means the reference
 *  existed (or was inserted concurrently and committed first), and its
 *  first number is read in the same transaction. */
int
complaint_store_submit_in_txn (complaint_store_t *self, submit_item_t *item)
{
    assert (self && item);
    self->conn = pg_session_conn (self->pg);
    if (!self->conn) {
        item->status = SUBMIT_FAILED;
        proto_error_set (&item->err, PROTO_E_UNAVAILABLE, "",
                         "the complaint store is not reachable; retry");
        return -1;
    }
    if (s_prepare_items (self, item, 1))
        return -1;                      /* s_fail_all said why */
    s_params_t p;
    s_params (self, item, self->data, self->sealed, 1, &p);
    PGresult *res = PQexecPrepared (self->conn, "submit", SUBMIT_COLUMNS, p.values, p.lengths,
                                    p.formats, 0);
    bool ok = PQresultStatus (res) == PGRES_TUPLES_OK;
    if (ok && PQntuples (res) == 1)
        s_take_row (item, 1, res, 0);
    if (!ok) {
        char q [400];
        log_error ("first_contact_submit_failed", "sqlstate=%s error=%s", pg_sqlstate (res),
                   log_quote (q, sizeof q, PQresultErrorMessage (res)));
    }
    PQclear (res);
    if (!ok) {
        item->status = SUBMIT_FAILED;
        proto_error_set (&item->err, pg_session_healthy (self->pg) ? PROTO_E_INTERNAL
                         : PROTO_E_UNAVAILABLE, "", "the store did not record this complaint%s",
                         pg_session_healthy (self->pg) ? "" : "; retry");
        return -1;
    }
    if (item->status == SUBMIT_PENDING)
        s_resolve_duplicates (self, item, 1);
    return item->status == SUBMIT_FAILED ? -1 : 0;
}

void
complaint_store_pack_reply (msgpack_packer *pk, const submit_item_t *item, size_t extra)
{
    msgpack_pack_map (pk, 4 + extra);
    proto_pack_kv_bool (pk, "ok", true);
    proto_pack_kv_cstr (pk, "complaint_no", item->complaint_no);
    proto_pack_kv_bool (pk, "duplicate", item->status == SUBMIT_DUPLICATE);
    proto_pack_cstr (pk, "query_code");
    if (*item->query_code)
        proto_pack_cstr (pk, item->query_code);
    else
        msgpack_pack_nil (pk);      /* a complaint from before query codes */
}

pg_session_t *
complaint_store_session (complaint_store_t *self)
{
    assert (self);
    return s_ensure_connected (self) == 0 ? self->pg : NULL;
}
