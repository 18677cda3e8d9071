/*  case_task.c — tasks to cooperating departments and rectification items
 *  on a case, inside the act's transaction (see case_task.h; issue 16,
 *  docs/tasks.md).
 *
 *  Who may do what (the lifecycle table says the roles and states; here
 *  what depends on the task):
 *      task_give    the lead: full scope on the case (its department's
 *                   handler or supervisor, or the complaint office); the
 *                   department asked exists, is active and is not the
 *                   case's own; `due` is in the future
 *      task_reply   staff of the department asked (a handler of it, a
 *                   supervisor of it, or a supervisor of a department on
 *                   its own line above it: its branch for an outlet — never
 *                   the head office's, whose "line" is every department;
 *                   issue 16 follow-up, vetting2): a cooperating
 *                   department's staff may take it with SCOPE_COOPERATING;
 *                   the task is open
 *      task_chase,
 *      task_close   the lead (full scope); the task is open
 *      rectify      full scope; the department exists; the owner, when
 *                   given, is active staff of that department
 *  Each refusal names its field: department, due, task, owner.
 *
 *  The deadline. `due` is a span (48h, 2wd, 5d: common/calendar's spans)
 *  counted from now on the case's calendar — the calendar of its SLA clocks
 *  (the SLA side's answer, sla_clocks_json), else intake's default — or a
 *  local time on that calendar ("2026-12-20 18:00"). Counting on the case's
 *  calendar is what makes "2 working days" mean the same to the lead, the
 *  cooperating department and the watchdog that chases it. now is the
 *  store's clock (app_now), as every time of a case.
 */
#include "case_task.h"
#include "row_pack.h"
#include "case_action.h"
#include "log.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The calendars in use: swapped by the main thread on SIGHUP
 * (intake_calendars.c, issue 16 follow-up, vetting2) while the writers
 * read them, so the pointer is atomic and each use reads it once. The
 * default's name is set before the writers start and never changes. */
static _Atomic (const calendars_t *) s_calendars;
static char s_default_calendar [64] = "cn";

void
case_task_calendars (const calendars_t *calendars, const char *default_name)
{
    if (default_name && *default_name && strcmp (default_name, s_default_calendar) != 0)
        snprintf (s_default_calendar, sizeof s_default_calendar, "%s", default_name);
    atomic_store (&s_calendars, calendars);
}

const calendar_t *
case_task_default_calendar (void)
{
    const calendars_t *set = atomic_load (&s_calendars);
    return set ? calendars_find (set, s_default_calendar) : NULL;
}

/* issue 16 follow-up (watchdog2): a calendar by name ("" or unknown: the
 * default one); NULL when none is loaded. The review window's. */
const calendar_t *
case_task_calendar_named (const char *name)
{
    const calendar_t *cal = s_calendars && name && *name ? calendars_find (s_calendars, name)
                                                         : NULL;
    return cal ? cal : case_task_default_calendar ();
}

bool
case_task_action (const lifecycle_action_t *action)
{
    const char *n = action->name;
    return strcmp (n, "task_give") == 0 || strcmp (n, "task_reply") == 0
        || strcmp (n, "task_chase") == 0 || strcmp (n, "task_close") == 0
        || strcmp (n, "rectify") == 0;
}

static bool
s_is (const act_t *act, const char *name)
{
    return strcmp (act->action->name, name) == 0;
}

static PGresult *
s_exec (pg_session_t *pg, const act_t *act, const char *step, const char *sql, int n,
        const char *const *values, const int *lengths, const int *formats, proto_error_t *err)
{
    return case_action_exec (pg, "act", act->complaint_no, step, sql, n, values, lengths,
                             formats, err);
}

int
case_task_due (const calendar_t *calendar, const char *text, int64_t now_ms, int64_t *due_ms,
               char *why, size_t why_size)
{
    span_t span;
    char err [CALENDAR_ERR_SIZE];
    if (span_parse (text, &span, err, sizeof err) == 0) {
        if (span.amount == 0) {
            snprintf (why, why_size, "due must be a span longer than zero");
            return -1;
        }
        if (!calendar) {
            snprintf (why, why_size, "no calendar is loaded to count %s on", text);
            return -1;
        }
        *due_ms = calendar_add (calendar, now_ms, span);
    }
    else
    if (!calendar || calendar_parse_local (calendar, text, due_ms)) {
        snprintf (why, why_size, "due must be a span (48h, 2wd, 5d) or a local time "
                  "(2026-12-20 18:00), not \"%s\"", text);
        return -1;
    }
    if (*due_ms <= now_ms) {
        snprintf (why, why_size, "due %s is not in the future", text);
        return -1;
    }
    return 0;
}

