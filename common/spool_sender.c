/*  spool_sender.c — drains a spool into intake (see spool_sender.h).
 *
 *  What is pending lives in the spool's new/ folder, not in memory: after
 *  a crash the folder is the whole truth. In memory are only the entries in
 *  flight (a hash by ID, so a rescan never sends one twice) and a short
 *  list of IDs read from new/ but not yet sent (`todo`). new/ is read again
 *  only when that list is empty and something may have changed (a kick, or
 *  the last read filled its batch): reading a folder of N entries costs
 *  O(N log N), so reading it once per answer during the catch-up after an
 *  outage would cost O(N^2); once per S_BATCH answers it stays linear.
 *
 *  The retry policy is split in two on purpose. intake_client resends what
 *  got no reply (its attempts are unlimited here), and replaces its socket
 *  when intake is silent; this file decides what an *answer* means: done,
 *  refused for good, or "not now" (sent again after a back-off).
 */
#include "spool_sender.h"
#include "proto.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_BATCH          1024       /* IDs taken from new/ per read */
#define S_TICK_MS        1000
#define S_MAX_REPLY      (1024 * 1024)

typedef struct {
    spool_sender_t *sender;
    char id [SPOOL_ID_SIZE];
    uint64_t request;           /* intake_client's id, to cancel */
    int attempts_seen;          /* attempts already counted in the metrics */
    int refusals;               /* transient refusals in a row: the back-off */
} s_entry_t;

struct _spool_sender_t {
    spool_t *spool;
    intake_client_t *client;
    spool_sender_opts_t opts;
    spool_sender_fn *fn;
    void *arg;
    zhashx_t *in_flight;        /* id -> s_entry_t (owned) */
    zlist_t *todo;              /* IDs from new/, not yet sent (autofree) */
    bool dirty;                 /* new/ may hold entries not in todo */
    int64_t next_tick;
    size_t accepted, rejected;
    uint64_t reconnects_seen;
    metric_t *m_depth, *m_oldest, *m_submitted, *m_rejected, *m_retried, *m_reconnects;
};

/* The codes that mean "never": PROTOCOL.md's table, every code a field or
 * a request's shape can earn. Anything else is a reason to try again. */
static const char *s_permanent [] = {
    PROTO_E_MALFORMED, PROTO_E_TOO_LARGE, PROTO_E_UNKNOWN_FIELD, PROTO_E_TOO_DEEP,
    PROTO_E_INVALID_UTF8, PROTO_E_NOT_A_MAP, PROTO_E_UNKNOWN_OP, PROTO_E_MISSING_FIELD,
    PROTO_E_WRONG_TYPE, PROTO_E_INVALID_FIELD, PROTO_E_UNKNOWN_CHANNEL, PROTO_E_NOT_FOUND,
    PROTO_E_INVALID_TRANSITION, NULL
};

/* A refusal of the member of staff a request acts for (a first contact's
 * token, field "first_contact.token"), not of the adapter's key: no fix of
 * the adapter's certificate makes it pass, so it is for good. */
static bool
s_staff_refused (proto_str_t code, proto_str_t field)
{
    static const char prefix [] = "first_contact.";
    return (proto_str_eq (code, PROTO_E_FORBIDDEN) || proto_str_eq (code, PROTO_E_UNAUTHENTICATED))
        && field.ptr && field.len > sizeof prefix - 1
        && memcmp (field.ptr, prefix, sizeof prefix - 1) == 0;
}

bool
spool_sender_permanent (const char *code, size_t len)
{
    for (int i = 0; code && s_permanent [i]; i++)
        if (strlen (s_permanent [i]) == len && memcmp (s_permanent [i], code, len) == 0)
            return true;
    return false;
}

/* `forbidden` naming the field "from" is not about the adapter's key: intake
 * checked the sender of a reply (case_reply.h) and it is not the case's
 * customer. The input will never pass: refused for good, like a bad field. */
static bool
s_refused_sender (proto_str_t code, proto_str_t field)
{
    return proto_str_eq (code, PROTO_E_FORBIDDEN) && proto_str_eq (field, "from");
}

static void
s_entry_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

