/*  outbox_drain.c — move outbox rows into event_log under a gap-free seq,
 *  then publish them (see outbox_drain.h for the transaction).
 *
 *  Why DELETE ... RETURNING rather than SELECT ... FOR UPDATE then DELETE:
 *  locking a row writes a WAL record for it, and deleting it writes another;
 *  the DELETE locks and removes in one pass, in the same transaction, so a
 *  rollback puts every row back. Nothing else deletes outbox rows, and only
 *  the elected bus drains, so no row lock is needed before the DELETE.
 *  The ids go through ARRAY (...) so the planner probes the primary key
 *  for them; a plain IN (subquery) lets it pick a hash join over a scan of
 *  the whole outbox, which costs the backlog's size on every batch.
 *
 *  Why binary arrays: the batch goes to PostgreSQL as one INSERT ... SELECT
 *  FROM unnest() of five arrays, so a batch of 1000 events costs one round
 *  trip, and the event bytes travel as bytea[] in PostgreSQL's binary array
 *  format, which needs no escaping. The SELECT also returns binary, so `at`
 *  is copied into event_log exactly (microseconds) while the event map
 *  carries it in unix ms.
 *
 *  Why seq comes from last_seq and not a sequence: PostgreSQL sequences are
 *  not transactional, so a rolled-back drain would leave a gap. The elected
 *  bus is the only writer of event_log (the advisory lock and the drain share
 *  one connection), so max(seq) read at election, advanced only after COMMIT,
 *  is exact; event_log's primary key would refuse a repeat anyway.
 */
#include "outbox_drain.h"
#include "event.h"
#include "log.h"

#include <assert.h>
#include <string.h>

/* Type OIDs of the array elements, as in pg_type.h (stable since 7.x). */
#define S_OID_BYTEA        17
#define S_OID_INT8         20
#define S_OID_TEXT         25
#define S_OID_TIMESTAMPTZ  1184

/* Room the event map needs around its data (keys, seq, type, at, complaint_no). */
#define S_EVENT_OVERHEAD   (4 * 1024)

#define S_SQL_TAKE \
    "WITH taken AS (" \
    "  DELETE FROM outbox WHERE id = ANY (ARRAY (SELECT id FROM outbox ORDER BY id LIMIT $1))" \
    "  RETURNING id, type, complaint_no, at, data)" \
    " SELECT id, type, complaint_no, (extract(epoch FROM at) * 1000)::bigint, data, at" \
    "   FROM taken ORDER BY id"
#define S_SQL_INSERT \
    "INSERT INTO event_log (seq, type, complaint_no, at, event)" \
    " SELECT * FROM unnest ($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::bytea[])"
#define S_SQL_LAST_SEQ \
    "SELECT coalesce(max(seq), 0) FROM event_log"

struct _outbox_drain_t {
    pg_session_t *pg;
    PGconn *conn;                 /* the session's, fixed for the term */
    zsock_t *pub;
    int batch;
    uint64_t last_seq;            /* last committed seq */
    int64_t lag_ms;               /* last batch: age of its oldest row at publish */
    msgpack_sbuffer events;       /* this batch's event maps, back to back */
    size_t *offsets;              /* batch + 1 offsets into events */
    msgpack_sbuffer arr [5];      /* seqs, types, complaint_nos, ats, events */
    msgpack_sbuffer invalid;      /* the data map that replaces unusable data */
};

/* ------------------------------------------------------------------------ */
/* PostgreSQL binary array format (array_send): ndim, flags (has nulls),
 * element OID, per dimension (length, lower bound), then per element a
 * 4-byte length (-1 for NULL) and the element's binary form. */

static void
s_put32 (msgpack_sbuffer *buf, uint32_t v)
{
    unsigned char b [4] = { (unsigned char) (v >> 24), (unsigned char) (v >> 16),
                            (unsigned char) (v >> 8), (unsigned char) v };
    msgpack_sbuffer_write (buf, (const char *) b, 4);
}

static void
s_array_begin (msgpack_sbuffer *buf, uint32_t elem_oid, uint32_t n)
{
    msgpack_sbuffer_clear (buf);
    s_put32 (buf, 1);             /* one dimension */
    s_put32 (buf, 0);             /* has nulls: patched by s_array_null */
    s_put32 (buf, elem_oid);
    s_put32 (buf, n);
    s_put32 (buf, 1);             /* lower bound */
}

