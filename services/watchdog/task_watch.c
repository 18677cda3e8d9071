/*  task_watch.c — reminders and chases of tasks and rectification items
 *  (see task_watch.h). The SQL is here; the steps are two and need no plan
 *  module: due_soon, then overdue, each once.
 *
 *  Why a clock row of the watchdog's own rather than a query over case_task:
 *  intake's table says what was asked and by when, but which step comes next
 *  is the watchdog's state, and a service writes only its own tables
 *  (invariant 9). A query over case_task alone ("open and due_at <= now")
 *  would also visit every overdue task still open on every tick; the clock's
 *  next_fire_at is cleared once the last step fired, so the partial index
 *  holds only what is still to fire.
 *
 *  A reminder after the deadline is no reminder: a clock whose due_soon
 *  comes when the task is already overdue (the store's clock moved, or the
 *  watchdog was down) fires overdue only.
 */
#include "task_watch.h"
#include "events.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MS(x) "(extract (epoch FROM " x ") * 1000)::bigint"

static const char *s_plant_sql =
    "INSERT INTO task_clock (task_id, next_step, next_fire_at, planted_at, planted_by)"
    " SELECT t.id, 'due_soon', t.opened_at + (t.due_at - t.opened_at) * ($2::float8 / 100),"
    "        app_now (), $3"
    "   FROM case_task t WHERE t.complaint_id = ANY ($1::bigint[]) AND t.state = 'open'"
    " ON CONFLICT (task_id) DO NOTHING";

static const char *s_stop_sql =
    "UPDATE task_clock k SET next_step = NULL, next_fire_at = NULL"
    "  FROM case_task t"
    " WHERE t.id = k.task_id AND t.complaint_id = ANY ($1::bigint[]) AND t.state <> 'open'"
    "   AND k.next_fire_at IS NOT NULL";

//  Items with no case (a hot spot's rectification): few, found through
//  the partial index case_task_caseless_open.
static const char *s_plant_caseless_sql =
    "INSERT INTO task_clock (task_id, next_step, next_fire_at, planted_at, planted_by)"
    " SELECT t.id, 'due_soon', t.opened_at + (t.due_at - t.opened_at) * ($1::float8 / 100),"
    "        app_now (), $2"
    "   FROM case_task t WHERE t.complaint_id IS NULL AND t.state = 'open'"
    "    AND NOT EXISTS (SELECT 1 FROM task_clock k WHERE k.task_id = t.id)"
    " ON CONFLICT (task_id) DO NOTHING";

static const char *s_due_sql =
    "SELECT k.task_id, k.next_step, t.kind, coalesce (c.complaint_no, ''), t.department,"
    "       coalesce (t.lead_department, ''), coalesce (t.owner, ''), " S_MS ("t.due_at") ","
    "       t.state = 'open', " S_MS ("app_now ()") ","
    "       coalesce (split_part (t.hotspot, '/', 1), '')"
    "  FROM task_clock k JOIN case_task t ON t.id = k.task_id"
    "  LEFT JOIN complaint c ON c.id = t.complaint_id"
    " WHERE k.next_fire_at <= app_now ()"
    " ORDER BY k.next_fire_at LIMIT $1::int"
    "   FOR UPDATE OF k SKIP LOCKED";

//  The firing row and its event in one statement: the outbox row exists
//  only when this transaction inserted the firing.
static const char *s_fire_sql =
    "WITH f AS (INSERT INTO task_firing (task_id, step, due_at, fired_at, fired_by)"
    "           VALUES ($1::bigint, $2, to_timestamp ($3::bigint / 1000.0), app_now (), $4)"
    "           ON CONFLICT DO NOTHING RETURNING task_id)"
    " INSERT INTO outbox (type, complaint_no, data, at)"
    " SELECT $5, nullif ($6, ''), $7, app_now () FROM f";

static const char *s_next_sql =
    "UPDATE task_clock SET next_step = $2,"
    "       next_fire_at = to_timestamp (nullif ($3::bigint, 0) / 1000.0)"
    " WHERE task_id = $1::bigint";

#define S_SQL_NEXT_DUE \
    "SELECT " S_MS ("(SELECT min (next_fire_at) FROM task_clock WHERE next_fire_at IS NOT NULL)" \
                    " - app_now ()") "," \
    "       (SELECT count (*) FROM task_clock WHERE next_fire_at <= app_now ())," \
    "       (SELECT scale FROM app_clock)"

int
task_watch_plant (pg_session_t *pg, const char *ids, int remind_pct, const char *name)
{
    char pct [16];
    snprintf (pct, sizeof pct, "%d", remind_pct);
    const char *plant [] = { ids, pct, name };
    const char *stop [] = { ids };
    if (pg_session_command (pg, "task_plant", s_plant_sql, 3, plant)
    ||  pg_session_command (pg, "task_stop", s_stop_sql, 1, stop))
        return -1;
    return 0;
}

/* One step of one task: its firing and event, once. 1 written, 0 already
 * fired, -1 failed. */
