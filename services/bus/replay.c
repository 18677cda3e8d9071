/*  replay.c — serve ranges of the event log to subscribers catching up, on
 *  the replay thread (see replay.h for the request, the reply and why a
 *  thread).
 *
 *  The events array is built without decoding anything: msgpack_pack_array
 *  writes the header and each stored event's bytes follow as they are, so
 *  replay costs one indexed range scan on event_log's primary key and one
 *  copy. The page is bounded in the query itself, in rows (LIMIT) and in
 *  bytes (a running sum of octet_length, which reads the stored length,
 *  not the value): the store never sends more than a page, so a limit of
 *  10,000 large events does not become 10,000 rows in libpq's memory
 *  before the byte cap is applied.
 *
 *  The request is decoded with the shared bounded decoder; any bad input
 *  gets an error reply naming the field, never a crash. A request that is
 *  not [..., "", frame] cannot be answered through the envelope, so it is
 *  dropped with a warning.
 *
 *  The store session is the thread's own (common/pg_session.c, with a
 *  statement_timeout). When it fails, the request is answered
 *  "unavailable" and the thread reconnects with pg_session_try_recover —
 *  one attempt per back-off step, never a sleep — so it keeps answering,
 *  and leaves at once when the bus stops it at the end of a term.
 */
#include "replay.h"
#include "curve.h"
#include "log.h"

#include <assert.h>
#include <stdatomic.h>
#include <string.h>

#define S_SQL_REPLAY \
    "SELECT seq, event FROM (" \
    "  SELECT seq, event, sum (octet_length (event)) OVER (ORDER BY seq) AS upto" \
    "    FROM event_log WHERE seq > $1 ORDER BY seq LIMIT $2) page" \
    " WHERE upto - octet_length (event) < $3 ORDER BY seq"

#define S_BURST         16          /* requests served between looks at the pipe */
#define S_MAX_FRAMES    8           /* identity, envelope, delimiter, body */

/* What the thread and the bus's loop share. */
typedef struct {
    replay_config_t config;
    pg_session_t *pg;               /* the thread's from the start */
    zsock_t *router;                /* ditto */
    _Atomic uint64_t last_seq;      /* written by the loop, read by the thread */
    msgpack_sbuffer reply;
} s_shared_t;

struct _replay_t {
    zactor_t *actor;
    s_shared_t *shared;
};

static int
s_prepare (pg_session_t *pg, void *arg)
{
    (void) arg;
    PGresult *res = PQprepare (pg_session_conn (pg), "bus_replay", S_SQL_REPLAY, 3, NULL);
    bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
    if (!ok)
        log_error ("prepare_failed", "statement=bus_replay sqlstate=%s", pg_sqlstate (res));
    PQclear (res);
    return ok ? 0 : -1;
}

static uint64_t
s_be64 (const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char) p [i];
    return v;
}

/* {"ok":true,"events":[...],"last_seq":L} from the selected rows (the
 * query already cut the page at REPLAY_MAX_BYTES). L is never below the
 * last event sent: the thread's own snapshot may be ahead of the seq the
 * loop told it. Returns how many events the reply holds. */
