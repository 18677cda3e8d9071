/*  fuzz_replay.c — libFuzzer target for replay_request_decode(), what the
 *  bus runs on every frame that reaches its replay socket.
 *
 *  Any input must end in (from, limit) within bounds or an error with a
 *  code; built with ASan + UBSan so overreads and undefined behaviour crash.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include "replay_request.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    int64_t from = 0, limit = 0;
    proto_error_t err = { 0 };
    if (replay_request_decode (data, size, &from, &limit, &err) == 0)
        assert (from >= 0 && limit >= 1 && limit <= REPLAY_LIMIT_MAX);
    else
        assert (err.code != NULL);
    return 0;
}
