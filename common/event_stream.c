/*  event_stream.c — the bus's event stream, in order and gap-free (see
 *  event_stream.h for the design).
 *
 *  State: `last` (the seq of the last event handed out) and `target` (the
 *  seq the caller is owed up to, from a live event or heartbeat above
 *  `last`; UINT64_MAX: "the end of the log", after start_after). While
 *  last < target the stream pages through replay; otherwise it reads the
 *  SUB socket. A page is kept (its frame and unpacked object) until every
 *  event of it was handed out; a live event's message until the next call.
 *
 *  Why a live event past a gap is dropped rather than held: replay returns
 *  it anyway (it is in the log before it is published), so holding it would
 *  only save one event of a page and cost a second ordering rule.
 */
#include "event_stream.h"
#include "curve.h"
#include "log.h"
#include "replay_request.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A replay page may carry up to 10000 events of up to 1 MiB each, capped by
 * the bus at 8 MiB plus one event (services/bus/replay.h); 64 MiB leaves
 * room for a bus of an older release (32 MiB), and no more. */
#define S_MAX_REPLY   (64 * 1024 * 1024)

struct _event_stream_t {
    zsock_t *sub;                   /* NULL: snapshot reader */
    zsock_t *dealer;
    char *replay_endpoint;
    int timeout_ms;
    long page_limit;
    uint64_t next_tag;

    uint64_t last;
    bool have_last;
    uint64_t target;
    uint64_t head;
    bool caught_up;

    zframe_t *page_frame;           /* the replay page being handed out */
    msgpack_unpacked page;
    const msgpack_object *page_events;
    uint32_t page_at, page_size;

    zmsg_t *live_msg;               /* the live event handed out last */
    msgpack_unpacked live;

    char error [256];
};

/* CURVE to the bus (common/curve.h), before the socket connects; 0, or
 * -1 with the reason logged (plaintext off loopback, no key). */
static int
s_secure (zsock_t *sock, const char *endpoint)
{
    if (curve_client (curve_default (), sock, CURVE_BUS, endpoint) == 0)
        return 0;
    char q [600];
    log_error ("curve_refused", "endpoint=%s reason=%s", endpoint,
               log_quote (q, sizeof q, curve_error (curve_default ())));
    return -1;
}

static zsock_t *
s_dealer_new (const char *endpoint)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    zsock_set_linger (dealer, 0);       /* never wait on exit for a dead peer */
    zsock_set_maxmsgsize (dealer, S_MAX_REPLY);
    if (s_secure (dealer, endpoint) || zsock_connect (dealer, "%s", endpoint)) {
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
}

event_stream_t *
event_stream_new (const char *pub, const char *replay, int replay_timeout_ms, long page)
{
    assert (replay);
    event_stream_t *self = (event_stream_t *) zmalloc (sizeof *self);
    self->replay_endpoint = strdup (replay);
    self->timeout_ms = replay_timeout_ms > 0 ? replay_timeout_ms : 5000;
    self->page_limit = page;
    self->next_tag = 1;
    msgpack_unpacked_init (&self->page);
    msgpack_unpacked_init (&self->live);
    self->dealer = s_dealer_new (replay);
    if (!self->dealer) {
        log_error ("event_stream_refused", "endpoint=%s reason=\"invalid replay endpoint, or"
                   " not secured\"", replay);
        event_stream_destroy (&self);
        return NULL;
    }
    if (pub && *pub) {
        self->sub = zsock_new (ZMQ_SUB);
        /* A deep queue so a burst does not overflow while the caller works;
         * whatever still overflows is recovered through replay. */
        if (self->sub) {
            zsock_set_rcvhwm (self->sub, 100000);
            zsock_set_maxmsgsize (self->sub, EVENT_MAX_SIZE + 64);
        }
        if (!self->sub || s_secure (self->sub, pub) || zsock_connect (self->sub, "%s", pub)) {
            log_error ("event_stream_refused", "endpoint=%s reason=\"invalid bus endpoint, or"
                       " not secured\"", pub);
            event_stream_destroy (&self);
            return NULL;
        }
        /* Every topic: a gap can only be told from events of every type. */
        zsock_set_subscribe (self->sub, "");
    }
    return self;
}

static void
s_page_drop (event_stream_t *self)
{
    zframe_destroy (&self->page_frame);
    msgpack_unpacked_destroy (&self->page);
    msgpack_unpacked_init (&self->page);
    self->page_events = NULL;
    self->page_at = self->page_size = 0;
}

