/*  intake — the pipeline's write API for complaints and staff actions.
 *
 *  A ROUTER socket takes requests from channel adapters and staff tools
 *  (proto/PROTOCOL.md): submit, get, act, queue. The loop is group commit with overlap: when a batch
 *  writer is free, take every request already queued (up to --batch), answer
 *  the malformed ones at once, and hand the rest to the writer, which writes
 *  all submits in one transaction (batch_writer.c, complaint_store.c). While
 *  up to --writers batches are being written, ZeroMQ's I/O thread keeps
 *  queueing the next ones, so batches grow with load and the cost of each
 *  fsync is shared by everything that arrived meanwhile; at low load a batch
 *  is a single request and latency is one commit. A request is answered only
 *  when its batch comes back committed (invariant 1). The other requests of
 *  a batch (get, act, queue) run after its submits on the same writer, each
 *  on its own; an act is its own transaction (case_action.c).
 *
 *  Bounded memory (docs/intake.md has the table): libzmq refuses frames over
 *  INTAKE_MAX_FRAME and queues at most INTAKE_PEER_RCVHWM requests and
 *  INTAKE_PEER_SNDHWM replies per peer; envelope_recv keeps at most
 *  ENVELOPE_MAX_FRAMES frames of a message; proto_decode refuses more than
 *  PROTO_MAX_OBJECTS values and request_decode unknown keys, before anything
 *  enters a batch; a batch holds at most INTAKE_PEER_PER_BATCH requests of
 *  one peer, and every message read counts against its capacity. While the
 *  store is down, requests are answered "unavailable" at once: the writers
 *  never wait out an outage (complaint_store.c), and with every writer busy
 *  the loop answers them itself.
 *
 *  Who sent it (docs/security.md "Transport (CURVE)"): the ROUTER is a CURVE
 *  server (common/curve.c; zauth admits only keys in allow/intake/), and
 *  each request carries its sender's certificate — name, role, channels,
 *  status permission — as a curve_peer_t in its intake_request_t (sender).
 *  Before a request joins a batch the sender is re-checked against the
 *  allow list (a key revoked while connected: unauthenticated, field key)
 *  and a submit's channel against the cert's channels (forbidden, field
 *  channel); the cert's name is the submit's submitter, which scopes its
 *  ref (migration 024).
 *
 *  Status queries (a get without a token: the public status view,
 *  case_view.h) are limited here per peer — its certificate's name under
 *  CURVE, else its address (peer_limit.h): a peer out
 *  of failures is answered rate_limited before its request reaches a
 *  writer, and each failure the writer reports back costs a token. The
 *  identity key file (--identity-key-file, identity_seal.h) is loaded once
 *  and shared read-only by the writers; without it intake does not start.
 *
 *  Envelope: every frame before the empty delimiter is echoed back untouched
 *  (the peer identity, plus any correlation tag a DEALER client put there),
 *  then the one reply frame. What is answerable, and how a body decodes, is
 *  envelope.c's (envelope_read), so the self-test runs the loop's own check.
 *
 *  `intake --selftest [--verbose]` runs the self-tests of the envelope, the
 *  scope rule and tokens (staff_auth.c), authorisation through a real act
 *  and which store failures its client may retry (case_action.c) and the
 *  one definition of an open case (case_view.c)
 *  against the database in PG* (the test runner's migrated one), and prints
 *  "intake selftest: N passed, M failed".
 *
 *  Flags, signals and the metrics endpoint come from the daemon skeleton
 *  (common/daemon.c; `intake --help`). Metrics: requests by operation,
 *  errors by code, submits by outcome, requests per batch, writers busy,
 *  and the store round trip of each batch (handed to a writer until it
 *  came back), docs/operations.md.
 */
#include "cfg.h"
#include "daemon.h"
#include "batch_writer.h"
#include "case_scrub.h"
#include "case_action.h"
#include "case_vetting.h"
#include "intake_calendars.h"            /* issue 16 follow-up (vetting2) */
#include "case_followup.h"
#include "case_view.h"
#include "case_task.h"
#include "complaint_store.h"
#include "curve.h"
#include "envelope.h"
#include "identity_upgrade.h"
#include "log.h"
#include "peer_limit.h"
#include "privacy.h"
#include "request.h"
#include "staff_auth.h"
#include "test_org.h"
#include "review_window.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

/* The bounds on what one peer can make intake hold (see where the socket
 * is made): 16 queued requests of at most 512 KiB each is 8 MiB. A frame
 * between PROTO_MAX_MESSAGE and INTAKE_MAX_FRAME is read and answered
 * too_large (an honest client learns why); a bigger one costs its sender the
 * connection. A peer has at most INTAKE_PEER_PER_BATCH requests in one
 * batch (more are answered "unavailable": retry), so a batch's replies to
 * one peer fit its send queue twice over (two writers' batches answered
 * back to back) and a client that reads its answers never loses one. */
#define INTAKE_MAX_FRAME     (2 * PROTO_MAX_MESSAGE)
#define INTAKE_PEER_RCVHWM   16
#define INTAKE_PEER_PER_BATCH 256
#define INTAKE_PEER_SNDHWM   (2 * INTAKE_PEER_PER_BATCH)

