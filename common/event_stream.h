/*  event_stream.h — the bus's event stream as one ordered, gap-free
 *  sequence: what every consumer of the stream builds on (complaintctl tail
 *  and replay, the analytics daemon).
 *
 *  The bus publishes each event once on its PUB socket, fast but lossy (a
 *  slow reader past its high-water mark, a reconnect, a failover, the first
 *  milliseconds of a subscription all drop messages), and keeps every event
 *  in its log, served page by page on its replay ROUTER (ARCHITECTURE.md
 *  invariant 4). An event_stream_t joins the two: it hands its caller the
 *  events strictly in seq order, each exactly once, starting after a seq
 *  the caller names:
 *
 *    - it keeps `last`, the seq of the last event handed out; anything at
 *      or below it is a duplicate and is dropped;
 *    - a live event with seq > last + 1, or a heartbeat (the bus's last
 *      committed seq, once a second) above `last`, means events were
 *      missed: it pages through replay from `last` until it has reached
 *      that seq, and hands those out first;
 *    - started after a seq (event_stream_start_after), it subscribes first,
 *      then pages through replay to the end of the log, then carries on
 *      live; what arrived live meanwhile is a duplicate by then;
 *    - started live (event_stream_start_live), the first live event or
 *      heartbeat sets the starting point;
 *    - without a PUB endpoint it is a snapshot reader: replay pages only,
 *      until a page comes back empty (event_stream_caught_up).
 *
 *  A bus failover needs nothing special: the standby binds the same
 *  endpoints, the SUB reconnects by itself, and the first heartbeat of the
 *  new bus reveals what was lost. A replay request that gets no answer in
 *  time is an error the caller sees (a tool exits, a daemon retries); the
 *  DEALER is then made anew, so a request queued for a dead peer cannot
 *  answer later in the middle of a fresh exchange (replies carry a tag as
 *  well, and a stale one is dropped).
 *
 *  Pull API. event_stream_next waits up to a timeout for the next event in
 *  order and returns it as an event_stream_event_t: its seq, its map (a
 *  msgpack object), and its event_view_t when the map is well-formed. The
 *  pointers stay valid until the next call. An event whose map cannot be
 *  viewed still advances the stream (valid = false, err says why): the log
 *  holds it, the caller decides to skip it or stop. To wait on other
 *  sockets too, poll event_stream_socket and call event_stream_next with a
 *  timeout of 0 when it is readable (or on any wake-up: a catch-up may be
 *  due from a heartbeat seen earlier).
 *
 *  Interface:
 *      event_stream_new / event_stream_destroy
 *      event_stream_start_after    deliver events with seq > N
 *      event_stream_start_live     deliver from the next live event
 *      event_stream_next           the next event in order, or a timeout
 *      event_stream_last           the seq of the last event handed out
 *      event_stream_head           the highest seq the bus announced
 *      event_stream_caught_up      the log had nothing after `last` at the last look
 *      event_stream_socket         the SUB socket, to poll (NULL: snapshot)
 *      event_stream_error          why the last call failed
 *      event_stream_test           self-test (a fake bus: PUB + ROUTER in-process)
 */
#ifndef EVENT_STREAM_H_INCLUDED
#define EVENT_STREAM_H_INCLUDED

#include "event.h"
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _event_stream_t event_stream_t;

typedef struct {
    uint64_t seq;
    const msgpack_object *object;   /* the event map */
    bool valid;                     /* view holds the decoded event */
    event_view_t view;
    proto_error_t err;              /* why not valid */
} event_stream_event_t;

/* What event_stream_next returns besides 1 (an event) and 0 (timeout). */
#define EVENT_STREAM_UNREACHABLE  -1    /* no replay answer within the timeout */
#define EVENT_STREAM_REFUSED      -2    /* the bus answered with an error, or nonsense */

/* pub: the bus PUB endpoint, or NULL for a snapshot reader; replay: the
 * bus replay endpoint; replay_timeout_ms: per replay request; page: events
 * per request (0: the bus's default). NULL when an endpoint is invalid
 * (event_stream_error is not available then: the reason is logged). */
event_stream_t *event_stream_new (const char *pub, const char *replay, int replay_timeout_ms,
                                  long page);
void event_stream_destroy (event_stream_t **self_p);

void event_stream_start_after (event_stream_t *self, uint64_t seq);
void event_stream_start_live (event_stream_t *self);

/* 1 with *event filled; 0 when nothing came within timeout_ms (-1: wait
 * forever, until interrupted); EVENT_STREAM_UNREACHABLE or
 * EVENT_STREAM_REFUSED with event_stream_error set. The stream stays
 * usable after an error: the next call tries again. */
int event_stream_next (event_stream_t *self, int timeout_ms, event_stream_event_t *event);

uint64_t event_stream_last (event_stream_t *self);
uint64_t event_stream_head (event_stream_t *self);
bool event_stream_caught_up (event_stream_t *self);
zsock_t *event_stream_socket (event_stream_t *self);
const char *event_stream_error (event_stream_t *self);

void event_stream_test (bool verbose);

#endif
