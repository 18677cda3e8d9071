/*  evidence_request.h — the intake requests on a case's evidence:
 *  evidence_add (hand a document or a recording's reference in) and
 *  evidence_get (take one item's bytes back out). PROTOCOL.md, "evidence".
 *
 *  An e-mail attachment (kind email_attachment, from the mail adapter's
 *  key, no token) travels in parts: each request carries one part's
 *  content at `offset`, with the whole item's size, SHA-256 and source;
 *  intake joins the parts when they are all there (services/intake/
 *  case_evidence_part.h), so the request frame stays bounded while an item
 *  may be as large as the adapter accepts.
 *
 *  Decoded like every request (request_decode dispatches here by op):
 *  bounded, every field checked, the field at fault named. The content is
 *  a msgpack bin of at most REQUEST_EVIDENCE_MAX_BYTES: one item travels in
 *  one request frame (PROTO_MAX_MESSAGE, 256 KiB), so intake's frame limit
 *  stays what it is for every peer. A recording is not carried at all:
 *  only its reference (the call system's id or URI) — see
 *  deploy/migrations/034_evidence.sql for why.
 *
 *  Interface:
 *      evidence_add_decode / evidence_get_decode   map -> struct, or the error
 *      evidence_kind_valid                         one of evidence_kinds
 *      evidence_add_pack / evidence_get_pack       build the requests (complaintctl)
 *      evidence_request_test                       self-test
 */
#ifndef EVIDENCE_REQUEST_H_INCLUDED
#define EVIDENCE_REQUEST_H_INCLUDED

#include "proto.h"
#include "complaint_no.h"

#define REQUEST_EVIDENCE_MAX_BYTES   (200 * 1024)  /* one item's content */
#define REQUEST_EVIDENCE_NAME_CHARS  255           /* evidence.name */
#define REQUEST_EVIDENCE_MAX_NAME    1020          /* bytes: 255 characters of UTF-8 */
#define REQUEST_EVIDENCE_MAX_TYPE    127           /* a media type: type/subtype */
#define REQUEST_EVIDENCE_MAX_REF     1024          /* a recording's reference */
#define REQUEST_EVIDENCE_MAX_SOURCE  998           /* an attachment's "<Message-ID>#N" */
#define REQUEST_EVIDENCE_MAX_REFUSED 300           /* the adapter's reason it kept no bytes */
#define REQUEST_EVIDENCE_MAX_DECLARED INT32_MAX    /* an attachment's declared size (intake's
                                                    * item limit refuses most of it: recorded) */

/* document | recording_ref | email_attachment (NULL-terminated) */
extern const char *const evidence_kinds [];
bool evidence_kind_valid (proto_str_t kind);

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    proto_str_t token;
    char kind [20];
    proto_str_t name;              /* the file's name as given (may name the customer) */
    char media_type [REQUEST_EVIDENCE_MAX_TYPE + 1];   /* lower case */
    proto_str_t content;           /* bytes (bin); ptr NULL for a recording_ref */
    proto_str_t reference;         /* recording_ref only */
    /* email_attachment only (the mail adapter: no token, its key is its
     * authority; one part of an item, joined by intake when whole) */
    proto_str_t source;            /* "<Message-ID>#<part index>": the item's identity */
    int64_t size;                  /* the whole item's bytes */
    char sha256 [65];              /* the whole item's SHA-256, lower-case hex */
    int64_t offset;                /* where this part's content starts in the item */
    proto_str_t refused;           /* instead of content and offset: the adapter did
                                    * not keep the item (over its own limit): why */
} evidence_add_t;

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    proto_str_t token;
    int64_t seq;
} evidence_get_t;

int evidence_add_decode (const msgpack_object *map, evidence_add_t *e, proto_error_t *err);
int evidence_get_decode (const msgpack_object *map, evidence_get_t *e, proto_error_t *err);

/* Pack the requests (content packed as bin when ptr != NULL; reference
 * when ptr != NULL). */
void evidence_add_pack (msgpack_sbuffer *buf, const evidence_add_t *e);
void evidence_get_pack (msgpack_sbuffer *buf, const char *complaint_no, const char *token,
                        int64_t seq);

void evidence_request_test (bool verbose);

#endif
