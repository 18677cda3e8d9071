/*  client.c — the request/reply client every complaintctl subcommand uses.
 *
 *  Intake and the bus replay socket are ROUTERs that echo every frame up to
 *  the empty delimiter. We talk to them through a DEALER and put an 8-byte
 *  correlation tag in front: [tag]["" ][request] comes back as
 *  [tag]["" ][reply]. That one shape serves both uses:
 *    - a single call (submit, get, one replay page): send, then wait for the
 *      reply carrying our tag, dropping any stale reply to an earlier
 *      attempt that arrives late;
 *    - a pipeline (import): many requests in flight, replies matched to rows
 *      by tag in whatever order they come back.
 *  A REQ socket would lock up after a lost reply; a DEALER never does, and
 *  with linger 0 and a poll timeout on every wait the tool cannot hang on a
 *  dead server.
 */
#include "ctl.h"
#include "curve.h"
#include "event.h"
#include "msgpack_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct _ctl_client_t {
    zsock_t *dealer;
    char *endpoint;
    uint64_t next_tag;          /* for ctl_client_call */
};

ctl_client_t *
ctl_client_new (const char *server, const char *endpoint)
{
    assert (server && endpoint);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer) {
        fprintf (stderr, "complaintctl: cannot create a ZeroMQ socket\n");
        return NULL;
    }
    zsock_set_linger (dealer, 0);       /* never wait on exit for a dead peer */
    zsock_set_maxmsgsize (dealer, CTL_MAX_REPLY);
    zsock_set_sndhwm (dealer, 10000);
    zsock_set_rcvhwm (dealer, 10000);
    if (curve_client (curve_default (), dealer, server, endpoint)) {
        fprintf (stderr, "complaintctl: %s\n", curve_error (curve_default ()));
        zsock_destroy (&dealer);
        return NULL;
    }
    if (zsock_connect (dealer, "%s", endpoint)) {
        fprintf (stderr, "complaintctl: invalid endpoint \"%s\"\n", endpoint);
        zsock_destroy (&dealer);
        return NULL;
    }
    ctl_client_t *self = (ctl_client_t *) zmalloc (sizeof *self);
    self->dealer = dealer;
    self->endpoint = strdup (endpoint);
    /* Each DEALER is its own peer at the ROUTER, so only our own requests
     * can come back to us: tags need to be unique within this process only. */
    self->next_tag = 1;
    return self;
}

void
ctl_client_destroy (ctl_client_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        ctl_client_t *self = *self_p;
        zsock_destroy (&self->dealer);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

int
ctl_client_send (ctl_client_t *self, uint64_t tag, const void *data, size_t size)
{
    assert (self);
    void *handle = zsock_resolve (self->dealer);
    unsigned char frame [8];
    event_seq_put (frame, tag);
    /* ZeroMQ delivers a multipart message whole or not at all: once the
     * first part is accepted, the rest cannot fail for lack of room. */
    if (zmq_send (handle, frame, sizeof frame, ZMQ_SNDMORE | ZMQ_DONTWAIT) != (int) sizeof frame)
        return -1;
    zmq_send (handle, "", 0, ZMQ_SNDMORE);
    zmq_send (handle, data, size, 0);
    return 0;
}

int
ctl_client_recv (ctl_client_t *self, int timeout_ms, uint64_t *tag, zframe_t **reply)
{
    assert (self);
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    while (true) {
        if (zsys_interrupted)
            return -1;
        int64_t left = deadline - zclock_mono ();
        if (left < 0)
            left = 0;
        zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc < 0) {
            if (errno == EINTR && !zsys_interrupted)
                continue;
            return -1;
        }
        if (rc == 0)
            return 0;
        zmsg_t *msg = zmsg_recv (self->dealer);
        if (!msg)
            return zsys_interrupted ? -1 : 0;
        zframe_t *tag_frame = zmsg_first (msg);
        zframe_t *empty = zmsg_next (msg);
        if (zmsg_size (msg) == 3 && zframe_size (tag_frame) == 8 && zframe_size (empty) == 0) {
            *tag = event_seq_get (zframe_data (tag_frame));
            zmsg_next (msg);
            *reply = zmsg_last (msg);
            zmsg_remove (msg, *reply);
            zmsg_destroy (&msg);
            return 1;
        }
        /* Not an envelope we sent: nothing can be matched to it. */
        zmsg_destroy (&msg);
    }
}

int
ctl_client_call (ctl_client_t *self, const void *data, size_t size, int timeout_ms,
                 zframe_t **reply)
{
    assert (self);
    uint64_t want = self->next_tag++;
    int64_t deadline = zclock_mono () + timeout_ms;
    if (ctl_client_send (self, want, data, size)) {
        fprintf (stderr, "complaintctl: cannot queue a request to %s\n", self->endpoint);
        return CTL_EXIT_UNREACHABLE;
    }
    while (true) {
        int64_t left = deadline - zclock_mono ();
        uint64_t tag = 0;
        int rc = left > 0 ? ctl_client_recv (self, (int) left, &tag, reply) : 0;
        if (rc == 1 && tag == want)
            return CTL_EXIT_OK;
        if (rc == 1) {
            zframe_destroy (reply);         /* a late reply to an earlier request */
            continue;
        }
        if (rc == 0)
            fprintf (stderr, "complaintctl: no reply from %s within %d ms\n",
                     self->endpoint, timeout_ms);
        else
            fprintf (stderr, "complaintctl: interrupted\n");
        return CTL_EXIT_UNREACHABLE;
    }
}

