/*  replay.c — serve ranges of the event log to subscribers catching up
 *  (see replay.h for the request and reply).
 *
 *  The events array is built without decoding anything: msgpack_pack_array
 *  writes the header and each stored event's bytes follow as they are, so
 *  replay costs one indexed range scan on event_log's primary key and one
 *  copy. The request is decoded with the shared bounded decoder; any bad
 *  input gets an error reply naming the field, never a crash. A request
 *  that is not [..., "", frame] cannot be answered through the envelope, so
 *  it is dropped with a warning.
 */
#include "replay.h"
#include "log.h"

#include <assert.h>
#include <string.h>

#define S_SQL_REPLAY \
    "SELECT event FROM event_log WHERE seq > $1 ORDER BY seq LIMIT $2"

struct _replay_t {
    PGconn *conn;
    msgpack_sbuffer reply;
    uint64_t served;            /* events sent in replies, for the metrics */
};

replay_t *
replay_new (pg_session_t *pg)
{
    assert (pg);
    PGconn *conn = pg_session_conn (pg);
    assert (conn);
    PGresult *res = PQprepare (conn, "bus_replay", S_SQL_REPLAY, 2, NULL);
    bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
    if (!ok)
        log_error ("prepare_failed", "statement=bus_replay sqlstate=%s", pg_sqlstate (res));
    PQclear (res);
    if (!ok)
        return NULL;
    replay_t *self = (replay_t *) zmalloc (sizeof (replay_t));
    self->conn = conn;
    msgpack_sbuffer_init (&self->reply);
    return self;
}

void
replay_destroy (replay_t **self_p)
{
    assert (self_p);
    replay_t *self = *self_p;
    if (!self)
        return;
    msgpack_sbuffer_destroy (&self->reply);
    free (self);
    *self_p = NULL;
}

/* Build {"ok":true,"events":[...],"last_seq":L} from the selected rows. */
/* Returns how many events the reply holds. */
static int
s_pack_events (msgpack_sbuffer *buf, PGresult *rows, uint64_t last_seq)
{
    int n = PQntuples (rows);
    size_t bytes = 0;
    int take = 0;
    while (take < n && (take == 0 || bytes + (size_t) PQgetlength (rows, take, 0) <= REPLAY_MAX_BYTES))
        bytes += (size_t) PQgetlength (rows, take++, 0);

    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_cstr (&pk, "events");
    msgpack_pack_array (&pk, (size_t) take);
    for (int i = 0; i < take; i++)
        msgpack_sbuffer_write (buf, PQgetvalue (rows, i, 0), (size_t) PQgetlength (rows, i, 0));
    proto_pack_cstr (&pk, "last_seq");
    msgpack_pack_uint64 (&pk, last_seq);
    return take;
}

/* Answer one decoded request into self->reply; -1 if the store failed. */
static int
s_answer (replay_t *self, const void *data, size_t size, uint64_t last_seq)
{
    proto_error_t err = { 0 };
    int64_t from, limit;
    if (replay_request_decode (data, size, &from, &limit, &err)) {
        proto_pack_error (&self->reply, &err);
        return 0;
    }
    char from_s [24], limit_s [24];
    snprintf (from_s, sizeof from_s, "%lld", (long long) from);
    snprintf (limit_s, sizeof limit_s, "%lld", (long long) limit);
    const char *params [2] = { from_s, limit_s };
    PGresult *rows = PQexecPrepared (self->conn, "bus_replay", 2, params, NULL, NULL, 1);
    int rc = 0;
    if (PQresultStatus (rows) == PGRES_TUPLES_OK)
        self->served += (uint64_t) s_pack_events (&self->reply, rows, last_seq);
    else {
        char q [300];
        log_error ("replay_failed", "sqlstate=%s error=%s", pg_sqlstate (rows),
                   log_quote (q, sizeof q, PQerrorMessage (self->conn)));
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the event log is not reachable; retry");
        proto_pack_error (&self->reply, &err);
        rc = -1;
    }
    PQclear (rows);
    return rc;
}