typedef struct {
    uint64_t requests, accepted, duplicates, rejected, failed, batches, gets, acts, refused, queues;
} s_stats_t;

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("endpoint", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT, "ENDPOINT", "ROUTER to bind"),
    DAEMON_LONG ("batch", "COMPLAINTS_INTAKE_BATCH", 1000, 1, 10000,
                 "most requests per transaction"),
    DAEMON_LONG ("writers", "COMPLAINTS_INTAKE_WRITERS", 2, 1, 16,
                 "batches written at once, each on its own connection"),
    DAEMON_STR ("timezone", CFG_ENV_TIMEZONE, CFG_TIMEZONE, "TZ",
                "the bank's time zone for complaint-number dates"),
    DAEMON_STR ("identity-key-file", IDENTITY_KEY_ENV, "", "FILE",
                "the customer identity keys, a file of mode 0600 (identity_seal.h)"),
    DAEMON_LONG ("status-failures", "COMPLAINTS_INTAKE_STATUS_FAILURES", 10, 1, 1000,
                 "failed status queries one peer address may make at once"),
    DAEMON_LONG ("status-refill-s", "COMPLAINTS_INTAKE_STATUS_REFILL_S", 60, 1, 86400,
                 "seconds until a peer may make one more"),
    DAEMON_LONG ("status-peers", "COMPLAINTS_INTAKE_STATUS_PEERS", 10000, 16, 1000000,
                 "peer addresses remembered for that (bounded memory)"),
    DAEMON_LONG ("status-case-failures", "COMPLAINTS_INTAKE_STATUS_CASE_FAILURES", 20, 1,
                 10000, "failed status queries one complaint number takes an hour"),
    DAEMON_LONG ("review-window-days", "COMPLAINTS_INTAKE_REVIEW_WINDOW_DAYS", 30, 1, 3650,
                 "days after the decision a customer may ask for a review (复核)"),
    /* issue 16 (i16-vetting) */
    DAEMON_STR ("vetting-policy", "COMPLAINTS_INTAKE_VETTING_POLICY", "",
                "FILE", "which proposals are vetted, by whom, each role's amount limit; "
                "\"\": none (docs/lifecycle.md, Vetting)"),
    /* issue 16 (i16-records): case_retention.h */
    DAEMON_LONG ("retention-years", "COMPLAINTS_INTAKE_RETENTION_YEARS", 5, 1, 100,
                 "years after closure a case's customer identity is kept (retention_run)"),
    /* issue 16 (i16-tasks): what a task's `due` is counted on */
    DAEMON_STR ("calendars", "COMPLAINTS_CALENDARS", "deploy/calendars", "DIR",
                "the calendars a task's deadline (2wd) is counted on (the case's, as its clocks); "
                "reloaded on SIGHUP"),
    DAEMON_STR ("default-calendar", "COMPLAINTS_DEFAULT_CALENDAR", "cn", "NAME",
                "the calendar of a case that has no clock yet"),
    DAEMON_LONG ("survey-days", "COMPLAINTS_INTAKE_SURVEY_DAYS", 30, 1, 365,
                 "days a satisfaction survey link stays valid (issue 16)"),
    /* issue 16 follow-up (adapters2): case_evidence_sweep.h */
    DAEMON_LONG ("evidence-part-hours", "COMPLAINTS_INTAKE_EVIDENCE_PART_HOURS", 24, 1, 720,
                 "hours after its last part an attachment never made whole is recorded as not"
                 " kept (incomplete)"),
    DAEMON_LONG ("evidence-sweep-s", "COMPLAINTS_INTAKE_EVIDENCE_SWEEP_S", 300, 1, 86400,
                 "seconds between sweeps for such attachments"),
    DAEMON_BOOL ("seal-identity", NULL, "seal the plaintext identity of older rows, exit"),
    DAEMON_BOOL ("reseal", NULL, "with --seal-identity: re-seal every row under the current key"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests against the database in PG*, exit"),
    DAEMON_BOOL ("verbose", NULL, "self-test details"),
    DAEMON_END
};

/* What intake counts for the operators (the s_stats_t above is the log's). */
typedef struct {
    daemon_t *daemon;
    metric_t *requests, *errors, *submits, *referrals, *batch_size, *writers_busy;
} s_metrics_t;

static void
s_metrics_declare (s_metrics_t *m, daemon_t *daemon)
{
    metrics_t *reg = daemon_metrics (daemon);
    m->daemon = daemon;
    m->requests = metrics_counter (reg, "complaints_intake_requests_total",
        "Requests received, by operation (submit, get, act, queue, reply; invalid: not decodable,"
        " dropped: no envelope, refused: the sender's key was revoked).", "op");
    m->errors = metrics_counter (reg, "complaints_intake_errors_total",
        "Requests answered with an error, by the reply's code.", "code");
    m->submits = metrics_counter (reg, "complaints_intake_submits_total",
        "Submits answered, by outcome (accepted, duplicate, failed).", "result");
    m->referrals = metrics_counter (reg, "complaints_intake_referrals_total",
        "Referred complaints registered (submit `referral`), by who referred them (regulator,"
        " association, consumer_association, media).", "source");
    m->batch_size = metrics_histogram (reg, "complaints_intake_batch_size",
        "Requests per batch handed to a writer.", NULL, metrics_size_buckets,
        metrics_size_nbuckets);
    m->writers_busy = metrics_gauge (reg, "complaints_intake_writers_busy",
        "Writers holding a batch now.", NULL);
}

