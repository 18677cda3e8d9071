/*  case_task_end.c — a case's open tasks end with the case (see
 *  case_task_end.h).
 *
 *  One statement, by the case's id (index case_task_complaint); the tasks
 *  keep what was asked and any reply, so the file still shows what was
 *  pending when the case ended (state closed, no reply).
 */
#include "case_task_end.h"
#include "case_action.h"
#include "log.h"

#include <stdlib.h>

static const char *s_end_sql =
    "UPDATE case_task SET state = 'closed', ended_at = app_now ()"
    " WHERE complaint_id = $1 AND kind = 'task' AND state = 'open'";

int
case_task_end_with_case (pg_session_t *pg, const char *complaint_no, const char *case_id,
                         case_state_t to, int *closed, proto_error_t *err)
{
    *closed = 0;
    if (lifecycle_state_open (to))
        return 0;
    const char *values [] = { case_id };
    PGresult *res = case_action_exec (pg, "act", complaint_no, "tasks_end", s_end_sql, 1,
                                      values, NULL, NULL, err);
    if (!res)
        return -1;
    *closed = atoi (PQcmdTuples (res));
    PQclear (res);
    if (*closed)
        log_info ("tasks_ended", "complaint_no=%s closed=%d state=%s", complaint_no, *closed,
                  lifecycle_state_name (to));
    return 0;
}