static int
s_fire (pg_session_t *pg, PGresult *due, int r, const char *step, const char *name)
{
    events_task_t t = {
        .task = strtoll (PQgetvalue (due, r, 0), NULL, 10),
        .kind = PQgetvalue (due, r, 2),
        .complaint_no = *PQgetvalue (due, r, 3) ? PQgetvalue (due, r, 3) : NULL,
        .department = PQgetvalue (due, r, 4),
        .lead_department = *PQgetvalue (due, r, 5) ? PQgetvalue (due, r, 5) : NULL,
        .owner = *PQgetvalue (due, r, 6) ? PQgetvalue (due, r, 6) : NULL,
        .due_at = strtoll (PQgetvalue (due, r, 7), NULL, 10),
    };
    bool overdue = strcmp (step, "overdue") == 0;
    //  An item on no case (a hot spot's rectification) is told as a caseless
    //  rectification.* event: the notifier finds its branch's people.
    bool caseless = t.complaint_no == NULL;
    const char *type = caseless ? (overdue ? "rectification.overdue" : "rectification.due_soon")
                                : (overdue ? "task.overdue" : "task.due_soon");
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    if (caseless) {
        events_rectification_t rc = {
            .task = t.task, .branch = t.department, .owner = t.owner,
            .rule = *PQgetvalue (due, r, 10) ? PQgetvalue (due, r, 10) : NULL,
            .due_at = t.due_at
        };
        if (overdue)
            events_rectification_overdue (&data, &rc);
        else
            events_rectification_due_soon (&data, &rc);
    }
    else
    if (overdue)
        events_task_overdue (&data, &t);
    else
        events_task_due_soon (&data, &t);
    const char *values [] = {
        PQgetvalue (due, r, 0), step, PQgetvalue (due, r, 7), name, type,
        PQgetvalue (due, r, 3), data.data
    };
    int lengths [7] = { 0, 0, 0, 0, 0, 0, (int) data.size };
    int formats [7] = { 0, 0, 0, 0, 0, 0, 1 };
    PGresult *res = pg_session_exec (pg, "task_fire", s_fire_sql, 7, values, lengths, formats,
                                     PGRES_COMMAND_OK);
    msgpack_sbuffer_destroy (&data);
    if (!res)
        return -1;
    int n = atoi (PQcmdTuples (res));
    PQclear (res);
    if (n)
        log_info ("task_fired", "task=%s step=%s complaint_no=%s department=%s",
                  PQgetvalue (due, r, 0), step, *PQgetvalue (due, r, 3)
                  ? PQgetvalue (due, r, 3) : "-", PQgetvalue (due, r, 4));
    return n;
}

static int
s_set_next (pg_session_t *pg, const char *task, const char *step, int64_t at)
{
    char ms [24];
    snprintf (ms, sizeof ms, "%lld", (long long) at);
    const char *values [] = { task, step, ms };
    return pg_session_command (pg, "task_next", s_next_sql, 3, values);
}

int
task_watch_fire (pg_session_t *pg, const char *name, int batch, int remind_pct, int *events)
{
    *events = 0;
    if (!pg_session_conn (pg))
        return -1;
    if (pg_session_command (pg, "task_begin", "BEGIN", 0, NULL))
        return -1;
    char pct [16], lim [16];
    snprintf (pct, sizeof pct, "%d", remind_pct);
    snprintf (lim, sizeof lim, "%d", batch);
    const char *caseless [] = { pct, name };
    const char *p_lim [] = { lim };
    PGresult *due = NULL;
    if (pg_session_command (pg, "task_plant_caseless", s_plant_caseless_sql, 2, caseless))
        goto fail;
    due = pg_session_exec (pg, "task_claim", s_due_sql, 1, p_lim, NULL, NULL, PGRES_TUPLES_OK);
    if (!due)
        goto fail;
    int n = PQntuples (due);
    for (int r = 0; r < n; r++) {
        const char *task = PQgetvalue (due, r, 0);
        const char *step = PQgetvalue (due, r, 1);
        bool open = PQgetvalue (due, r, 8) [0] == 't';
        int64_t due_ms = strtoll (PQgetvalue (due, r, 7), NULL, 10);
        int64_t now_ms = strtoll (PQgetvalue (due, r, 9), NULL, 10);
        int rc = 0;
        if (!open)
            rc = s_set_next (pg, task, NULL, 0);
        else
        if (strcmp (step, "due_soon") == 0 && now_ms < due_ms) {
            int w = s_fire (pg, due, r, "due_soon", name);
            rc = w < 0 ? -1 : s_set_next (pg, task, "overdue", due_ms);
            *events += w > 0;
        }
        else {
            int w = s_fire (pg, due, r, "overdue", name);
            rc = w < 0 ? -1 : s_set_next (pg, task, NULL, 0);
            *events += w > 0;
        }
        if (rc)
            goto fail;
    }
    if (pg_session_command (pg, "task_commit", "COMMIT", 0, NULL))
        goto fail;
    PQclear (due);
    return n;
fail:
    PQclear (due);
    pg_session_rollback (pg);
    *events = 0;
    return -1;
}

int
task_watch_next (pg_session_t *pg, int64_t *wait_ms, int64_t *due_now)
{
    *wait_ms = -1;
    *due_now = 0;
    PGresult *res = pg_session_exec (pg, "task_next_due", S_SQL_NEXT_DUE, 0, NULL, NULL, NULL,
                                     PGRES_TUPLES_OK);
    if (!res)
        return -1;
    double scale = strtod (PQgetvalue (res, 0, 2), NULL);
    if (scale <= 0)
        scale = 1;
    if (!PQgetisnull (res, 0, 0)) {
        int64_t virt = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        *wait_ms = virt <= 0 ? 0 : (int64_t) ((double) virt / scale) + 1;
    }
    *due_now = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    PQclear (res);
    return 0;
}
