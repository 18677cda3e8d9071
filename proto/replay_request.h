/*  replay_request.h — the bus replay request, {"op":"replay","from":N,"limit":M}.
 *
 *  Decoded by the bus (services/bus/replay.c), packed by every client that
 *  catches up (complaintctl tail and replay, later analytics): one codec, here.
 *
 *  Interface:
 *      replay_request_decode   frame -> (from, limit), or an error naming the field
 *      replay_request_pack     (from, limit) -> frame; limit 0 leaves it to the bus
 */
#ifndef REPLAY_REQUEST_H_INCLUDED
#define REPLAY_REQUEST_H_INCLUDED

#include "proto.h"

#define REPLAY_LIMIT_DEFAULT   1000
#define REPLAY_LIMIT_MAX       10000

int  replay_request_decode (const void *data, size_t size, int64_t *from, int64_t *limit,
                            proto_error_t *err);
void replay_request_pack (msgpack_sbuffer *buf, uint64_t from, int64_t limit);
void replay_request_test (bool verbose);

#endif