static void
s_array_add (msgpack_sbuffer *buf, const void *data, uint32_t len)
{
    s_put32 (buf, len);
    msgpack_sbuffer_write (buf, data, len);
}

static void
s_array_null (msgpack_sbuffer *buf)
{
    s_put32 (buf, 0xffffffffu);
    buf->data [7] = 1;            /* flags word, big-endian: has nulls */
}

static uint64_t
s_get64 (const char *p)
{
    const unsigned char *u = (const unsigned char *) p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | u [i];
    return v;
}

/* Outbox data must be a msgpack map that subscribers' bounded decoder will
 * accept inside an event (depth, size, UTF-8, string keys). A row that is
 * not can neither be skipped (it was committed) nor left (it would block the
 * stream), so it is published with a stand-in map and logged. */
static bool
s_data_usable (const char *data, size_t len, proto_error_t *err)
{
    if (len == 0 || len > EVENT_MAX_SIZE - S_EVENT_OVERHEAD) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "data", "data is %zu bytes", len);
        return false;
    }
    unsigned char c = (unsigned char) data [0];
    if (!((c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf)) {
        proto_error_set (err, PROTO_E_NOT_A_MAP, "data", "data is not a msgpack map");
        return false;
    }
    return proto_scan (data, len, EVENT_MAX_DEPTH - 1, err) == 0;
}

static int
s_read_last_seq (outbox_drain_t *self)
{
    PGresult *res = PQexecParams (self->conn, S_SQL_LAST_SEQ, 0, NULL, NULL, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1) {
        self->last_seq = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
        rc = 0;
    }
    else
        log_error ("last_seq_failed", "sqlstate=%s", pg_sqlstate (res));
    PQclear (res);
    return rc;
}

static int
s_prepare (PGconn *conn, const char *name, const char *sql, int nparams)
{
    PGresult *res = PQprepare (conn, name, sql, nparams, NULL);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc) {
        char q [300];
        log_error ("prepare_failed", "statement=%s sqlstate=%s error=%s", name,
                   pg_sqlstate (res), log_quote (q, sizeof q, PQerrorMessage (conn)));
    }
    PQclear (res);
    return rc;
}

outbox_drain_t *
outbox_drain_new (pg_session_t *pg, zsock_t *pub, int batch)
{
    assert (pg && pub && batch > 0);
    PGconn *conn = pg_session_conn (pg);
    assert (conn);
    outbox_drain_t *self = (outbox_drain_t *) zmalloc (sizeof (outbox_drain_t));
    self->pg = pg;
    self->conn = conn;
    self->pub = pub;
    self->batch = batch;
    self->offsets = (size_t *) zmalloc (sizeof (size_t) * ((size_t) batch + 1));
    msgpack_sbuffer_init (&self->events);
    msgpack_sbuffer_init (&self->invalid);
    for (int i = 0; i < 5; i++)
        msgpack_sbuffer_init (&self->arr [i]);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &self->invalid, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    proto_pack_kv_cstr (&pk, "error", "invalid_data");

    if (s_prepare (conn, "bus_outbox_take", S_SQL_TAKE, 1)
    ||  s_prepare (conn, "bus_event_insert", S_SQL_INSERT, 5)
    ||  s_read_last_seq (self))
        outbox_drain_destroy (&self);
    return self;
}

void
outbox_drain_destroy (outbox_drain_t **self_p)
{
    assert (self_p);
    outbox_drain_t *self = *self_p;
    if (!self)
        return;
    msgpack_sbuffer_destroy (&self->events);
    msgpack_sbuffer_destroy (&self->invalid);
    for (int i = 0; i < 5; i++)
        msgpack_sbuffer_destroy (&self->arr [i]);
    free (self->offsets);
    free (self);
    *self_p = NULL;
}

uint64_t
outbox_drain_last_seq (outbox_drain_t *self)
{
    assert (self);
    return self->last_seq;
}

/* Run one statement; log and return -1 unless it reached `want`. */
static int
s_check (outbox_drain_t *self, PGresult *res, ExecStatusType want, const char *step)
{
    if (PQresultStatus (res) == want)
        return 0;
    char q [300];
    log_error ("drain_failed", "step=%s sqlstate=%s error=%s", step, pg_sqlstate (res),
               log_quote (q, sizeof q, PQerrorMessage (self->conn)));
    return -1;
}

