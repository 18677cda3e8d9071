/*  intake_client.c — windowed Lazy Pirate request/reply client (see
 *  intake_client.h for the design).
 *
 *  A request lives in one of three places: the queue (not yet given a
 *  place in the window), a window slot waiting to be sent (tag 0, `due`
 *  is when to send it: now, or after a back-off), or a window slot in
 *  flight (tag set, `due` is its timeout). intake_client_handle walks the
 *  window, which is small (<= 256), so no index is kept: a linear look-up
 *  by tag per reply costs less than the reply's decoding.
 *
 *  Why a silent timeout forces a new socket: a DEALER whose peer is gone
 *  keeps queueing what it is given and delivers it when the peer comes
 *  back — every resend of a whole outage at once, and after a dead TCP
 *  connection that was never reset, not even that. Destroying the socket
 *  (linger 0) throws the stale copies away and makes ZeroMQ dial again.
 *  The new socket is made only while something is pending: a tool whose
 *  one request timed out does not reconnect just to exit.
 */
#include "intake_client.h"
#include "event.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define S_WINDOW_MAX   256      /* PROTOCOL.md: keep a window under 256 */

typedef struct _s_request_t {
    struct _s_request_t *next;  /* in the queue */
    uint64_t id;
    void *data;
    size_t size;
    intake_client_fn *fn;
    void *arg;
    uint64_t tag;               /* attempt in flight; 0: waiting to be sent */
    int attempts;
    int64_t sent_at;            /* of the attempt in flight */
    int64_t due;                /* in flight: timeout; waiting: when to send */
} s_request_t;

struct _intake_client_t {
    curve_t *curve;             /* NULL: curve_default () at each connect */
    char *server;
    char *endpoint;
    intake_client_opts_t opts;
    zsock_t *dealer;
    s_request_t **slots;        /* opts.window places; NULL: free */
    size_t in_window;
    s_request_t *queue_head, *queue_tail;
    size_t queued;
    uint64_t next_id;
    uint64_t next_tag;
    uint64_t replies;
    uint64_t reconnects;
    int64_t last_reply_at;      /* mono ms; 0: never */
    int silent;                 /* timeouts with nothing heard since their send */
    bool stale;                 /* the socket should be replaced before use */
    int backoff_ms;             /* current reconnection back-off; 0: none */
};

static void
s_request_destroy (s_request_t **req_p)
{
    if (*req_p) {
        free ((*req_p)->data);
        free (*req_p);
        *req_p = NULL;
    }
}

static curve_t *
s_curve (intake_client_t *self)
{
    return self->curve ? self->curve : curve_default ();
}

/* A new secured, connected DEALER, or NULL with the reason in err. */
static zsock_t *
s_dealer_new (intake_client_t *self, char *err, size_t err_size)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer) {
        snprintf (err, err_size, "cannot create a ZeroMQ socket");
        return NULL;
    }
    zsock_set_linger (dealer, 0);       /* a dead peer never holds us at exit */
    zsock_set_maxmsgsize (dealer, (int64_t) self->opts.max_reply);
    zsock_set_sndhwm (dealer, 10000);
    zsock_set_rcvhwm (dealer, 10000);
    if (curve_client (s_curve (self), dealer, self->server, self->endpoint)) {
        snprintf (err, err_size, "%s", curve_error (s_curve (self)));
        zsock_destroy (&dealer);
        return NULL;
    }
    if (zsock_connect (dealer, "%s", self->endpoint)) {
        snprintf (err, err_size, "invalid endpoint \"%s\"", self->endpoint);
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
}

intake_client_t *
intake_client_new (curve_t *curve, const char *server, const char *endpoint,
                   const intake_client_opts_t *opts, char *err, size_t err_size)
{
    assert (endpoint && err);
    intake_client_t *self = (intake_client_t *) zmalloc (sizeof *self);
    self->curve = curve;
    self->server = strdup (server ? server : CURVE_INTAKE);
    self->endpoint = strdup (endpoint);
    if (opts)
        self->opts = *opts;
    intake_client_opts_t *o = &self->opts;
    if (o->window <= 0)
        o->window = 64;
    if (o->window > S_WINDOW_MAX)
        o->window = S_WINDOW_MAX;
    if (o->timeout_ms <= 0)
        o->timeout_ms = 5000;
    if (!opts || o->attempts < 0)
        o->attempts = 3;
    if (o->reconnect_after <= 0)
        o->reconnect_after = 2;
    if (o->backoff_min_ms <= 0)
        o->backoff_min_ms = 250;
    if (o->backoff_max_ms < o->backoff_min_ms)
        o->backoff_max_ms = o->backoff_min_ms > 10000 ? o->backoff_min_ms : 10000;
    if (o->max_reply == 0)
        o->max_reply = 1024 * 1024;
    self->slots = (s_request_t **) zmalloc ((size_t) o->window * sizeof (s_request_t *));
    self->next_id = 1;
    /* Each DEALER is its own peer at the ROUTER, so only our own requests
     * come back to us: tags need be unique within this client only. */
    self->next_tag = 1;
    self->dealer = s_dealer_new (self, err, err_size);
    if (!self->dealer) {
        intake_client_destroy (&self);
        return NULL;
    }
    return self;
}

