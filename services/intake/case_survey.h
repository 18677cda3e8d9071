/*  case_survey.h — the satisfaction survey's link and answer (issue 16 §2;
 *  docs/followup.md; migration 041).
 *
 *  The link. At a case's first decision (resolve, case_action.c through
 *  case_followup.c) intake makes the survey row in the act's transaction:
 *  a token "<complaint_no>.<128 random bits, hex>", its secret's keyed hash
 *  (identity_seal_hash) and a sealed copy (identity_seal_seal, purpose
 *  "survey") for the notifier to print the link into the resolution
 *  message; it expires after --survey-days. One per case: a later decision
 *  keeps the first survey.
 *
 *  The answer (intake `survey`, from the web adapter), one transaction:
 *      BEGIN
 *      SELECT the case and its survey ... FOR NO KEY UPDATE OF the case
 *      the token's number has a survey and its secret matches (constant
 *      time)                                          else not_found token
 *      not answered yet (the same answer again from the same
 *      adapter: ok, duplicate)                         else conflict token
 *      not expired (the store's clock)                 else invalid_transition token
 *      UPDATE survey (answered_at, score, comment, channel web)
 *      UPDATE complaint (version + 1)
 *      INSERT case_action ('survey': score, comment, channel; actor the
 *                          adapter's key, role adapter, for the customer)
 *      INSERT outbox (complaint.survey_answered: score, channel; never the
 *                     comment)
 *      COMMIT, then the reply {"ok", "complaint_no", "score"}.
 *
 *  issue 16 follow-up (adapters2): a request with "check" (the web's GET
 *  /survey) runs only the read, without the row lock and outside a
 *  transaction: {"ok", "complaint_no", "check": true}, or the refusal the
 *  answer would get (not_found, conflict, invalid_transition; field
 *  token). Nothing is written, no event.
 *
 *  Interface: case_survey_create, case_survey_answer
 */
#ifndef CASE_SURVEY_H_INCLUDED
#define CASE_SURVEY_H_INCLUDED

#include "identity_seal.h"
#include "pg_session.h"
#include "request.h"

/* In an open act transaction: the case's survey, unless it has one. 0, or
 * -1 with err set. */
int case_survey_create (pg_session_t *pg, const identity_seal_t *seal, const char *complaint_no,
                        const char *case_id, long days, proto_error_t *err);

/* Record the answer (the sequence above), or only check the link when
 * survey->check; reply packed either way.
 * Returns 0 when recorded (or the same answer again), -1 refused or failed. */
int case_survey_answer (pg_session_t *pg, const identity_seal_t *seal, const char *actor,
                        const survey_t *survey, msgpack_sbuffer *reply);

#endif
