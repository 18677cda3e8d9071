/*  client.c — the request/reply calls every complaintctl subcommand uses.
 *
 *  The transport is common/intake_client (the DEALER with correlation tags,
 *  stale replies dropped, the window and the retries the adapters share);
 *  this file adds what the tool wants on top: one request on a fresh
 *  client, bounded by the --timeout-ms a person gave, the reply decoded
 *  (msgpack, or JSON for printing), and errors printed the same way by
 *  every subcommand. With linger 0 and a deadline on every wait the tool
 *  cannot hang on a dead server.
 */
#include "ctl.h"
#include "curve.h"
#include "event.h"
#include "intake_client.h"
#include "msgpack_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*  One request on a fresh client: a single attempt that may take the
 *  whole timeout (a tool never resends behind a person's back; they run
 *  the command again). */
static int
s_call (const char *server, const char *endpoint, const void *data, size_t size,
        int timeout_ms, zframe_t **reply)
{
    char err [256];
    intake_client_opts_t opts = { .window = 1, .timeout_ms = timeout_ms, .attempts = 1,
                                  .max_reply = CTL_MAX_REPLY };
    intake_client_t *client = intake_client_new (curve_default (), server, endpoint, &opts,
                                                 err, sizeof err);
    if (!client) {
        fprintf (stderr, "complaintctl: %s\n", err);
        return CTL_EXIT_USAGE;
    }
    int rc = intake_client_call (client, data, size, timeout_ms, reply);
    intake_client_destroy (&client);
    if (rc == 0)
        return CTL_EXIT_OK;
    if (rc == -1)
        fprintf (stderr, "complaintctl: no reply from %s within %d ms\n", endpoint, timeout_ms);
    else
        fprintf (stderr, "complaintctl: interrupted\n");
    return CTL_EXIT_UNREACHABLE;
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
    int rc = s_call (server, endpoint, buf->data, buf->size, timeout_ms, frame);
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