void
intake_client_destroy (intake_client_t **self_p)
{
    assert (self_p);
    intake_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    for (int i = 0; self->slots && i < self->opts.window; i++)
        s_request_destroy (&self->slots [i]);
    while (self->queue_head) {
        s_request_t *next = self->queue_head->next;
        s_request_destroy (&self->queue_head);
        self->queue_head = next;
    }
    free (self->slots);
    free (self->server);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

/*  Replace the socket (see the top of the file). Everything in flight is
 *  sent again after the back-off, on the new socket. */
static void
s_reconnect (intake_client_t *self, int64_t now)
{
    char err [256];
    zsock_t *dealer = s_dealer_new (self, err, sizeof err);
    if (!dealer) {
        /* Keep the old one; the next silent timeout tries again. */
        log_warn ("intake_reconnect_failed", "endpoint=%s reason=\"%s\"", self->endpoint, err);
        return;
    }
    zsock_destroy (&self->dealer);
    self->dealer = dealer;
    self->reconnects++;
    self->stale = false;
    self->silent = 0;
    self->backoff_ms = self->backoff_ms ? self->backoff_ms * 2 : self->opts.backoff_min_ms;
    if (self->backoff_ms > self->opts.backoff_max_ms)
        self->backoff_ms = self->opts.backoff_max_ms;
    log_info ("intake_reconnect", "endpoint=%s pending=%zu backoff_ms=%d", self->endpoint,
              self->in_window + self->queued, self->backoff_ms);
    int64_t resume = now + self->backoff_ms;
    for (int i = 0; i < self->opts.window; i++) {
        s_request_t *req = self->slots [i];
        if (req && (req->tag || req->due < resume)) {
            req->tag = 0;
            req->due = resume;
        }
    }
}

static void
s_send (intake_client_t *self, s_request_t *req, int64_t now)
{
    req->tag = self->next_tag++;
    req->attempts++;
    req->sent_at = now;
    req->due = now + self->opts.timeout_ms;
    void *handle = zsock_resolve (self->dealer);
    unsigned char frame [8];
    event_seq_put (frame, req->tag);
    /* ZeroMQ delivers a multipart message whole or not at all: once the
     * first part is taken the rest cannot fail for lack of room. If the
     * socket cannot take it now, the deadline brings it round again. */
    if (zmq_send (handle, frame, sizeof frame, ZMQ_SNDMORE | ZMQ_DONTWAIT) != (int) sizeof frame)
        return;
    zmq_send (handle, "", 0, ZMQ_SNDMORE);
    zmq_send (handle, req->data, req->size, 0);
}

static int
s_slot_of_tag (intake_client_t *self, uint64_t tag)
{
    for (int i = 0; i < self->opts.window; i++)
        if (self->slots [i] && self->slots [i]->tag == tag)
            return i;
    return -1;
}

/*  Tell the caller; keep the request for a resend if it asks, else free
 *  its slot. The slot is looked up again afterwards: the answer function
 *  may send (which may fill other slots), never cancel its own request. */
static void
s_answer (intake_client_t *self, int slot, zframe_t *reply, int64_t now)
{
    s_request_t *req = self->slots [slot];
    int again = req->fn ? req->fn (req->arg, reply, req->attempts) : 0;
    if (again > 0) {
        req->tag = 0;
        req->due = now + again;
    }
    else {
        s_request_destroy (&self->slots [slot]);
        self->in_window--;
    }
}

static void
s_on_reply (intake_client_t *self, zmsg_t *msg, int64_t now)
{
    zframe_t *tag_frame = zmsg_first (msg);
    zframe_t *empty = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    if (zmsg_size (msg) != 3 || zframe_size (tag_frame) != 8 || zframe_size (empty) != 0)
        return;                 /* not an envelope we sent: nothing to match */
    /* Any reply proves the connection works. */
    self->replies++;
    self->last_reply_at = now;
    self->silent = 0;
    self->backoff_ms = 0;
    int slot = s_slot_of_tag (self, event_seq_get (zframe_data (tag_frame)));
    if (slot < 0)
        return;                 /* a late reply to an attempt already resent */
    s_answer (self, slot, body, now);
}

static void
s_on_deadlines (intake_client_t *self, int64_t now)
{
    for (int i = 0; i < self->opts.window; i++) {
        s_request_t *req = self->slots [i];
        if (!req || !req->tag || req->due > now)
            continue;
        if (self->last_reply_at < req->sent_at)
            self->silent++;
        if (self->opts.attempts && req->attempts >= self->opts.attempts)
            s_answer (self, i, NULL, now);
        else {
            req->tag = 0;           /* the old tag's reply, if any, is dropped */
            req->due = now;
        }
    }
    if (self->silent >= self->opts.reconnect_after)
        self->stale = true;
    if (self->stale && self->in_window + self->queued > 0)
        s_reconnect (self, now);
}

static void
s_fill (intake_client_t *self, int64_t now)
{
    for (int i = 0; i < self->opts.window; i++) {
        if (!self->slots [i] && self->queue_head) {
            s_request_t *req = self->queue_head;
            self->queue_head = req->next;
            if (!self->queue_head)
                self->queue_tail = NULL;
            req->next = NULL;
            self->queued--;
            req->due = now;
            self->slots [i] = req;
            self->in_window++;
        }
        s_request_t *req = self->slots [i];
        if (req && !req->tag && req->due <= now)
            s_send (self, req, now);
    }
}

uint64_t
intake_client_send (intake_client_t *self, const void *data, size_t size,
                    intake_client_fn *fn, void *arg)
{
    assert (self && (data || size == 0));
    s_request_t *req = (s_request_t *) zmalloc (sizeof *req);
    req->id = self->next_id++;
    req->data = malloc (size ? size : 1);
    assert (req->data);
    if (size)
        memcpy (req->data, data, size);
    req->size = size;
    req->fn = fn;
    req->arg = arg;
    if (self->queue_tail)
        self->queue_tail->next = req;
    else
        self->queue_head = req;
    self->queue_tail = req;
    self->queued++;
    int64_t now = zclock_mono ();
    if (self->stale)
        s_reconnect (self, now);
    s_fill (self, now);
    return req->id;
}

int
intake_client_cancel (intake_client_t *self, uint64_t id)
{
    assert (self);
    for (int i = 0; i < self->opts.window; i++)
        if (self->slots [i] && self->slots [i]->id == id) {
            s_request_destroy (&self->slots [i]);
            self->in_window--;
            return 0;
        }
    s_request_t **link = &self->queue_head, *prev = NULL;
    while (*link) {
        if ((*link)->id == id) {
            s_request_t *req = *link;
            *link = req->next;
            if (self->queue_tail == req)
                self->queue_tail = prev;
            s_request_destroy (&req);
            self->queued--;
            return 0;
        }
        prev = *link;
        link = &(*link)->next;
    }
    return -1;
}

zsock_t *
intake_client_sock (intake_client_t *self)
{
    assert (self);
    return self->dealer;
}

long
intake_client_timeout (intake_client_t *self)
{
    assert (self);
    int64_t next = INT64_MAX;
    for (int i = 0; i < self->opts.window; i++)
        if (self->slots [i] && self->slots [i]->due < next)
            next = self->slots [i]->due;
    if (next == INT64_MAX)
        return -1;
    int64_t left = next - zclock_mono ();
    return left > 0 ? (long) left : 0;
}

void
intake_client_handle (intake_client_t *self)
{
    assert (self);
    while (zsock_events (self->dealer) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->dealer);    /* POLLIN: does not block */
        if (!msg)
            break;
        s_on_reply (self, msg, zclock_mono ());
        zmsg_destroy (&msg);
    }
    int64_t now = zclock_mono ();
    s_on_deadlines (self, now);
    s_fill (self, now);
}