int
ctl_reply_decode (zframe_t *frame, msgpack_unpacked *msg, proto_error_t *err)
{
    /* Replies nest deeper than requests (events inside a replay page). */
    if (proto_unpack (zframe_data (frame), zframe_size (frame), CTL_MAX_REPLY,
                      EVENT_MAX_DEPTH, msg, err))
        return -1;
    if (msg->data.type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_NOT_A_MAP, "", "reply is not a map");
        return -1;
    }
    return 0;
}

bool
ctl_reply_ok (const msgpack_object *reply)
{
    const msgpack_object *ok = proto_map_get (reply, "ok");
    return ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
}

void
ctl_reply_print_error (const char *what, const msgpack_object *reply)
{
    const msgpack_object *error = proto_map_get (reply, "error");
    proto_str_t code = { 0 }, field = { 0 }, message = { 0 };
    proto_error_t ignore = { 0 };
    if (error && error->type == MSGPACK_OBJECT_MAP) {
        proto_get_str (error, "code", "code", false, 0, 256, &code, &ignore);
        proto_get_str (error, "field", "field", false, 0, 256, &field, &ignore);
        proto_get_str (error, "message", "message", false, 0, 4096, &message, &ignore);
    }
    fprintf (stderr, "complaintctl %s: error %.*s", what,
             code.ptr ? (int) code.len : 7, code.ptr ? code.ptr : "unknown");
    if (field.ptr && field.len)
        fprintf (stderr, " field=%.*s", (int) field.len, field.ptr);
    if (message.ptr)
        fprintf (stderr, ": %.*s", (int) message.len, message.ptr);
    fprintf (stderr, "\n");
}

int
ctl_request (const char *server, const char *endpoint, const msgpack_sbuffer *buf,
             int timeout_ms, zframe_t **frame, msgpack_unpacked *msg)
{
    ctl_client_t *client = ctl_client_new (server, endpoint);
    if (!client)
        return CTL_EXIT_USAGE;
    int rc = ctl_client_call (client, buf->data, buf->size, timeout_ms, frame);
    ctl_client_destroy (&client);
    if (rc != CTL_EXIT_OK)
        return rc;
    proto_error_t err = { 0 };
    if (ctl_reply_decode (*frame, msg, &err)) {
        fprintf (stderr, "complaintctl: unreadable reply from %s: %s\n", endpoint, err.message);
        zframe_destroy (frame);
        return CTL_EXIT_REPLY;
    }
    return CTL_EXIT_OK;
}

int
ctl_request_json (const char *server, const char *endpoint, const msgpack_sbuffer *buf,
                  int timeout_ms, json_t **reply)
{
    zframe_t *frame = NULL;
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = ctl_request (server, endpoint, buf, timeout_ms, &frame, &msg);
    if (rc == CTL_EXIT_OK) {
        proto_error_t err = { 0 };
        *reply = msgpack_json_from_object (&msg.data, &err);
        if (!*reply) {
            fprintf (stderr, "complaintctl: unreadable reply from %s: %s\n", endpoint, err.message);
            rc = CTL_EXIT_REPLY;
        }
    }
    msgpack_unpacked_destroy (&msg);
    zframe_destroy (&frame);
    return rc;
}

int
ctl_reply_json_error (const char *what, const json_t *reply)
{
    const json_t *error = json_object_get (reply, "error");
    const char *code = json_string_value (json_object_get (error, "code"));
    const char *field = json_string_value (json_object_get (error, "field"));
    const char *message = json_string_value (json_object_get (error, "message"));
    fprintf (stderr, "complaintctl %s: error %s", what, code ? code : "unknown");
    if (field && *field)
        fprintf (stderr, " field=%s", field);
    if (message)
        fprintf (stderr, ": %s", message);
    /* conflict and invalid_transition say where the case is now, so the
     * person can look again and decide (PROTOCOL.md, act) */
    const char *state = json_string_value (json_object_get (reply, "state"));
    const json_t *version = json_object_get (reply, "version");
    /* unless the message already says so */
    char now [64] = "";
    if (json_is_integer (version))
        snprintf (now, sizeof now, "version %" JSON_INTEGER_FORMAT, json_integer_value (version));
    bool said = message && state && *now && strstr (message, state) && strstr (message, now);
    if ((state || json_is_integer (version)) && !said) {
        fprintf (stderr, " (the case is now %s", state ? state : "?");
        if (json_is_integer (version))
            fprintf (stderr, ", version %" JSON_INTEGER_FORMAT, json_integer_value (version));
        fprintf (stderr, ")");
    }
    fprintf (stderr, "\n");
    /* the store was down: the same command may simply be run again */
    return code && strcmp (code, PROTO_E_UNAVAILABLE) == 0 ? CTL_EXIT_UNREACHABLE
                                                           : CTL_EXIT_REPLY;
}

bool
ctl_json_ok (const json_t *reply)
{
    return json_is_true (json_object_get (reply, "ok"));
}
