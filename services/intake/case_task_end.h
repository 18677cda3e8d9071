/*  case_task_end.h — a case's open tasks end with the case (issue 16
 *  integration; docs/tasks.md "When the case ends").
 *
 *  A task (协办) is asked of a cooperating department for the case's
 *  decision; once the case is closed, rejected (merged) or withdrawn
 *  nothing can use its answer, and the watchdog would go on reminding and
 *  chasing the department for it. So the action that takes the case into
 *  a final state also closes its open tasks (state closed, ended_at), in
 *  the same transaction; the case's own event says why, and the
 *  watchdog's recompute of the case (the row changed: sla_dirty) stops the
 *  tasks' clocks. Rectification items (整改) are not touched: they are
 *  asked after a closed case and outlive it by design.
 *
 *  Interface:
 *      case_task_end_with_case   close the open tasks when `to` is final
 */
#ifndef CASE_TASK_END_H_INCLUDED
#define CASE_TASK_END_H_INCLUDED

#include "lifecycle.h"
#include "pg_session.h"
#include "request.h"

/* 0 (*closed: how many), or -1 with err set. Nothing when `to` is open. */
int case_task_end_with_case (pg_session_t *pg, const char *complaint_no, const char *case_id,
                             case_state_t to, int *closed, proto_error_t *err);

#endif
