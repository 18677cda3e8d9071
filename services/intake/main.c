/*  intake — the pipeline's write API for complaints.
 *
 *  A ROUTER socket takes requests from channel adapters and staff tools
 *  (proto/PROTOCOL.md). The loop is group commit in its simplest form:
 *  wait for a request, then take every request already queued (up to
 *  --batch), answer the malformed ones at once, write all submits in one
 *  transaction, and answer each only after COMMIT. While one batch is being
 *  written, ZeroMQ's I/O thread keeps queueing the next, so batches grow with
 *  load and the cost of each fsync is shared by everything that arrived
 *  meanwhile; at low load a batch is a single request and latency is one
 *  commit.
 *
 *  Envelope: every frame before the empty delimiter is echoed back untouched
 *  (the peer identity, plus any correlation tag a DEALER client put there),
 *  then the one reply frame.
 */
#include "cfg.h"
#include "complaint_store.h"
#include "log.h"
#include "privacy.h"
#include "request.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef struct {
    zmsg_t *msg;                /* the whole request, envelope and body */
    msgpack_unpacked unpacked;  /* decoded body; strings point into msg */
    request_t req;
} s_pending_t;

typedef struct {
    uint64_t requests, accepted, duplicates, rejected, failed, batches, gets;
} s_stats_t;

static int64_t
s_now_ms (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
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
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_cstr (&pk, "complaint_no", item->complaint_no);
    proto_pack_kv_bool (&pk, "duplicate", item->status == SUBMIT_DUPLICATE);
    s_reply (router, msg_p, &buf);
    msgpack_sbuffer_destroy (&buf);
}

/* A request must be [envelope...]["" ][body]; anything else is not ours
 * to answer (we could not address the reply), so it is dropped. */
static bool
s_envelope_valid (zmsg_t *msg)
{
    size_t n = zmsg_size (msg);
    if (n < 3)
        return false;
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; i < n - 1; i++, frame = zmsg_next (msg))
        if (i > 0 && zframe_size (frame) == 0)
            return i == n - 2;
    return false;
}

static void
s_handle_get (zsock_t *router, complaint_store_t *store, s_pending_t *p, s_stats_t *stats)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_error_t err = { 0 };
    if (complaint_store_get (store, p->req.u.get.complaint_no, &buf, &err) == 0)
        s_reply (router, &p->msg, &buf);
    else
        s_reply_error (router, &p->msg, &err);
    msgpack_sbuffer_destroy (&buf);
    stats->gets++;
}

static void
s_log_stats (s_stats_t *stats)
{
    log_info ("stats", "requests=%llu accepted=%llu duplicates=%llu rejected=%llu failed=%llu "
              "gets=%llu batches=%llu avg_batch=%.1f",
              (unsigned long long) stats->requests, (unsigned long long) stats->accepted,
              (unsigned long long) stats->duplicates, (unsigned long long) stats->rejected,
              (unsigned long long) stats->failed, (unsigned long long) stats->gets,
              (unsigned long long) stats->batches,
              stats->batches ? (double) (stats->accepted + stats->duplicates + stats->failed)
                               / (double) stats->batches : 0.0);
}

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: intake [--endpoint EP] [--pg CONNINFO] [--batch N] [--timezone TZ]\n"
        "  --endpoint  ROUTER endpoint to bind (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --pg        libpq conninfo (COMPLAINTS_PG, default: PG* variables)\n"
        "  --batch     most requests per transaction (COMPLAINTS_INTAKE_BATCH, default 1000)\n"
        "  --timezone  bank's time zone for complaint-number dates (COMPLAINTS_TIMEZONE,\n"
        "              default Asia/Shanghai)\n"
        "  COMPLAINTS_PSEUDONYM_KEY (required, >= 16 chars) keys the customer pseudonym.\n",
        CFG_INTAKE_ENDPOINT);
}

