/*  envelope.h — is a frame list on intake's ROUTER socket a request we can
 *  answer, and what does it ask?
 *
 *  A request is [peer identity][any correlation frames...][""][body]: the
 *  ROUTER socket prepends the identity, a DEALER client may put tags before
 *  the empty delimiter, and the body is one msgpack frame. Everything before
 *  the delimiter is echoed back untouched with the reply (main.c's s_reply).
 *
 *      envelope_recv    take one request off the socket a frame at a time,
 *                       keeping at most ENVELOPE_MAX_FRAMES: a message
 *                       with more is read to its end and thrown away
 *                       (NULL, *dropped set), so a peer's thousand-frame
 *                       envelope never becomes a thousand-frame zmsg_t.
 *                       Says who sent it (curve_peer_t: the certificate's
 *                       name, role, channels), read off the first frame
 *                       the peer sent (the identity frame is the ROUTER's
 *                       own and carries no metadata).
 *      envelope_valid   the shape: three to ENVELOPE_MAX_FRAMES frames,
 *                       envelope frames of at most ENVELOPE_MAX_FRAME_SIZE
 *                       bytes, and the first empty frame after the
 *                       identity is the one just before the body. Anything
 *                       else cannot be answered (we could not address the
 *                       reply, or will not echo it): it is dropped.
 *      envelope_read    the whole first step of a request: the shape, then
 *                       request_decode () of the body (bounded sizes, known
 *                       op, the op's fields). Says drop, reject (answer
 *                       with err at once) or ok (the request goes to a
 *                       batch writer).
 *      envelope_test    self-test (intake --selftest)
 */
#ifndef ENVELOPE_H_INCLUDED
#define ENVELOPE_H_INCLUDED

#include "curve.h"
#include "request.h"
#include <czmq.h>
#include <msgpack.h>

typedef enum {
    ENVELOPE_OK = 0,        /* *req decoded; strings point into *unpacked */
    ENVELOPE_DROP,          /* not answerable: destroy the message */
    ENVELOPE_REJECT,        /* answer err now; *unpacked must still be destroyed */
} envelope_verdict_t;

/* At most 4 frames before the delimiter — the identity the ROUTER adds and
 * up to 3 correlation frames from the client or proxies between — each at
 * most 255 bytes (libzmq's own limit on an identity), then "" and the body. */
#define ENVELOPE_MAX_ROUTING     4
#define ENVELOPE_MAX_FRAMES      (ENVELOPE_MAX_ROUTING + 2)
#define ENVELOPE_MAX_FRAME_SIZE  255

/* One message from a ROUTER, or NULL: nothing to read (EAGAIN,
 * interrupted), or — with *dropped true — a message over
 * ENVELOPE_MAX_FRAMES frames, which was received to its end and freed. */
zmsg_t *envelope_recv (zsock_t *router, bool *dropped);
/* The same, and what the copy into a zmsg_t would lose: the message's
 * "Peer-Address" (ZeroMQ metadata: the IP of a TCP peer; "" when the
 * transport has none) into address (may be NULL), and, with curve and
 * peer (both may be NULL), who sent it (its CURVE certificate). */
zmsg_t *envelope_recv_from (zsock_t *router, bool *dropped, char *address, size_t address_size,
                            curve_t *curve, curve_peer_t *peer);

bool envelope_valid (zmsg_t *msg);

/* `unpacked` must be initialised by the caller (msgpack_unpacked_init) and
 * destroyed after use whatever the verdict. */
envelope_verdict_t envelope_read (zmsg_t *msg, msgpack_unpacked *unpacked, request_t *req,
                                  proto_error_t *err);

int envelope_test (bool verbose, int *passed);

#endif
