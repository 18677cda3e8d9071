/*  event.h — events on the bus: the map every subscriber reads.
 *
 *  On the PUB socket an event is three frames:
 *      [topic: event type, e.g. "complaint.received"]
 *      [seq: 8-byte big-endian unsigned]
 *      [msgpack map: {"v","seq","type","at","complaint_no","data"}]
 *  Replay replies carry the same maps in an array. The bus also publishes
 *  [EVENT_HEARTBEAT_TOPIC][last seq][{}] once a second so a subscriber that
 *  missed the tail end of a burst, or started late, knows to catch up.
 *
 *  Interface:
 *      event_pack          build the event map from its parts
 *      event_decode        bounded decode of an event map into an event_view_t
 *      event_seq_put/get   the 8-byte big-endian seq frame
 */
#ifndef EVENT_H_INCLUDED
#define EVENT_H_INCLUDED

#include "proto.h"

#define EVENT_HEARTBEAT_TOPIC  "$heartbeat"
#define EVENT_MAX_SIZE         (1024 * 1024)
#define EVENT_MAX_DEPTH        16

#define EVENT_COMPLAINT_RECEIVED  "complaint.received"
#define EVENT_COMPLAINT_ASSIGNED  "complaint.assigned"

typedef struct {
    uint64_t seq;
    proto_str_t type;
    int64_t at;                   /* unix ms, when the change committed */
    proto_str_t complaint_no;     /* ptr NULL when absent */
    const msgpack_object *data;   /* the "data" map, NULL when absent */
} event_view_t;

/* `data` is an already-packed msgpack map (e.g. from the outbox); NULL packs {}. */
void event_pack (msgpack_sbuffer *buf, uint64_t seq, const char *type, int64_t at,
                 const char *complaint_no, const void *data, size_t data_size);

/* Decode one event from an already-unpacked object (e.g. an element of a
 * replay reply). Returns 0 or -1 with err set. */
int event_view (const msgpack_object *obj, event_view_t *ev, proto_error_t *err);

/* Scan (bounded), unpack and view one event frame. */
int event_decode (const void *data, size_t size, msgpack_unpacked *msg,
                  event_view_t *ev, proto_error_t *err);

void     event_seq_put (unsigned char out [8], uint64_t seq);
uint64_t event_seq_get (const unsigned char in [8]);

void event_test (bool verbose);

#endif
