/*  fuzz_event.c — libFuzzer target for event_decode(), what every bus
 *  subscriber (router, complaintctl tail) runs on frames from the network.
 *
 *  Any input must end in a decoded event view or an error with a code;
 *  built with ASan + UBSan, so overreads and undefined behaviour crash here.
 *  On success the view's strings and the data map are walked, and the data
 *  is checked against its declaration (events_check_object, proto/events.c),
 *  which must also end in a verdict, never a crash.
 */
#include <stdint.h>
#include <stddef.h>
#include <assert.h>
#include "event.h"
#include "events.h"

static volatile unsigned s_sink;

static void
s_touch (proto_str_t s)
{
    for (size_t i = 0; s.ptr && i < s.len; i++)
        s_sink += (unsigned char) s.ptr [i];
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    event_view_t ev;
    proto_error_t err = { 0 };
    if (event_decode (data, size, &msg, &ev, &err) == 0) {
        assert (ev.seq >= 1);
        assert (ev.type.ptr && ev.type.len >= 1);
        s_touch (ev.type);
        s_touch (ev.complaint_no);
        if (ev.data) {
            assert (ev.data->type == MSGPACK_OBJECT_MAP);
            for (uint32_t i = 0; i < ev.data->via.map.size; i++)
                s_sink += (unsigned) ev.data->via.map.ptr [i].val.type;
        }
        proto_error_t verdict = { 0 };
        if (events_check_object (ev.type.ptr, ev.type.len, ev.data, &verdict))
            assert (verdict.code != NULL);
    }
    else
        assert (err.code != NULL);
    msgpack_unpacked_destroy (&msg);
    return 0;
}
