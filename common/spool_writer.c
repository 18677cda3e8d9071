/*  spool_writer.c — spool_put on worker threads (see spool_writer.h).
 *
 *  A PUSH socket hands jobs to the workers (each a zactor with a PULL),
 *  a PULL collects their answers. Job: [token][bytes]. Answer:
 *  [token][rc][errno][id]. The token is the caller's pointer, carried as
 *  bytes: it never leaves this process.
 */
#include "spool_writer.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct _spool_writer_t {
    spool_t *spool;
    zsock_t *jobs, *results;
    zactor_t **workers;
    int threads;
    size_t pending;
    spool_writer_fn *fn;
    void *arg;
    char jobs_ep [64], results_ep [64];
};

typedef struct {
    spool_t *spool;
    const char *jobs_ep, *results_ep;
} s_worker_args_t;

static void
s_worker (zsock_t *pipe, void *args)
{
    s_worker_args_t *a = (s_worker_args_t *) args;
    char ep [80];
    snprintf (ep, sizeof ep, ">%s", a->jobs_ep);
    zsock_t *jobs = zsock_new_pull (ep);
    snprintf (ep, sizeof ep, ">%s", a->results_ep);
    zsock_t *results = zsock_new_push (ep);
    spool_t *spool = a->spool;
    free (a);
    assert (jobs && results);
    zsock_set_linger (results, 1000);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, jobs, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != jobs)
            break;                      /* $TERM, or interrupted */
        zframe_t *token = zframe_recv (jobs);
        zframe_t *body = token && zsock_rcvmore (jobs) ? zframe_recv (jobs) : NULL;
        if (!token || !body) {
            zframe_destroy (&token);
            zframe_destroy (&body);
            continue;
        }
        char id [SPOOL_ID_SIZE] = "";
        int rc = spool_put (spool, zframe_data (body), zframe_size (body), id);
        int err = rc ? errno : 0;
        zframe_destroy (&body);
        zframe_send (&token, results, ZFRAME_MORE);
        zsock_send (results, "iis", rc, err, id);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&jobs);
    zsock_destroy (&results);
}

spool_writer_t *
spool_writer_new (spool_t *spool, int threads, spool_writer_fn *fn, void *arg)
{
    assert (spool && threads > 0 && fn);
    spool_writer_t *self = calloc (1, sizeof *self);
    assert (self);
    self->spool = spool;
    self->fn = fn;
    self->arg = arg;
    self->threads = threads;
    snprintf (self->jobs_ep, sizeof self->jobs_ep, "inproc://spool-jobs-%p", (void *) self);
    snprintf (self->results_ep, sizeof self->results_ep, "inproc://spool-results-%p",
              (void *) self);
    //  Bound here ('@'), connected by each worker ('>').
    char ep [80];
    snprintf (ep, sizeof ep, "@%s", self->jobs_ep);
    self->jobs = zsock_new_push (ep);
    snprintf (ep, sizeof ep, "@%s", self->results_ep);
    self->results = zsock_new_pull (ep);
    assert (self->jobs && self->results);
    zsock_set_sndhwm (self->jobs, 0);   /* bounded by the HTTP server's connections */
    self->workers = calloc ((size_t) threads, sizeof (zactor_t *));
    assert (self->workers);
    for (int i = 0; i < threads; i++) {
        s_worker_args_t *a = malloc (sizeof *a);
        assert (a);
        *a = (s_worker_args_t) { spool, self->jobs_ep, self->results_ep };
        self->workers [i] = zactor_new (s_worker, a);
        assert (self->workers [i]);
    }
    return self;
}

void
spool_writer_destroy (spool_writer_t **self_p)
{
    assert (self_p);
    spool_writer_t *self = *self_p;
    if (!self)
        return;
    //  zactor_destroy sends $TERM and waits: a worker inside spool_put
    //  finishes that put first (its entry is then in new/, sent at the
    //  next start). Jobs still queued were never written: their requests
    //  are answered 503 by the HTTP server's stop.
    for (int i = 0; i < self->threads; i++)
        zactor_destroy (&self->workers [i]);
    free (self->workers);
    zsock_destroy (&self->jobs);
    zsock_destroy (&self->results);
    free (self);
    *self_p = NULL;
}