static void
s_count_error (s_metrics_t *m, const char *code)
{
    metric_add_at (m->errors, (const char *[]) { code && *code ? code : "unknown" }, 1);
}

/* The "code" of an error reply a writer packed (get, act, queue); true
 * when it was "unavailable". */
static bool
s_count_reply_error (s_metrics_t *m, const msgpack_sbuffer *reply)
{
    char code [64] = "unknown";
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    if (msgpack_unpack_next (&unpacked, reply->data, reply->size, NULL) == MSGPACK_UNPACK_SUCCESS
    &&  unpacked.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *map = &unpacked.data.via.map;
        for (uint32_t i = 0; i < map->size; i++) {
            const msgpack_object *k = &map->ptr [i].key, *v = &map->ptr [i].val;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 4
            &&  memcmp (k->via.str.ptr, "code", 4) == 0 && v->type == MSGPACK_OBJECT_STR
            &&  v->via.str.size < sizeof code) {
                memcpy (code, v->via.str.ptr, v->via.str.size);
                code [v->via.str.size] = 0;
            }
        }
    }
    msgpack_unpacked_destroy (&unpacked);
    s_count_error (m, code);
    return streq (code, PROTO_E_UNAVAILABLE);
}

static const char *
s_op_name (int op)
{
    return op == REQUEST_SUBMIT ? "submit" : op == REQUEST_GET ? "get"
         : op == REQUEST_ACT ? "act" : op == REQUEST_QUEUE ? "queue"
         : op == REQUEST_REPLY ? "reply" : op == REQUEST_EVIDENCE_ADD ? "evidence_add"
         : op == REQUEST_EVIDENCE_GET ? "evidence_get"
         /* issue 16 (i16-records) */
         : op == REQUEST_CASEFILE ? "casefile" : op == REQUEST_RETENTION_RUN ? "retention_run"
         : op == REQUEST_KB_PROMOTE ? "kb_promote" : op == REQUEST_KB_SEARCH ? "kb_search"
         : op == REQUEST_RECTIFICATION ? "rectification"                /* i16-tasks */
         : op == REQUEST_ACCOUNTABILITY ? "accountability" : "other";
}

/* Replace the request body (last frame) with the reply and send it back. */
static void
s_reply (zsock_t *router, zmsg_t **msg_p, msgpack_sbuffer *reply)
{
    zmsg_t *msg = *msg_p;
    zframe_t *body = zmsg_last (msg);
    zmsg_remove (msg, body);
    zframe_destroy (&body);
    zmsg_addmem (msg, reply->data, reply->size);
    if (zmsg_send (msg_p, router))
        zmsg_destroy (msg_p);   /* peer gone: nothing to do */
}

static void
s_reply_error (zsock_t *router, zmsg_t **msg_p, const proto_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_pack_error (&buf, err);
    s_reply (router, msg_p, &buf);
    msgpack_sbuffer_destroy (&buf);
}

