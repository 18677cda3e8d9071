/*  batch_writer.c — intake's store writer threads (see batch_writer.h). */
#include "batch_writer.h"
#include "case_action.h"
#include "case_evidence.h"
#include "case_file.h"           /* issue 16 (i16-records) */
#include "case_kb.h"
#include "case_retention.h"
#include "case_evidence_part.h"
#include "case_evidence_sweep.h"     /* issue 16 follow-up (adapters2) */
#include "rectification.h"
#include "accountability.h"
#include "case_reply.h"
#include "case_survey.h"
#include "case_view.h"
#include "first_contact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct batch_writer_t {
    zactor_t *actor;
};

/* What the actor owns: its store, and the shared read-only configuration. */
typedef struct {
    complaint_store_t *store;
    const case_view_cfg_t *cfg;
    bool sweeper;               /* issue 16 follow-up (adapters2): this one sweeps */
} s_writer_args_t;

/* The first writer made sweeps the parts never made whole (one sweeper is
 * enough, and two would only find each other's items gone). Writers are
 * made by the main thread, one after another. */
static bool s_sweeper_taken = false;

static void
s_write (complaint_store_t *store, const case_view_cfg_t *cfg, intake_batch_t *batch)
{
    complaint_store_submit_batch (store, batch->items, batch->nsubmits);
    /* Then the other requests, in arrival order, each on its own: an act
     * is its own transaction (case_action.c), so one refused act never
     * touches another, and a get sees every act before it committed. */
    for (size_t i = 0; i < batch->count; i++) {
        intake_request_t *r = &batch->requests [i];
        if (intake_request_batched (r))
            continue;
        msgpack_sbuffer_clear (&r->reply);
        if (r->req.op == REQUEST_SUBMIT) {
            submit_item_t item = { .submit = &r->req.u.submit, .submitter = r->sender.name,
                                   .received_at = r->req.u.submit.received_at };
            r->failed = first_contact_apply (store, &item, &r->reply) != 0;
            r->fc_status = item.status;
            continue;
        }
        pg_session_t *pg = complaint_store_session (store);
        int rc = -1;
        if (!pg) {
            proto_error_t err = { 0 };
            proto_error_set (&err, PROTO_E_UNAVAILABLE, "",
                             "the complaint store is not reachable; retry");
            proto_pack_error (&r->reply, &err);
        }
        else
        if (r->req.op == REQUEST_GET)
            /* false: no peer is an adapter allowed to see status yet (the
             * CURVE identity will say; case_view.h) */
            /* A certificate allowed to see status (--status, complaintctl keys
             * new) needs no query code: the status view all the same. */
            rc = case_view_get (pg, cfg, &r->req.u.get,
                                r->sender.authenticated && r->sender.status, &r->reply,
                                &r->status_miss);
        else
        if (r->req.op == REQUEST_ACT) {
            /* issue 16 (i16-followup): a service's key acting without a
             * token (case_followup.h says which may, and what) */
            if (r->sender.authenticated && strcmp (r->sender.role, "service") == 0
            &&  !r->req.u.act.token.ptr)        /* with a token it is that person's */
                snprintf (r->req.u.act.service, sizeof r->req.u.act.service, "%s",
                          r->sender.name);
            rc = case_action_apply (pg, &r->req.u.act, cfg->review_window_days, cfg->timezone,
                                    &r->reply);
        }
        else
        if (r->req.op == REQUEST_QUEUE)
            rc = case_view_queue (pg, &r->req.u.queue, &r->reply);
        else
        if (r->req.op == REQUEST_REPLY)
            rc = case_reply_apply (pg, cfg->seal, r->sender.name, &r->req.u.reply, &r->reply);
        else
        if (r->req.op == REQUEST_EVIDENCE_ADD && r->req.u.evidence_add.source.ptr)
            /* issue 16 (i16-mailev): an e-mail attachment's part, from the
             * mail adapter's key (checked by the request loop) */
            rc = case_evidence_part_add (pg, r->sender.name, &r->req.u.evidence_add, &r->reply);
        else
        if (r->req.op == REQUEST_EVIDENCE_ADD)
            rc = case_evidence_add (pg, &r->req.u.evidence_add, &r->reply);
        else
        if (r->req.op == REQUEST_EVIDENCE_GET)
            rc = case_evidence_get (pg, &r->req.u.evidence_get, &r->reply);
        /* issue 16 (i16-records): the records requests */
        else
        if (r->req.op == REQUEST_CASEFILE)
            rc = case_file_export (pg, cfg, &r->req.u.casefile, &r->reply);
        else
        if (r->req.op == REQUEST_RETENTION_RUN)
            rc = case_retention_run (pg, cfg, &r->req.u.retention_run, &r->reply);
        else
        if (r->req.op == REQUEST_KB_PROMOTE)
            rc = case_kb_promote (pg, cfg, &r->req.u.kb_promote, &r->reply);
        else
        if (r->req.op == REQUEST_KB_SEARCH)
            rc = case_kb_search (pg, &r->req.u.kb_search, &r->reply);
        else
        if (r->req.op == REQUEST_RECTIFICATION)                 /* issue 16 (i16-tasks) */
            rc = rectification_apply (pg, &r->req.u.rectification, &r->reply);
        else
        if (r->req.op == REQUEST_ACCOUNTABILITY)
            rc = accountability_apply (pg, &r->req.u.accountability, &r->reply);
        else
        if (r->req.op == REQUEST_SURVEY)            /* issue 16 (i16-followup) */
            rc = case_survey_answer (pg, cfg->seal, r->sender.name, &r->req.u.survey,
                                     &r->reply);
        r->failed = rc != 0;
    }
}