int
intake_client_wait (intake_client_t *self, long timeout_ms)
{
    assert (self);
    long next = intake_client_timeout (self);
    if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
        timeout_ms = next;
    zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) < 0 && errno != EINTR)
        return -1;
    if (zsys_interrupted)
        return -1;
    intake_client_handle (self);
    return 0;
}

typedef struct {
    bool done;
    zframe_t *reply;
} s_call_t;

static int
s_call_done (void *arg, zframe_t *reply, int attempts)
{
    (void) attempts;
    s_call_t *call = (s_call_t *) arg;
    call->done = true;
    call->reply = reply ? zframe_dup (reply) : NULL;
    return 0;
}

int
intake_client_call (intake_client_t *self, const void *data, size_t size, long timeout_ms,
                    zframe_t **reply)
{
    assert (self && reply);
    s_call_t call = { false, NULL };
    int64_t deadline = zclock_mono () + timeout_ms;
    uint64_t id = intake_client_send (self, data, size, s_call_done, &call);
    while (!call.done) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        if (intake_client_wait (self, (long) left)) {
            if (!call.done)
                intake_client_cancel (self, id);
            zframe_destroy (&call.reply);
            return -2;
        }
    }
    if (!call.done)
        intake_client_cancel (self, id);
    *reply = call.reply;
    return call.reply ? 0 : -1;
}