static int
s_pack_events (msgpack_sbuffer *buf, PGresult *rows, uint64_t last_seq)
{
    int n = PQntuples (rows);
    if (n > 0 && PQgetlength (rows, n - 1, 0) == 8) {
        uint64_t seq = s_be64 (PQgetvalue (rows, n - 1, 0));
        if (seq > last_seq)
            last_seq = seq;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_cstr (&pk, "events");
    msgpack_pack_array (&pk, (size_t) n);
    for (int i = 0; i < n; i++)
        msgpack_sbuffer_write (buf, PQgetvalue (rows, i, 1), (size_t) PQgetlength (rows, i, 1));
    proto_pack_cstr (&pk, "last_seq");
    msgpack_pack_uint64 (&pk, last_seq);
    return n;
}

/* Answer one request body into sh->reply; -1 if the store failed. */
static int
s_answer (s_shared_t *sh, const void *data, size_t size, int *events)
{
    proto_error_t err = { 0 };
    int64_t from, limit;
    *events = 0;
    if (replay_request_decode (data, size, &from, &limit, &err)) {
        proto_pack_error (&sh->reply, &err);
        return 0;
    }
    if (pg_session_try_recover (sh->pg)) {
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the event log is not reachable; retry");
        proto_pack_error (&sh->reply, &err);
        return -1;
    }
    char from_s [24], limit_s [24], bytes_s [24];
    snprintf (from_s, sizeof from_s, "%lld", (long long) from);
    snprintf (limit_s, sizeof limit_s, "%lld", (long long) limit);
    snprintf (bytes_s, sizeof bytes_s, "%d", REPLAY_MAX_BYTES);
    const char *params [3] = { from_s, limit_s, bytes_s };
    PGconn *conn = pg_session_conn (sh->pg);
    PGresult *rows = PQexecPrepared (conn, "bus_replay", 3, params, NULL, NULL, 1);
    /* Read after the query: every seq the loop had published by then is
     * visible to this snapshot or later than it. */
    uint64_t last_seq = atomic_load (&sh->last_seq);
    int rc = 0;
    if (PQresultStatus (rows) == PGRES_TUPLES_OK)
        *events = s_pack_events (&sh->reply, rows, last_seq);
    else {
        char q [300];
        log_error ("replay_failed", "sqlstate=%s error=%s", pg_sqlstate (rows),
                   log_quote (q, sizeof q, PQerrorMessage (conn)));
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the event log is not reachable; retry");
        proto_pack_error (&sh->reply, &err);
        rc = -1;
    }
    PQclear (rows);
    return rc;
}

static void
s_free (void *data, void *hint)
{
    (void) hint;
    free (data);
}

/* Send the envelope (msg's frames, the delimiter last) and the reply. The
 * reply's buffer is handed to libzmq as it is (zero copy: a page is up to
 * REPLAY_MAX_BYTES) and sh->reply starts empty again, so no page-sized
 * buffer stays behind after a big page. */
static void
s_send (s_shared_t *sh, zmsg_t *msg)
{
    void *sock = zsock_resolve (sh->router);
    /* A ROUTER never blocks a send (a full peer's message is dropped);
     * the body always follows, so a failed frame cannot leave a message
     * open for the next reply to join. */
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg))
        zmq_send (sock, zframe_data (f), zframe_size (f), ZMQ_SNDMORE);
    size_t size = sh->reply.size;
    void *data = msgpack_sbuffer_release (&sh->reply);
    zmq_msg_t body;
    if (!data)
        zmq_msg_init (&body);
    else
        zmq_msg_init_data (&body, data, size, s_free, NULL);
    if (zmq_msg_send (&body, sock, 0) < 0)
        zmq_msg_close (&body);
}

/* Receive one request (the router is readable) and answer it. The send
 * never blocks: a ROUTER drops a reply to a peer whose queue is full.
 * rc: 0 answered, -1 the store failed, 1 refused (a revoked key). */
static void
s_serve_one (s_shared_t *sh)
{
    zmsg_t *msg = zmsg_recv (sh->router);
    if (!msg)
        return;                                     /* interrupted */
    size_t frames = zmsg_size (msg);
    if (frames < 3 || frames > S_MAX_FRAMES) {
        log_warn ("replay_dropped", "reason=envelope frames=%zu", frames);
        zmsg_destroy (&msg);
        return;
    }
    zframe_t *request = zmsg_last (msg);
    zmsg_remove (msg, request);
    zframe_t *delimiter = zmsg_last (msg);
    if (zframe_size (delimiter) != 0) {
        log_warn ("replay_dropped", "reason=no_delimiter frames=%zu", frames);
        zframe_destroy (&request);
        zmsg_destroy (&msg);
        return;
    }
    msgpack_sbuffer_clear (&sh->reply);
    int events = 0;
    int64_t t0 = zclock_usecs ();
    int rc = 0;
    /* zauth checked the key when the peer connected; a key revoked since
     * (its cert moved out of allow/bus/) is refused here, on its next
     * request over the connection it keeps (docs/security.md
     * "Revocation"). */
    curve_peer_t peer;
    curve_peer_read_frame (curve_default (), request, &peer);
    if (!curve_peer_allowed (curve_default (), CURVE_BUS, &peer)) {
        proto_error_t err = { 0 };
        proto_error_set (&err, PROTO_E_UNAUTHENTICATED, "key", "this client's key (%s) is no"
                         " longer allowed at the bus: it was revoked", peer.name);
        proto_pack_error (&sh->reply, &err);
        curve_log_revoked (CURVE_BUS, &peer);
        rc = 1;
    }
    else
        rc = s_answer (sh, zframe_data (request), zframe_size (request), &events);
    zframe_destroy (&request);
    s_send (sh, msg);
    zmsg_destroy (&msg);
    if (sh->config.daemon)
        daemon_observe (sh->config.daemon, "replay", (double) (zclock_usecs () - t0) / 1e6);
    if (sh->config.requests)
        metric_add_at (sh->config.requests,
                       (const char *[]) { rc > 0 ? "refused" : rc ? "failed" : "ok" }, 1);
    if (sh->config.events && events)
        metric_add (sh->config.events, events);
}