static void
s_live_drop (event_stream_t *self)
{
    zmsg_destroy (&self->live_msg);
    msgpack_unpacked_destroy (&self->live);
    msgpack_unpacked_init (&self->live);
}

void
event_stream_destroy (event_stream_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        event_stream_t *self = *self_p;
        s_page_drop (self);
        s_live_drop (self);
        msgpack_unpacked_destroy (&self->page);
        msgpack_unpacked_destroy (&self->live);
        zsock_destroy (&self->sub);
        zsock_destroy (&self->dealer);
        free (self->replay_endpoint);
        free (self);
        *self_p = NULL;
    }
}

void
event_stream_start_after (event_stream_t *self, uint64_t seq)
{
    assert (self);
    s_page_drop (self);
    self->last = seq;
    self->have_last = true;
    self->target = UINT64_MAX;
    self->caught_up = false;
}

void
event_stream_start_live (event_stream_t *self)
{
    assert (self);
    s_page_drop (self);
    self->last = 0;
    self->have_last = false;
    self->target = 0;
    self->caught_up = false;
}

uint64_t event_stream_last (event_stream_t *self) { assert (self); return self->last; }
uint64_t event_stream_head (event_stream_t *self)
{
    assert (self);
    return self->head > self->last ? self->head : self->last;
}
bool event_stream_caught_up (event_stream_t *self) { assert (self); return self->caught_up; }
zsock_t *event_stream_socket (event_stream_t *self) { assert (self); return self->sub; }
const char *event_stream_error (event_stream_t *self) { assert (self); return self->error; }

static int
s_fail (event_stream_t *self, int code, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, args);
    va_end (args);
    return code;
}

/*  One replay request from `last`, the reply kept as the current page.
 *  Why a fresh DEALER after a timeout: the request may still sit queued for
 *  a peer that died (a failover), and would be answered by whoever binds
 *  next; a new socket starts with a clean queue. */
static int
s_fetch_page (event_stream_t *self)
{
    s_page_drop (self);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    replay_request_pack (&buf, self->last, self->page_limit);
    uint64_t tag = self->next_tag++;
    unsigned char tag_frame [8];
    event_seq_put (tag_frame, tag);
    void *handle = zsock_resolve (self->dealer);
    int sent = zmq_send (handle, tag_frame, 8, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 8;
    if (sent) {
        zmq_send (handle, "", 0, ZMQ_SNDMORE);
        zmq_send (handle, buf.data, buf.size, 0);
    }
    msgpack_sbuffer_destroy (&buf);
    int64_t deadline = zclock_mono () + self->timeout_ms;
    zframe_t *reply = NULL;
    while (sent && !reply && !zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        zmsg_t *msg = zmsg_recv (self->dealer);
        if (!msg)
            continue;
        zframe_t *got = zmsg_first (msg);
        zframe_t *empty = zmsg_next (msg);
        /* [tag]["" ][reply]; a reply to an earlier, timed-out request is dropped */
        if (zmsg_size (msg) == 3 && zframe_size (got) == 8 && zframe_size (empty) == 0
        &&  event_seq_get (zframe_data (got)) == tag) {
            reply = zmsg_last (msg);
            zmsg_remove (msg, reply);
        }
        zmsg_destroy (&msg);
    }
    if (!reply) {
        zsock_destroy (&self->dealer);
        self->dealer = s_dealer_new (self->replay_endpoint);
        assert (self->dealer);          /* the endpoint was valid before */
        return s_fail (self, EVENT_STREAM_UNREACHABLE, "no replay reply from %s within %d ms",
                       self->replay_endpoint, self->timeout_ms);
    }
    proto_error_t err = { 0 };
    self->page_frame = reply;
    if (proto_unpack (zframe_data (reply), zframe_size (reply), S_MAX_REPLY, EVENT_MAX_DEPTH,
                      &self->page, &err)) {
        s_page_drop (self);
        return s_fail (self, EVENT_STREAM_REFUSED, "unreadable replay reply: %s", err.message);
    }
    const msgpack_object *root = &self->page.data;
    const msgpack_object *ok = proto_map_get (root, "ok");
    const msgpack_object *events = proto_map_get (root, "events");
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean) {
        proto_str_t code = { 0 }, message = { 0 };
        const msgpack_object *error = proto_map_get (root, "error");
        if (error && error->type == MSGPACK_OBJECT_MAP) {
            proto_get_str (error, "code", "code", false, 0, 64, &code, &err);
            proto_get_str (error, "message", "message", false, 0, 256, &message, &err);
        }
        s_fail (self, EVENT_STREAM_REFUSED, "replay refused: %.*s: %.*s",
                code.ptr ? (int) code.len : 7, code.ptr ? code.ptr : "unknown",
                message.ptr ? (int) message.len : 0, message.ptr ? message.ptr : "");
        s_page_drop (self);
        return EVENT_STREAM_REFUSED;
    }
    if (!events || events->type != MSGPACK_OBJECT_ARRAY) {
        s_page_drop (self);
        return s_fail (self, EVENT_STREAM_REFUSED, "replay reply has no \"events\" array");
    }
    self->page_events = events->via.array.ptr;
    self->page_size = events->via.array.size;
    self->page_at = 0;
    return 0;
}

