/*  complaint_store.c — group-committed complaint writes and the staff view.
 *
 *  Why one statement per complaint that both inserts and answers: the
 *  idempotency check must be atomic with the insert. INSERT ... ON CONFLICT
 *  (channel, ref) DO NOTHING decides it inside PostgreSQL; the outbox insert
 *  reads the INSERT's RETURNING, so it happens exactly when the complaint
 *  row was created; and when nothing was inserted the same statement returns
 *  the number stored earlier. A rare race — another intake instance inserting
 *  the same (channel, ref) concurrently — leaves the statement with no row
 *  (its snapshot predates the other commit); those items are looked up again
 *  after COMMIT.
 *
 *  Complaint numbers: the sequence hands out blocks of 100 (INCREMENT BY
 *  100); this module keeps a few blocks in hand and refills them with one
 *  query, so numbering costs nothing per complaint.
 *
 *  All string parameters go in binary format (a text value's binary form is
 *  its bytes), so the proto_str_t slices from the request are sent as they
 *  are, without copying them into NUL-terminated strings.
 */
#include "complaint_store.h"
#include "event.h"
#include "log.h"
#include "pg.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_SIZE      100     /* must equal complaint_no_seq's INCREMENT BY */
#define BLOCKS_PER_FILL 16
#define TEXTOID         25
#define BYTEAOID        17

struct complaint_store_t {
    char *conninfo;
    PGconn *conn;
    int64_t blocks [BLOCKS_PER_FILL];   /* start of each reserved block */
    size_t nblocks;                     /* blocks not yet started */
    int64_t next;                       /* next number in the current block */
    int64_t block_end;                  /* one past the current block */
    char *scratch;                      /* masking buffer */
    msgpack_sbuffer *data;              /* per-batch event data, one per item */
    size_t data_cap;
};

/* $1..$17 text, $18 received_at ms as text, $19 event data bytea */
static const char *s_submit_sql =
    "WITH ins AS ("
    "  INSERT INTO complaint (complaint_no, channel, ref, subject, body, demand, branch,"
    "    product, category, amount, lang, customer_name, customer_phone, customer_email,"
    "    customer_account, customer_id_no, customer_pseudonym, received_at)"
    "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::numeric, coalesce($11, 'zh'),"
    "    $12, $13, $14, $15, $16, $17, to_timestamp($18::bigint / 1000.0))"
    "  ON CONFLICT (channel, ref) DO NOTHING"
    "  RETURNING complaint_no),"
    " ob AS ("
    "  INSERT INTO outbox (type, complaint_no, data)"
    "  SELECT 'complaint.received', complaint_no, $19 FROM ins)"
    " SELECT complaint_no, false FROM ins"
    " UNION ALL"
    " SELECT complaint_no, true FROM complaint"
    "  WHERE channel = $2 AND ref = $3 AND NOT EXISTS (SELECT 1 FROM ins)";

static const char *s_lookup_sql =
    "SELECT complaint_no FROM complaint WHERE channel = $1 AND ref = $2";

static const char *s_get_sql =
    "SELECT complaint_no, state, channel, ref, subject, body, demand, branch, product,"
    " category, amount::text, lang, department, routing_rule,"
    " (extract(epoch FROM received_at) * 1000)::bigint::text,"
    " (extract(epoch FROM created_at) * 1000)::bigint::text,"
    " (extract(epoch FROM updated_at) * 1000)::bigint::text,"
    " version::text, customer_name, customer_phone, customer_email, customer_account,"
    " customer_id_no, customer_pseudonym"
    " FROM complaint WHERE complaint_no = $1";

static const char *s_get_events_sql =
    "SELECT event FROM event_log WHERE complaint_no = $1 ORDER BY seq";

