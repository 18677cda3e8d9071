/*  case_followup.c — the follow-up hooks of an action (see case_followup.h;
 *  the design is in docs/followup.md).
 *
 *  Why the watchdog asks intake rather than writing the case itself: the
 *  case table and its audit trail are intake's (migration 007), and every
 *  event is packed in C by its one packer (invariant 9). So the watchdog
 *  sends an ordinary `act` (close, reason no_answer, the version it read),
 *  without a staff token, over its own CURVE key (role service, name
 *  watchdog). Intake runs it through the same path as a person's: the row
 *  lock, the version, the lifecycle rules (resolved, no answer on record),
 *  one audit row with actor "watchdog" and role "system", one event. Two
 *  watchdogs asking at once: one commits, the other is told conflict or
 *  invalid_transition — closed exactly once.
 *
 *  Once-only rules are read from the trail under the case's row lock, so
 *  two concurrent requests cannot both pass: the second waits for the
 *  first's commit and then sees its row.
 */
#include "case_followup.h"
#include "case_action.h"
#include "case_survey.h"
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_services [] = { "watchdog", NULL };

/* Set once at intake's start, before the writers run; read-only after. */
static const identity_seal_t *s_seal;
static long s_survey_days = 30;

void
case_followup_init (const identity_seal_t *seal, long survey_days)
{
    s_seal = seal;
    s_survey_days = survey_days;
}

int
case_followup_service (const act_t *act, staff_t *staff, proto_error_t *err)
{
    bool known = false;
    for (int i = 0; s_services [i]; i++)
        known |= strcmp (act->service, s_services [i]) == 0;
    if (!known) {
        proto_error_set (err, PROTO_E_FORBIDDEN, "token",
                         "the service %s may not act on a case without a staff token",
                         act->service);
        return -1;
    }
    if (strcmp (act->action->name, "close") != 0 || strcmp (act->reason, "no_answer") != 0) {
        proto_error_set (err, PROTO_E_FORBIDDEN, "action",
                         "the %s only closes a case as no_answer (its call-back clock ran out)",
                         act->service);
        return -1;
    }
    memset (staff, 0, sizeof *staff);
    snprintf (staff->id, sizeof staff->id, "%s", act->service);
    staff->role = ROLE_COMPLAINT_OFFICE;        /* scope: every case */
    return 0;
}

int
case_followup_survey (pg_session_t *pg, const char *complaint_no, const char *case_id,
                      proto_error_t *err)
{
    return s_seal ? case_survey_create (pg, s_seal, complaint_no, case_id, s_survey_days, err)
                  : 0;
}

const char *
case_followup_actor_role (const act_t *act, const staff_t *staff)
{
    return act->service [0] ? "system" : lifecycle_role_name (staff->role);
}

/* How many earlier rows of the trail match: the determination, or a
 * survey answer (a call-back that carried a score; the web's `survey`). */
static const char *s_once_sql =
    "SELECT count (*) FILTER (WHERE action = 'determine'),"
    "       count (*) FILTER (WHERE (action = 'callback' AND details ? 'score')"
    "                           OR action = 'survey')"
    "  FROM case_action WHERE complaint_id = $1";

int
case_followup_check (pg_session_t *pg, const act_t *act, const char *case_id,
                     proto_error_t *err)
{
    bool determine = strcmp (act->action->name, "determine") == 0;
    bool score = (act->present & FIELD_SCORE) != 0;
    if (!determine && !score)
        return 0;
    const char *values [] = { case_id };
    PGresult *res = case_action_exec (pg, "act", act->complaint_no, "followup_once", s_once_sql,
                                      1, values, NULL, NULL, err);
    if (!res)
        return -1;
    long determined = strtol (PQgetvalue (res, 0, 0), NULL, 10);
    long scored = strtol (PQgetvalue (res, 0, 1), NULL, 10);
    PQclear (res);
    //  A determination is a record kept for the regulator's statistics: a
    //  correction is a decision of its own (not built), never a silent
    //  second row that readers would have to choose between.
    if (determine && determined > 0) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "action",
                         "complaint %s was already determined; a determination is made once",
                         act->complaint_no);
        return -1;
    }
    if (score && scored > 0) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "score",
                         "the satisfaction survey of complaint %s was already answered "
                         "(one per case)", act->complaint_no);
        return -1;
    }
    return 0;
}

/* The call-back's score answers the survey (when the case has one). */
static const char *s_callback_answer_sql =
    "UPDATE survey SET answered_at = app_now (), score = $2::int, channel = 'callback'"
    " WHERE complaint_id = $1 AND answered_at IS NULL";

int
case_followup_outbox (pg_session_t *pg, const act_t *act, const char *case_id,
                      proto_error_t *err)
{
    //  Keyed on the event, not the action's name: whatever action brings
    //  the decision to the customer emits complaint.resolved.
    if (strcmp (act->action->event, "complaint.resolved") == 0 && s_seal)
        return case_survey_create (pg, s_seal, act->complaint_no, case_id, s_survey_days, err);
    if (!(act->present & FIELD_SCORE))
        return 0;
    char score [8];
    snprintf (score, sizeof score, "%lld", (long long) act->score);
    const char *values [] = { case_id, score };
    PGresult *res = case_action_exec (pg, "act", act->complaint_no, "survey_callback",
                                      s_callback_answer_sql, 2, values, NULL, NULL, err);
    if (!res)
        return -1;
    PQclear (res);
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_complaint_survey_answered (&data, act->score, "callback");
    int rc = case_action_outbox (pg, "act", "complaint.survey_answered", act->complaint_no,
                                 &data, err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}