static void
s_reply_submit (zsock_t *router, zmsg_t **msg_p, const submit_item_t *item)
{
    if (item->status == SUBMIT_FAILED) {
        s_reply_error (router, msg_p, &item->err);
        return;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    complaint_store_pack_reply (&pk, item, 0);
    s_reply (router, msg_p, &buf);
    msgpack_sbuffer_destroy (&buf);
}

/*  Take every request already queued, up to the batch's capacity. Bad
 *  ones are answered now; good ones wait in the batch for its writer.
 *
 *  Why every message read counts against the capacity, answered or not:
 *  a peer flooding invalid requests would otherwise keep this loop reading
 *  (each one answered at once, none filling the batch) while the valid
 *  requests already taken wait for their writer. The ROUTER socket
 *  fair-queues its peers one message each, so with the reads bounded a
 *  flooding peer gets its share of a batch, not the whole of it; and a
 *  peer's valid requests beyond INTAKE_PEER_PER_BATCH in one batch are
 *  answered "unavailable" at once instead of joining it.
 *
 *  With `refuse` (the store is down and no writer is free) nothing enters
 *  the batch: every valid request is answered "unavailable" at once, so a
 *  client learns within a poll that it should retry, not after the outage. */
static void
s_batch_fill (intake_batch_t *batch, zsock_t *router, s_stats_t *stats, s_metrics_t *m,
              peer_limit_t *status_limit, bool refuse)
{
    batch->count = batch->nsubmits = 0;
    zhashx_t *peers = zhashx_new ();            /* identity (hex) -> requests in this batch */
    curve_t *curve = curve_default ();
    for (size_t reads = 0; reads < batch->capacity && batch->count < batch->capacity; reads++) {
        bool dropped = false;
        /* the peer's address for the status limit (peer_limit.h): "local"
         * where the transport has none (ipc, inproc); and who sent it (its
         * CURVE certificate) */
        char address [PEER_LIMIT_KEY_MAX];
        curve_peer_t sender;
        zmsg_t *msg = envelope_recv_from (router, &dropped, address, sizeof address, curve,
                                          &sender);
        if (dropped) {
            stats->requests++;
            log_warn ("request_dropped", "reason=\"more than %d frames\"", ENVELOPE_MAX_FRAMES);
            metric_add_at (m->requests, (const char *[]) { "dropped" }, 1);
            continue;
        }
        if (!msg)
            break;
        stats->requests++;
        intake_request_t *r = &batch->requests [batch->count];
        msgpack_unpacked_init (&r->unpacked);
        proto_error_t err = { 0 };
        envelope_verdict_t verdict = envelope_read (msg, &r->unpacked, &r->req, &err);
        if (verdict == ENVELOPE_DROP) {
            /* A request must be [envelope...][""][body] with a bounded
             * envelope; anything else is not ours to answer (we could not
             * address the reply, or will not echo what it sent). */
            log_warn ("request_dropped", "reason=\"no empty delimiter before the body, or an"
                      " envelope over %d frames of %d bytes\"", ENVELOPE_MAX_ROUTING,
                      ENVELOPE_MAX_FRAME_SIZE);
            msgpack_unpacked_destroy (&r->unpacked);
            metric_add_at (m->requests, (const char *[]) { "dropped" }, 1);
            zmsg_destroy (&msg);
            continue;
        }
        r->msg = msg;
        r->failed = false;
        r->fc_status = SUBMIT_PENDING;
        r->status_miss = false;
        r->peer [0] = 0;
        r->sender = sender;
        /* zauth checked the key when the peer connected; a key revoked
         * since (its cert moved out of allow/intake/) is refused here, on
         * its next request, though the connection stays open. */
        if (!curve_peer_allowed (curve, CURVE_INTAKE, &sender)) {
            proto_error_set (&err, PROTO_E_UNAUTHENTICATED, "key", "this client's key (%s) is"
                             " no longer allowed at intake: it was revoked", sender.name);
            curve_log_revoked (CURVE_INTAKE, &sender);
            metric_add_at (m->requests, (const char *[]) { "refused" }, 1);
            s_count_error (m, err.code);
            s_reply_error (router, &r->msg, &err);
            msgpack_unpacked_destroy (&r->unpacked);
            continue;
        }
        if (verdict == ENVELOPE_OK && r->req.op == REQUEST_SUBMIT
        &&  !curve_peer_may_submit (&sender, r->req.u.submit.channel.ptr,
                                    r->req.u.submit.channel.len)) {
            proto_error_set (&err, PROTO_E_FORBIDDEN, "channel", "the key %s may submit for"
                             " the channels \"%s\" only, not \"%.*s\"", sender.name,
                             sender.channels, (int) r->req.u.submit.channel.len,
                             r->req.u.submit.channel.ptr);
            stats->rejected++;
            metric_add_at (m->requests, (const char *[]) { "submit" }, 1);
            s_count_error (m, err.code);
            s_reply_error (router, &r->msg, &err);
            msgpack_unpacked_destroy (&r->unpacked);
            continue;
        }
        /* A customer's reply on a case (case_reply.h): only a channel's
         * adapter, and only for its own channels. */
        if (verdict == ENVELOPE_OK && r->req.op == REQUEST_REPLY
        &&  (!sender.authenticated || strcmp (sender.role, "adapter") != 0
             || !curve_peer_may_submit (&sender, r->req.u.reply.channel.ptr,
                                        r->req.u.reply.channel.len))) {
            proto_error_set (&err, PROTO_E_FORBIDDEN, "channel", "only an adapter key whose"
                             " channels include \"%.*s\" may record a reply (this key: %s)",
                             (int) r->req.u.reply.channel.len, r->req.u.reply.channel.ptr,
                             sender.name);
            stats->rejected++;
            metric_add_at (m->requests, (const char *[]) { "reply" }, 1);
            s_count_error (m, err.code);
            s_reply_error (router, &r->msg, &err);
            msgpack_unpacked_destroy (&r->unpacked);
            continue;
        }
        /* issue 16 (i16-mailev): an e-mail attachment's part, as a reply:
         * only an adapter key whose channels include email. */
        if (verdict == ENVELOPE_OK && r->req.op == REQUEST_EVIDENCE_ADD
        &&  r->req.u.evidence_add.source.ptr
        &&  (!sender.authenticated || strcmp (sender.role, "adapter") != 0
             || !curve_peer_may_submit (&sender, "email", 5))) {
            proto_error_set (&err, PROTO_E_FORBIDDEN, "kind", "only an adapter key whose"
                             " channels include \"email\" may add an email_attachment (this"
                             " key: %s)", sender.name);
            stats->rejected++;
            metric_add_at (m->requests, (const char *[]) { "evidence_add" }, 1);
            s_count_error (m, err.code);
            s_reply_error (router, &r->msg, &err);
            msgpack_unpacked_destroy (&r->unpacked);
            continue;
        }
        if (verdict == ENVELOPE_REJECT) {
            stats->rejected++;
            char q [300];
            log_debug ("request_rejected", "code=%s field=%s message=%s", err.code, err.field,
                       log_quote (q, sizeof q, err.message));
            metric_add_at (m->requests, (const char *[]) { "invalid" }, 1);
            s_count_error (m, err.code);
            s_reply_error (router, &r->msg, &err);
            msgpack_unpacked_destroy (&r->unpacked);
            continue;
        }
        metric_add_at (m->requests, (const char *[]) { s_op_name (r->req.op) }, 1);
        /* A get without a token is a status query: a peer out of failures
         * is refused before the store is asked (peer_limit.h). */
        long retry_s = 0;
        if (r->req.op == REQUEST_GET && !r->req.u.get.token.ptr) {
            /* The bucket is the certificate's where the peer has one (one
             * key, however many addresses it comes from), else the
             * address's. */
            if (sender.authenticated)
                snprintf (r->peer, sizeof r->peer, "key:%.*s",
                          (int) sizeof r->peer - 5, sender.name);
            else
                snprintf (r->peer, sizeof r->peer, "%s", *address ? address : "local");
            if (!peer_limit_allows (status_limit, r->peer, zclock_mono (), &retry_s)) {
                proto_error_set (&err, PROTO_E_RATE_LIMITED, "query_code",
                                 "too many failed status queries from your %s;"
                                 " retry in %ld s", sender.authenticated ? "key" : "address",
                                 retry_s);
                log_info ("status_rate_limited", "peer=%s retry_s=%ld", r->peer, retry_s);
                s_count_error (m, err.code);
                s_reply_error (router, &r->msg, &err);
                msgpack_unpacked_destroy (&r->unpacked);
                continue;
            }
        }
        bool over_quota = false;
        if (!refuse) {
            char *routing_id = zframe_strhex (zmsg_first (r->msg));
            size_t n = (size_t) (uintptr_t) zhashx_lookup (peers, routing_id);
            over_quota = n >= INTAKE_PEER_PER_BATCH;
            if (!over_quota)
                zhashx_update (peers, routing_id, (void *) (uintptr_t) (n + 1));
            free (routing_id);
        }
        if (refuse || over_quota) {
            if (refuse)
                proto_error_set (&err, PROTO_E_UNAVAILABLE, "",
                                 "the complaint store is not reachable; retry");
            else
                proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "more than %d requests from"
                                 " one peer at once; retry after the answers",
                                 INTAKE_PEER_PER_BATCH);
            stats->failed += r->req.op == REQUEST_SUBMIT;
            s_count_error (m, err.code);
            s_reply_error (router, &r->msg, &err);
            msgpack_unpacked_destroy (&r->unpacked);
            continue;
        }
        batch->count++;
        if (intake_request_batched (r)) {
            submit_item_t *item = &batch->items [batch->nsubmits];
            memset (item, 0, sizeof *item);
            item->submit = &r->req.u.submit;
            item->submitter = r->sender.name;
            /* none given (0): the store stamps its own clock, app_now () */
            item->received_at = r->req.u.submit.received_at;
            batch->submits [batch->nsubmits++] = r;
        }
    }
    zhashx_destroy (&peers);
}