int
replay_serve (replay_t *self, zsock_t *router, uint64_t last_seq)
{
    assert (self && router);
    zmsg_t *msg = zmsg_recv (router);
    if (!msg)
        return 0;                                   /* interrupted */
    zframe_t *request = zmsg_last (msg);
    size_t frames = zmsg_size (msg);
    if (frames < 3) {
        log_warn ("replay_dropped", "reason=no_envelope frames=%zu", frames);
        zmsg_destroy (&msg);
        return 0;
    }
    zmsg_remove (msg, request);
    zframe_t *delimiter = zmsg_last (msg);
    if (zframe_size (delimiter) != 0) {
        log_warn ("replay_dropped", "reason=no_delimiter frames=%zu", frames);
        zframe_destroy (&request);
        zmsg_destroy (&msg);
        return 0;
    }
    msgpack_sbuffer_clear (&self->reply);
    int rc = s_answer (self, zframe_data (request), zframe_size (request), last_seq);
    zframe_destroy (&request);
    zmsg_addmem (msg, self->reply.data, self->reply.size);
    zmsg_send (&msg, router);
    zmsg_destroy (&msg);                            /* if the send failed */
    /* Do not keep a 32 MiB buffer around after one big page. */
    if (self->reply.alloc > 1024 * 1024) {
        msgpack_sbuffer_destroy (&self->reply);
        msgpack_sbuffer_init (&self->reply);
    }
    return rc;
}

uint64_t
replay_events_served (replay_t *self)
{
    assert (self);
    return self->served;
}

/* ------------------------------------------------------------------------ */

#include "selftest.h"

/* A string literal and its length, embedded NULs included. */
#define S_LIT(s) s, sizeof (s) - 1

static void
s_expect_error (const char *bytes, size_t size, const char *code, const char *field)
{
    int64_t from, limit;
    proto_error_t err = { 0 };
    assert (replay_request_decode (bytes, size, &from, &limit, &err) == -1);
    assert (strcmp (err.code, code) == 0);
    assert (strcmp (err.field, field) == 0);
}

void
replay_test (bool verbose)
{
    if (verbose)
        printf (" * replay: ");
    int64_t from, limit;
    proto_error_t err = { 0 };
    /* {"op":"replay"} */
    assert (replay_request_decode (S_LIT ("\x81\xa2op\xa6replay"), &from, &limit, &err) == 0);
    assert (from == 0 && limit == REPLAY_LIMIT_DEFAULT);
    /* {"op":"replay","from":5,"limit":20000} -> limit capped */
    assert (replay_request_decode (S_LIT ("\x83\xa2op\xa6replay\xa4" "from\x05\xa5limit\xcd\x4e\x20"),
                                   &from, &limit, &err) == 0);
    assert (from == 5 && limit == REPLAY_LIMIT_MAX);

    s_expect_error (S_LIT ("\xc1"), PROTO_E_MALFORMED, "");
    s_expect_error (S_LIT ("\x01"), PROTO_E_NOT_A_MAP, "");
    s_expect_error (S_LIT ("\x80"), PROTO_E_MISSING_FIELD, "op");
    s_expect_error (S_LIT ("\x81\xa2op\xa4tail"), PROTO_E_UNKNOWN_OP, "op");
    s_expect_error (S_LIT ("\x81\xa2op\x01"), PROTO_E_WRONG_TYPE, "op");
    s_expect_error (S_LIT ("\x82\xa2op\xa6replay\xa4" "from\xff"), PROTO_E_INVALID_FIELD, "from");
    s_expect_error (S_LIT ("\x82\xa2op\xa6replay\xa4" "from\xa1x"), PROTO_E_WRONG_TYPE, "from");
    s_expect_error (S_LIT ("\x82\xa2op\xa6replay\xa5limit\x00"), PROTO_E_INVALID_FIELD, "limit");
    if (verbose)
        printf ("OK\n");
}
