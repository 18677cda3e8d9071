/*  event.c — packing and bounded decoding of bus events (see event.h). */
#include "event.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void
event_pack (msgpack_sbuffer *buf, uint64_t seq, const char *type, int64_t at,
            const char *complaint_no, const void *data, size_t data_size)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    proto_pack_kv_int (&pk, "v", PROTO_SCHEMA_VERSION);
    proto_pack_cstr (&pk, "seq");
    msgpack_pack_uint64 (&pk, seq);
    proto_pack_kv_cstr (&pk, "type", type);
    proto_pack_kv_int (&pk, "at", at);
    proto_pack_kv_cstr (&pk, "complaint_no", complaint_no);
    proto_pack_cstr (&pk, "data");
    if (data && data_size)
        msgpack_sbuffer_write (buf, data, data_size);
    else
        msgpack_pack_map (&pk, 0);
}

int
event_view (const msgpack_object *obj, event_view_t *ev, proto_error_t *err)
{
    memset (ev, 0, sizeof *ev);
    if (obj->type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_NOT_A_MAP, "", "an event must be a map");
        return -1;
    }
    int64_t seq = 0;
    if (proto_get_int (obj, "seq", "seq", true, 1, INT64_MAX, &seq, NULL, err)
    ||  proto_get_str (obj, "type", "type", true, 1, 64, &ev->type, err)
    ||  proto_get_int (obj, "at", "at", true, 0, INT64_MAX, &ev->at, NULL, err)
    ||  proto_get_str (obj, "complaint_no", "complaint_no", false, 1, 64, &ev->complaint_no, err))
        return -1;
    ev->seq = (uint64_t) seq;
    const msgpack_object *data = proto_map_get (obj, "data");
    if (data && data->type != MSGPACK_OBJECT_NIL) {
        if (data->type != MSGPACK_OBJECT_MAP) {
            proto_error_set (err, PROTO_E_WRONG_TYPE, "data", "data must be a map");
            return -1;
        }
        ev->data = data;
    }
    return 0;
}

int
event_decode (const void *data, size_t size, msgpack_unpacked *msg,
              event_view_t *ev, proto_error_t *err)
{
    if (proto_unpack (data, size, EVENT_MAX_SIZE, EVENT_MAX_DEPTH, msg, err))
        return -1;
    return event_view (&msg->data, ev, err);
}

void
event_seq_put (unsigned char out [8], uint64_t seq)
{
    for (int i = 7; i >= 0; i--) {
        out [i] = (unsigned char) (seq & 0xff);
        seq >>= 8;
    }
}

uint64_t
event_seq_get (const unsigned char in [8])
{
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
        seq = (seq << 8) | in [i];
    return seq;
}

#include "selftest.h"

void
event_test (bool verbose)
{
    if (verbose)
        printf (" * event: ");
    unsigned char frame [8];
    event_seq_put (frame, 0x0102030405060708ULL);
    assert (frame [0] == 1 && frame [7] == 8);
    assert (event_seq_get (frame) == 0x0102030405060708ULL);

    /* data as the outbox holds it: a packed map */
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &data, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    proto_pack_kv_cstr (&pk, "department", "cards");

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    event_pack (&buf, 7, EVENT_COMPLAINT_ASSIGNED, 1790000000000LL, "202611230000421",
                data.data, data.size);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    event_view_t ev;
    proto_error_t err = { 0 };
    assert (event_decode (buf.data, buf.size, &msg, &ev, &err) == 0);
    assert (ev.seq == 7 && proto_str_eq (ev.type, EVENT_COMPLAINT_ASSIGNED));
    assert (ev.at == 1790000000000LL);
    assert (proto_str_eq (ev.complaint_no, "202611230000421"));
    proto_str_t dept = { 0 };
    assert (proto_get_str (ev.data, "department", "data.department", true, 1, 64, &dept, &err) == 0);
    assert (proto_str_eq (dept, "cards"));
    msgpack_unpacked_destroy (&msg);

    /* truncated event is refused, not crashed on */
    msgpack_unpacked_init (&msg);
    assert (event_decode (buf.data, buf.size - 3, &msg, &ev, &err) == -1);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    msgpack_sbuffer_destroy (&data);
    if (verbose)
        printf ("OK\n");
}