/* A batch came back from its writer: answer every request in it. The
 * store counts as down while its replies say "unavailable"; returns
 * whether this batch's did. */
static bool
s_batch_reply (intake_batch_t *batch, zsock_t *router, s_stats_t *stats, s_metrics_t *m,
               peer_limit_t *status_limit)
{
    if (batch->nsubmits)
        stats->batches++;
    bool unavailable = false;
    for (size_t i = 0; i < batch->nsubmits; i++) {
        submit_item_t *item = &batch->items [i];
        metric_add_at (m->submits, (const char *[]) {
            item->status == SUBMIT_ACCEPTED ? "accepted"
            : item->status == SUBMIT_DUPLICATE ? "duplicate" : "failed" }, 1);
        if (item->status == SUBMIT_ACCEPTED && item->submit->referral.source [0])
            metric_add_at (m->referrals, (const char *[]) { item->submit->referral.source }, 1);
        if (item->status == SUBMIT_FAILED) {
            s_count_error (m, item->err.code);
            unavailable |= item->err.code && streq (item->err.code, PROTO_E_UNAVAILABLE);
        }
        stats->accepted += item->status == SUBMIT_ACCEPTED;
        stats->duplicates += item->status == SUBMIT_DUPLICATE;
        stats->failed += item->status == SUBMIT_FAILED;
        s_reply_submit (router, &batch->submits [i]->msg, item);
    }
    for (size_t i = 0; i < batch->count; i++) {
        intake_request_t *r = &batch->requests [i];
        if (r->req.op == REQUEST_SUBMIT && !intake_request_batched (r)) {
            /* a first contact (first_contact.h): counted as a submit */
            metric_add_at (m->submits, (const char *[]) {
                r->fc_status == SUBMIT_ACCEPTED ? "accepted"
                : r->fc_status == SUBMIT_DUPLICATE ? "duplicate" : "failed" }, 1);
            if (r->fc_status == SUBMIT_ACCEPTED && r->req.u.submit.referral.source [0])
                metric_add_at (m->referrals,
                               (const char *[]) { r->req.u.submit.referral.source }, 1);
            stats->accepted += r->fc_status == SUBMIT_ACCEPTED;
            stats->duplicates += r->fc_status == SUBMIT_DUPLICATE;
            stats->failed += r->fc_status == SUBMIT_FAILED;
            if (r->failed)
                unavailable |= s_count_reply_error (m, &r->reply);
            s_reply (router, &r->msg, &r->reply);
        }
        else
        if (r->req.op != REQUEST_SUBMIT) {
            stats->gets += r->req.op == REQUEST_GET;
            stats->queues += r->req.op == REQUEST_QUEUE;
            stats->acts += r->req.op == REQUEST_ACT && !r->failed;
            stats->refused += r->req.op == REQUEST_ACT && r->failed;
            if (r->failed)
                unavailable |= s_count_reply_error (m, &r->reply);
            if (r->status_miss)
                peer_limit_charge (status_limit, r->peer, zclock_mono ());
            s_reply (router, &r->msg, &r->reply);
        }
        msgpack_unpacked_destroy (&r->unpacked);
        zmsg_destroy (&r->msg);
    }
    batch->count = batch->nsubmits = 0;
    if (unavailable)
        daemon_store_down (m->daemon, "a batch found the store unreachable");
    else
        daemon_store_up (m->daemon);
    daemon_pass_done (m->daemon);
    return unavailable;
}

