/*  stream.c — what tail and replay share: an event as a JSON line (the
 *  ordering and the replay paging are common/event_stream.c's).
 *
 *  Every event, live or replayed, is checked with event_view (bounded, typed)
 *  before it is printed, and printed in one shape whatever its source:
 *      {"seq":N,"type":"...","at":MS,"complaint_no":"..."|null,"data":{...}}
 *  so a consumer cannot tell (and need not care) whether a line came from
 *  the PUB socket or from a catch-up replay.
 */
#include "ctl.h"
#include "event.h"
#include "msgpack_json.h"

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

