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
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_services [] = { "watchdog", NULL };

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

const char *
case_followup_actor_role (const act_t *act, const staff_t *staff)
{
    return act->service [0] ? "system" : lifecycle_role_name (staff->role);
}

/* How many earlier rows of the trail match: the determination, or a
 * call-back that carried a score. */
static const char *s_once_sql =
    "SELECT count (*) FILTER (WHERE action = 'determine'),"
    "       count (*) FILTER (WHERE action = 'callback' AND details ? 'score')"
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

int
case_followup_outbox (pg_session_t *pg, const act_t *act, proto_error_t *err)
{
    if (!(act->present & FIELD_SCORE))
        return 0;
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_complaint_survey_answered (&data, act->score, "callback");
    int rc = case_action_outbox (pg, "act", "complaint.survey_answered", act->complaint_no,
                                 &data, err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}