spool_sender_t *
spool_sender_new (spool_t *spool, intake_client_t *client, metrics_t *metrics,
                  const spool_sender_opts_t *opts, spool_sender_fn *fn, void *arg)
{
    assert (spool && client);
    spool_sender_t *self = (spool_sender_t *) zmalloc (sizeof *self);
    self->spool = spool;
    self->client = client;
    if (opts)
        self->opts = *opts;
    if (self->opts.window <= 0)
        self->opts.window = 32;
    if (self->opts.backoff_min_ms <= 0)
        self->opts.backoff_min_ms = 500;
    if (self->opts.backoff_max_ms < self->opts.backoff_min_ms)
        self->opts.backoff_max_ms = self->opts.backoff_min_ms > 30000
                                  ? self->opts.backoff_min_ms : 30000;
    self->fn = fn;
    self->arg = arg;
    self->in_flight = zhashx_new ();
    zhashx_set_destructor (self->in_flight, s_entry_free);
    self->todo = zlist_new ();
    zlist_autofree (self->todo);
    self->dirty = true;
    if (metrics) {
        self->m_depth = metrics_gauge (metrics, "complaints_spool_depth",
            "Entries in the spool's new/ folder: accepted from the channel, not yet"
            " acknowledged by intake.", NULL);
        self->m_oldest = metrics_gauge (metrics, "complaints_spool_oldest_pending_seconds",
            "Age of the oldest entry not yet acknowledged by intake (0: none).", NULL);
        self->m_submitted = metrics_counter (metrics, "complaints_spool_submitted_total",
            "Spool entries acknowledged by intake, by result.", "result");
        self->m_rejected = metrics_counter (metrics, "complaints_spool_rejected_total",
            "Spool entries refused by intake for good (kept in rejected/), by code.", "code");
        self->m_retried = metrics_counter (metrics, "complaints_spool_retried_total",
            "Spool entries sent again: after a timeout, or a transient refusal (its code).",
            "reason");
        self->m_reconnects = metrics_counter (metrics, "complaints_spool_reconnects_total",
            "Times the connection to intake was replaced after it fell silent.", NULL);
    }
    return self;
}

void
spool_sender_destroy (spool_sender_t **self_p)
{
    assert (self_p);
    spool_sender_t *self = *self_p;
    if (!self)
        return;
    /* The client outlives us: it must not answer into freed entries. */
    for (s_entry_t *e = (s_entry_t *) zhashx_first (self->in_flight); e;
         e = (s_entry_t *) zhashx_next (self->in_flight))
        intake_client_cancel (self->client, e->request);
    zhashx_destroy (&self->in_flight);
    zlist_destroy (&self->todo);
    free (self);
    *self_p = NULL;
}

/* A spool ID's time (its first 20 digits: ns since the epoch), in ms. */
static int64_t
s_id_ms (const char *id)
{
    return (int64_t) (strtoull (id, NULL, 10) / 1000000u);
}

/* A label value we own: intake's codes are a known set, anything else
 * (a newer intake) is "other", so a series count stays bounded. */
static const char *
s_code_label (proto_str_t code)
{
    static const char *known [] = {
        PROTO_E_MALFORMED, PROTO_E_TOO_LARGE, PROTO_E_UNKNOWN_FIELD, PROTO_E_TOO_DEEP,
        PROTO_E_INVALID_UTF8, PROTO_E_NOT_A_MAP, PROTO_E_UNKNOWN_OP, PROTO_E_MISSING_FIELD,
        PROTO_E_WRONG_TYPE, PROTO_E_INVALID_FIELD, PROTO_E_UNKNOWN_CHANNEL, PROTO_E_NOT_FOUND,
        PROTO_E_UNAVAILABLE, PROTO_E_INTERNAL, PROTO_E_UNAUTHENTICATED, PROTO_E_FORBIDDEN,
        PROTO_E_INVALID_TRANSITION, PROTO_E_CONFLICT, PROTO_E_RATE_LIMITED, NULL
    };
    for (int i = 0; known [i]; i++)
        if (code.ptr && proto_str_eq (code, known [i]))
            return known [i];
    return "other";
}

static void s_fill (spool_sender_t *self);

static void
s_count (metric_t *metric, const char *label, double n)
{
    if (metric && n > 0)
        metric_add_at (metric, (const char *[]) { label }, n);
}