/*  Hand out the next event of the current page past `last`: 1, or 0 when
 *  the page is used up, or REFUSED for an event without a readable seq
 *  (nothing can be said about where it stands in the stream). */
static int
s_from_page (event_stream_t *self, event_stream_event_t *event)
{
    while (self->page_at < self->page_size) {
        const msgpack_object *obj = &self->page_events [self->page_at++];
        memset (event, 0, sizeof *event);
        event->object = obj;
        event->valid = event_view (obj, &event->view, &event->err) == 0;
        int64_t seq = 0;
        if (event->valid)
            seq = (int64_t) event->view.seq;
        else {
            proto_error_t ignore = { 0 };
            if (proto_get_int (obj, "seq", "seq", true, 1, INT64_MAX, &seq, NULL, &ignore))
                seq = 0;
        }
        if (seq <= 0) {
            s_page_drop (self);
            return s_fail (self, EVENT_STREAM_REFUSED, "a replayed event after seq %" PRIu64
                           " has no readable seq: %s", self->last, event->err.message);
        }
        if ((uint64_t) seq <= self->last)
            continue;                   /* the bus repeated itself: once only */
        event->seq = (uint64_t) seq;
        self->last = event->seq;
        return 1;
    }
    s_page_drop (self);
    return 0;
}

/*  One message from the SUB socket: [topic][seq: 8 bytes][event map].
 *  1 with *event, or 0 (nothing to hand out: a heartbeat, a duplicate, a
 *  gap to fill first, a message of another shape). */
static int
s_from_live (event_stream_t *self, zmsg_t *msg, event_stream_event_t *event)
{
    zframe_t *topic = zmsg_first (msg);
    zframe_t *seq_frame = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    if (zmsg_size (msg) != 3 || zframe_size (seq_frame) != 8) {
        log_warn ("event_stream_ignored", "reason=\"not [topic][seq][event]\"");
        zmsg_destroy (&msg);
        return 0;
    }
    uint64_t seq = event_seq_get (zframe_data (seq_frame));
    if (seq > self->head)
        self->head = seq;
    if (zframe_streq (topic, EVENT_HEARTBEAT_TOPIC)) {
        zmsg_destroy (&msg);
        if (!self->have_last) {
            self->last = seq;           /* live from here */
            self->have_last = true;
        }
        else
        if (seq > self->last && seq > self->target) {
            self->target = seq;
            self->caught_up = false;
        }
        return 0;
    }
    if (!self->have_last) {
        self->last = seq ? seq - 1 : 0;
        self->have_last = true;
    }
    if (seq <= self->last) {
        zmsg_destroy (&msg);
        return 0;
    }
    if (seq > self->last + 1) {
        if (seq > self->target)
            self->target = seq;
        self->caught_up = false;
        zmsg_destroy (&msg);
        return 0;
    }
    self->live_msg = msg;
    memset (event, 0, sizeof *event);
    event->seq = seq;
    event->valid = event_decode (zframe_data (body), zframe_size (body), &self->live,
                                 &event->view, &event->err) == 0;
    event->object = event->valid ? &self->live.data : NULL;
    self->last = seq;
    return 1;
}