static intake_batch_t *
s_batch_new (size_t capacity)
{
    intake_batch_t *batch = calloc (1, sizeof *batch);
    assert (batch);
    batch->capacity = capacity;
    batch->requests = calloc (capacity, sizeof *batch->requests);
    batch->items = calloc (capacity, sizeof *batch->items);
    batch->submits = calloc (capacity, sizeof *batch->submits);
    assert (batch->requests && batch->items && batch->submits);
    for (size_t i = 0; i < capacity; i++)
        msgpack_sbuffer_init (&batch->requests [i].reply);
    return batch;
}

static void
s_batch_destroy (intake_batch_t **batch_p)
{
    intake_batch_t *batch = *batch_p;
    if (!batch)
        return;
    for (size_t i = 0; i < batch->capacity; i++)
        msgpack_sbuffer_destroy (&batch->requests [i].reply);
    free (batch->requests);
    free (batch->items);
    free (batch->submits);
    free (batch);
    *batch_p = NULL;
}

static void
s_log_stats (s_stats_t *stats)
{
    log_info ("stats", "requests=%llu accepted=%llu duplicates=%llu rejected=%llu failed=%llu "
              "gets=%llu acts=%llu acts_refused=%llu queues=%llu batches=%llu avg_batch=%.1f",
              (unsigned long long) stats->requests, (unsigned long long) stats->accepted,
              (unsigned long long) stats->duplicates, (unsigned long long) stats->rejected,
              (unsigned long long) stats->failed, (unsigned long long) stats->gets,
              (unsigned long long) stats->acts, (unsigned long long) stats->refused,
              (unsigned long long) stats->queues,
              (unsigned long long) stats->batches,
              stats->batches ? (double) (stats->accepted + stats->duplicates + stats->failed)
                               / (double) stats->batches : 0.0);
}

/* issue 16 follow-up (vetting2): what SIGHUP reloads — the vetting policy
 * (when one is given) and the calendars, each swapped in or refused on its
 * own (each logs its line); -1 when either was refused. */
typedef struct {
    vetting_holder_t *vetting;
    intake_calendars_t *calendars;
} s_reload_t;

static int
s_reload (void *arg)
{
    s_reload_t *self = arg;
    int rc = self->vetting ? vetting_holder_reload (self->vetting) : 0;
    if (intake_calendars_reload (self->calendars))
        rc = -1;
    return rc;
}

/* intake --selftest: the pure checks first, then those that need the
 * store (PG* variables: a migrated database), on a store session as the
 * writers use. A session waits for a store that does not answer; a self-test
 * must fail at once instead, so one plain connection is tried first. */
