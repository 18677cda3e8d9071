/*  accountability_request.h — intake's `accountability` request: the
 *  accountability register (问责) listed, and an item's outcome decided by a
 *  manager (issue 16; docs/tasks.md, PROTOCOL.md "accountability").
 *
 *      {"op":"accountability","do":"list","token":T,"all"?:true}
 *      {"op":"accountability","do":"decide","token":T,"item":N,
 *       "outcome":"warning","text"?:NOTE}
 *
 *  Interface:
 *      accountability_decode / accountability_pack / accountability_outcome_valid
 *      accountability_request_test
 */
#ifndef ACCOUNTABILITY_REQUEST_H_INCLUDED
#define ACCOUNTABILITY_REQUEST_H_INCLUDED

#include "proto.h"

/* none | warning | training | criticism | penalty | dismissal (NULL-terminated) */
extern const char *const accountability_outcomes [];
bool accountability_outcome_valid (const char *s);

typedef struct {
    bool decide;                    /* else list */
    proto_str_t token;
    int64_t item;
    char outcome [16];
    proto_str_t text;               /* the decision's note; ptr NULL: none */
    bool all;
} accountability_t;

int accountability_decode (const msgpack_object *map, accountability_t *a, proto_error_t *err);
void accountability_pack (msgpack_sbuffer *buf, const accountability_t *a, const char *token,
                          const char *text);
void accountability_request_test (bool verbose);

#endif
