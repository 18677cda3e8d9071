/*  stream.c — what tail and replay share: an event as a JSON line, and one
 *  page of the bus replay protocol.
 *
 *  Every event, live or replayed, is checked with event_view (bounded, typed)
 *  before it is printed, and printed in one shape whatever its source:
 *      {"seq":N,"type":"...","at":MS,"complaint_no":"..."|null,"data":{...}}
 *  so a consumer cannot tell (and need not care) whether a line came from
 *  the PUB socket or from a catch-up replay.
 *
 *  Replay: {"op":"replay","from":N,"limit":M} -> {"ok":true,"events":[...],
 *  "last_seq":L}, the events with seq > N in order. Callers page by asking
 *  again from the last seq they saw, until a page comes back empty.
 */
#include "ctl.h"
#include "event.h"
#include "msgpack_json.h"
#include "replay_request.h"

#include <stdio.h>

json_t *
ctl_event_json (const msgpack_object *event, uint64_t *seq, proto_error_t *err)
{
    event_view_t ev;
    if (event_view (event, &ev, err))
        return NULL;
    json_t *data = ev.data ? msgpack_json_from_object (ev.data, err) : json_object ();
    if (!data)
        return NULL;
    json_t *json = json_object ();
    json_object_set_new (json, "seq", json_integer ((json_int_t) ev.seq));
    json_object_set_new (json, "type", json_stringn (ev.type.ptr, ev.type.len));
    json_object_set_new (json, "at", json_integer ((json_int_t) ev.at));
    json_object_set_new (json, "complaint_no", ev.complaint_no.ptr
                         ? json_stringn (ev.complaint_no.ptr, ev.complaint_no.len)
                         : json_null ());
    json_object_set_new (json, "data", data);
    if (seq)
        *seq = ev.seq;
    return json;
}

uint64_t
ctl_event_seq (const msgpack_object *event)
{
    int64_t seq = 0;
    proto_error_t err = { 0 };
    if (proto_get_int (event, "seq", "seq", true, 1, INT64_MAX, &seq, NULL, &err))
        return 0;
    return (uint64_t) seq;
}

int
ctl_replay_page (ctl_client_t *client, uint64_t from, long limit, int timeout_ms,
                 ctl_event_fn *fn, void *arg, size_t *count, bool *stopped)
{
    *count = 0;
    if (stopped)
        *stopped = false;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    replay_request_pack (&buf, from, limit);

    zframe_t *frame = NULL;
    int rc = ctl_client_call (client, buf.data, buf.size, timeout_ms, &frame);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;

    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    proto_error_t err = { 0 };
    if (ctl_reply_decode (frame, &msg, &err)) {
        fprintf (stderr, "complaintctl: unreadable replay reply: %s\n", err.message);
        rc = CTL_EXIT_REPLY;
    }
    else
    if (!ctl_reply_ok (&msg.data)) {
        ctl_reply_print_error ("replay", &msg.data);
        rc = CTL_EXIT_REPLY;
    }
    else {
        const msgpack_object *events = proto_map_get (&msg.data, "events");
        if (!events || events->type != MSGPACK_OBJECT_ARRAY) {
            fprintf (stderr, "complaintctl: replay reply has no \"events\" array\n");
            rc = CTL_EXIT_REPLY;
        }
        else {
            *count = events->via.array.size;
            for (uint32_t i = 0; i < events->via.array.size; i++) {
                int step = fn (&events->via.array.ptr [i], arg);
                if (step < 0) {
                    rc = CTL_EXIT_REPLY;
                    break;
                }
                if (step > 0) {
                    if (stopped)
                        *stopped = true;
                    break;
                }
            }
        }
    }
    msgpack_unpacked_destroy (&msg);
    zframe_destroy (&frame);
    return rc;
}