/* The case's calendar (its SLA clocks'), else the default one. */
static const calendar_t *
s_case_calendar (pg_session_t *pg, const act_t *act, const char *case_id, int64_t *now_ms,
                 proto_error_t *err)
{
    static const char *sql =
        "SELECT (extract (epoch FROM app_now ()) * 1000)::bigint,"
        "       (SELECT k ->> 'calendar' FROM json_array_elements (sla_clocks_json ($1::bigint)) k"
        "         WHERE k ->> 'calendar' IS NOT NULL LIMIT 1)";
    const char *values [] = { case_id };
    PGresult *res = s_exec (pg, act, "task_calendar", sql, 1, values, NULL, NULL, err);
    if (!res)
        return NULL;
    *now_ms = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    const calendar_t *cal = NULL;
    const calendars_t *set = atomic_load (&s_calendars);        /* once: see above */
    if (set && !PQgetisnull (res, 0, 1))
        cal = calendars_find (set, PQgetvalue (res, 0, 1));
    PQclear (res);
    if (!cal && set)
        cal = calendars_find (set, s_default_calendar);
    if (!cal)
        proto_error_set (err, PROTO_E_INVALID_FIELD, "due",
                         "intake has no calendar to count the deadline on (--calendars)");
    return cal;
}

static int
s_check_due (pg_session_t *pg, const act_t *act, const char *case_id, case_task_t *task,
             proto_error_t *err)
{
    int64_t now_ms = 0;
    const calendar_t *cal = s_case_calendar (pg, act, case_id, &now_ms, err);
    if (!cal)
        return -1;
    char why [300];
    if (case_task_due (cal, act->due, now_ms, &task->due_ms, why, sizeof why)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "due", "%s", why);
        return -1;
    }
    return 0;
}

static int
s_check_department (pg_session_t *pg, const act_t *act, const char *case_department,
                    case_task_t *task, proto_error_t *err)
{
    if (s_is (act, "task_give") && case_department && strcmp (act->department, case_department) == 0) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "department",
                         "%s is the case's own department: a task goes to a cooperating one",
                         act->department);
        return -1;
    }
    const char *values [] = { act->department };
    PGresult *res = s_exec (pg, act, "task_department",
                            "SELECT 1 FROM department WHERE id = $1 AND active", 1, values,
                            NULL, NULL, err);
    if (!res)
        return -1;
    int found = PQntuples (res);
    PQclear (res);
    if (!found) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "department",
                         "no active department has id %s", act->department);
        return -1;
    }
    snprintf (task->department, sizeof task->department, "%s", act->department);
    if (act->owner [0]) {
        const char *ov [] = { act->owner, act->department };
        res = s_exec (pg, act, "task_owner",
                      "SELECT 1 FROM staff WHERE id = $1 AND active AND department = $2", 2, ov,
                      NULL, NULL, err);
        if (!res)
            return -1;
        found = PQntuples (res);
        PQclear (res);
        if (!found) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "owner",
                             "%s is not active staff of %s", act->owner, act->department);
            return -1;
        }
        snprintf (task->owner, sizeof task->owner, "%s", act->owner);
    }
    return 0;
}

/* The task named by `task`, on this case, locked; open; for a reply, the
 * actor is of the department asked. */