int
event_stream_next (event_stream_t *self, int timeout_ms, event_stream_event_t *event)
{
    assert (self);
    assert (event);
    s_live_drop (self);
    self->error [0] = 0;
    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms;
    while (!zsys_interrupted) {
        int rc = s_from_page (self, event);
        if (rc)
            return rc;
        if (self->have_last && self->last < self->target) {
            rc = s_fetch_page (self);
            if (rc)
                return rc;
            if (self->page_size == 0) {
                /* The end of the log as it is now. A target the log does
                 * not hold yet is given up: the next heartbeat names it
                 * again. */
                s_page_drop (self);
                self->target = self->last;
                self->caught_up = true;
            }
            continue;
        }
        if (!self->sub)
            return 0;                   /* a snapshot: nothing after the end */
        long wait = deadline < 0 ? -1 : (long) (deadline - zclock_mono ());
        if (deadline >= 0 && wait < 0)
            wait = 0;
        zmq_pollitem_t item = { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 };
        rc = zmq_poll (&item, 1, wait);
        if (rc < 0 && errno != EINTR)
            return s_fail (self, EVENT_STREAM_UNREACHABLE, "poll: %s", zmq_strerror (errno));
        if (rc <= 0) {
            if (deadline >= 0 && zclock_mono () >= deadline)
                return 0;
            continue;
        }
        zmsg_t *msg = zmsg_recv (self->sub);
        if (msg && s_from_live (self, msg, event))
            return 1;
        if (deadline >= 0 && zclock_mono () > deadline
        &&  !(self->have_last && self->last < self->target))
            return 0;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Self-test: a fake bus in-process. The replay server is an actor over a
//  shared log (the test appends under the mutex); the PUB socket is the
//  test's own, so it decides what the subscriber sees and what it misses.

#include "selftest.h"

#define S_TEST_LOG 64

typedef struct {
    pthread_mutex_t lock;
    msgpack_sbuffer events [S_TEST_LOG];
    size_t count;
    bool refuse;                    /* answer every replay with an error */
} s_fake_log_t;

static void
s_fake_append (s_fake_log_t *log_, const char *type)
{
    pthread_mutex_lock (&log_->lock);
    size_t i = log_->count;
    msgpack_sbuffer_init (&log_->events [i]);
    event_pack (&log_->events [i], i + 1, type, 1700000000000 + (int64_t) i, "202601010000019",
                NULL, 0);
    log_->count++;
    pthread_mutex_unlock (&log_->lock);
}

static void
s_fake_replay (zsock_t *pipe, void *arg)
{
    s_fake_log_t *log_ = (s_fake_log_t *) arg;
    zsock_t *router = zsock_new_router ("inproc://event_stream_test_replay");
    assert (router);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;                      /* $TERM on the pipe, or interrupted */
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *body = zmsg_last (msg);
        int64_t from = 0, limit = 0;
        proto_error_t err = { 0 };
        int rc = replay_request_decode (zframe_data (body), zframe_size (body), &from, &limit,
                                        &err);
        assert (rc == 0);
        zmsg_remove (msg, body);
        zframe_destroy (&body);
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
        pthread_mutex_lock (&log_->lock);
        if (log_->refuse) {
            proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the log cannot be read");
            proto_pack_error (&buf, &err);
        }
        else {
            size_t first = (size_t) from, end = log_->count;
            if (end > first + 3)
                end = first + 3;        /* small pages: paging is exercised */
            if (first > log_->count)
                first = end = log_->count;
            msgpack_pack_map (&pk, 3);
            proto_pack_kv_bool (&pk, "ok", true);
            proto_pack_cstr (&pk, "events");
            msgpack_pack_array (&pk, (uint32_t) (end - first));
            for (size_t i = first; i < end; i++)
                msgpack_sbuffer_write (&buf, log_->events [i].data, log_->events [i].size);
            proto_pack_kv_int (&pk, "last_seq", (int64_t) log_->count);
        }
        pthread_mutex_unlock (&log_->lock);
        zmsg_addmem (msg, buf.data, buf.size);
        msgpack_sbuffer_destroy (&buf);
        zmsg_send (&msg, router);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static void
s_publish (zsock_t *pub, s_fake_log_t *log_, uint64_t seq, bool heartbeat)
{
    unsigned char frame [8];
    event_seq_put (frame, seq);
    if (heartbeat) {
        zsock_send (pub, "sbb", EVENT_HEARTBEAT_TOPIC, frame, (size_t) 8, "\x80", (size_t) 1);
        return;
    }
    pthread_mutex_lock (&log_->lock);
    msgpack_sbuffer *e = &log_->events [seq - 1];
    zsock_send (pub, "sbb", "complaint.noted", frame, (size_t) 8, e->data, e->size);
    pthread_mutex_unlock (&log_->lock);
}

/*  Take events until `want` (the last seq expected) or a timeout; checks
 *  that each is the next in order. Returns the last seq taken. */
static uint64_t
s_take_until (event_stream_t *stream, uint64_t from, uint64_t want)
{
    uint64_t expect = from + 1;
    event_stream_event_t ev;
    while (expect <= want) {
        int rc = event_stream_next (stream, 2000, &ev);
        if (rc != 1)
            break;
        assert (ev.seq == expect && ev.valid);     /* in order, each once */
        expect = ev.seq + 1;
    }
    return expect - 1;
}

void
event_stream_test (bool verbose)
{
    if (verbose)
        printf (" * event_stream: ");
    //  A fake bus in this process, over inproc: plaintext, whatever the
    //  environment says (curve.c's own self-test covers CURVE).
    curve_set_default (curve_new ("off", NULL, NULL));
    s_fake_log_t *log_ = (s_fake_log_t *) zmalloc (sizeof *log_);
    pthread_mutex_init (&log_->lock, NULL);
    for (int i = 0; i < 10; i++)
        s_fake_append (log_, "complaint.noted");
    zactor_t *replay = zactor_new (s_fake_replay, log_);
    zsock_t *pub = zsock_new_pub ("inproc://event_stream_test_pub");
    assert (pub);

    //  1. After seq 0: the whole log through replay (pages of 3), caught up.
    event_stream_t *stream = event_stream_new ("inproc://event_stream_test_pub",
        "inproc://event_stream_test_replay", 2000, 0);
    assert (stream);
    event_stream_start_after (stream, 0);
    assert ((s_take_until (stream, 0, 10) == 10) && "the log replayed 1..10");
    event_stream_event_t ev;
    assert ((event_stream_next (stream, 100, &ev) == 0
                        && event_stream_caught_up (stream)) && "then nothing: caught up");
    zclock_sleep (100);                 /* let the subscription reach the PUB */

    //  2. A live event past a gap: 11 missed, 12 seen -> 11 and 12 from replay.
    s_fake_append (log_, "complaint.noted");
    s_fake_append (log_, "complaint.noted");
    s_publish (pub, log_, 12, false);
    assert ((s_take_until (stream, 10, 12) == 12) && "a gap filled from replay");
    //  3. A duplicate is dropped; a heartbeat above `last` brings 13.
    s_publish (pub, log_, 12, false);
    s_fake_append (log_, "complaint.noted");
    s_publish (pub, log_, 13, true);
    assert ((s_take_until (stream, 12, 13) == 13) && "a heartbeat's seq caught up, the duplicate dropped");
    assert ((event_stream_head (stream) == 13) && "head is the bus's last seq");
    //  4. The next live event in order comes from the SUB socket itself.
    s_fake_append (log_, "complaint.noted");
    s_publish (pub, log_, 14, false);
    assert ((s_take_until (stream, 13, 14) == 14) && "a live event in order");
    event_stream_destroy (&stream);

    //  5. A snapshot reader: after 5 to the end, then 0.
    stream = event_stream_new (NULL, "inproc://event_stream_test_replay", 2000, 0);
    event_stream_start_after (stream, 5);
    assert ((s_take_until (stream, 5, 14) == 14) && "snapshot 6..14");
    assert ((event_stream_next (stream, 0, &ev) == 0
                        && event_stream_caught_up (stream)) && "snapshot ends at the log's end");
    //  6. A refusing bus: REFUSED with the bus's code, and usable again after.
    pthread_mutex_lock (&log_->lock);
    log_->refuse = true;
    pthread_mutex_unlock (&log_->lock);
    event_stream_start_after (stream, 0);
    assert ((event_stream_next (stream, 0, &ev) == EVENT_STREAM_REFUSED
                        && strstr (event_stream_error (stream), "unavailable")) && "a replay error is the caller's, with the bus's code");
    pthread_mutex_lock (&log_->lock);
    log_->refuse = false;
    pthread_mutex_unlock (&log_->lock);
    assert ((event_stream_next (stream, 0, &ev) == 1 && ev.seq == 1) && "the next call tries again");
    event_stream_destroy (&stream);

    //  7. Nobody on the replay endpoint: UNREACHABLE within the timeout.
    stream = event_stream_new (NULL, "inproc://event_stream_test_nobody", 200, 0);
    event_stream_start_after (stream, 0);
    int64_t t0 = zclock_mono ();
    assert ((event_stream_next (stream, 0, &ev) == EVENT_STREAM_UNREACHABLE
                        && zclock_mono () - t0 < 2000) && "no bus: unreachable, in time");
    event_stream_destroy (&stream);
    assert ((event_stream_new (NULL, "no-such-transport://x", 100, 0) == NULL) && "an invalid endpoint is refused");

    zsock_destroy (&pub);
    zactor_destroy (&replay);
    for (size_t i = 0; i < log_->count; i++)
        msgpack_sbuffer_destroy (&log_->events [i]);
    pthread_mutex_destroy (&log_->lock);
    free (log_);
    if (verbose)
        printf ("OK\n");
}