/*  intake_client's answer for one entry (see the table in the header). */
static int
s_on_answer (void *arg, zframe_t *frame, int attempts)
{
    s_entry_t *entry = (s_entry_t *) arg;
    spool_sender_t *self = entry->sender;
    /* Attempts beyond the one answered, since the last answer: timeouts. */
    s_count (self->m_retried, "timeout", attempts - entry->attempts_seen - 1);
    entry->attempts_seen = attempts;
    if (!frame) {
        /* Only with a client that gives up: never give up on an entry. */
        s_count (self->m_retried, "timeout", 1);
        return self->opts.backoff_min_ms;
    }
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    proto_error_t err = { 0 };
    const msgpack_object *reply = NULL;
    if (proto_unpack (zframe_data (frame), zframe_size (frame), S_MAX_REPLY, PROTO_MAX_DEPTH,
                      &msg, &err) == 0 && msg.data.type == MSGPACK_OBJECT_MAP)
        reply = &msg.data;
    const msgpack_object *ok = reply ? proto_map_get (reply, "ok") : NULL;
    proto_str_t code = { 0 }, field = { 0 };
    if (reply && !(ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean)) {
        const msgpack_object *error = proto_map_get (reply, "error");
        if (error && error->type == MSGPACK_OBJECT_MAP) {
            proto_get_str (error, "code", "code", false, 0, 64, &code, &err);
            proto_get_str (error, "field", "field", false, 0, 64, &field, &err);
        }
    }
    int again = 0;
    char id [SPOOL_ID_SIZE];
    snprintf (id, sizeof id, "%s", entry->id);
    if (reply && ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean) {
        const msgpack_object *dup = proto_map_get (reply, "duplicate");
        bool duplicate = dup && dup->type == MSGPACK_OBJECT_BOOLEAN && dup->via.boolean;
        if (spool_done (self->spool, id, zframe_data (frame), zframe_size (frame)))
            /* Still in new/: sent again later, a duplicate then. */
            log_warn ("spool_move_failed", "id=%s to=done reason=\"%s\"", id, strerror (errno));
        self->accepted++;
        s_count (self->m_submitted, duplicate ? "duplicate" : "accepted", 1);
        zhashx_delete (self->in_flight, id);
        if (self->fn)
            self->fn (self->arg, id, SPOOL_SENDER_ACCEPTED, reply);
    }
    else
    if (reply && code.ptr && (spool_sender_permanent (code.ptr, code.len)
                          || s_staff_refused (code, field)
                          || s_refused_sender (code, field))) {
        if (spool_reject (self->spool, id, zframe_data (frame), zframe_size (frame)))
            log_warn ("spool_move_failed", "id=%s to=rejected reason=\"%s\"", id,
                      strerror (errno));
        log_warn ("spool_rejected", "id=%s code=%.*s", id, (int) code.len, code.ptr);
        self->rejected++;
        s_count (self->m_rejected, s_code_label (code), 1);
        zhashx_delete (self->in_flight, id);
        if (self->fn)
            self->fn (self->arg, id, SPOOL_SENDER_REJECTED, reply);
    }
    else {
        /* Not now: the store is down, the key is being fixed, a bug... */
        const char *reason = reply ? s_code_label (code) : "unreadable_reply";
        s_count (self->m_retried, reason, 1);
        int shift = entry->refusals < 16 ? entry->refusals : 16;
        long delay = (long) self->opts.backoff_min_ms << shift;
        if (delay > self->opts.backoff_max_ms)
            delay = self->opts.backoff_max_ms;
        entry->refusals++;
        if (entry->refusals == 1 || entry->refusals % 10 == 0)
            log_info ("spool_retry", "id=%s reason=%s refusals=%d delay_ms=%ld", id, reason,
                      entry->refusals, delay);
        again = (int) delay;
    }
    msgpack_unpacked_destroy (&msg);
    if (!again)
        s_fill (self);
    return again;
}

/* Read new/ into todo (IDs not in flight), up to S_BATCH. */
static void
s_scan (spool_sender_t *self)
{
    size_t want = zhashx_size (self->in_flight) + S_BATCH;
    zlist_t *ids = spool_pending (self->spool, want);
    size_t got = zlist_size (ids);
    for (char *id = (char *) zlist_first (ids); id; id = (char *) zlist_next (ids))
        if (!zhashx_lookup (self->in_flight, id))
            zlist_append (self->todo, id);
    zlist_destroy (&ids);
    /* A full batch: there may be more behind it. */
    self->dirty = got >= want;
}

static void
s_fill (spool_sender_t *self)
{
    while (zhashx_size (self->in_flight) < (size_t) self->opts.window) {
        if (zlist_size (self->todo) == 0) {
            if (!self->dirty)
                break;
            s_scan (self);
            if (zlist_size (self->todo) == 0)
                break;
        }
        char *id = (char *) zlist_pop (self->todo);
        zchunk_t *chunk = spool_read (self->spool, id);
        if (!chunk) {
            log_warn ("spool_unreadable", "id=%s", id);
            free (id);
            continue;
        }
        s_entry_t *entry = (s_entry_t *) zmalloc (sizeof *entry);
        entry->sender = self;
        snprintf (entry->id, sizeof entry->id, "%s", id);
        zhashx_insert (self->in_flight, entry->id, entry);
        entry->request = intake_client_send (self->client, zchunk_data (chunk),
                                             zchunk_size (chunk), s_on_answer, entry);
        zchunk_destroy (&chunk);
        free (id);
    }
}