static int
s_check_existing (pg_session_t *pg, const act_t *act, const staff_t *staff,
                  const char *case_id, case_task_t *task, proto_error_t *err)
{
    static const char *sql =
        "SELECT t.department, t.state, coalesce (starts_with (d.path, $3), false)"
        /* issue 16 follow-up (vetting2): the actor's department is on the
         * asked one's own line, not the head office that tops every line */
        "       AND NOT EXISTS (SELECT 1 FROM department h"
        "                        WHERE h.path = $3 AND h.kind = 'head_office')"
        "  FROM case_task t JOIN department d ON d.id = t.department"
        " WHERE t.id = $1::bigint AND t.complaint_id = $2::bigint AND t.kind = 'task'"
        "   FOR UPDATE OF t";
    const char *values [] = { act->task, case_id, staff->path };
    PGresult *res = s_exec (pg, act, "task_read", sql, 3, values, NULL, NULL, err);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (err, PROTO_E_INVALID_FIELD, "task",
                         "complaint %s has no task %s", act->complaint_no, act->task);
        return -1;
    }
    task->id = strtoll (act->task, NULL, 10);
    snprintf (task->department, sizeof task->department, "%s", PQgetvalue (res, 0, 0));
    char state [16];
    snprintf (state, sizeof state, "%s", PQgetvalue (res, 0, 1));
    bool below = PQgetvalue (res, 0, 2) [0] == 't';
    PQclear (res);
    if (strcmp (state, "open") != 0) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "task",
                         "task %s is %s already", act->task, state);
        return -1;
    }
    if (s_is (act, "task_reply")) {
        bool of_it = strcmp (staff->department, task->department) == 0
                  || (staff->role == ROLE_SUPERVISOR && below);
        if (!of_it) {
            proto_error_set (err, PROTO_E_FORBIDDEN, "task",
                             "task %s is asked of %s: its staff reply (or a supervisor of its "
                             "own line above it, below the head office), not a %s of %s",
                             act->task, task->department, lifecycle_role_name (staff->role),
                             staff->department);
            return -1;
        }
    }
    return 0;
}

int
case_task_check (pg_session_t *pg, const act_t *act, const staff_t *staff,
                 staff_scope_t scope, const char *case_id, const char *case_department,
                 case_task_t *task, proto_error_t *err)
{
    assert (pg && act && staff && case_id && task && err);
    memset (task, 0, sizeof *task);
    if (!s_is (act, "task_reply") && scope != SCOPE_FULL) {
        proto_error_set (err, PROTO_E_FORBIDDEN, "action",
                         "only the lead department or the complaint office may %s",
                         act->action->name);
        return -1;
    }
    if (s_is (act, "task_give") || s_is (act, "rectify"))
        return s_check_department (pg, act, case_department, task, err)
            || s_check_due (pg, act, case_id, task, err) ? -1 : 0;
    return s_check_existing (pg, act, staff, case_id, task, err);
}