/* Turn the taken rows into event maps and the five parameter arrays. */
static void
s_build_batch (outbox_drain_t *self, PGresult *rows, int n)
{
    msgpack_sbuffer_clear (&self->events);
    s_array_begin (&self->arr [0], S_OID_INT8, (uint32_t) n);
    s_array_begin (&self->arr [1], S_OID_TEXT, (uint32_t) n);
    s_array_begin (&self->arr [2], S_OID_TEXT, (uint32_t) n);
    s_array_begin (&self->arr [3], S_OID_TIMESTAMPTZ, (uint32_t) n);
    s_array_begin (&self->arr [4], S_OID_BYTEA, (uint32_t) n);

    for (int i = 0; i < n; i++) {
        uint64_t seq = self->last_seq + (uint64_t) i + 1;
        const char *type = PQgetvalue (rows, i, 1);     /* binary text: bytes + NUL */
        const char *complaint_no = PQgetisnull (rows, i, 2) ? NULL : PQgetvalue (rows, i, 2);
        int64_t at_ms = (int64_t) s_get64 (PQgetvalue (rows, i, 3));
        const char *data = PQgetvalue (rows, i, 4);
        size_t data_len = (size_t) PQgetlength (rows, i, 4);

        proto_error_t err = { 0 };
        if (!s_data_usable (data, data_len, &err)) {
            char q [300];
            log_error ("outbox_data_invalid", "outbox_id=%llu seq=%llu code=%s error=%s",
                       (unsigned long long) s_get64 (PQgetvalue (rows, i, 0)),
                       (unsigned long long) seq, err.code,
                       log_quote (q, sizeof q, err.message));
            data = self->invalid.data;
            data_len = self->invalid.size;
        }
        self->offsets [i] = self->events.size;
        event_pack (&self->events, seq, type, at_ms, complaint_no, data, data_len);

        unsigned char seq_be [8];
        event_seq_put (seq_be, seq);
        s_array_add (&self->arr [0], seq_be, 8);
        s_array_add (&self->arr [1], type, (uint32_t) PQgetlength (rows, i, 1));
        if (complaint_no)
            s_array_add (&self->arr [2], complaint_no, (uint32_t) PQgetlength (rows, i, 2));
        else
            s_array_null (&self->arr [2]);
        s_array_add (&self->arr [3], PQgetvalue (rows, i, 5), (uint32_t) PQgetlength (rows, i, 5));
        s_array_add (&self->arr [4], self->events.data + self->offsets [i],
                     (uint32_t) (self->events.size - self->offsets [i]));
    }
    self->offsets [n] = self->events.size;
}

/* After COMMIT: PUB never blocks; past SNDHWM a slow subscriber loses
 * messages, and finds them again through the heartbeat and replay. */
static void
s_publish (outbox_drain_t *self, PGresult *rows, int n)
{
    void *pub = zsock_resolve (self->pub);
    for (int i = 0; i < n; i++) {
        unsigned char seq_be [8];
        event_seq_put (seq_be, self->last_seq + (uint64_t) i + 1);
        zmq_send (pub, PQgetvalue (rows, i, 1), (size_t) PQgetlength (rows, i, 1), ZMQ_SNDMORE);
        zmq_send (pub, seq_be, 8, ZMQ_SNDMORE);
        zmq_send (pub, self->events.data + self->offsets [i],
                  self->offsets [i + 1] - self->offsets [i], 0);
    }
}

static void
s_rollback (outbox_drain_t *self)
{
    if (!pg_session_healthy (self->pg))
        return;
    pg_session_rollback (self->pg);
    /* Belt and braces: last_seq is only advanced after a COMMIT that
     * succeeded, but re-reading it makes the log the authority again. */
    s_read_last_seq (self);
}