void
spool_sender_kick (spool_sender_t *self)
{
    assert (self);
    self->dirty = true;
    s_fill (self);
}

void
spool_sender_tick (spool_sender_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    if (now < self->next_tick)
        return;
    self->next_tick = now + S_TICK_MS;
    spool_sender_kick (self);
    if (self->m_depth)
        metric_set (self->m_depth, (double) spool_count (self->spool));
    if (self->m_oldest) {
        const char *oldest = (const char *) zlist_first (self->todo);
        for (s_entry_t *e = (s_entry_t *) zhashx_first (self->in_flight); e;
             e = (s_entry_t *) zhashx_next (self->in_flight))
            if (!oldest || strcmp (e->id, oldest) < 0)
                oldest = e->id;
        double age = oldest ? (double) (zclock_time () - s_id_ms (oldest)) / 1000.0 : 0;
        metric_set (self->m_oldest, age > 0 ? age : 0);
    }
    uint64_t reconnects = intake_client_reconnects (self->client);
    if (self->m_reconnects && reconnects > self->reconnects_seen)
        metric_add (self->m_reconnects, (double) (reconnects - self->reconnects_seen));
    self->reconnects_seen = reconnects;
}

long
spool_sender_timeout (spool_sender_t *self)
{
    assert (self);
    int64_t left = self->next_tick - zclock_mono ();
    return left > 0 ? (long) left : 0;
}

size_t
spool_sender_in_flight (spool_sender_t *self)
{
    assert (self);
    return zhashx_size (self->in_flight);
}

size_t
spool_sender_accepted (spool_sender_t *self)
{
    assert (self);
    return self->accepted;
}

size_t
spool_sender_rejected (spool_sender_t *self)
{
    assert (self);
    return self->rejected;
}

/* ---- self-test ------------------------------------------------------------ */

#include "selftest.h"

typedef struct {
    int accepted, rejected;
    char last_no [32];
} s_outcomes_t;

static void
s_test_outcome (void *arg, const char *id, spool_sender_outcome_t outcome,
                const msgpack_object *reply)
{
    (void) id;
    s_outcomes_t *o = (s_outcomes_t *) arg;
    if (outcome == SPOOL_SENDER_ACCEPTED) {
        o->accepted++;
        const msgpack_object *no = proto_map_get (reply, "complaint_no");
        assert (no && no->type == MSGPACK_OBJECT_STR);
        snprintf (o->last_no, sizeof o->last_no, "%.*s", (int) no->via.str.size,
                  no->via.str.ptr);
    }
    else
        o->rejected++;
}

/* The fake intake answers by the request's first byte: 'a' accepted,
 * 'd' duplicate, 'x' invalid_field, 'u' unavailable the first time. */
static void
s_test_serve (zsock_t *router, int *unavailable_left)
{
    zmsg_t *msg = zmsg_recv (router);
    assert (msg);
    zframe_t *body = zmsg_last (msg);
    char kind = (char) zframe_data (body) [0];
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    if (kind == 'x' || (kind == 'u' && *unavailable_left > 0)) {
        if (kind == 'u')
            (*unavailable_left)--;
        const char *code = kind == 'x' ? PROTO_E_INVALID_FIELD : PROTO_E_UNAVAILABLE;
        msgpack_pack_map (&pk, 2);
        msgpack_pack_str_with_body (&pk, "ok", 2);
        msgpack_pack_false (&pk);
        msgpack_pack_str_with_body (&pk, "error", 5);
        msgpack_pack_map (&pk, 1);
        msgpack_pack_str_with_body (&pk, "code", 4);
        msgpack_pack_str_with_body (&pk, code, strlen (code));
    }
    else {
        msgpack_pack_map (&pk, 3);
        msgpack_pack_str_with_body (&pk, "ok", 2);
        msgpack_pack_true (&pk);
        msgpack_pack_str_with_body (&pk, "complaint_no", 12);
        msgpack_pack_str_with_body (&pk, "202611230000013", 15);
        msgpack_pack_str_with_body (&pk, "duplicate", 9);
        if (kind == 'd')
            msgpack_pack_true (&pk);
        else
            msgpack_pack_false (&pk);
    }
    zmsg_remove (msg, body);
    zframe_destroy (&body);
    zmsg_addmem (msg, buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
    zmsg_send (&msg, router);
}

static size_t
s_test_count (const char *dir, const char *folder)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, folder);
    zdir_t *d = zdir_new (path, NULL);
    size_t n = d ? zdir_count (d) : 0;
    zdir_destroy (&d);
    return n;
}

