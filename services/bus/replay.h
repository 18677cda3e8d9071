/*  replay.h — the bus's replay server: catch-up from the event log, on a
 *  thread of its own.
 *
 *  A ROUTER socket. Request frames: [identity][...envelope...][""][msgpack];
 *  the reply echoes every frame up to and including the empty delimiter,
 *  then one frame:
 *
 *      {"op":"replay","from":N,"limit":M}
 *   -> {"ok":true,"events":[event maps with seq > N, ascending, at most M],
 *       "last_seq":L}
 *
 *  from defaults to 0, limit to 1000 and is capped at 10000; a page also
 *  stops at REPLAY_MAX_BYTES of events (always at least one). The maps are
 *  event_log's stored bytes, exactly what was published. A client pages with
 *  from = the last seq it got until events comes back empty. L is at least
 *  the seq of the last event in the page.
 *
 *  Why a thread (a czmq actor) with its own store session: a replay reads
 *  and sends up to REPLAY_MAX_BYTES per request; on the publishing thread
 *  every such request delayed the drain and the heartbeat behind it. Here
 *  the publisher only tells the replay thread its last committed seq
 *  (replay_set_last_seq, an atomic store: no message per drain), and a
 *  replay client that asks and never reads costs the replay thread and its
 *  own queue, never the publisher. The thread lives for one term of the
 *  active bus (bound after the PUB socket, stopped before the lock is
 *  given back), so replay is served by the active bus only, as before.
 *
 *  Interface:
 *      replay_new              connect a session, bind the ROUTER, start the thread
 *      replay_destroy          stop the thread, close its socket and session
 *      replay_set_last_seq     the publisher's last committed seq
 *      replay_test             self-test (no store)
 */
#ifndef REPLAY_H_INCLUDED
#define REPLAY_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "daemon.h"
#include "pg_session.h"
#include "proto.h"
#include "replay_request.h"

/* A page stops adding events past this many bytes (always at least one);
 * the client's next page picks up where it ended. The store returns no
 * more than this (the byte budget is in the query), so one request costs
 * at most about REPLAY_MAX_BYTES + one event (EVENT_MAX_SIZE) of heap. */
#define REPLAY_MAX_BYTES       (8 * 1024 * 1024)

/* What one replay peer can make the bus hold: replies it has not read
 * (then further replies to it are dropped; it asks again) and requests it
 * sent that wait (then libzmq stops reading its connection). With the
 * reply in libzmq's encoder, a stalled peer pins at most about
 * (REPLAY_PEER_SNDHWM + 1) x (REPLAY_MAX_BYTES + EVENT_MAX_SIZE) = 27 MiB. */
#define REPLAY_PEER_SNDHWM     2
#define REPLAY_PEER_RCVHWM     16
#define REPLAY_MAX_REQUEST     (1024 * 1024)   /* bigger frames drop the peer */

/* The replay session's statement_timeout: a page is one index range scan. */
#define REPLAY_STATEMENT_TIMEOUT_MS 10000

typedef struct {
    const char *conninfo;           /* the bus's --pg */
    const char *application_name;
    const char *endpoint;           /* ROUTER to bind */
    daemon_t *daemon;               /* round trips ("replay"); may be NULL */
    metric_t *requests;             /* by result (ok, failed); may be NULL */
    metric_t *events;               /* events sent; may be NULL */
} replay_config_t;

typedef struct _replay_t replay_t;

/* Binds the ROUTER (NULL when the bind failed: logged bind_failed),
 * makes one attempt to connect its session (never waits: without a
 * connection the thread connects when asked, answering "unavailable"
 * meanwhile) and starts the thread. */
replay_t *replay_new (const replay_config_t *config, uint64_t last_seq);
void replay_destroy (replay_t **self_p);

void replay_set_last_seq (replay_t *self, uint64_t last_seq);

void replay_test (bool verbose);

#endif
