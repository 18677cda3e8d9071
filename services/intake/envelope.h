/*  envelope.h — is a frame list on intake's ROUTER socket a request we can
 *  answer, and what does it ask?
 *
 *  A request is [peer identity][any correlation frames...][""][body]: the
 *  ROUTER socket prepends the identity, a DEALER client may put tags before
 *  the empty delimiter, and the body is one msgpack frame. Everything before
 *  the delimiter is echoed back untouched with the reply (main.c's s_reply).
 *
 *      envelope_valid   the shape: at least three frames, and the first
 *                       empty frame after the identity is the one just
 *                       before the body. Anything else cannot be answered
 *                       (we could not address the reply): it is dropped.
 *      envelope_read    the whole first step of a request: the shape, then
 *                       request_decode () of the body (bounded sizes, known
 *                       op, the op's fields). Says drop, reject (answer
 *                       with err at once) or ok (the request goes to a
 *                       batch writer).
 *      envelope_test    self-test (intake --selftest)
 */
#ifndef ENVELOPE_H_INCLUDED
#define ENVELOPE_H_INCLUDED

#include "request.h"
#include <czmq.h>
#include <msgpack.h>

typedef enum {
    ENVELOPE_OK = 0,        /* *req decoded; strings point into *unpacked */
    ENVELOPE_DROP,          /* not answerable: destroy the message */
    ENVELOPE_REJECT,        /* answer err now; *unpacked must still be destroyed */
} envelope_verdict_t;

bool envelope_valid (zmsg_t *msg);

/* `unpacked` must be initialised by the caller (msgpack_unpacked_init) and
 * destroyed after use whatever the verdict. */
envelope_verdict_t envelope_read (zmsg_t *msg, msgpack_unpacked *unpacked, request_t *req,
                                  proto_error_t *err);

int envelope_test (bool verbose, int *passed);

#endif
