/*  records_request.h — the intake requests on a case's records (issue 16
 *  §3; PROTOCOL.md "records", docs/records.md):
 *
 *      casefile        a closed case's whole file (case, audit trail,
 *                      messages, clocks, evidence list): complaint_no, token
 *      retention_run   erase the identity of cases closed longer ago than
 *                      the retention period: token, dry_run?, limit?
 *      kb_promote      a resolved or closed case into the knowledge base:
 *                      complaint_no, token, summary?, answer?
 *      kb_search       the knowledge base by class and words: token,
 *                      business_line?, cause?, words?, limit?
 *
 *  Separate request ops rather than action fields: none of them moves a
 *  case through the lifecycle (a case file and a knowledge-base entry
 *  leave the case's state alone; the retention works on closed cases), so
 *  the lifecycle table and its field bits stay as they are. Decoded like
 *  every request (request_decode dispatches here by op): bounded, every
 *  field checked, the field at fault named.
 *
 *  Interface:
 *      records_*_decode       map -> struct, or the error
 *      records_*_pack         build the requests (complaintctl, tests)
 *      records_request_test   self-test
 */
#ifndef RECORDS_REQUEST_H_INCLUDED
#define RECORDS_REQUEST_H_INCLUDED

#include "proto.h"
#include "complaint_no.h"

#define RECORDS_KB_MAX_TEXT     16000   /* bytes: 4000 characters of UTF-8 (kb_entry) */
#define RECORDS_KB_MAX_WORDS    200     /* bytes of a search's words */
#define RECORDS_KB_MAX_CLASS    64      /* a business line or cause id */
#define RECORDS_KB_LIMIT_MAX    50
#define RECORDS_KB_LIMIT_DEFAULT 10
#define RECORDS_RETENTION_LIMIT_MAX 1000    /* cases one retention_run takes */
#define RECORDS_RETENTION_LIMIT_DEFAULT 200

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    proto_str_t token;
} casefile_t;

typedef struct {
    proto_str_t token;
    bool dry_run;
    int64_t limit;
} retention_run_t;

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    proto_str_t token;
    proto_str_t summary;        /* ptr NULL: the case's own text, scrubbed */
    proto_str_t answer;         /* ptr NULL: the resolution's text, scrubbed */
} kb_promote_t;

typedef struct {
    proto_str_t token;
    proto_str_t business_line, cause, words;    /* ptr NULL: any */
    int64_t limit;
} kb_search_t;

int records_casefile_decode (const msgpack_object *map, casefile_t *c, proto_error_t *err);
int records_retention_decode (const msgpack_object *map, retention_run_t *r, proto_error_t *err);
int records_kb_promote_decode (const msgpack_object *map, kb_promote_t *k, proto_error_t *err);
int records_kb_search_decode (const msgpack_object *map, kb_search_t *k, proto_error_t *err);

/* Pack the requests (ptr NULL strings left out). */
void records_casefile_pack (msgpack_sbuffer *buf, const char *complaint_no, const char *token);
void records_retention_pack (msgpack_sbuffer *buf, const char *token, bool dry_run,
                             int64_t limit);
void records_kb_promote_pack (msgpack_sbuffer *buf, const kb_promote_t *k);
void records_kb_search_pack (msgpack_sbuffer *buf, const kb_search_t *k);

void records_request_test (bool verbose);

#endif
