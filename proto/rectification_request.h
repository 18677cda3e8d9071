/*  rectification_request.h — intake's `rectification` request: open a
 *  rectification item (整改) from a hot spot, list the items, mark one done
 *  (issue 16 §2; docs/tasks.md, PROTOCOL.md "rectification"). An item
 *  opened on a case is the staff action `rectify` (proto/lifecycle.c).
 *
 *      {"op":"rectification","do":"open","token":T,"hotspot":KEY,
 *       "department"?:D,"owner"?:STAFF,"due":"10wd","text":WHAT}
 *      {"op":"rectification","do":"list","token":T,"all"?:true}
 *      {"op":"rectification","do":"done","token":T,"task":N,"text":WHAT_WAS_DONE}
 *
 *  KEY is the hot spot as `complaintctl hotspots` prints it:
 *  RULE/BRANCH/CAUSE/BUSINESS_LINE (empty parts kept: "outlet_cause/
 *  outlet_bj_haidian/service_attitude/"). Decoded bounded, every field
 *  checked, the field at fault named.
 *
 *  Interface:
 *      rectification_decode   map -> struct, or the error
 *      rectification_pack     build the request (complaintctl)
 *      rectification_request_test   self-test
 */
#ifndef RECTIFICATION_REQUEST_H_INCLUDED
#define RECTIFICATION_REQUEST_H_INCLUDED

#include "proto.h"

#define RECTIFICATION_MAX_KEY  200          /* bytes of a hot spot's key */
#define RECTIFICATION_MAX_TEXT 4096

typedef enum { RECTIFY_OPEN = 1, RECTIFY_LIST, RECTIFY_DONE } rectification_do_t;

typedef struct {
    rectification_do_t what;
    proto_str_t token;
    char hotspot [RECTIFICATION_MAX_KEY + 1];   /* open */
    char department [65];                       /* open: "" the hot spot's branch */
    char owner [65];                            /* open: "" the department */
    char due [48];                              /* open */
    proto_str_t text;                           /* open: what; done: what was done */
    int64_t task;                               /* done */
    bool all;                                   /* list: the done ones too */
} rectification_t;

int rectification_decode (const msgpack_object *map, rectification_t *r, proto_error_t *err);
/* Strings NULL or "" are left out. */
void rectification_pack (msgpack_sbuffer *buf, const rectification_t *r, const char *token,
                         const char *text);

void rectification_request_test (bool verbose);

#endif