size_t
intake_client_pending (intake_client_t *self)
{
    assert (self);
    return self->in_window + self->queued;
}

size_t
intake_client_room (intake_client_t *self)
{
    assert (self);
    size_t pending = self->in_window + self->queued;
    return pending < (size_t) self->opts.window ? (size_t) self->opts.window - pending : 0;
}

uint64_t
intake_client_replies (intake_client_t *self)
{
    assert (self);
    return self->replies;
}

uint64_t
intake_client_reconnects (intake_client_t *self)
{
    assert (self);
    return self->reconnects;
}

const char *
intake_client_endpoint (intake_client_t *self)
{
    assert (self);
    return self->endpoint;
}

/* ---- self-test ------------------------------------------------------------ */

#include "selftest.h"

typedef struct {
    int answers;
    int timeouts;
    int retry_ms;               /* what the answer function returns once */
    char last [32];
} s_tally_t;

static int
s_test_answer (void *arg, zframe_t *reply, int attempts)
{
    (void) attempts;
    s_tally_t *t = (s_tally_t *) arg;
    if (!reply) {
        t->timeouts++;
        return 0;
    }
    t->answers++;
    size_t n = zframe_size (reply) < sizeof t->last - 1 ? zframe_size (reply) : sizeof t->last - 1;
    memcpy (t->last, zframe_data (reply), n);
    t->last [n] = 0;
    int again = t->retry_ms;
    t->retry_ms = 0;
    return again;
}

/* Read one request at the fake server: its routing id, tag and body. */
static zmsg_t *
s_test_serve_recv (zsock_t *router, long timeout_ms)
{
    zpoller_t *poller = zpoller_new (router, NULL);
    void *which = zpoller_wait (poller, (int) timeout_ms);
    zpoller_destroy (&poller);
    return which ? zmsg_recv (router) : NULL;
}

/* Answer a request read by s_test_serve_recv with body text. */
static void
s_test_reply (zsock_t *router, zmsg_t *request, const char *text)
{
    zmsg_t *reply = zmsg_dup (request);
    zframe_t *last = zmsg_last (reply);
    zmsg_remove (reply, last);
    zframe_destroy (&last);
    zmsg_addstr (reply, text);
    zmsg_send (&reply, router);
}