int
outbox_drain_once (outbox_drain_t *self)
{
    assert (self);
    int64_t t0 = zclock_usecs ();
    PGresult *res = PQexec (self->conn, "BEGIN");
    int rc = s_check (self, res, PGRES_COMMAND_OK, "begin");
    PQclear (res);
    if (rc) {
        s_rollback (self);
        return -1;
    }
    char limit [24];
    snprintf (limit, sizeof limit, "%d", self->batch);
    const char *select_params [1] = { limit };
    PGresult *rows = PQexecPrepared (self->conn, "bus_outbox_take", 1, select_params,
                                     NULL, NULL, 1);
    if (s_check (self, rows, PGRES_TUPLES_OK, "take")) {
        PQclear (rows);
        s_rollback (self);
        return -1;
    }
    int n = PQntuples (rows);
    if (n == 0) {
        self->lag_ms = 0;
        PQclear (rows);
        res = PQexec (self->conn, "COMMIT");
        rc = s_check (self, res, PGRES_COMMAND_OK, "commit");
        PQclear (res);
        if (rc)
            s_rollback (self);
        return rc ? -1 : 0;
    }
    int64_t t1 = zclock_usecs ();
    s_build_batch (self, rows, n);
    int64_t t2 = zclock_usecs ();

    const char *values [5];
    int lengths [5];
    int formats [5];
    for (int i = 0; i < 5; i++) {
        values [i] = self->arr [i].data;
        lengths [i] = (int) self->arr [i].size;
        formats [i] = 1;
    }
    res = PQexecPrepared (self->conn, "bus_event_insert", 5, values, lengths, formats, 0);
    rc = s_check (self, res, PGRES_COMMAND_OK, "insert");
    if (rc == 0 && strtol (PQcmdTuples (res), NULL, 10) != n) {
        log_error ("drain_failed", "step=insert inserted=%s expected=%d", PQcmdTuples (res), n);
        rc = -1;
    }
    PQclear (res);
    int64_t t3 = zclock_usecs ();
    if (rc == 0) {
        res = PQexec (self->conn, "COMMIT");
        rc = s_check (self, res, PGRES_COMMAND_OK, "commit");
        PQclear (res);
    }
    if (rc) {
        /* If COMMIT's answer was lost with the connection, the batch may
         * or may not be in the log: the caller reconnects, is elected again
         * and reads last_seq from the log, which is right either way. */
        PQclear (rows);
        s_rollback (self);
        return -1;
    }
    int64_t t4 = zclock_usecs ();
    s_publish (self, rows, n);
    /* Rows come in id order: the first is the oldest (its `at`, unix ms). */
    self->lag_ms = zclock_time () - (int64_t) s_get64 (PQgetvalue (rows, 0, 3));
    log_debug ("batch_drained", "n=%d first_seq=%llu last_seq=%llu take_us=%lld build_us=%lld"
               " insert_us=%lld commit_us=%lld publish_us=%lld", n,
               (unsigned long long) self->last_seq + 1,
               (unsigned long long) self->last_seq + (uint64_t) n,
               (long long) (t1 - t0), (long long) (t2 - t1), (long long) (t3 - t2),
               (long long) (t4 - t3), (long long) (zclock_usecs () - t4));
    self->last_seq += (uint64_t) n;
    PQclear (rows);
    return n;
}

int64_t
outbox_drain_lag_ms (outbox_drain_t *self)
{
    assert (self);
    return self->lag_ms;
}

/* ------------------------------------------------------------------------ */

#include "selftest.h"

void
outbox_drain_test (bool verbose)
{
    if (verbose)
        printf (" * outbox_drain: ");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    s_array_begin (&buf, S_OID_TEXT, 2);
    assert (buf.size == 20);
    s_array_add (&buf, "ab", 2);
    s_array_null (&buf);
    assert (buf.size == 20 + 4 + 2 + 4);
    const unsigned char *b = (const unsigned char *) buf.data;
    assert (b [3] == 1 && b [7] == 1 && b [11] == S_OID_TEXT && b [15] == 2 && b [19] == 1);
    assert (b [23] == 2 && b [24] == 'a' && b [26] == 0xff && b [29] == 0xff);
    assert (s_get64 ("\0\0\0\0\0\0\x01\x02") == 0x102);

    proto_error_t err = { 0 };
    assert (s_data_usable ("\x80", 1, &err));
    assert (s_data_usable ("\x81\xa1" "a\x01", 4, &err));
    assert (!s_data_usable ("", 0, &err));
    assert (!s_data_usable ("\x01", 1, &err));
    assert (!s_data_usable ("\x81\xa1", 2, &err));                  /* truncated */
    assert (!s_data_usable ("\x81\x01\x01", 3, &err));              /* key not a string */
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("OK\n");
}