void
spool_sender_test (bool verbose)
{
    if (verbose)
        printf (" * spool_sender: ");
    assert (spool_sender_permanent ("invalid_field", 13));
    assert (spool_sender_permanent ("not_found", 9));
    assert (!spool_sender_permanent ("unavailable", 11));
    assert (!spool_sender_permanent ("forbidden", 9));
    /* ... except a reply's sender refused: for good */
    assert (s_refused_sender ((proto_str_t) { "forbidden", 9 }, (proto_str_t) { "from", 4 }));
    assert (!s_refused_sender ((proto_str_t) { "forbidden", 9 }, (proto_str_t) { "channel", 7 }));
    assert (!spool_sender_permanent (NULL, 0));

    char dir [] = "/tmp/spool_sender_test_XXXXXX";
    assert (mkdtemp (dir));
    char err [256];
    spool_t *spool = spool_new (dir, err, sizeof err);
    assert (spool);
    char id [SPOOL_ID_SIZE];
    const char *kinds = "adxuaa";
    for (const char *k = kinds; *k; k++)
        assert (spool_put (spool, k, 1, id) == 0);

    curve_t *curve = curve_new ("off", NULL, "selftest");
    const char *ep = "inproc://spool_sender_test";
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (zsock_bind (router, "%s", ep) == 0);
    intake_client_opts_t copts = { .window = 4, .timeout_ms = 200, .attempts = 0 };
    intake_client_t *client = intake_client_new (curve, NULL, ep, &copts, err, sizeof err);
    assert (client);
    metrics_t *metrics = metrics_new ();
    s_outcomes_t outcomes = { 0 };
    spool_sender_opts_t opts = { .window = 2, .backoff_min_ms = 20, .backoff_max_ms = 40 };
    spool_sender_t *sender = spool_sender_new (spool, client, metrics, &opts, s_test_outcome,
                                               &outcomes);
    spool_sender_kick (sender);
    assert (spool_sender_in_flight (sender) == 2);      /* the window, not all six */
    int unavailable_left = 1;
    int64_t deadline = zclock_mono () + 5000;
    while (outcomes.accepted + outcomes.rejected < 6 && zclock_mono () < deadline) {
        zpoller_t *poller = zpoller_new (router, NULL);
        if (zpoller_wait (poller, 10))
            s_test_serve (router, &unavailable_left);
        zpoller_destroy (&poller);
        intake_client_wait (client, 10);
        spool_sender_tick (sender);
    }
    assert (outcomes.accepted == 5);
    assert (outcomes.rejected == 1);
    assert (streq (outcomes.last_no, "202611230000013"));
    assert (spool_count (spool) == 0);
    assert (s_test_count (dir, "done") == 10);          /* 5 entries and their replies */
    assert (s_test_count (dir, "rejected") == 2);       /* the entry and its error */
    assert (spool_sender_accepted (sender) == 5 && spool_sender_rejected (sender) == 1);
    char *text = metrics_render (metrics);
    assert (strstr (text, "complaints_spool_submitted_total{result=\"accepted\"} 4"));
    assert (strstr (text, "complaints_spool_submitted_total{result=\"duplicate\"} 1"));
    assert (strstr (text, "complaints_spool_rejected_total{code=\"invalid_field\"} 1"));
    assert (strstr (text, "complaints_spool_retried_total{reason=\"unavailable\"} 1"));
    free (text);

    //  Destroyed with an entry in flight: it stays in new/ for the next one.
    assert (spool_put (spool, "a", 1, id) == 0);
    spool_sender_kick (sender);
    assert (spool_sender_in_flight (sender) == 1);
    spool_sender_destroy (&sender);
    spool_sender_destroy (&sender);
    assert (spool_count (spool) == 1);
    assert (intake_client_pending (client) == 0);

    metrics_destroy (&metrics);
    intake_client_destroy (&client);
    zsock_destroy (&router);
    curve_destroy (&curve);
    spool_destroy (&spool);
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
    if (verbose)
        printf ("OK\n");
}
