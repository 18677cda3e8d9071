/*  replay_request.c — decode and pack the bus replay request (see replay_request.h). */
#include "replay_request.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int
replay_request_decode (const void *data, size_t size, int64_t *from, int64_t *limit,
                       proto_error_t *err)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = -1;
    proto_str_t op = { 0 };
    *from = 0;
    *limit = REPLAY_LIMIT_DEFAULT;
    if (proto_decode (data, size, &msg, err)
    ||  proto_get_str (&msg.data, "op", "op", true, 1, 32, &op, err))
        goto done;
    if (!proto_str_eq (op, "replay")) {
        proto_error_set (err, PROTO_E_UNKNOWN_OP, "op", "the bus replay socket only serves op \"replay\"");
        goto done;
    }
    if (proto_get_int (&msg.data, "from", "from", false, 0, INT64_MAX, from, NULL, err)
    ||  proto_get_int (&msg.data, "limit", "limit", false, 1, INT64_MAX, limit, NULL, err))
        goto done;
    if (*limit > REPLAY_LIMIT_MAX)
        *limit = REPLAY_LIMIT_MAX;
    rc = 0;
done:
    msgpack_unpacked_destroy (&msg);
    return rc;
}

void
replay_request_pack (msgpack_sbuffer *buf, uint64_t from, int64_t limit)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, limit > 0 ? 3 : 2);
    proto_pack_kv_cstr (&pk, "op", "replay");
    proto_pack_cstr (&pk, "from");
    msgpack_pack_uint64 (&pk, from);
    if (limit > 0)
        proto_pack_kv_int (&pk, "limit", limit);
}

#include "selftest.h"

void
replay_request_test (bool verbose)
{
    if (verbose)
        printf (" * replay_request: ");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int64_t from = -1, limit = -1;
    proto_error_t err = { 0 };
    replay_request_pack (&buf, 42, 0);
    assert (replay_request_decode (buf.data, buf.size, &from, &limit, &err) == 0);
    assert (from == 42 && limit == REPLAY_LIMIT_DEFAULT);
    msgpack_sbuffer_clear (&buf);
    replay_request_pack (&buf, 0, 99999);
    assert (replay_request_decode (buf.data, buf.size, &from, &limit, &err) == 0);
    assert (from == 0 && limit == REPLAY_LIMIT_MAX);
    msgpack_sbuffer_clear (&buf);
    /* {"op":"get"} is not a replay */
    assert (replay_request_decode ("\x81\xa2op\xa3get", 8, &from, &limit, &err) == -1);
    assert (strcmp (err.code, PROTO_E_UNKNOWN_OP) == 0 && strcmp (err.field, "op") == 0);
    /* {"op":"replay","from":-1} */
    assert (replay_request_decode ("\x82\xa2op\xa6replay\xa4" "from\xff", 17, &from, &limit, &err) == -1);
    assert (strcmp (err.code, PROTO_E_INVALID_FIELD) == 0 && strcmp (err.field, "from") == 0);
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("OK\n");
}