/*  The actor owns the store from here on. It leaves only on $TERM (sent by
 *  batch_writer_destroy), never on a signal: a batch it holds must always
 *  come back to the request loop, so that every request gets its reply. */
static void
s_writer_actor (zsock_t *pipe, void *args)
{
    s_writer_args_t *wargs = (s_writer_args_t *) args;
    complaint_store_t *store = wargs->store;
    const case_view_cfg_t *cfg = wargs->cfg;
    bool sweeper = wargs->sweeper && cfg->evidence_sweep_s > 0;
    free (wargs);
    zsock_signal (pipe, 0);
    /* issue 16 follow-up (adapters2): between batches, the sweep when due.
     * nonstop: a signal does not end the wait (the actor leaves on $TERM) */
    zpoller_t *poller = zpoller_new (pipe, NULL);
    assert (poller);
    zpoller_set_nonstop (poller, true);
    int64_t next_sweep = zclock_mono () + 1000 * cfg->evidence_sweep_s;
    while (true) {
        int wait_ms = -1;
        if (sweeper) {
            int64_t now = zclock_mono ();
            if (now >= next_sweep) {
                case_evidence_sweep (complaint_store_session (store), cfg->evidence_part_hours);
                next_sweep = now + 1000 * cfg->evidence_sweep_s;
            }
            wait_ms = (int) (next_sweep - now);
        }
        if (!zpoller_wait (poller, wait_ms))
            continue;           /* the sweep's time, or a signal: wait for $TERM */
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            continue;           /* interrupted by a signal: wait for $TERM */
        zframe_t *frame = zmsg_first (msg);
        if (zframe_streq (frame, "$TERM")) {
            zmsg_destroy (&msg);
            break;
        }
        intake_batch_t *batch = NULL;
        if (zframe_size (frame) == sizeof batch) {
            memcpy (&batch, zframe_data (frame), sizeof batch);
            s_write (store, cfg, batch);
            zsock_send (pipe, "p", batch);
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    complaint_store_destroy (&store);
}

batch_writer_t *
batch_writer_new (const char *conninfo, const case_view_cfg_t *cfg)
{
    /* Connect here, so a writer that cannot reach the store is never
     * started; the actor takes the store over. */
    complaint_store_t *store = complaint_store_new (conninfo, cfg->seal);
    if (!store)
        return NULL;
    batch_writer_t *self = calloc (1, sizeof *self);
    assert (self);
    s_writer_args_t *wargs = malloc (sizeof *wargs);
    assert (wargs);
    *wargs = (s_writer_args_t) { store, cfg, !s_sweeper_taken };
    s_sweeper_taken = true;
    self->actor = zactor_new (s_writer_actor, wargs);
    assert (self->actor);
    return self;
}

void
batch_writer_destroy (batch_writer_t **self_p)
{
    assert (self_p);
    batch_writer_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    free (self);
    *self_p = NULL;
}

int
batch_writer_send (batch_writer_t *self, intake_batch_t *batch)
{
    return zsock_send (self->actor, "p", batch);
}

intake_batch_t *
batch_writer_recv (batch_writer_t *self)
{
    intake_batch_t *batch = NULL;
    if (zsock_recv (self->actor, "p", &batch))
        return NULL;
    return batch;
}

void *
batch_writer_sock (batch_writer_t *self)
{
    return zsock_resolve (zactor_sock (self->actor));
}
