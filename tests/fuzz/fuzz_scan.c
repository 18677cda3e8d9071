/*  fuzz_scan.c — libFuzzer target for proto_scan(), the allocation-free
 *  walker that guards msgpack-c from hostile counts.
 *
 *  Its promise is checked, not just its survival: whatever the scanner
 *  accepts (at either depth bound) msgpack-c must unpack as exactly one
 *  complete object using every byte. A disagreement means the scanner let
 *  something through that msgpack-c reads differently, which is a bug.
 */
#include <stdint.h>
#include <stddef.h>
#include <assert.h>
#include "proto.h"
#include "event.h"

static void
s_check (const uint8_t *data, size_t size, int max_depth)
{
    proto_error_t err = { 0 };
    if (proto_scan (data, size, max_depth, &err) != 0) {
        assert (err.code != NULL);
        return;
    }
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    size_t offset = 0;
    msgpack_unpack_return rc = msgpack_unpack_next (&msg, (const char *) data, size, &offset);
    assert (rc == MSGPACK_UNPACK_SUCCESS);
    assert (offset == size);
    msgpack_unpacked_destroy (&msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_check (data, size, PROTO_MAX_DEPTH);
    s_check (data, size, EVENT_MAX_DEPTH);
    return 0;
}
