/*  replay.h — the bus's replay server: catch-up from the event log.
 *
 *  A ROUTER socket. Request frames: [identity][...envelope...][""][msgpack];
 *  the reply echoes every frame up to and including the empty delimiter,
 *  then one frame:
 *
 *      {"op":"replay","from":N,"limit":M}
 *   -> {"ok":true,"events":[event maps with seq > N, ascending, at most M],
 *       "last_seq":L}
 *
 *  from defaults to 0, limit to 1000 and is capped at 10000. The maps are
 *  event_log's stored bytes, exactly what was published. A client pages with
 *  from = the last seq it got until events comes back empty.
 *
 *  Interface:
 *      replay_new              prepare the replay statement on the session's connection
 *      replay_destroy
 *      replay_serve            receive one request and answer it
 *      replay_test             self-test
 */
#ifndef REPLAY_H_INCLUDED
#define REPLAY_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "pg_session.h"
#include "proto.h"
#include "replay_request.h"

/* A reply stops adding events past this many bytes (always at least one);
 * the client's next page picks up where it ended. */
#define REPLAY_MAX_BYTES       (32 * 1024 * 1024)

typedef struct _replay_t replay_t;

/* Prepares on pg's connection and serves on it: destroy the replay before
 * the session may reconnect (the bus: at the end of each term). */
replay_t *replay_new (pg_session_t *pg);
void replay_destroy (replay_t **self_p);

/* Receive one request from router (which must be readable) and reply.
 * last_seq is the bus's last committed seq. Returns 0, or -1 when the
 * store failed (the client got "unavailable"; the caller checks pg_session_healthy). */
int replay_serve (replay_t *self, zsock_t *router, uint64_t last_seq);

/* Events sent in replay replies since replay_new (for the metrics). */
uint64_t replay_events_served (replay_t *self);

void replay_test (bool verbose);

#endif