int
case_task_write (pg_session_t *pg, const act_t *act, const staff_t *staff, const char *case_id,
                 const char *case_department, case_task_t *task, proto_error_t *err)
{
    //  The text goes as its bytes (it is not NUL-terminated); "" when absent.
    const char *text = act->text.ptr ? act->text.ptr : "";
    int text_len = act->text.ptr ? (int) act->text.len : 0;
    char due [32], id [24];
    snprintf (due, sizeof due, "%lld", (long long) task->due_ms);
    snprintf (id, sizeof id, "%lld", (long long) task->id);
    PGresult *res = NULL;
    if (s_is (act, "task_give") || s_is (act, "rectify")) {
        static const char *sql =
            "INSERT INTO case_task (kind, complaint_id, department, owner, lead_department,"
            "  asked, given_by, given_role, opened_at, due_at, due_text)"
            " VALUES ($1, $2::bigint, $3, nullif ($4, ''), nullif ($5, ''), $6, $7, $8,"
            "         app_now (), to_timestamp ($9::bigint / 1000.0), $10)"
            " RETURNING id";
        const char *values [] = {
            s_is (act, "rectify") ? "rectification" : "task", case_id, task->department,
            task->owner, case_department ? case_department : "", text, staff->id,
            lifecycle_role_name (staff->role), due, act->due
        };
        int lengths [10] = { 0, 0, 0, 0, 0, text_len };
        int formats [10] = { 0, 0, 0, 0, 0, 1 };
        res = s_exec (pg, act, "task_insert", sql, 10, values, lengths, formats, err);
        if (!res)
            return -1;
        task->id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        PQclear (res);
        if (s_is (act, "rectify"))
            return 0;
        //  The department asked becomes a cooperating one: its staff see the
        //  case (staff_auth.h's scope rule reads complaint.cooperating).
        const char *cv [] = { case_id, task->department };
        res = s_exec (pg, act, "task_cooperating",
                      "UPDATE complaint SET cooperating = array_append (cooperating, $2)"
                      " WHERE id = $1::bigint AND NOT ($2 = ANY (cooperating))", 2, cv, NULL,
                      NULL, err);
        if (!res)
            return -1;
        PQclear (res);
        return 0;
    }
    static const char *sql =
        "UPDATE case_task SET"
        "  state = CASE $2 WHEN 'task_reply' THEN 'done' WHEN 'task_close' THEN 'closed'"
        "          ELSE state END,"
        "  reply = CASE WHEN $2 = 'task_reply' THEN $3 ELSE reply END,"
        "  replied_by = CASE WHEN $2 = 'task_reply' THEN $4 ELSE replied_by END,"
        "  ended_at = CASE WHEN $2 IN ('task_reply', 'task_close') THEN app_now ()"
        "             ELSE ended_at END,"
        "  chases = chases + CASE WHEN $2 = 'task_chase' THEN 1 ELSE 0 END"
        " WHERE id = $1::bigint AND state = 'open'";
    const char *values [] = { id, act->action->name, text, staff->id };
    int lengths [4] = { 0, 0, text_len, 0 };
    int formats [4] = { 0, 0, 1, 0 };
    res = s_exec (pg, act, "task_update", sql, 4, values, lengths, formats, err);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

bool
case_task_pack_event (const act_t *act, const events_action_t *a, const case_task_t *task,
                      msgpack_sbuffer *buf)
{
    if (s_is (act, "task_give"))
        events_complaint_task_given (buf, a, task->id, task->department, task->due_ms);
    else
    if (s_is (act, "task_reply"))
        events_complaint_task_replied (buf, a, task->id, task->department);
    else
    if (s_is (act, "task_chase"))
        events_complaint_task_chased (buf, a, task->id, task->department);
    else
    if (s_is (act, "task_close"))
        events_complaint_task_closed (buf, a, task->id, task->department);
    else
    if (s_is (act, "rectify"))
        events_complaint_rectification_opened (buf, a, task->id, task->department,
                                               task->owner [0] ? task->owner : NULL,
                                               task->due_ms);
    else
        return false;
    return true;
}

//  The staff view's list: times as ms since the epoch, as every time of
//  `get` (complaintctl shows them in the bank's zone).
static const char *s_list_sql =
    "SELECT id, kind, department, coalesce (owner, ''), asked,"
    "       (extract (epoch FROM due_at) * 1000)::bigint, state, reply, replied_by, given_by,"
    "       chases, (extract (epoch FROM ended_at) * 1000)::bigint"
    "  FROM case_task WHERE complaint_id = $1::bigint ORDER BY id";

PGresult *
case_task_list_read (pg_session_t *pg, const char *complaint_id)
{
    const char *values [] = { complaint_id };
    return pg_session_exec (pg, "get_tasks", s_list_sql, 1, values, NULL, NULL,
                            PGRES_TUPLES_OK);
}

void
case_task_list_pack (msgpack_packer *pk, const PGresult *res)
{
    static const row_column_t cols [] = {
        { "id", true }, { "kind", false }, { "department", false }, { "owner", false },
        { "asked", false }, { "due_at", true }, { "state", false }, { "reply", false },
        { "replied_by", false }, { "given_by", false }, { "chases", true },
        { "ended_at", true },
    };
    row_pack_array (pk, res, cols, (int) (sizeof cols / sizeof cols [0]), 0);
}

//  --------------------------------------------------------------------------
//  Self-test: `due` on the shipped calendar (no store).

void
case_task_due_test (bool verbose, int *passed, int *failed)
{
    conf_error_t cerr;
    calendar_t *cal = calendar_load ("deploy/calendars/cn.conf", &cerr);
    //  Wed 2026-12-16 10:00 +08:00
    int64_t now = 0;
    int ok = cal && calendar_parse_local (cal, "2026-12-16 10:00", &now) == 0;
    int64_t due = 0, want = 0;
    char why [300];
    ok = ok && case_task_due (cal, "2wd", now, &due, why, sizeof why) == 0
            && calendar_parse_local (cal, "2026-12-19 00:00", &want) == 0 && due == want;
    ok = ok && case_task_due (cal, "48h", now, &due, why, sizeof why) == 0
            && due == now + 48 * 3600 * 1000LL;
    ok = ok && case_task_due (cal, "2026-12-20 18:00", now, &due, why, sizeof why) == 0;
    ok = ok && case_task_due (cal, "2026-12-01 18:00", now, &due, why, sizeof why) == -1
            && strstr (why, "not in the future");
    ok = ok && case_task_due (cal, "soon", now, &due, why, sizeof why) == -1
            && strstr (why, "must be a span");
    ok = ok && case_task_due (cal, "0h", now, &due, why, sizeof why) == -1;
    if (verbose)
        printf ("  %s case_task: due as a span on the calendar, a local time, refusals\n",
                ok ? "ok  " : "FAIL");
    *passed += ok;
    *failed += !ok;
    calendar_destroy (&cal);
}
