/*  web_reply.h — intake's answer to a request the customer waits for (a
 *  status lookup, a survey answer, a survey link's check), read once.
 *
 *  Why one reader: the lookup and the survey each unpacked the frame,
 *  found the map, its "ok" and its error's code, field and message in
 *  their own ten lines (issue 16 follow-up, adapters2). Bounded as every
 *  decoder here: at most max bytes, PROTO_MAX_DEPTH deep; a frame that is
 *  not a map is read as no answer.
 *
 *  Interface:
 *      web_reply_read      the frame (NULL: no answer in time) -> the fields
 *      web_reply_done      release what read unpacked
 *      web_reply_code_is   the error's code is this one
 */
#ifndef WEB_REPLY_H_INCLUDED
#define WEB_REPLY_H_INCLUDED

#include "proto.h"
#include <czmq.h>
#include <stdbool.h>

typedef struct {
    msgpack_unpacked msg;
    const msgpack_object *map;  /* the reply; NULL: none, or not a map */
    bool ok;                    /* "ok": true */
    proto_str_t code, field, message;   /* the error's; ptr NULL: absent */
} web_reply_t;

void web_reply_read (web_reply_t *self, zframe_t *frame, size_t max);
void web_reply_done (web_reply_t *self);
bool web_reply_code_is (const web_reply_t *self, const char *code);

#endif