int
main (int argc, char **argv)
{
    if (cfg_flag (argc, argv, "--help") || cfg_flag (argc, argv, "-h")) {
        s_usage ();
        return 0;
    }
    log_init ("intake");
    const char *endpoint = cfg_str (argc, argv, "--endpoint", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);
    const char *conninfo = cfg_str (argc, argv, "--pg", CFG_ENV_PG, "");
    long max_batch = cfg_long (argc, argv, "--batch", "COMPLAINTS_INTAKE_BATCH", 1000);
    const char *tz_name = cfg_str (argc, argv, "--timezone", "COMPLAINTS_TIMEZONE", "Asia/Shanghai");
    if (max_batch < 1 || max_batch > 10000) {
        log_error ("bad_config", "field=batch reason=\"must be 1..10000\"");
        return 2;
    }
    if (privacy_key_load (getenv (PRIVACY_KEY_ENV))) {
        log_error ("bad_config", "field=%s reason=\"missing or shorter than 16 characters\"",
                   PRIVACY_KEY_ENV);
        return 2;
    }
    setenv ("TZ", tz_name, 1);
    tzset ();

    zsys_init ();
    zsys_set_logstream (NULL);
    complaint_store_t *store = complaint_store_new (conninfo);
    if (!store)
        return 1;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvhwm (router, 100000);
    zsock_set_sndhwm (router, 100000);
    zsock_set_rcvtimeo (router, 0);
    if (zsock_bind (router, "%s", endpoint) < 0) {
        log_error ("bind_failed", "endpoint=%s error=\"%s\"", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&router);
        complaint_store_destroy (&store);
        return 1;
    }
    log_info ("started", "endpoint=%s batch=%ld timezone=%s", endpoint, max_batch, tz_name);

    s_pending_t *pending = calloc ((size_t) max_batch, sizeof *pending);
    submit_item_t *items = calloc ((size_t) max_batch, sizeof *items);
    s_pending_t **submits = calloc ((size_t) max_batch, sizeof *submits);
    s_stats_t stats = { 0 };
    int64_t next_stats = s_now_ms () + 10000;

    while (!zsys_interrupted) {
        zmq_pollitem_t poll = { zsock_resolve (router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&poll, 1, 1000) < 0 && zmq_errno () != EINTR)
            break;
        if (s_now_ms () >= next_stats) {
            if (stats.requests)
                s_log_stats (&stats);
            next_stats = s_now_ms () + 10000;
        }
        /* Take everything queued, up to one batch. */
        size_t npending = 0, nsubmits = 0;
        while (npending < (size_t) max_batch) {
            zmsg_t *msg = zmsg_recv (router);
            if (!msg)
                break;
            stats.requests++;
            if (!s_envelope_valid (msg)) {
                log_warn ("request_dropped", "reason=\"no empty delimiter before the body\"");
                zmsg_destroy (&msg);
                continue;
            }
            s_pending_t *p = &pending [npending];
            p->msg = msg;
            msgpack_unpacked_init (&p->unpacked);
            zframe_t *body = zmsg_last (msg);
            proto_error_t err = { 0 };
            if (request_decode (zframe_data (body), zframe_size (body), &p->unpacked, &p->req, &err)) {
                stats.rejected++;
                char q [300];
                log_debug ("request_rejected", "code=%s field=%s message=%s", err.code, err.field,
                           log_quote (q, sizeof q, err.message));
                s_reply_error (router, &p->msg, &err);
                msgpack_unpacked_destroy (&p->unpacked);
                continue;
            }
            npending++;
            if (p->req.op == REQUEST_SUBMIT) {
                submit_item_t *item = &items [nsubmits];
                memset (item, 0, sizeof *item);
                item->submit = &p->req.u.submit;
                item->received_at = p->req.u.submit.received_at
                                  ? p->req.u.submit.received_at : s_now_ms ();
                submits [nsubmits++] = p;
            }
        }
        /* One transaction for every submit; replies after COMMIT. */
        if (nsubmits) {
            complaint_store_submit_batch (store, items, nsubmits);
            stats.batches++;
            for (size_t i = 0; i < nsubmits; i++) {
                stats.accepted += items [i].status == SUBMIT_ACCEPTED;
                stats.duplicates += items [i].status == SUBMIT_DUPLICATE;
                stats.failed += items [i].status == SUBMIT_FAILED;
                s_reply_submit (router, &submits [i]->msg, &items [i]);
            }
        }
        for (size_t i = 0; i < npending; i++) {
            if (pending [i].req.op == REQUEST_GET)
                s_handle_get (router, store, &pending [i], &stats);
            msgpack_unpacked_destroy (&pending [i].unpacked);
            zmsg_destroy (&pending [i].msg);
        }
    }
    s_log_stats (&stats);
    log_info ("stopping", "reason=signal");
    zsock_set_linger (router, 1000);
    zsock_destroy (&router);
    complaint_store_destroy (&store);
    free (submits);
    free (items);
    free (pending);
    return 0;
}
