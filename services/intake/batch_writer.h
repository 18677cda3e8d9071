/*  batch_writer.h — a thread that writes intake's batches to the store.
 *
 *  Why threads: a batch spends most of its life inside PostgreSQL. With the
 *  request loop and the write in one thread, intake decodes while PostgreSQL
 *  idles and PostgreSQL writes while intake idles. Each batch writer is a
 *  czmq actor with its own complaint_store_t (its own connection and its own
 *  blocks of complaint numbers); the request loop hands it a filled batch
 *  by pointer over the actor pipe, goes on decoding the next batch, and gets
 *  the same pointer back, results filled in, once the batch has committed.
 *  Only the request loop touches the ROUTER socket; a batch belongs to
 *  exactly one thread at a time.
 *
 *  Interface:
 *      batch_writer_new      start a writer (connects; NULL when interrupted)
 *      batch_writer_destroy  stop it
 *      batch_writer_send     hand a batch over
 *      batch_writer_recv     take a finished batch back
 *      batch_writer_sock     the actor pipe, to poll on
 */
#ifndef BATCH_WRITER_H_INCLUDED
#define BATCH_WRITER_H_INCLUDED

#include <czmq.h>
#include "case_view.h"
#include "complaint_store.h"
#include "curve.h"
#include "peer_limit.h"

typedef struct {
    zmsg_t *msg;                /* the whole request, envelope and body */
    curve_peer_t sender;        /* who sent it: its certificate's name, role,
                                   channels and status permission (curve.h) */
    msgpack_unpacked unpacked;  /* decoded body; strings point into msg */
    request_t req;
    msgpack_sbuffer reply;      /* get, act, queue, a first contact: the reply
                                   (ok or error), packed by the writer */
    submit_status_t fc_status;  /* a first contact: new, duplicate or failed */
    bool failed;                /* ... and it was an error (for the stats) */
    bool status_miss;           /* a get without a token failed on its code or number */
    char peer [PEER_LIMIT_KEY_MAX];     /* the peer's address (peer_limit.h) */
} intake_request_t;

/* A submit that joins the batch's group commit; a first contact
 * (first_contact.h) is its own transaction, run after them like an act. */
static inline bool
intake_request_batched (const intake_request_t *r)
{
    return r->req.op == REQUEST_SUBMIT && !r->req.u.submit.first_contact.present;
}

typedef struct {
    intake_request_t *requests; /* capacity entries, count used */
    size_t count, capacity;
    submit_item_t *items;       /* one per submit, in arrival order */
    intake_request_t **submits; /* the request of each item */
    size_t nsubmits;
} intake_batch_t;

typedef struct batch_writer_t batch_writer_t;

/* cfg (the identity keys, the status view's limits) is the caller's and
 * outlives the writer; it is only read. */
batch_writer_t *batch_writer_new (const char *conninfo, const case_view_cfg_t *cfg);
void batch_writer_destroy (batch_writer_t **self_p);
int  batch_writer_send (batch_writer_t *self, intake_batch_t *batch);
intake_batch_t *batch_writer_recv (batch_writer_t *self);
void *batch_writer_sock (batch_writer_t *self);

#endif
