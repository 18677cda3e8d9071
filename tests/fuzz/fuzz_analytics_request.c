/*  fuzz_analytics_request.c — libFuzzer target for analytics_request_decode(),
 *  what the analytics daemon runs on every frame that reaches its query
 *  socket.
 *
 *  Any input must end in a request within bounds (a known op, from < to in
 *  range, a known dimension, a series' metric or rate; a jrt axis; a cfpb
 *  page within its cap and a whole, valid cursor) or an error with a
 *  code and, where one field is at fault, its name.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "analytics_request.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    analytics_request_t req;
    proto_error_t err = { 0 };
    if (analytics_request_decode (data, size, &req, &err) == 0) {
        assert (req.op >= ANALYTICS_KPI && req.op <= ANALYTICS_CFPB);
        if (req.op == ANALYTICS_HOTSPOTS)
            return 0;                   /* nothing but the state is read */
        assert (req.from >= ANALYTICS_MIN_MS && req.from < req.to && req.to <= ANALYTICS_MAX_MS);
        if (req.op == ANALYTICS_JRT) {
            assert (req.axis >= ANALYTICS_AXIS_ALL && req.axis <= ANALYTICS_AXIS_CAUSE);
            return 0;
        }
        if (req.op == ANALYTICS_CFPB) {
            assert (req.limit >= 1 && req.limit <= ANALYTICS_MAX_PAGE);
            assert ((req.after_us == 0) == (req.after_no [0] == 0));
            assert (!req.after_no [0] || complaint_no_check (req.after_no, strlen (req.after_no),
                                                             "after_no", &err) == 0);
            return 0;
        }
        assert (req.to - req.from <= ANALYTICS_MAX_RANGE_MS);
        assert (req.by >= -1 && req.by < 6);
        assert (req.op == ANALYTICS_KPI || req.metric >= 0 || req.rate >= 0);
    }
    else
        assert (err.code != NULL);
    return 0;
}