static int
s_selftest (bool verbose)
{
    int passed = 0;
    int failed = envelope_test (verbose, &passed);
    failed += peer_limit_test (verbose, &passed);
    case_vetting_test (verbose);            /* issue 16 (i16-vetting): asserts */
    passed++;
    failed += case_scrub_test (verbose, &passed);      /* issue 16 (i16-records) */
    case_task_due_test (verbose, &passed, &failed);            /* issue 16 (i16-tasks) */
    failed += review_window_test (verbose, NULL, &passed);     /* issue 16 follow-up (watchdog2) */
    failed += intake_calendars_test (verbose, &passed);        /* issue 16 follow-up (vetting2) */
    PGconn *probe = PQconnectdb ("");
    pg_session_t *pg = NULL;
    if (PQstatus (probe) != CONNECTION_OK) {
        printf ("  FAIL the store (PG* variables): %s", PQerrorMessage (probe));
        failed++;
    }
    else
    if (!(pg = pg_session_new ("", "intake-selftest", 0))) {
        printf ("  FAIL the store session (interrupted)\n");
        failed++;
    }
    else
    if (test_org_create (pg_session_conn (pg))) {
        printf ("  FAIL the self-test organisation could not be written\n");
        failed++;
    }
    else {
        failed += staff_auth_test (verbose, pg, &passed);
        failed += case_action_test (verbose, pg, &passed);
        failed += case_view_test (verbose, pg, &passed);
    }
    pg_session_destroy (&pg);
    PQfinish (probe);
    printf ("intake selftest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("intake", s_opts,
        "intake --selftest [--verbose]   (against the database in PG*)\n"
        "intake --seal-identity [--reseal]   (seal older rows' identity, then exit)\n"
        "COMPLAINTS_PSEUDONYM_KEY (required, >= 16 characters) keys the customer pseudonym;\n"
        "--identity-key-file (required) seals the customer's identity and hashes query codes");
    int prc = daemon_parse (daemon, argc, argv);
    if (prc) {
        daemon_destroy (&daemon);
        return prc > 0 ? 0 : 2;
    }
    if (daemon_bool (daemon, "selftest")) {
        int rc = s_selftest (daemon_bool (daemon, "verbose"));
        daemon_destroy (&daemon);
        return rc;
    }
    const char *endpoint = daemon_str (daemon, "endpoint");
    const char *conninfo = daemon_str (daemon, "pg");
    long max_batch = daemon_long (daemon, "batch");
    long nwriters = daemon_long (daemon, "writers");
    const char *tz_name = daemon_str (daemon, "timezone");
    if (privacy_key_load (getenv (PRIVACY_KEY_ENV))) {
        log_error ("bad_config", "field=%s reason=\"missing or shorter than 16 characters\"",
                   PRIVACY_KEY_ENV);
        daemon_destroy (&daemon);
        return 2;
    }
    char why [400];
    identity_seal_t *seal = identity_seal_load (daemon_str (daemon, "identity-key-file"),
                                                why, sizeof why);
    if (!seal) {
        char q [500];
        log_error ("bad_config", "field=" IDENTITY_KEY_FLAG " env=" IDENTITY_KEY_ENV
                   " reason=%s", log_quote (q, sizeof q, why));
        fprintf (stderr, "intake: " IDENTITY_KEY_FLAG ": %s\n", why);
        daemon_destroy (&daemon);
        return 2;
    }
    if (daemon_bool (daemon, "seal-identity")) {
        int rc = identity_upgrade_run (conninfo, seal, daemon_bool (daemon, "reseal"));
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return rc ? 1 : 0;
    }
    /* issue 16 (i16-vetting): the vetting policy, read before the writers
     * start; SIGHUP reloads it (case_vetting.h, vetting_holder_*) */
    vetting_holder_t *vetting = NULL;
    const char *vetting_path = daemon_str (daemon, "vetting-policy");
    if (*vetting_path) {
        char vwhy [400];
        vetting = vetting_holder_new (vetting_path, vwhy, sizeof vwhy);
        if (!vetting) {
            char q [500];
            log_error ("bad_config", "field=vetting-policy reason=%s",
                       log_quote (q, sizeof q, vwhy));
            fprintf (stderr, "intake: --vetting-policy: %s\n", vwhy);
            identity_seal_destroy (&seal);
            daemon_destroy (&daemon);
            return 2;
        }
    }
    /* issue 16 (i16-tasks): calendars for a task's deadline; a folder that
     * does not load leaves tasks' spans refused (field due), not intake down.
     * issue 16 follow-up (vetting2): reloaded on SIGHUP with the vetting
     * policy (intake_calendars.h; s_reload) */
    intake_calendars_t *calendars = intake_calendars_new (daemon_str (daemon, "calendars"),
                                                          daemon_str (daemon, "default-calendar"));
    s_reload_t reload = { vetting, calendars };
    daemon_on_reload (daemon, s_reload, &reload);                       /* SIGHUP */
    case_view_cfg_t view_cfg = {
        .seal = seal, .case_failures = daemon_long (daemon, "status-case-failures"),
        .review_window_days = daemon_long (daemon, "review-window-days"),
        .timezone = tz_name,
        .retention_years = daemon_long (daemon, "retention-years"),    /* issue 16 (i16-records) */
        .evidence_part_hours = daemon_long (daemon, "evidence-part-hours"),  /* adapters2 */
        .evidence_sweep_s = daemon_long (daemon, "evidence-sweep-s")
    };
    /* issue 16 (i16-followup): the survey link made at a decision */
    case_followup_init (seal, daemon_long (daemon, "survey-days"));
    peer_limit_t *status_limit = peer_limit_new ((size_t) daemon_long (daemon, "status-peers"),
                                                 daemon_long (daemon, "status-failures"),
                                                 1000 * daemon_long (daemon, "status-refill-s"));
    s_metrics_t metrics;
    s_metrics_declare (&metrics, daemon);
    if (daemon_start (daemon)) {
        peer_limit_destroy (&status_limit);
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 1;
    }
    setenv ("TZ", tz_name, 1);
    tzset ();

    zsys_set_logstream (NULL);
    /* Secured before anything else is started: a transport the operator
     * did not mean (plaintext off loopback) or a missing key stops intake
     * here, with the reason. */
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (curve_server (curve_default (), router, CURVE_INTAKE, endpoint)) {
        char q [600];
        log_error ("curve_refused", "endpoint=%s reason=%s", endpoint,
                   log_quote (q, sizeof q, curve_error (curve_default ())));
        zsock_destroy (&router);
        peer_limit_destroy (&status_limit);
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 2;
    }
    batch_writer_t *writers [16] = { NULL };
    intake_batch_t *batches [16] = { NULL };       /* batches [i] belongs to writers [i] */
    bool busy [16] = { false };
    for (long i = 0; i < nwriters; i++) {
        writers [i] = batch_writer_new (conninfo, &view_cfg);
        if (!writers [i]) {
            while (i-- > 0) {
                batch_writer_destroy (&writers [i]);
                s_batch_destroy (&batches [i]);
            }
            zsock_destroy (&router);
            peer_limit_destroy (&status_limit);
            identity_seal_destroy (&seal);
            daemon_destroy (&daemon);
            return 1;
        }
        batches [i] = s_batch_new ((size_t) max_batch);
    }
    daemon_store_up (daemon);           /* every writer is connected */
    int64_t sent_at [16] = { 0 };       /* when each busy writer got its batch */
    intake_batch_t *refusals = s_batch_new ((size_t) max_batch);   /* scratch, see s_batch_fill */
    /* What one peer can make intake hold (docs/intake.md, "Bounded memory"):
     * libzmq refuses a frame over INTAKE_MAX_FRAME by closing that peer's
     * connection before it allocates the frame; a peer's queue holds at most
     * INTAKE_PEER_RCVHWM requests (then libzmq stops reading its TCP
     * connection: back-pressure, nothing lost) and INTAKE_PEER_SNDHWM
     * replies it has not read (then its replies are dropped: it resends). */
    zsock_set_maxmsgsize (router, INTAKE_MAX_FRAME);
    zsock_set_rcvhwm (router, INTAKE_PEER_RCVHWM);
    zsock_set_sndhwm (router, INTAKE_PEER_SNDHWM);
    zsock_set_rcvtimeo (router, 0);
    int rc = 0;
    if (zsock_bind (router, "%s", endpoint) < 0) {
        log_error ("bind_failed", "endpoint=%s error=\"%s\"", endpoint, zmq_strerror (zmq_errno ()));
        rc = 1;
        zsys_interrupted = 1;
    }
    else
        log_info ("started", "endpoint=%s batch=%ld writers=%ld timezone=%s curve=%s key=%s",
                  endpoint, max_batch, nwriters, tz_name,
                  curve_on (curve_default ()) ? "on" : "off", CURVE_INTAKE);

    s_stats_t stats = { 0 };
    bool store_down = false;            /* the last batch back said "unavailable" */
    int64_t next_stats = zclock_time () + 10000;
    /* On SIGTERM stop taking requests, but wait for every batch in a writer
     * and answer it: those complaints may already be committed. */
    while (true) {
        bool stopping = zsys_interrupted;
        long nbusy = 0, free_writer = -1;
        for (long i = 0; i < nwriters; i++) {
            nbusy += busy [i];
            if (!busy [i] && free_writer < 0)
                free_writer = i;
        }
        if (stopping && nbusy == 0)
            break;
        if (nbusy == 0) {
            vetting_holder_idle (vetting);      /* issue 16: replaced policies */
            intake_calendars_idle (calendars);  /* issue 16 follow-up (vetting2) */
        }
        zmq_pollitem_t poll [17];
        for (long i = 0; i < nwriters; i++)
            poll [i] = (zmq_pollitem_t) { batch_writer_sock (writers [i]), 0, ZMQ_POLLIN, 0 };
        /* While the store is down and every writer is busy (each trying
         * it), requests are still read and answered "unavailable" at once. */
        bool can_take = !stopping && (free_writer >= 0 || store_down);
        if (can_take)
            poll [nwriters] = (zmq_pollitem_t) { zsock_resolve (router), 0, ZMQ_POLLIN, 0 };
        daemon_wait (daemon, 1000, poll, (int) nwriters + (can_take ? 1 : 0));
        for (long i = 0; i < nwriters; i++) {
            if (!(poll [i].revents & ZMQ_POLLIN))
                continue;
            intake_batch_t *done = batch_writer_recv (writers [i]);
            if (done) {
                daemon_observe (daemon, "batch", (double) (zclock_usecs () - sent_at [i]) / 1e6);
                store_down = s_batch_reply (done, router, &stats, &metrics, status_limit);
                busy [i] = false;
                if (free_writer < 0)
                    free_writer = i;
            }
        }
        if (can_take && (poll [nwriters].revents & ZMQ_POLLIN) && free_writer < 0)
            s_batch_fill (refusals, router, &stats, &metrics, status_limit, true);
        else
        if (can_take && (poll [nwriters].revents & ZMQ_POLLIN)) {
            s_batch_fill (batches [free_writer], router, &stats, &metrics, status_limit, false);
            if (batches [free_writer]->count > 0) {
                metric_observe (metrics.batch_size, (double) batches [free_writer]->count);
                sent_at [free_writer] = zclock_usecs ();
                batch_writer_send (writers [free_writer], batches [free_writer]);
                busy [free_writer] = true;
            }
        }
        long now_busy = 0;
        for (long i = 0; i < nwriters; i++)
            now_busy += busy [i];
        metric_set (metrics.writers_busy, (double) now_busy);
        if (zclock_time () >= next_stats) {
            if (stats.requests)
                s_log_stats (&stats);
            next_stats = zclock_time () + 10000;
        }
    }
    s_log_stats (&stats);
    log_info ("stopping", "reason=signal");
    zsock_set_linger (router, 1000);
    zsock_destroy (&router);
    for (long i = 0; i < nwriters; i++) {
        batch_writer_destroy (&writers [i]);
        s_batch_destroy (&batches [i]);
    }
    s_batch_destroy (&refusals);
    peer_limit_destroy (&status_limit);
    identity_seal_destroy (&seal);
    vetting_holder_destroy (&vetting);
    intake_calendars_destroy (&calendars);         /* issue 16 follow-up (vetting2) */
    daemon_destroy (&daemon);
    return rc;
}
