/*  fuzz_analytics_request.c — libFuzzer target for analytics_request_decode(),
 *  what the analytics daemon runs on every frame that reaches its query
 *  socket.
 *
 *  Any input must end in a request within bounds (a known op, from < to in
 *  range, a known dimension, a series' metric or rate) or an error with a
 *  code and, where one field is at fault, its name.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include "analytics_request.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    analytics_request_t req;
    proto_error_t err = { 0 };
    if (analytics_request_decode (data, size, &req, &err) == 0) {
        assert (req.op == ANALYTICS_KPI || req.op == ANALYTICS_SERIES);
        assert (req.from >= ANALYTICS_MIN_MS && req.from < req.to && req.to <= ANALYTICS_MAX_MS);
        assert (req.to - req.from <= ANALYTICS_MAX_RANGE_MS);
        assert (req.by >= -1 && req.by < 6);
        assert (req.op == ANALYTICS_KPI || req.metric >= 0 || req.rate >= 0);
    }
    else
        assert (err.code != NULL);
    return 0;
}
