/*  survey_request.h — the intake request `survey`: the customer's answer
 *  to the satisfaction survey (issue 16 §2; PROTOCOL.md "survey";
 *  docs/followup.md), sent by the web adapter.
 *
 *      {"op": "survey", "token": "<complaint_no>.<32 hex>", "score": 1..5,
 *       "comment": "..."?}
 *
 *      {"op": "survey", "token": "...", "check": true}
 *
 *  The second form (issue 16 follow-up, adapters2) only asks whether the
 *  link can still be answered — the web adapter's GET /survey, so an
 *  answered, expired or unknown link is told at once, not after the
 *  customer has filled in the form. It carries no score and no comment
 *  and changes nothing: intake answers {"ok": true, "complaint_no",
 *  "check": true} or the very refusals an answer would get (not_found,
 *  conflict, invalid_transition, field token).
 *
 *  The token is the survey link's secret (intake makes it at the decision,
 *  services/intake/case_survey.c): the complaint number, a dot, 128 random
 *  bits in lower-case hex. The number says which case to read; the store
 *  keeps only a keyed hash of the hex part, compared in constant time.
 *  Decoded like every request: bounded, every field checked, the field at
 *  fault named; the comment is at most SURVEY_COMMENT_CHARS characters of
 *  UTF-8.
 *
 *  Interface:
 *      survey_decode         map -> survey_t, or the error
 *      survey_token_split    a token -> its complaint number and secret
 *      survey_pack           build the request (the web adapter, tests)
 *      survey_check_pack     build the read-only check
 *      survey_request_test   self-test
 */
#ifndef SURVEY_REQUEST_H_INCLUDED
#define SURVEY_REQUEST_H_INCLUDED

#include "proto.h"
#include "complaint_no.h"

#define SURVEY_SECRET_HEX     32            /* 128 bits */
#define SURVEY_TOKEN_MAX      96            /* bytes a request may carry */
#define SURVEY_TOKEN_SIZE     (COMPLAINT_NO_SIZE + 1 + SURVEY_SECRET_HEX)
#define SURVEY_COMMENT_CHARS  1000
#define SURVEY_COMMENT_MAX    (4 * SURVEY_COMMENT_CHARS)   /* bytes */

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    char secret [SURVEY_SECRET_HEX + 1];
    int64_t score;
    proto_str_t comment;                    /* ptr NULL when absent */
    bool check;                             /* the read-only check: no score */
} survey_t;

int survey_decode (const msgpack_object *map, survey_t *s, proto_error_t *err);
/* 0 with the parts, or -1 when the text is not a token's shape. */
int survey_token_split (const char *token, size_t len, char no [COMPLAINT_NO_SIZE],
                        char secret [SURVEY_SECRET_HEX + 1]);
void survey_pack (msgpack_sbuffer *buf, const char *token, int64_t score, const char *comment);
void survey_check_pack (msgpack_sbuffer *buf, const char *token);

void survey_request_test (bool verbose);

#endif