/*  The thread. It leaves only on $TERM (replay_destroy), never on a
 *  signal: the bus's loop stops it when the term ends. A burst of requests
 *  is served between looks at the pipe, so $TERM waits at most a burst. */
static void
s_replay_actor (zsock_t *pipe, void *args)
{
    s_shared_t *sh = (s_shared_t *) args;
    zpoller_t *poller = zpoller_new (pipe, sh->router, NULL);
    assert (poller);
    zpoller_set_nonstop (poller, true);
    zsock_signal (pipe, 0);
    while (true) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, 1000);
        if (which == pipe) {
            zmsg_t *msg = zmsg_recv (pipe);
            bool term = msg && zframe_streq (zmsg_first (msg), "$TERM");
            zmsg_destroy (&msg);
            if (term)
                break;
        }
        else
        if (which == sh->router)
            for (int i = 0; i < S_BURST && (zsock_events (sh->router) & ZMQ_POLLIN); i++)
                s_serve_one (sh);
    }
    zpoller_destroy (&poller);
}

replay_t *
replay_new (const replay_config_t *config, uint64_t last_seq)
{
    assert (config && config->endpoint);
    s_shared_t *sh = (s_shared_t *) zmalloc (sizeof (s_shared_t));
    sh->config = *config;
    atomic_init (&sh->last_seq, last_seq);
    msgpack_sbuffer_init (&sh->reply);
    /* Never wait for the store here: the publishing loop is calling us
     * with the lock held. One attempt now, so the first request usually
     * finds a connection; otherwise the thread connects when asked. */
    sh->pg = pg_session_new_deferred (config->conninfo, config->application_name,
                                      REPLAY_STATEMENT_TIMEOUT_MS, s_prepare, NULL);
    pg_session_try_recover (sh->pg);
    sh->router = zsock_new (ZMQ_ROUTER);
    assert (sh->router);
    zsock_set_maxmsgsize (sh->router, REPLAY_MAX_REQUEST);
    zsock_set_sndhwm (sh->router, REPLAY_PEER_SNDHWM);
    zsock_set_rcvhwm (sh->router, REPLAY_PEER_RCVHWM);
    if (curve_server (curve_default (), sh->router, CURVE_BUS, config->endpoint)) {
        char q [600];
        log_error ("curve_refused", "socket=replay endpoint=%s reason=%s", config->endpoint,
                   log_quote (q, sizeof q, curve_error (curve_default ())));
        zsock_destroy (&sh->router);
    }
    else
    if (zsock_bind (sh->router, "%s", config->endpoint) == -1) {
        log_error ("bind_failed", "socket=replay endpoint=%s error=\"%s\"", config->endpoint,
                   zmq_strerror (zmq_errno ()));
        zsock_destroy (&sh->router);
    }
    if (!sh->router) {
        pg_session_destroy (&sh->pg);
        msgpack_sbuffer_destroy (&sh->reply);
        free (sh);
        return NULL;
    }
    replay_t *self = (replay_t *) zmalloc (sizeof (replay_t));
    self->shared = sh;
    /* From here the socket and the session are the thread's alone; the
     * actor's start-up handshake orders our writes before its reads. */
    self->actor = zactor_new (s_replay_actor, sh);
    assert (self->actor);
    return self;
}

void
replay_destroy (replay_t **self_p)
{
    assert (self_p);
    replay_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);                  /* the thread has left */
    s_shared_t *sh = self->shared;
    zsock_destroy (&sh->router);
    pg_session_destroy (&sh->pg);
    msgpack_sbuffer_destroy (&sh->reply);
    free (sh);
    free (self);
    *self_p = NULL;
}

void
replay_set_last_seq (replay_t *self, uint64_t last_seq)
{
    assert (self);
    atomic_store (&self->shared->last_seq, last_seq);
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
