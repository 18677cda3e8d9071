/*  case_task.h — tasks given to cooperating departments (协办) and
 *  rectification items (整改) opened on a case: the staff actions task_give,
 *  task_reply, task_chase, task_close and rectify (proto/lifecycle.c), as
 *  steps of case_action.c's one transaction (issue 16; docs/tasks.md).
 *
 *  A task is a row of case_task (migration 043, owner intake): what the
 *  lead asked (`asked`: staff text, never on the stream), of which
 *  department, by when (due_at, from the `due` field: a span counted on the
 *  case's calendar, or a local time on it), and the answer. Giving a task
 *  adds the department to the case's cooperating departments, so its staff
 *  see the case (SCOPE_COOPERATING, staff_auth.h) and may reply to the task;
 *  the reply is shown to the lead in `get` (case_task_list_*).
 *
 *  Inside the act's transaction, after the case's row lock and the
 *  lifecycle checks:
 *      case_task_check   the action's own checks (the department, the due
 *                        time, the task exists on this case and is open, the
 *                        replier belongs to the department asked, the owner)
 *      case_task_write   the case_task row (insert / reply / chase / close),
 *                        and the department made a cooperating one
 *      case_task_pack_event   the action's event (task id, department, due)
 *  The watchdog reminds and chases by the deadline (services/watchdog/
 *  task_watch.c); it only reads case_task.
 *
 *  Interface:
 *      case_task_calendars   the calendars `due` is counted on (intake main)
 *      case_task_action      is this action one of these?
 *      case_task_check / _write / _pack_event
 *      case_task_list_read / _pack   a case's tasks for the staff view
 *      case_task_due_test    self-test of the `due` parsing (no store)
 */
#ifndef CASE_TASK_H_INCLUDED
#define CASE_TASK_H_INCLUDED

#include "calendar.h"
#include "events.h"
#include "pg_session.h"
#include "request.h"
#include "staff_auth.h"
#include <msgpack.h>

typedef struct {
    int64_t id;                             /* the task; a new one's after _write */
    char department [REQUEST_MAX_ID + 1];   /* the department asked */
    char owner [REQUEST_MAX_ID + 1];        /* rectify: "" the department */
    int64_t due_ms;                         /* task_give, rectify */
} case_task_t;

/* The calendars (loaded by intake_calendars.c, swapped on SIGHUP; kept,
 * not owned) and the name of the one used when a case has no clock yet
 * (set before the writers start; a reload passes the same name). NULL: only spans in hours and
 * local times of the bank's zone can be counted... none at all: `due` is
 * refused with the reason. */
void case_task_calendars (const calendars_t *calendars, const char *default_name);
/* The default calendar (an item on no case counts its `due` on it); NULL
 * when none is loaded. */
const calendar_t *case_task_default_calendar (void);
/* issue 16 follow-up (watchdog2): by name, else the default; NULL: none. */
const calendar_t *case_task_calendar_named (const char *name);

bool case_task_action (const lifecycle_action_t *action);

/* 0: go on; -1 with err naming the field. scope: the actor's scope on the
 * case (a cooperating department's staff may only reply). */
int case_task_check (pg_session_t *pg, const act_t *act, const staff_t *staff,
                     staff_scope_t scope, const char *case_id, const char *case_department,
                     case_task_t *task, proto_error_t *err);
int case_task_write (pg_session_t *pg, const act_t *act, const staff_t *staff,
                     const char *case_id, const char *case_department, case_task_t *task,
                     proto_error_t *err);
/* Packs the action's event; false when the event is none of these. */
bool case_task_pack_event (const act_t *act, const events_action_t *a, const case_task_t *task,
                           msgpack_sbuffer *buf);

/* A case's tasks and rectification items, for the staff view: NULL when the
 * store failed. Packed as an array of maps (id, kind, department, owner,
 * asked, due_at, state, reply, replied_by, given_by, chases, ended_at). */
PGresult *case_task_list_read (pg_session_t *pg, const char *complaint_id);
void case_task_list_pack (msgpack_packer *pk, const PGresult *res);

/* Parse `due` on a calendar against now: 0 and *due_ms, or -1 with why. */
int case_task_due (const calendar_t *calendar, const char *text, int64_t now_ms,
                   int64_t *due_ms, char *why, size_t why_size);
void case_task_due_test (bool verbose, int *passed, int *failed);

#endif