void
intake_client_test (bool verbose)
{
    if (verbose)
        printf (" * intake_client: ");
    curve_t *curve = curve_new ("off", NULL, "selftest");
    assert (curve);
    const char *ep = "inproc://intake_client_test";
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    assert (zsock_bind (router, "%s", ep) == 0);
    char err [256];

    //  A blocking call: request out, reply back.
    intake_client_opts_t opts = { .window = 4, .timeout_ms = 100, .attempts = 3 };
    intake_client_t *client = intake_client_new (curve, NULL, ep, &opts, err, sizeof err);
    assert (client);
    assert (streq (intake_client_endpoint (client), ep));
    s_tally_t tally = { 0 };
    intake_client_send (client, "one", 3, s_test_answer, &tally);
    zmsg_t *req = s_test_serve_recv (router, 1000);
    assert (req && zmsg_size (req) == 4);      /* id, tag, "", body */
    char *body = zframe_strdup (zmsg_last (req));
    assert (streq (body, "one"));
    free (body);
    s_test_reply (router, req, "ok-one");
    zmsg_destroy (&req);
    while (tally.answers == 0)
        assert (intake_client_wait (client, 1000) == 0);
    assert (streq (tally.last, "ok-one"));
    assert (intake_client_pending (client) == 0);
    assert (intake_client_replies (client) == 1);

    //  A timed-out attempt is resent under a new tag; the late reply to the
    //  first attempt is dropped, so the caller hears once.
    memset (&tally, 0, sizeof tally);
    intake_client_send (client, "two", 3, s_test_answer, &tally);
    zmsg_t *first = s_test_serve_recv (router, 1000);
    assert (first);
    zmsg_t *second = NULL;
    while (!second) {
        intake_client_wait (client, 50);
        second = s_test_serve_recv (router, 0);
    }
    zmsg_first (first);
    zmsg_first (second);
    assert (!zframe_eq (zmsg_next (first), zmsg_next (second)));     /* new tag */
    //  The client had heard from us before: no reconnection for one timeout.
    s_test_reply (router, first, "late");
    s_test_reply (router, second, "ok-two");
    zmsg_destroy (&first);
    zmsg_destroy (&second);
    int64_t until = zclock_mono () + 300;
    while (zclock_mono () < until)
        intake_client_wait (client, 50);
    assert (tally.answers == 1);
    assert (streq (tally.last, "late") || streq (tally.last, "ok-two"));

    //  The window: 10 requests, 4 in flight at once.
    memset (&tally, 0, sizeof tally);
    for (int i = 0; i < 10; i++)
        intake_client_send (client, "w", 1, s_test_answer, &tally);
    assert (intake_client_pending (client) == 10);
    assert (intake_client_room (client) == 0);
    zmsg_t *held [10];
    int nheld = 0;
    zmsg_t *m;
    while ((m = s_test_serve_recv (router, 20)) != NULL)
        held [nheld++] = m;
    assert (nheld == 4);
    while (tally.answers < 10) {
        for (int i = 0; i < nheld; i++) {
            s_test_reply (router, held [i], "w-ok");
            zmsg_destroy (&held [i]);
        }
        nheld = 0;
        intake_client_wait (client, 50);
        while ((m = s_test_serve_recv (router, 10)) != NULL)
            if (nheld < 10)
                held [nheld++] = m;
            else
                zmsg_destroy (&m);
    }
    for (int i = 0; i < nheld; i++)
        zmsg_destroy (&held [i]);
    assert (tally.answers == 10);

    //  The answer function asks for a resend (an "unavailable" reply).
    memset (&tally, 0, sizeof tally);
    tally.retry_ms = 30;
    intake_client_send (client, "again", 5, s_test_answer, &tally);
    req = s_test_serve_recv (router, 1000);
    s_test_reply (router, req, "unavailable");
    zmsg_destroy (&req);
    req = NULL;
    while (!req) {
        intake_client_wait (client, 20);
        req = s_test_serve_recv (router, 0);
    }
    assert (tally.answers == 1);
    s_test_reply (router, req, "ok-again");
    zmsg_destroy (&req);
    while (tally.answers < 2)
        intake_client_wait (client, 50);
    assert (streq (tally.last, "ok-again"));
    intake_client_destroy (&client);

    //  A silent server: attempts run out (the caller hears NULL), and the
    //  socket is replaced while requests are pending.
    opts = (intake_client_opts_t) { .window = 2, .timeout_ms = 40, .attempts = 3,
                                    .backoff_min_ms = 10, .backoff_max_ms = 20 };
    client = intake_client_new (curve, NULL, ep, &opts, err, sizeof err);
    assert (client);
    memset (&tally, 0, sizeof tally);
    intake_client_send (client, "silent", 6, s_test_answer, &tally);
    while (tally.timeouts == 0)
        assert (intake_client_wait (client, 100) == 0);
    assert (tally.answers == 0);
    assert (intake_client_reconnects (client) >= 1);
    while ((m = s_test_serve_recv (router, 10)) != NULL)
        zmsg_destroy (&m);

    //  After the reconnection the server is reached again.
    memset (&tally, 0, sizeof tally);
    intake_client_send (client, "back", 4, s_test_answer, &tally);
    req = s_test_serve_recv (router, 1000);
    assert (req);
    s_test_reply (router, req, "ok-back");
    zmsg_destroy (&req);
    while (tally.answers == 0)
        intake_client_wait (client, 50);

    //  Blocking call: a reply, then a timeout, then a cancelled request.
    zframe_t *reply = NULL;
    intake_client_send (client, "x", 1, NULL, NULL);
    req = s_test_serve_recv (router, 1000);
    s_test_reply (router, req, "x-ok");
    zmsg_destroy (&req);
    assert (intake_client_call (client, "y", 1, 60, &reply) == -1);
    assert (reply == NULL);
    uint64_t id = intake_client_send (client, "z", 1, s_test_answer, &tally);
    assert (intake_client_cancel (client, id) == 0);
    assert (intake_client_cancel (client, id) == -1);
    intake_client_destroy (&client);
    intake_client_destroy (&client);

    //  A bad endpoint is refused with a reason.
    assert (!intake_client_new (curve, NULL, "nonsense", NULL, err, sizeof err));
    assert (strstr (err, "endpoint") || *err);

    zsock_destroy (&router);
    curve_destroy (&curve);
    if (verbose)
        printf ("OK\n");
}
