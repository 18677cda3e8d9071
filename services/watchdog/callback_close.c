/*  callback_close.c — ask intake to close the cases whose call-back period
 *  ran out (see callback_close.h for the design).
 *
 *  One blocking call per case, each bounded (S_CALL_MS): the list is what
 *  came due since the last tick, a handful, and a tick that waits on intake
 *  for a moment delays nothing another watchdog could not do. A reply that
 *  does not come is not retried here, and the rest of the list waits: the
 *  cases are still on the list next tick, and an intake outage costs a tick
 *  one wait, not one per case.
 */
#include "callback_close.h"
#include "intake_client.h"
#include "log.h"
#include "proto.h"

#include <assert.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH   64
#define S_CALL_MS 3000

struct _callback_close_t {
    intake_client_t *client;
};

callback_close_t *
callback_close_new (const char *endpoint)
{
    if (!endpoint || !*endpoint || strcmp (endpoint, "none") == 0)
        return NULL;
    char err [256];
    intake_client_opts_t opts = { .window = 8, .timeout_ms = S_CALL_MS, .attempts = 1 };
    intake_client_t *client = intake_client_new (NULL, NULL, endpoint, &opts, err, sizeof err);
    if (!client) {
        log_error ("callback_close_off", "endpoint=%s reason=%s", endpoint, err);
        return NULL;
    }
    callback_close_t *self = calloc (1, sizeof *self);
    assert (self);
    self->client = client;
    return self;
}

void
callback_close_destroy (callback_close_t **self_p)
{
    if (*self_p) {
        intake_client_destroy (&(*self_p)->client);
        free (*self_p);
        *self_p = NULL;
    }
}

/* The act: close as no_answer at the version read, no token (the key says
 * who asks). */
static void
s_pack_close (msgpack_sbuffer *buf, const char *no, int64_t version)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    proto_pack_kv_cstr (&pk, "op", "act");
    proto_pack_kv_cstr (&pk, "complaint_no", no);
    proto_pack_kv_cstr (&pk, "action", "close");
    proto_pack_kv_int (&pk, "version", version);
    proto_pack_kv_cstr (&pk, "reason", "no_answer");
    proto_pack_kv_cstr (&pk, "text", "the call-back period ended without an answer "
                                     "(closed by the watchdog)");
}

/* "ok", or the error code of the reply ("?" when unreadable). */
static void
s_reply_code (zframe_t *reply, char *code, size_t size)
{
    snprintf (code, size, "?");
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    if (msgpack_unpack_next (&msg, (const char *) zframe_data (reply), zframe_size (reply), NULL)
        == MSGPACK_UNPACK_SUCCESS && msg.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *ok = proto_map_get (&msg.data, "ok");
        const msgpack_object *error = proto_map_get (&msg.data, "error");
        const msgpack_object *c = error && error->type == MSGPACK_OBJECT_MAP
                                ? proto_map_get (error, "code") : NULL;
        if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean)
            snprintf (code, size, "ok");
        else
        if (c && c->type == MSGPACK_OBJECT_STR)
            snprintf (code, size, "%.*s", (int) c->via.str.size, c->via.str.ptr);
    }
    msgpack_unpacked_destroy (&msg);
}

int
callback_close_run (callback_close_t *self, sla_store_t *store)
{
    if (!self)
        return 0;
    char nos [S_BATCH][SLA_STORE_NO_SIZE];
    int64_t versions [S_BATCH];
    int n = sla_store_callback_due (store, S_BATCH, nos, versions);
    if (n < 0)
        return -1;
    int closed = 0;
    for (int i = 0; i < n && !zsys_interrupted; i++) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        s_pack_close (&buf, nos [i], versions [i]);
        zframe_t *reply = NULL;
        int rc = intake_client_call (self->client, buf.data, buf.size, S_CALL_MS, &reply);
        msgpack_sbuffer_destroy (&buf);
        char code [32] = "no_reply";
        if (rc == 0 && reply)
            s_reply_code (reply, code, sizeof code);
        zframe_destroy (&reply);
        //  conflict / invalid_transition: another watchdog closed it, or
        //  the customer answered meanwhile; either way it leaves the list
        if (strcmp (code, "ok") == 0) {
            closed++;
            log_info ("callback_closed", "complaint_no=%s reason=no_answer", nos [i]);
        }
        else
            log_info ("callback_close_refused", "complaint_no=%s code=%s", nos [i], code);
        //  intake not answering: the rest waits for the next tick, so the
        //  SLA timers are not held up by an outage (at most one wait)
        if (strcmp (code, "no_reply") == 0 || strcmp (code, PROTO_E_UNAVAILABLE) == 0)
            break;
    }
    return closed;
}
