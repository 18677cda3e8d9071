/*  case_followup.h — what intake adds to an action after the answer
 *  (issue 16 §2, docs/followup.md): the watchdog closing a case whose
 *  call-back found nobody, the call-back's survey score, the
 *  valid-complaint determination.
 *
 *  case_action.c runs every action; these are its hooks for the follow-up
 *  actions, kept here so the shared file only calls them:
 *
 *      case_followup_service   an act without a token from a service's
 *                              CURVE key: which services may, and what
 *                              (the watchdog: close as no_answer only);
 *                              fills the actor it acts as
 *      case_followup_check     under the case's row lock: a second
 *                              determination, or a second survey score,
 *                              is refused (invalid_transition)
 *      case_followup_outbox    in the act's transaction, after its own
 *                              rows: a decision makes the case's survey
 *                              (case_survey.h); a call-back that carried a
 *                              score answers it (channel callback) and
 *                              emits complaint.survey_answered
 *      case_followup_init      intake's start: the identity keys (the
 *                              survey link is sealed) and --survey-days
 */
#ifndef CASE_FOLLOWUP_H_INCLUDED
#define CASE_FOLLOWUP_H_INCLUDED

#include "pg_session.h"
#include "request.h"
#include "staff_auth.h"
#include "identity_seal.h"

/* Before the first act: the keys the survey link is sealed with (NULL: no
 * survey is made) and how many days a link stays valid. */
void case_followup_init (const identity_seal_t *seal, long survey_days);

/* The services that may act without a token, and the one action each may
 * take: the watchdog closes a resolved case as no_answer (its call-back
 * clock ran out). Fills staff (id "watchdog", acting with the complaint
 * office's scope) or sets err (forbidden, field action or token). */
int case_followup_service (const act_t *act, staff_t *staff, proto_error_t *err);

/* A decision made elsewhere (first contact, first_contact.c) makes the
 * case's survey too, in its transaction. 0, or -1 with err set. */
int case_followup_survey (pg_session_t *pg, const char *complaint_no, const char *case_id,
                          proto_error_t *err);

/* The audit role of the actor: "system" for a service, else its role. */
const char *case_followup_actor_role (const act_t *act, const staff_t *staff);

/* Under the row lock of case `case_id`: refusals that need the trail. */
int case_followup_check (pg_session_t *pg, const act_t *act, const char *case_id,
                         proto_error_t *err);

/* After the act's own outbox row: complaint.survey_answered when a
 * call-back carried a score. */
int case_followup_outbox (pg_session_t *pg, const act_t *act, const char *case_id,
                          proto_error_t *err);

#endif