static int
s_prepare (complaint_store_t *self)
{
    Oid submit_types [19];
    for (int i = 0; i < 19; i++)
        submit_types [i] = TEXTOID;
    submit_types [18] = BYTEAOID;
    struct { const char *name, *sql; int nparams; const Oid *types; } stmts [] = {
        { "submit", s_submit_sql, 19, submit_types },
        { "lookup", s_lookup_sql, 2, NULL },
        { "get", s_get_sql, 1, NULL },
        { "get_events", s_get_events_sql, 1, NULL },
    };
    if (pg_exec (self->conn, "SET client_encoding TO 'UTF8'"))
        return -1;
    for (size_t i = 0; i < sizeof stmts / sizeof stmts [0]; i++) {
        PGresult *res = PQprepare (self->conn, stmts [i].name, stmts [i].sql,
                                   stmts [i].nparams, stmts [i].types);
        bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
        if (!ok) {
            char q [400];
            log_error ("prepare_failed", "statement=%s error=%s", stmts [i].name,
                       log_quote (q, sizeof q, PQerrorMessage (self->conn)));
        }
        PQclear (res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* (Re)connect and prepare; blocks until the store answers or we are
 * interrupted. Number blocks survive a reconnect: they were reserved. */
static int
s_ensure_connected (complaint_store_t *self)
{
    if (pg_healthy (self->conn))
        return 0;
    if (self->conn) {
        log_warn ("pg_connection_lost", "action=reconnect");
        PQfinish (self->conn);
        self->conn = NULL;
    }
    while (!zsys_interrupted) {
        self->conn = pg_connect (self->conninfo, "intake");
        if (!self->conn)
            return -1;
        if (s_prepare (self) == 0)
            return 0;
        PQfinish (self->conn);
        self->conn = NULL;
        zclock_sleep (1000);
    }
    return -1;
}

complaint_store_t *
complaint_store_new (const char *conninfo)
{
    complaint_store_t *self = calloc (1, sizeof *self);
    assert (self);
    self->conninfo = strdup (conninfo ? conninfo : "");
    self->scratch = malloc (PROTO_MAX_BODY);
    assert (self->scratch);
    if (s_ensure_connected (self)) {
        complaint_store_destroy (&self);
        return NULL;
    }
    return self;
}

void
complaint_store_destroy (complaint_store_t **self_p)
{
    assert (self_p);
    complaint_store_t *self = *self_p;
    if (!self)
        return;
    PQfinish (self->conn);
    for (size_t i = 0; i < self->data_cap; i++)
        msgpack_sbuffer_destroy (&self->data [i]);
    free (self->data);
    free (self->scratch);
    free (self->conninfo);
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

static void
s_pack_masked (complaint_store_t *self, msgpack_packer *pk, const char *key, proto_str_t value)
{
    proto_pack_cstr (pk, key);
    if (!value.ptr) {
        msgpack_pack_nil (pk);
        return;
    }
    privacy_mask (value.ptr, value.len, self->scratch);
    proto_pack_strn (pk, self->scratch, value.len);
}

static void
s_pack_plain (msgpack_packer *pk, const char *key, proto_str_t value)
{
    proto_pack_cstr (pk, key);
    if (value.ptr)
        proto_pack_strn (pk, value.ptr, value.len);
    else
        msgpack_pack_nil (pk);
}

/*  The complaint.received event's data: what analysts may see. The customer
 *  is a pseudonym; free text is masked; identity fields are absent. */
static void
s_pack_received_data (complaint_store_t *self, msgpack_sbuffer *buf, const submit_item_t *item)
{
    const submit_t *s = item->submit;
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    char pseudonym [PRIVACY_PSEUDONYM_SIZE];
    privacy_pseudonym (&s->customer, pseudonym);
    msgpack_pack_map (&pk, 11);
    s_pack_plain (&pk, "channel", s->channel);
    proto_pack_kv_cstr (&pk, "customer", pseudonym);
    s_pack_masked (self, &pk, "subject", s->subject);
    s_pack_masked (self, &pk, "body", s->body);
    s_pack_masked (self, &pk, "demand", s->demand);
    s_pack_plain (&pk, "branch", s->branch);
    s_pack_plain (&pk, "product", s->product);
    s_pack_plain (&pk, "category", s->category);
    proto_pack_kv_cstr (&pk, "amount", s->has_amount ? s->amount : NULL);
    proto_pack_kv_cstr (&pk, "lang", s->lang.ptr ? (proto_str_eq (s->lang, "en") ? "en" : "zh") : "zh");
    proto_pack_kv_int (&pk, "received_at", item->received_at);
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

/* Read every result up to and including the pipeline sync. Returns 0 when
 * every statement succeeded; fills items from the submit results. */
static int
s_read_pipeline (complaint_store_t *self, submit_item_t *items, size_t n)
{
    int rc = 0;
    /* results: BEGIN, n submits, COMMIT, then the sync marker */
    for (size_t k = 0; k < n + 2; k++) {
        PGresult *res = PQgetResult (self->conn);
        if (!res) {
            rc = -1;
            break;
        }
        ExecStatusType st = PQresultStatus (res);
        if (st == PGRES_TUPLES_OK && k >= 1 && k <= n) {
            submit_item_t *item = &items [k - 1];
            if (PQntuples (res) == 1) {
                snprintf (item->complaint_no, sizeof item->complaint_no, "%s",
                          PQgetvalue (res, 0, 0));
                item->status = PQgetvalue (res, 0, 1) [0] == 't'
                             ? SUBMIT_DUPLICATE : SUBMIT_ACCEPTED;
            }
            /* zero rows: concurrent insert by another instance; looked up later */
        }
        else
        if (st != PGRES_COMMAND_OK) {
            if (rc == 0 && st != PGRES_PIPELINE_ABORTED) {
                char q [400];
                log_error ("batch_statement_failed", "index=%zu sqlstate=%s error=%s", k,
                           pg_sqlstate (res), log_quote (q, sizeof q, PQresultErrorMessage (res)));
            }
            rc = -1;
        }
        PQclear (res);
        /* each statement's results end with NULL */
        res = PQgetResult (self->conn);
        if (res) {
            rc = -1;                /* out of step: never trust this batch */
            PQclear (res);
            break;
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
s_write_batch (complaint_store_t *self, submit_item_t *items, msgpack_sbuffer *data, size_t n)
{
    if (!pg_healthy (self->conn) || PQenterPipelineMode (self->conn) != 1)
        return -1;
    int rc = PQsendQueryParams (self->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        submit_item_t *item = &items [i];
        const submit_t *s = item->submit;
        char received [24];
        snprintf (received, sizeof received, "%lld", (long long) item->received_at);
        const proto_str_t fields [] = {
            { item->complaint_no, strlen (item->complaint_no) }, s->channel, s->ref,
            s->subject, s->body, s->demand, s->branch, s->product, s->category,
            { s->has_amount ? s->amount : NULL, s->has_amount ? strlen (s->amount) : 0 },
            s->lang, s->customer.name, s->customer.phone, s->customer.email,
            s->customer.account, s->customer.id_no,
        };
        const char *values [19];
        int lengths [19];
        int formats [19];
        for (int f = 0; f < 16; f++) {
            values [f] = fields [f].ptr;
            lengths [f] = (int) fields [f].len;
            formats [f] = 1;
        }
        char pseudonym [PRIVACY_PSEUDONYM_SIZE];
        privacy_pseudonym (&s->customer, pseudonym);
        values [16] = pseudonym;
        lengths [16] = (int) strlen (pseudonym);
        formats [16] = 1;
        values [17] = received;
        lengths [17] = (int) strlen (received);
        formats [17] = 1;
        values [18] = data [i].data;
        lengths [18] = (int) data [i].size;
        formats [18] = 1;
        if (!PQsendQueryPrepared (self->conn, "submit", 19, values, lengths, formats, 0))
            rc = -1;
    }
    if (rc == 0 && !PQsendQueryParams (self->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0))
        rc = -1;
    if (rc == 0 && !PQpipelineSync (self->conn))
        rc = -1;
    if (rc == 0)
        rc = s_read_pipeline (self, items, n);
    if (rc == 0 && PQexitPipelineMode (self->conn) == 1)
        return 0;
    /* Could not send, or the results came back out of step: this connection
     * can no longer be trusted. Drop it; the next call reconnects. Whether
     * the transaction committed is unknown, so nothing is acknowledged and
     * clients retry (idempotent on (channel, ref)). */
    if (rc == 0 || !pg_healthy (self->conn) || PQexitPipelineMode (self->conn) != 1) {
        PQfinish (self->conn);
        self->conn = NULL;
    }
    return -1;
}

/* After COMMIT: items whose statement returned no row lost a race with
 * another instance inserting the same (channel, ref); read its number. */
static void
s_resolve_races (complaint_store_t *self, submit_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        submit_item_t *item = &items [i];
        if (item->status != SUBMIT_PENDING)
            continue;
        const char *values [] = { item->submit->channel.ptr, item->submit->ref.ptr };
        int lengths [] = { (int) item->submit->channel.len, (int) item->submit->ref.len };
        int formats [] = { 1, 1 };
        PGresult *res = PQexecPrepared (self->conn, "lookup", 2, values, lengths, formats, 0);
        if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1) {
            snprintf (item->complaint_no, sizeof item->complaint_no, "%s", PQgetvalue (res, 0, 0));
            item->status = SUBMIT_DUPLICATE;
        }
        PQclear (res);
    }
    s_fail_all (items, n, PROTO_E_UNAVAILABLE, "the store did not confirm this complaint; retry");
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
    if (self->data_cap < n) {
        self->data = realloc (self->data, n * sizeof *self->data);
        assert (self->data);
        for (size_t i = self->data_cap; i < n; i++)
            msgpack_sbuffer_init (&self->data [i]);
        self->data_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        items [i].status = SUBMIT_PENDING;
        if (s_next_number (self, items [i].complaint_no)) {
            s_fail_all (items, n, PROTO_E_UNAVAILABLE, "could not reserve complaint numbers; retry");
            return;
        }
        msgpack_sbuffer_clear (&self->data [i]);
        s_pack_received_data (self, &self->data [i], &items [i]);
    }
    if (s_write_batch (self, items, self->data, n) == 0) {
        s_resolve_races (self, items, n);
        return;
    }
    /* The transaction did not commit: nothing of it is stored. Reset any
     * result we read before the failure; the caller's clients retry. */
    for (size_t i = 0; i < n; i++)
        items [i].status = SUBMIT_PENDING;
    if (!pg_healthy (self->conn)) {
        s_fail_all (items, n, PROTO_E_UNAVAILABLE, "the complaint store went away; retry");
        return;
    }
    /* The store is up but the batch failed: retry one by one, so a single
     * bad row cannot refuse its neighbours. */
    for (size_t i = 0; i < n; i++) {
        if (s_write_batch (self, &items [i], &self->data [i], 1) == 0)
            s_resolve_races (self, &items [i], 1);
        else {
            items [i].status = SUBMIT_FAILED;
            proto_error_set (&items [i].err, PROTO_E_INTERNAL, "",
                             "the store refused this complaint; it was not recorded");
        }
    }
}

static void
s_pack_column (msgpack_packer *pk, const PGresult *res, int col, const char *key)
{
    proto_pack_cstr (pk, key);
    if (PQgetisnull (res, 0, col))
        msgpack_pack_nil (pk);
    else
        proto_pack_strn (pk, PQgetvalue (res, 0, col), (size_t) PQgetlength (res, 0, col));
}

static void
s_pack_int_column (msgpack_packer *pk, const PGresult *res, int col, const char *key)
{
    proto_pack_cstr (pk, key);
    if (PQgetisnull (res, 0, col))
        msgpack_pack_nil (pk);
    else
        msgpack_pack_int64 (pk, strtoll (PQgetvalue (res, 0, col), NULL, 10));
}

int
complaint_store_get (complaint_store_t *self, const char *complaint_no,
                     msgpack_sbuffer *reply, proto_error_t *err)
{
    assert (self);
    if (s_ensure_connected (self)) {
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the complaint store is not reachable; retry");
        return -1;
    }
    const char *params [] = { complaint_no };
    PGresult *res = PQexecPrepared (self->conn, "get", 1, params, NULL, NULL, 0);
    PGresult *events = NULL;
    int rc = -1;
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
    else
    if (PQntuples (res) == 0)
        proto_error_set (err, PROTO_E_NOT_FOUND, "complaint_no", "no complaint has number %s",
                         complaint_no);
    else {
        events = PQexecPrepared (self->conn, "get_events", 1, params, NULL, NULL, 1);
        if (PQresultStatus (events) != PGRES_TUPLES_OK)
            proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
        else
            rc = 0;
    }
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 2);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_cstr (&pk, "complaint");
        msgpack_pack_map (&pk, 20);
        static const char *text_cols [] = {
            "complaint_no", "state", "channel", "ref", "subject", "body", "demand", "branch",
            "product", "category", "amount", "lang", "department", "routing_rule"
        };
        for (int c = 0; c < 14; c++)
            s_pack_column (&pk, res, c, text_cols [c]);
        s_pack_int_column (&pk, res, 14, "received_at");
        s_pack_int_column (&pk, res, 15, "created_at");
        s_pack_int_column (&pk, res, 16, "updated_at");
        s_pack_int_column (&pk, res, 17, "version");
        proto_pack_cstr (&pk, "customer");
        msgpack_pack_map (&pk, 6);
        static const char *customer_cols [] = {
            "name", "phone", "email", "account", "id_no", "pseudonym"
        };
        for (int c = 0; c < 6; c++)
            s_pack_column (&pk, res, 18 + c, customer_cols [c]);
        proto_pack_cstr (&pk, "events");
        int nevents = PQntuples (events);
        msgpack_pack_array (&pk, (size_t) nevents);
        for (int i = 0; i < nevents; i++)
            msgpack_sbuffer_write (reply, PQgetvalue (events, i, 0),
                                   (size_t) PQgetlength (events, i, 0));
    }
    PQclear (events);
    PQclear (res);
    return rc;
}