int
spool_writer_put (spool_writer_t *self, const void *data, size_t size, void *token)
{
    assert (self);
    zframe_t *t = zframe_new (&token, sizeof token);
    zframe_t *body = zframe_new (data, size);
    if (zframe_send (&t, self->jobs, ZFRAME_MORE) || zframe_send (&body, self->jobs, 0)) {
        zframe_destroy (&t);
        zframe_destroy (&body);
        return -1;
    }
    self->pending++;
    return 0;
}

zsock_t *
spool_writer_sock (spool_writer_t *self)
{
    assert (self);
    return self->results;
}

void
spool_writer_handle (spool_writer_t *self)
{
    assert (self);
    while (zsock_events (self->results) & ZMQ_POLLIN) {
        zframe_t *t = zframe_recv (self->results);
        int rc = -1, err = EIO;
        char *id = NULL;
        if (t && zsock_rcvmore (self->results))
            zsock_recv (self->results, "iis", &rc, &err, &id);
        void *token = NULL;
        if (t && zframe_size (t) == sizeof token) {
            memcpy (&token, zframe_data (t), sizeof token);
            if (self->pending)
                self->pending--;
            self->fn (self->arg, token, rc, id ? id : "", err);
        }
        zframe_destroy (&t);
        zstr_free (&id);
    }
}

size_t
spool_writer_pending (spool_writer_t *self)
{
    assert (self);
    return self->pending;
}

#include "selftest.h"

//  --------------------------------------------------------------------------
//  Self-test (selftest spool_writer)

typedef struct {
    int done, failed;
    char ids [64][SPOOL_ID_SIZE];
} s_test_t;

static void
s_test_done (void *arg, void *token, int rc, const char *id, int err)
{
    (void) err;
    s_test_t *t = (s_test_t *) arg;
    intptr_t i = (intptr_t) token;
    if (rc == 0 && i >= 0 && i < 64)
        snprintf (t->ids [i], SPOOL_ID_SIZE, "%s", id);
    else
        t->failed++;
    t->done++;
}

void
spool_writer_test (bool verbose)
{
    (void) verbose;
    printf (" * spool_writer: ");
    char dir [] = "/tmp/spool-writer-test-XXXXXX";
    assert (mkdtemp (dir));
    char err [256];
    spool_t *spool = spool_new (dir, err, sizeof err);
    assert (spool);
    s_test_t t = { 0 };
    spool_writer_t *w = spool_writer_new (spool, 4, s_test_done, &t);
    for (intptr_t i = 0; i < 64; i++) {
        char body [32];
        int n = snprintf (body, sizeof body, "entry %d", (int) i);
        assert (spool_writer_put (w, body, (size_t) n, (void *) i) == 0);
    }
    int64_t deadline = zclock_mono () + 10000;
    while (t.done < 64 && zclock_mono () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (spool_writer_sock (w)), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 100);
        spool_writer_handle (w);
    }
    assert (t.done == 64 && t.failed == 0 && spool_writer_pending (w) == 0);
    //  64 distinct entries, each with its own bytes.
    assert (spool_count (spool) == 64);
    for (int i = 0; i < 64; i++) {
        zchunk_t *c = spool_read (spool, t.ids [i]);
        char want [32];
        snprintf (want, sizeof want, "entry %d", i);
        assert (c && zchunk_size (c) == strlen (want)
                && memcmp (zchunk_data (c), want, strlen (want)) == 0);
        zchunk_destroy (&c);
        for (int j = 0; j < i; j++)
            assert (strcmp (t.ids [i], t.ids [j]) != 0);
    }
    spool_writer_destroy (&w);
    spool_writer_destroy (&w);
    assert (!w);
    spool_destroy (&spool);
    char cmd [300];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
        zsys_warning ("could not remove %s", dir);
    printf ("OK\n");
}
